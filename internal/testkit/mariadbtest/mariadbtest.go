package mariadbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// startTimeout bounds how long a server may take to answer after it starts.
const startTimeout = 60 * time.Second

// Server is one private mariadbd.
type Server struct {
	// ID is the server_id; Addr is HOST:PORT of its TCP listener.
	ID   int
	Addr string
	dir  string
	cmd  *exec.Cmd
	done chan error
}

// Binary returns the path of the mariadbd binary the package runs.
func Binary() (string, error) {
	if p := os.Getenv("TARSCACHE_TEST_MARIADBD"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("mariadbd"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/mariadbd"); err != nil {
		return "", fmt.Errorf("mariadbd not found on PATH nor at /usr/sbin/mariadbd (install mariadb-server, or set TARSCACHE_TEST_MARIADBD): %w", err)
	}
	return "/usr/sbin/mariadbd", nil
}

// Start starts a new server with the given server_id; the test's cleanup kills it.
func Start(t testing.TB, id int) *Server {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+filepath.Join(dir, "data"), "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput()
	require.NoError(t, err, "mariadb-install-db (install mariadb-server): %s", out)
	s := &Server{ID: id, Addr: freeAddr(t), dir: dir}
	s.Start(t)
	t.Cleanup(func() {
		if s.cmd != nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// Start starts the server again on its data directory and port, after Stop,
// and waits until it answers.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	bin, err := Binary()
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(s.Addr)
	s.cmd = exec.Command(bin, "--no-defaults", "--datadir="+filepath.Join(s.dir, "data"), "--user=root",
		"--bind-address=127.0.0.1", "--port="+port, "--socket="+filepath.Join(s.dir, "sock"),
		"--pid-file="+filepath.Join(s.dir, "pid"), "--log-error="+filepath.Join(s.dir, "error.log"),
		fmt.Sprintf("--server-id=%d", s.ID), "--log-bin="+filepath.Join(s.dir, "data", "binlog"), "--log-slave-updates",
		"--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
		"--max-connections=100", "--performance-schema=OFF")
	s.done = make(chan error, 1)
	require.NoError(t, s.cmd.Start())
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(startTimeout)
	for {
		db := s.open(t, "")
		err := db.Ping()
		db.Close()
		if err == nil {
			return
		}
		select {
		case err := <-s.done:
			s.cmd = nil
			t.Fatalf("mariadbd exited: %v; %s", err, s.errorLog())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("mariadbd did not answer on %s within %v: %v; %s", s.Addr, startTimeout, err, s.errorLog())
		}
	}
}

// Stop shuts the server down cleanly (SIGTERM) and waits for it to exit.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	require.NotNil(t, s.cmd, "server %d is not running", s.ID)
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-s.done:
	case <-time.After(startTimeout):
		t.Fatalf("mariadbd %d did not stop within %v", s.ID, startTimeout)
	}
	s.cmd = nil
}

func (s *Server) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return "error log:\n" + string(b)
}

// DSN connects to database db ("" for none) as root.
func (s *Server) DSN(db string) string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "tcp", s.Addr, db
	cfg.MultiStatements = true
	cfg.Timeout = 5 * time.Second
	return cfg.FormatDSN()
}

func (s *Server) open(t testing.TB, db string) *sql.DB {
	t.Helper()
	h, err := sql.Open("mysql", s.DSN(db))
	require.NoError(t, err)
	return h
}

// Exec runs statements (several allowed) in database db ("" for none).
func (s *Server) Exec(t testing.TB, db, statements string, args ...any) {
	t.Helper()
	h := s.open(t, db)
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := h.ExecContext(ctx, statements, args...)
	require.NoError(t, err, "server %d: %s", s.ID, statements)
}

// Position returns @@gtid_current_pos.
func (s *Server) Position(t testing.TB) string {
	t.Helper()
	h := s.open(t, "")
	defer h.Close()
	var pos string
	require.NoError(t, h.QueryRow("SELECT @@gtid_current_pos").Scan(&pos))
	return pos
}

// ReplicateFrom makes s a replica of primary with MariaDB's GTID replication
// (CHANGE MASTER TO ... MASTER_USE_GTID=current_pos) and starts it; it retries
// a lost primary every second.
func (s *Server) ReplicateFrom(t testing.TB, primary *Server) {
	t.Helper()
	host, port, _ := net.SplitHostPort(primary.Addr)
	s.Exec(t, "", fmt.Sprintf("STOP SLAVE; CHANGE MASTER TO MASTER_HOST='%s', MASTER_PORT=%s, MASTER_USER='root', "+
		"MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=current_pos; START SLAVE", host, port))
}

// WaitCaughtUp waits until s's position equals primary's.
func (s *Server) WaitCaughtUp(t testing.TB, primary *Server) {
	t.Helper()
	want := primary.Position(t)
	require.Eventually(t, func() bool { return s.Position(t) == want }, startTimeout, 50*time.Millisecond,
		"server %d never reached position %q of server %d (at %q)", s.ID, want, primary.ID, s.Position(t))
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}
