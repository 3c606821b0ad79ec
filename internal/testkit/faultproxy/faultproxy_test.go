package faultproxy_test

import (
	"database/sql"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tarscache/tarscache/internal/testkit/faultproxy"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// greeting is what the test server sends first on every connection, as a MySQL server
// sends its handshake.
const greeting = "0123456789"

func TestForwardsBothWays(t *testing.T) {
	tests := []struct {
		name string
		send string
	}{
		{"nothing sent, greeting received", ""},
		{"one line", "hello, world\n"},
		{"one MiB", strings.Repeat("abcdefgh", 128<<10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startProxy(t, startServer(t, greeting))
			c := dial(t, p.Addr())
			require.Equal(t, greeting, readN(t, c, len(greeting)))
			require.Equal(t, tt.send, roundTrip(t, c, tt.send))
			s := p.Stats()
			require.Equal(t, int64(1), s.Accepted)
			require.Equal(t, 1, s.Live)
		})
	}
}

func TestRefuseClosesNewConnectionsOnly(t *testing.T) {
	p := startProxy(t, startServer(t, greeting))
	open := dial(t, p.Addr())
	require.Equal(t, greeting, readN(t, open, len(greeting)))

	p.Refuse(true)
	require.Empty(t, readAll(t, dial(t, p.Addr())), "a new connection ends at once")
	require.Equal(t, "still here", roundTrip(t, open, "still here"))

	p.Refuse(false)
	require.Equal(t, greeting, readN(t, dial(t, p.Addr()), len(greeting)))

	s := p.Stats()
	require.Equal(t, int64(3), s.Accepted)
	require.Equal(t, int64(1), s.Refused)
	require.Equal(t, int64(0), s.Cut)
}

func TestCutAllBreaksLiveConnections(t *testing.T) {
	p := startProxy(t, startServer(t, greeting))
	first, second := dial(t, p.Addr()), dial(t, p.Addr())
	require.Equal(t, greeting, readN(t, first, len(greeting)))
	require.Equal(t, greeting, readN(t, second, len(greeting)))

	p.CutAll()
	require.Empty(t, readAll(t, first))
	require.Empty(t, readAll(t, second))
	s := p.Stats()
	require.Equal(t, int64(2), s.Cut)
	require.Equal(t, 0, s.Live)

	later := dial(t, p.Addr())
	require.Equal(t, greeting, readN(t, later, len(greeting)), "CutAll is not a lasting fault")
	require.Equal(t, "ok", roundTrip(t, later, "ok"))
}

func TestCutAfterTruncatesServerStream(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB, many reads
	tests := []struct {
		name     string
		greeting string
		live     bool // arm after the greeting was received instead of before dialling
		n        int64
		send     string
		want     string // everything the client receives before end of file
	}{
		{"new connection, nothing allowed", greeting, false, 0, "", ""},
		{"new connection, inside the greeting", greeting, false, 4, "", "0123"},
		{"new connection, whole greeting then the next byte", greeting, false, 10, "x", greeting},
		{"new connection, inside the echo", greeting, false, 13, "hello", greeting + "hel"},
		{"new connection, deep inside a long stream", big, false, 700_001, "", big[:700_001]},
		{"live connection, nothing more allowed", greeting, true, 0, "hello", ""},
		{"live connection, counted from the call", greeting, true, 3, "hello", "hel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startProxy(t, startServer(t, tt.greeting))
			if !tt.live {
				p.CutAfter(tt.n)
			}
			c := dial(t, p.Addr())
			if tt.live {
				require.Equal(t, tt.greeting, readN(t, c, len(tt.greeting)))
				p.CutAfter(tt.n)
			}
			if tt.send != "" {
				_, err := io.WriteString(c, tt.send)
				require.NoError(t, err)
			}
			got := readAll(t, c)
			require.Equal(t, len(tt.want), len(got))
			require.Equal(t, tt.want, got)
			require.Equal(t, int64(1), p.Stats().Cut)
		})
	}
}

func TestHealRestores(t *testing.T) {
	tests := []struct {
		name string
		arm  func(*faultproxy.Proxy)
	}{
		{"refuse", func(p *faultproxy.Proxy) { p.Refuse(true) }},
		{"cut after 0 bytes", func(p *faultproxy.Proxy) { p.CutAfter(0) }},
		{"both", func(p *faultproxy.Proxy) { p.Refuse(true); p.CutAfter(0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startProxy(t, startServer(t, greeting))
			live := dial(t, p.Addr())
			require.Equal(t, greeting, readN(t, live, len(greeting)))

			tt.arm(p)
			require.Empty(t, readAll(t, dial(t, p.Addr())), "the fault is armed")
			p.Heal()

			require.Equal(t, "the live connection goes on", roundTrip(t, live, "the live connection goes on"))
			later := dial(t, p.Addr())
			require.Equal(t, greeting, readN(t, later, len(greeting)))
			require.Equal(t, "and new ones work", roundTrip(t, later, "and new ones work"))
		})
	}
}

func TestUnreachableTargetClosesClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	target := ln.Addr().String()
	require.NoError(t, ln.Close())

	p := startProxy(t, target)
	require.Empty(t, readAll(t, dial(t, p.Addr())))
	s := p.Stats()
	require.Equal(t, int64(1), s.DialErrors)
	require.ErrorContains(t, s.LastDialErr, "faultproxy: dial "+target+": ")
	require.ErrorIs(t, s.LastDialErr, syscall.ECONNREFUSED)
}

