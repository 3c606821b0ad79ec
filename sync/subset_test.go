package sync_test

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/subset"
	"github.com/tarscache/tarscache/sync"
)

const hello = "Demo.HelloServer.HelloObj"

// labelHello labels HelloServer's nodes 10.0.0.11 and 10.0.0.12 v1 and v2.
const labelHello = `INSERT INTO t_server_subset (application, server_name, node_name, subset) VALUES
 ('Demo', 'HelloServer', '10.0.0.11', 'v1'), ('Demo', 'HelloServer', '10.0.0.12', 'v2');`

// subsetsOf returns the subset label of each endpoint of id, by host.
func subsetsOf(t *testing.T, c *cache.Cache, id string) map[string]string {
	t.Helper()
	e, ok := c.Snapshot().Lookup(id)
	require.True(t, ok, id)
	out := map[string]string{}
	for _, l := range [][]endpointf.EndpointF{e.AllLists().Active, e.AllLists().Inactive} {
		for _, ep := range l {
			out[ep.Host] = ep.Subset
		}
	}
	return out
}

func setRule(t *testing.T, db *testdb.DB, enable, ruleType, data string) {
	t.Helper()
	db.Exec(t, `REPLACE INTO t_subset_rule (servant, enable, rule_type, rule_data) VALUES (?, ?, ?, ?)`, hello, enable, ruleType, data)
}

// Subset labels reach every endpoint of the labelled nodes (EndpointF.subset) and
// rules are answered in canonical form; both follow edits at the next sync, label
// deletions included, and are served from the file after a restart.
func TestSyncOnce_subsetLabelsAndRules(t *testing.T) {
	db, c, s := quietSample(t, "", sync.Options{})
	require.Equal(t, map[string]string{"10.0.0.11": "", "10.0.0.12": "", "10.0.0.13": ""}, subsetsOf(t, c, hello))

	db.Exec(t, labelHello)
	setRule(t, db, "Y", "ratio", `{ "v2": 80, "v1": 20 }`)
	res := syncOnce(t, s)
	require.Equal(t, 1, res.Apply.RulesWritten)
	require.Equal(t, map[string]string{"10.0.0.11": "v1", "10.0.0.12": "v2", "10.0.0.13": ""}, subsetsOf(t, c, hello))
	require.Equal(t, endpointf.SubsetConf{Enable: true, RuleType: "ratio", RuleData: `{"v1":20,"v2":80}`}, c.Snapshot().SubsetConf(hello))

	db.Exec(t, `UPDATE t_server_subset SET subset = 'v3' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.12'`)
	res = syncOnce(t, s)
	require.Empty(t, res.Full, "an edited label is read incrementally")
	require.Equal(t, 1, res.ChangedServers)
	require.Equal(t, "v3", subsetsOf(t, c, hello)["10.0.0.12"])

	// A deletion and an insertion in the same interval: the fingerprint notices.
	db.Exec(t, `DELETE FROM t_server_subset WHERE server_name = 'HelloServer' AND node_name = '10.0.0.11';
	 INSERT INTO t_server_subset (application, server_name, node_name, subset) VALUES ('Demo', 'TimerServer', '10.0.0.11', 't1')`)
	res = syncOnce(t, s)
	require.Equal(t, sync.FullDeleted, res.Full)
	require.Equal(t, "", subsetsOf(t, c, hello)["10.0.0.11"])
	require.Equal(t, "t1", subsetsOf(t, c, "Demo.TimerServer.TimerObj")["10.0.0.11"])

	db.Exec(t, `DELETE FROM t_subset_rule WHERE servant = ?`, hello)
	res = syncOnce(t, s)
	require.Equal(t, 1, res.Apply.RulesDeleted)
	require.Equal(t, endpointf.SubsetConf{}, c.Snapshot().SubsetConf(hello))
}

// A rule that fails validation is rejected at sync: the rule in force before it
// keeps being answered, the rejection is kept with its reason and logged once; a
// valid edit replaces it.
func TestSyncOnce_badSubsetRuleKeepsPrevious(t *testing.T) {
	var logs bytes.Buffer
	db, c, s := quietSample(t, "", sync.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	good := endpointf.SubsetConf{Enable: true, RuleType: "key", RuleData: `[{"equal":"vip","route":"v2"},{"default":"v1"}]`}
	setRule(t, db, "Y", "key", `[{"equal":"vip","route":"v2"},{"default":"v1"}]`)
	syncOnce(t, s)
	require.Equal(t, good, c.Snapshot().SubsetConf(hello))

	for _, bad := range []struct{ enable, ruleType, data, reason string }{
		{"Y", "key", `[{"match":"(","route":"v1"}]`, "entry 1: regex"},
		{"Y", "key", `[{"default":"v1"},{"default":"v2"}]`, "default"},
		{"Y", "ratio", `{"v1":-5}`, "weight"},
		{"Y", "hash", `{}`, "unknown rule type"},
		{"X", "key", `[{"default":"v1"}]`, `enable is "X"`},
	} {
		setRule(t, db, bad.enable, bad.ruleType, bad.data)
		res := syncOnce(t, s)
		require.Len(t, res.RejectedRules, 1, bad.data)
		require.ErrorIs(t, res.RejectedRules[0], subset.ErrBadRule, bad.data)
		e, ok := c.Snapshot().SubsetRule(hello)
		require.True(t, ok)
		require.Equal(t, good, e.Conf, "the previous valid rule stays in force")
		require.NotNil(t, e.Rule.Rejected)
		require.Equal(t, bad.data, e.Rule.Rejected.Data)
		require.Contains(t, e.Rule.Rejected.Reason, bad.reason)
	}
	logged := logs.String()
	syncOnce(t, s)
	require.Equal(t, logged, logs.String(), "a rejection stays logged once")
	require.Contains(t, logged, "subset rule rejected")

	setRule(t, db, "N", "key", `not json`)
	syncOnce(t, s)
	require.False(t, c.Snapshot().SubsetConf(hello).Enable, "a rejected row that says N still turns routing off")

	setRule(t, db, "Y", "ratio", `{"v1":1}`)
	syncOnce(t, s)
	e, _ := c.Snapshot().SubsetRule(hello)
	require.Nil(t, e.Rule.Rejected)
	require.Equal(t, endpointf.SubsetConf{Enable: true, RuleType: "ratio", RuleData: `{"v1":1}`}, e.Conf)
}

// A db_tars without tarscache's own tables syncs as before, with no rules and no
// labels; creating them later (tarscache db migrate) is noticed at the next sync.
func TestSyncOnce_withoutSubsetTables(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	db.Exec(t, `DROP TABLE t_subset_rule; DROP TABLE t_server_subset`)
	c := cachetest.Open(t, "")
	s := sync.New(db.SQL, c, sync.Options{})
	syncOnce(t, s)
	require.Equal(t, "", subsetsOf(t, c, hello)["10.0.0.11"])
	syncOnce(t, s)

	_, err := sync.Migrate(t.Context(), db.SQL, false)
	require.NoError(t, err)
	db.Exec(t, labelHello)
	setRule(t, db, "Y", "ratio", `{"v1":1}`)
	res := syncOnce(t, s)
	require.NotEmpty(t, res.Full)
	require.Equal(t, "v1", subsetsOf(t, c, hello)["10.0.0.11"])
	require.True(t, c.Snapshot().SubsetConf(hello).Enable)
}
