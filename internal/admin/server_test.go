package admin_test

import (
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/admin"
)

// A Server listens at once, answers over loopback until Close, and then Serve
// returns nil; a second Listen on its address fails with the address in the error.
func TestServer_Serve_untilClose(t *testing.T) {
	srv, err := admin.Listen("127.0.0.1:0", admin.NewHandler(admin.Options{Held: &fakeHeld{}}), nil)
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()

	addr := srv.Addr().String()
	_, err = admin.Listen(addr, http.NotFoundHandler(), nil)
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.EqualError(t, err, "admin: listen on "+addr+": bind: address already in use")

	require.Equal(t, "ok\n", get(t, "http://"+addr+"/healthz"))
	require.NoError(t, srv.Close())
	require.NoError(t, <-served)
	require.NoError(t, srv.Close(), "Close is idempotent")
}

// Close before Serve releases the port, and a later Serve returns nil at once.
func TestServer_Close_beforeServe(t *testing.T) {
	srv, err := admin.Listen("127.0.0.1:0", http.NotFoundHandler(), nil)
	require.NoError(t, err)
	addr := srv.Addr().String()
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Serve())

	again, err := admin.Listen(addr, http.NotFoundHandler(), nil)
	require.NoError(t, err, "the port is free again")
	require.NoError(t, again.Close())
}

// get fetches url on a fresh connection, so that no idle client connection
// outlives the test, and returns the body of a 200 answer.
func get(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// Idle connections beyond admin.MaxConns are closed at accept, so that they
// cannot take every file descriptor of the process; once one of them closes, a
// new client is served again. The listener used to have no cap.
func TestServer_capsConnections(t *testing.T) {
	srv, err := admin.Listen("127.0.0.1:0", admin.NewHandler(admin.Options{Held: &fakeHeld{}}), nil)
	require.NoError(t, err)
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() { require.NoError(t, srv.Close()) })

	idle := make([]net.Conn, admin.MaxConns)
	for i := range idle {
		idle[i], err = net.Dial("tcp", srv.Addr().String())
		require.NoError(t, err)
		defer idle[i].Close()
	}
	extra, err := net.Dial("tcp", srv.Addr().String())
	require.NoError(t, err)
	defer extra.Close()
	_, err = extra.Read(make([]byte, 1))
	require.Error(t, err, "the connection beyond the cap is closed without an answer")

	idle[0].Close()
	require.Eventually(t, func() bool {
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get("http://" + srv.Addr().String() + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 5*time.Second, 10*time.Millisecond)
}
