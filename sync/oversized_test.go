package sync_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// Columns widened from the official varchar let rows through that the cache file
// cannot store: a servant name beyond a bbolt key (32 KiB), one beyond any text
// field (64 KiB), a host of 70,000 bytes, a rejected subset rule's 70,000 bytes
// of data. Each such row is rejected alone, named and counted as too_large, and
// the rest of the sync applies (here, an unrelated server turning inactive). They
// used to fail every sync as "database unreachable" until the rows were deleted.
func TestSyncOnce_oversizedRowsAreRejectedAlone(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	db.Exec(t, "ALTER TABLE t_adapter_conf MODIFY servant MEDIUMTEXT, MODIFY endpoint MEDIUMTEXT, DROP KEY adapter_conf_endpoint_index")
	db.Exec(t, "ALTER TABLE t_subset_rule MODIFY rule_data MEDIUMTEXT")
	add := func(adapter, servant, endpoint string) {
		db.Exec(t, `INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint)
			VALUES ('Demo', 'HelloServer', '10.0.0.11', ?, ?, ?)`, adapter, servant, endpoint)
	}
	add("KeyAdapter", "Demo.HelloServer."+strings.Repeat("K", 40000), "tcp -h 10.0.0.11 -p 1 -t 1000")
	add("NameAdapter", "Demo.HelloServer."+strings.Repeat("N", 70000), "tcp -h 10.0.0.11 -p 2 -t 1000")
	add("HostAdapter", "Demo.HelloServer.HostObj", "tcp -h "+strings.Repeat("h", 70000)+" -p 3 -t 1000")
	db.Exec(t, `INSERT INTO t_subset_rule (servant, enable, rule_type, rule_data) VALUES ('Demo.HelloServer.HelloObj', 'Y', 'ratio', ?)`,
		strings.Repeat("x", 70000))

	c := cachetest.Open(t, "")
	s := sync.New(db.SQL, c, sync.Options{})
	res, err := s.SyncOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, res.Report.Dropped[sync.DropTooLarge])
	require.Len(t, res.Report.Rejected, 4, "three oversized rows and the sample's malformed endpoint")
	var reasons []string
	for _, r := range res.Report.Rejected {
		require.Less(t, len(r.Err.Error()), 1000, "a rejection names the row without repeating it whole")
		reasons = append(reasons, r.Err.Error())
	}
	require.Contains(t, fmt.Sprint(reasons), `servant id of 40017 bytes: want 1 to 32768`)
	require.Contains(t, fmt.Sprint(reasons), `servant id of 70017 bytes`)
	require.Contains(t, fmt.Sprint(reasons), `has 70000 bytes, at most 65536`)
	require.Len(t, res.RejectedRules, 1)
	_, ok := c.Snapshot().Lookup("Demo.HelloServer.HelloObj")
	require.True(t, ok)

	db.Exec(t, `UPDATE t_server_conf SET present_state='inactive' WHERE application='Shop'`)
	res, err = s.SyncOnce(context.Background())
	require.NoError(t, err, "the oversized rows never stop a sync")
	require.Positive(t, res.Apply.Written)
}