func TestStartRejectsTargetWithoutPort(t *testing.T) {
	_, err := faultproxy.Start("localhost")
	require.ErrorContains(t, err, `faultproxy: target "localhost"`)
}

func TestCloseReleasesPortAndLeaksNothing(t *testing.T) {
	target := startServer(t, greeting)
	before := goleak.IgnoreCurrent()

	p, err := faultproxy.Start(target)
	require.NoError(t, err)
	live := dial(t, p.Addr())
	require.Equal(t, greeting, readN(t, live, len(greeting)))
	p.CutAfter(5)

	require.NoError(t, p.Close())
	require.NoError(t, p.Close(), "a second Close only waits")
	require.Empty(t, readAll(t, live), "Close ends live connections")
	require.Equal(t, int64(0), p.Stats().Cut, "Close is not a fault")

	_, err = net.Dial("tcp", p.Addr())
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	ln, err := net.Listen("tcp", p.Addr())
	require.NoError(t, err, "the port is free again")
	require.NoError(t, ln.Close())

	goleak.VerifyNone(t, before)
}

// TestMariaDBQueryFailsWhenCutMidResult runs against the MySQL/MariaDB server of
// TARSCACHE_TEST_MYSQL (default root@tcp(127.0.0.1:3306)/). It creates no database:
// the sequence engine's tables answer in the mysql schema.
func TestMariaDBQueryFailsWhenCutMidResult(t *testing.T) {
	const rows = 100_000
	const query = "SELECT seq FROM mysql.seq_1_to_100000"
	cfg := mariaDBConfig(t)
	p := startProxy(t, cfg.Addr)
	cfg.Addr = p.Addr()
	db, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })

	var zero int
	require.NoError(t, db.QueryRow("SELECT SLEEP(0)").Scan(&zero))

	p.CutAfter(4096)
	got, err := countRows(db, query)
	require.ErrorIs(t, err, mysql.ErrInvalidConn, "a result cut in the middle fails, it does not end early")
	require.Greater(t, got, 0, "the rows before the cut were delivered before the error")
	require.Less(t, got, rows)
	t.Logf("cut after 4096 bytes: %d rows, then %v", got, err)
	require.Equal(t, int64(1), p.Stats().Cut)

	p.Heal()
	got, err = countRows(db, query)
	require.NoError(t, err)
	require.Equal(t, rows, got)
}

// mariaDBConfig is the server of TARSCACHE_TEST_MYSQL, as internal/testkit/testdb reads it,
// with the timeouts of the brief.
func mariaDBConfig(t *testing.T) *mysql.Config {
	t.Helper()
	dsn := os.Getenv("TARSCACHE_TEST_MYSQL")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/"
	}
	cfg, err := mysql.ParseDSN(dsn)
	require.NoError(t, err, "TARSCACHE_TEST_MYSQL")
	cfg.DBName = ""
	cfg.Timeout = 2 * time.Second
	cfg.ReadTimeout = 2 * time.Second
	return cfg
}

// countRows runs query and counts the rows it yields before it ends or fails.
func countRows(db *sql.DB, query string) (int, error) {
	rows, err := db.Query(query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// startProxy starts a proxy to target and closes it when the test ends.
func startProxy(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(target)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

// dial connects to addr and closes the connection when the test ends.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// readN reads exactly n bytes from c.
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	buf := make([]byte, n)
	_, err := io.ReadFull(c, buf)
	require.NoError(t, err)
	return string(buf)
}

// readAll reads c until the proxy closes it.
func readAll(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(c)
	require.NoError(t, err)
	return string(b)
}

// roundTrip sends s through c, while reading back as many bytes, and returns them.
func roundTrip(t *testing.T, c net.Conn, s string) string {
	t.Helper()
	written := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c, s)
		written <- err
	}()
	got := readN(t, c, len(s))
	require.NoError(t, <-written)
	return got
}

// server is a TCP server that sends a greeting on every connection and then echoes
// what it reads. It owns one accept goroutine and one goroutine per connection.
type server struct {
	ln       net.Listener
	greeting string
	wg       sync.WaitGroup
	mu       sync.Mutex
	closed   bool
	conns    map[net.Conn]struct{}
}

// startServer starts a server on a free loopback port and stops it when the test ends.
func startServer(t *testing.T, greeting string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &server{ln: ln, greeting: greeting, conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return ln.Addr().String()
}

func (s *server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.track(c)
	}
}

// track starts serving c, unless the server is closing.
func (s *server) track(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	go s.serve(c)
}

func (s *server) serve(c net.Conn) {
	defer s.wg.Done()
	defer s.forget(c)
	if _, err := io.WriteString(c, s.greeting); err != nil {
		return
	}
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if _, werr := c.Write(buf[:n]); werr != nil || err != nil {
			return
		}
	}
}

func (s *server) forget(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	c.Close()
}

// close stops accepting, closes every connection and waits for its goroutines.
func (s *server) close() {
	s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
