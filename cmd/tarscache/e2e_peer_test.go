//go:build !race

package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/faultproxy"
	"github.com/tarscache/tarscache/internal/testkit/tarstest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// sibling is a running replica that has synced: the peer others boot from.
type sibling struct {
	serve      *process
	loc        string // QueryF address
	base       string // admin API
	token      string
	tokenFile  string
	dsn        string
	servantIDs []string
}

// startSibling starts replica A on db, with an admin token, and waits until it
// serves wantServants.
func startSibling(t *testing.T, db *testdb.DB, wantServants int) *sibling {
	t.Helper()
	return startSiblingWithin(t, db, wantServants, 60*time.Second)
}

// startSiblingWithin is startSibling, waiting up to timeout for the first sync.
func startSiblingWithin(t *testing.T, db *testdb.DB, wantServants int, timeout time.Duration) *sibling {
	t.Helper()
	loc, adm := freeAddr(t), freeAddr(t)
	a := &sibling{loc: loc.String(), base: "http://" + adm.String(), token: "peer-s3cret", dsn: db.DSN}
	a.tokenFile = writeSecret(t, a.token)
	a.serve = start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", filepath.Join(t.TempDir(), "a.db"),
		"--listen", a.loc, "--admin", adm.String(), "--admin-token-file", a.tokenFile)
	var ready struct {
		Servants int `json:"servants"`
	}
	require.Eventually(t, func() bool {
		resp, err := http.Get(a.base + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&ready) == nil && ready.Servants == wantServants
	}, timeout, 50*time.Millisecond, "replica A never synced; output:\n%s", a.serve.output())
	code, body := get(t, a.base+"/v1/servants", a.token)
	require.Equal(t, http.StatusOK, code, body)
	var list struct {
		Servants []struct {
			ID string `json:"id"`
		} `json:"servants"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	for _, s := range list.Servants {
		a.servantIDs = append(a.servantIDs, s.ID)
	}
	return a
}

// backup is A's /v1/backup.
func (a *sibling) backup(t *testing.T) []byte {
	t.Helper()
	code, body := get(t, a.base+"/v1/backup", a.token)
	require.Equal(t, http.StatusOK, code)
	return []byte(body)
}

// fakePeer serves body at /v1/backup and counts the requests.
type fakePeer struct {
	*httptest.Server
	mu    gosync.Mutex
	calls int
}

func startFakePeer(t *testing.T, body []byte) *fakePeer {
	p := &fakePeer{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.mu.Lock()
		p.calls++
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *fakePeer) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// closedPortDSN names db_tars on a free port nothing listens on.
func closedPortDSN(t *testing.T) string {
	return fmt.Sprintf("root@tcp(%s)/db_tars", freeAddr(t))
}

// requireSameAnswers runs tarscache diff between A and B over every servant and
// every QueryF method.
func requireSameAnswers(t *testing.T, a *sibling, bLoc string) {
	t.Helper()
	list := filepath.Join(t.TempDir(), "servants")
	require.NoError(t, os.WriteFile(list, []byte(strings.Join(a.servantIDs, "\n")+"\n"), 0o600))
	out, err := runBin("diff", "--locator", tarscacheLocator(a.loc), "--locator", tarscacheLocator(bLoc),
		"--method", "byid,any,all,samegroup,station,set", "--station", "sz", "--set", "app.sz.1", "--servants", list)
	require.NoError(t, err, out)
	require.Contains(t, out, fmt.Sprintf("%d servants compared, 0 differ", len(a.servantIDs)))
}

func tarscacheLocator(addr string) string {
	host, port, _ := strings.Cut(addr, ":")
	return fmt.Sprintf("tars.tarsregistry.QueryObj@tcp -h %s -p %s", host, port)
}

// A replica started with an empty data directory and no MySQL boots from a
// sibling: a truncated and an altered backup are refused with the reason and the
// next peer is tried; the sibling's verified backup is installed and answers
// every QueryF method as the sibling does, reporting the peer as its source and
// the peer's last sync as its staleness; once MySQL answers, syncs take over.
func TestServe_bootFromPeer(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	a := startSibling(t, db, 10)
	whole := a.backup(t)
	truncated := startFakePeer(t, whole[:len(whole)*2/3])
	i := bytes.Index(whole, []byte("10.0.0.11"))
	require.GreaterOrEqual(t, i, 0)
	altered := bytes.Clone(whole)
	altered[i+8] = '9' // 10.0.0.19: one byte of a record, which its CRC32 catches
	alteredPeer := startFakePeer(t, altered)

	cfg, err := mysql.ParseDSN(db.DSN)
	require.NoError(t, err)
	px, err := faultproxy.Start(cfg.Addr)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, px.Close()) })
	px.Refuse(true)
	cfg.Addr = px.Addr()

	loc, adm := freeAddr(t), freeAddr(t)
	data := filepath.Join(t.TempDir(), "empty", "b.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(data), 0o700))
	started := time.Now()
	b := start(t, tarscacheBin, "serve", "--dsn", cfg.FormatDSN(), "--data", data, "--listen", loc.String(),
		"--admin", adm.String(), "--sync-interval", "100ms",
		"--peer", truncated.URL, "--peer", alteredPeer.URL, "--peer", a.base, "--peer-token-file", a.tokenFile)
	q := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { act, _ := lists(t, q, helloObj); return len(act) == 2 },
		30*time.Second, 10*time.Millisecond, "B never answered from the peer's backup; output:\n%s", b.output())
	t.Logf("B answered %v after it started", time.Since(started).Round(time.Millisecond))

	out := b.output()
	require.Regexp(t, `peer backup refused.* peer=`+truncated.URL+` .*corrupt data`, out)
	require.Regexp(t, `peer backup refused.* peer=`+alteredPeer.URL+` .*corrupt data`, out)
	require.Contains(t, out, "booted from a peer")
	require.Equal(t, 1, truncated.requests())
	require.Equal(t, 1, alteredPeer.requests())
	requireSameAnswers(t, a, loc.String())

	base := "http://" + adm.String()
	src, err := sourcesOf(base)
	require.NoError(t, err)
	require.Equal(t, "peer "+a.base, src.InUse.Name)
	var ready struct {
		LastSync *time.Time `json:"last_sync"`
		Source   struct {
			Name string `json:"name"`
		} `json:"source"`
	}
	code, body := get(t, base+"/readyz", "")
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &ready))
	require.NotNil(t, ready.LastSync, "the peer's last sync is B's staleness")
	require.Equal(t, "peer "+a.base, ready.Source.Name)
	dump, err := runBin("dump", "--admin", adm.String(), "--format", "tars")
	require.NoError(t, err, dump)
	require.Contains(t, dump, "# data from: peer "+a.base+" (since ")

	db.Exec(t, `UPDATE t_server_conf SET present_state = 'inactive' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.12'`)
	px.Heal()
	require.Eventually(t, func() bool { act, _ := lists(t, q, helloObj); return len(act) == 1 },
		30*time.Second, 50*time.Millisecond, "syncs never took over once MySQL answered; output:\n%s", b.output())
	require.Eventually(t, func() bool { return inUse(base) == sync.RedactDSN(cfg.FormatDSN()) },
		10*time.Second, 50*time.Millisecond, "the DSN never became the source: %+v", must(sourcesOf(base)))
	require.NoError(t, b.stop(t))
}

