package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/admin"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
	"github.com/tarscache/tarscache/sync"
)

// chromiumPath is Debian's chromium, which .ci/run installs; CHROMIUM overrides it.
func chromiumPath(t *testing.T) string {
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	_, err := os.Stat(path)
	require.NoError(t, err, "the status page is tested in a real browser: apt-get install chromium (or set CHROMIUM)")
	return path
}

// browser starts a headless chromium with a fresh profile, stopped when the test
// ends, and returns a tab's context. The deadline only bounds a hung browser.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 2*time.Minute)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancelTimeout() })
	require.NoError(t, chromedp.Do(tab))
	return tab
}

// heldServer serves the status page as serve wires it, over the sample registry
// synced from MySQL, then emptied in MySQL so that the next sync is held.
func heldServer(t *testing.T, token string) (*httptest.Server, *sync.Syncer) {
	db := testdb.New(t, "sample.sql")
	c := cachetest.Open(t, "")
	syncer := sync.New(db.SQL, c, sync.Options{})
	_, err := syncer.SyncOnce(context.Background())
	require.NoError(t, err)
	db.Exec(t, "DELETE FROM t_adapter_conf; DELETE FROM t_registry_info")
	res, err := syncer.SyncOnce(context.Background())
	require.NoError(t, err)
	require.NotNil(t, res.Held, "removing every servant is held")
	h := admin.NewHandler(admin.Options{Held: heldView{syncer}, Store: storeView{c}, Syncs: syncsView{syncer}, Token: token,
		Sources: sourcesView{syncer}, Explain: explainPage})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, syncer
}

// text returns the text of the element sel selects.
func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err, sel)
	return s
}

// In a real headless chromium: the page renders the sample registry, fits a phone's
// screen, search finds a servant with its subset labels, the explain view names the
// deciding rule, and the held change is accepted with the token and refused without.
func TestStatusPage_browser(t *testing.T) {
	const token = "page-token"
	srv, syncer := heldServer(t, token)
	tab := browser(t)
	auth := base64.StdEncoding.EncodeToString([]byte("admin:" + token))
	_, err := chromedp.Call(tab, network.Enable, network.EnableParams{})
	require.NoError(t, err)
	_, err = chromedp.Call(tab, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": "Basic " + auth}})
	require.NoError(t, err)

	require.NoError(t, chromedp.Do(tab, chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#review-held"))))
	require.Equal(t, "held", text(t, tab, "#state"))
	require.Equal(t, "10", text(t, tab, "#servant-count"), "the sample registry's servants")
	fits, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	require.NoError(t, err)
	require.True(t, fits, "no sideways scrolling on a phone")

	require.NoError(t, chromedp.Do(tab, chromedp.SetValue(chromedp.CSS("#q"), "orderobj"), chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(chromedp.CSS(".servant"))))
	servants := text(t, tab, "main")
	require.Contains(t, servants, "1 of 10 servants match")
	require.Contains(t, servants, "Shop.OrderServer.OrderObj")
	require.Contains(t, servants, "canary")
	require.Contains(t, servants, "stable")

	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(srv.URL+"/explain"),
		chromedp.SetValue(chromedp.CSS("#id"), "Demo.HelloServer.HelloObj"), chromedp.SetValue(chromedp.CSS("#caller"), "10.0.0.11"),
		chromedp.Click(chromedp.CSS("#explain")), chromedp.WaitVisible(chromedp.CSS("#rule"))))
	require.Equal(t, "caller in no IDC group: every endpoint (registry-semantics 1.4 step 1)", text(t, tab, "#rule"))

	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(srv.URL+"/"), chromedp.Click(chromedp.CSS("#review-held")),
		chromedp.WaitVisible(chromedp.CSS("#accept-form")), chromedp.Click(chromedp.CSS("#accept")),
		chromedp.WaitVisible(chromedp.CSS("#message"))))
	require.Equal(t, "wrong token: nothing was accepted", text(t, tab, "#message"))
	res, err := syncer.SyncOnce(context.Background())
	require.NoError(t, err)
	require.NotNil(t, res.Held, "refused without the token: still held")

	require.NoError(t, chromedp.Do(tab, chromedp.SetValue(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("#accept")),
		chromedp.WaitVisible(chromedp.CSS("#message.okmsg"))))
	require.Equal(t, "accepted: the held change is applied at the next sync", text(t, tab, "#message"))
	res, err = syncer.SyncOnce(context.Background())
	require.NoError(t, err)
	require.Nil(t, res.Held, "accepted with the token: applied")
	require.Equal(t, 10, res.Apply.Deleted)

	resp, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "without the token the page is refused")
	require.True(t, strings.Contains(resp.Header.Values("WWW-Authenticate")[1], "Basic"))
}