// A peer that refuses the token is logged with a clear line and the next peer,
// if any, is tried; with none left the replica answers nothing until MySQL does.
func TestServe_bootFromPeerWrongToken(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	a := startSibling(t, db, 10)
	adm := freeAddr(t)
	b := start(t, tarscacheBin, "serve", "--dsn", closedPortDSN(t), "--data", filepath.Join(t.TempDir(), "b.db"),
		"--listen", freeAddr(t).String(), "--admin", adm.String(), "--peer", a.base, "--peer-token-file", writeSecret(t, "wrong"))
	require.Eventually(t, func() bool { return strings.Contains(b.output(), "boot from a peer failed") },
		30*time.Second, 50*time.Millisecond, "output:\n%s", b.output())
	require.Contains(t, b.output(), "the peer refused the token: 401 Unauthorized")
	require.Contains(t, b.output(), "check --peer-token-file")
	require.NotContains(t, b.output(), "wrong", "the token never appears")
	require.False(t, ready("http://"+adm.String()), "nothing to serve: not ready")
	require.NoError(t, b.stop(t))
}

// A replica whose file holds data never calls a peer, nor does one with an empty
// file when MySQL answers; a damaged file is moved aside (kept) before a peer's
// backup takes its place.
func TestServe_peerOnlyWhenNothingToServe(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	a := startSibling(t, db, 10)
	whole := a.backup(t)
	counting := startFakePeer(t, whole)

	good := filepath.Join(t.TempDir(), "good.db")
	require.NoError(t, os.WriteFile(good, whole, 0o600))
	loc := freeAddr(t)
	b := start(t, tarscacheBin, "serve", "--dsn", closedPortDSN(t), "--data", good, "--listen", loc.String(), "--peer", counting.URL)
	q := tarstest.QueryClient(t, loc)
	require.Eventually(t, func() bool { act, _ := lists(t, q, helloObj); return len(act) == 2 },
		30*time.Second, 50*time.Millisecond, "output:\n%s", b.output())
	require.NoError(t, b.stop(t))
	require.Zero(t, counting.requests(), "a file that holds data never asks a peer")

	b = start(t, tarscacheBin, "serve", "--dsn", db.DSN, "--data", filepath.Join(t.TempDir(), "new.db"), "--listen", loc.String(),
		"--peer", counting.URL)
	require.Eventually(t, func() bool { act, _ := lists(t, q, helloObj); return len(act) == 2 },
		30*time.Second, 50*time.Millisecond, "output:\n%s", b.output())
	require.Contains(t, b.output(), "MySQL answers: the first sync fills it, no peer is asked")
	require.NoError(t, b.stop(t))
	require.Zero(t, counting.requests(), "MySQL answers: no peer is asked")

	damaged := filepath.Join(t.TempDir(), "damaged.db")
	require.NoError(t, os.WriteFile(damaged, whole[:len(whole)/2], 0o600))
	b = start(t, tarscacheBin, "serve", "--dsn", closedPortDSN(t), "--data", damaged, "--listen", loc.String(), "--peer", counting.URL)
	require.Eventually(t, func() bool { act, _ := lists(t, q, helloObj); return len(act) == 2 },
		30*time.Second, 50*time.Millisecond, "output:\n%s", b.output())
	require.NoError(t, b.stop(t))
	require.Equal(t, 1, counting.requests())
	aside, err := filepath.Glob(damaged + ".bad-*")
	require.NoError(t, err)
	require.Len(t, aside, 1, "the damaged file is kept")
}
