package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAddr is the address "tarscache serve" binds the admin API to: loopback
// only, where it needs no token (Options.Token).
const DefaultAddr = "127.0.0.1:17891"

// Limits of the admin http.Server. The API's requests and answers are small, so
// the limits are tight.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10
	// MaxConns bounds the admin API's open connections: beyond it a new one is
	// closed at accept, so that idle clients cannot take every file descriptor
	// of the process (the QueryF listener needs them).
	MaxConns = 128
	// shutdownTimeout bounds how long Close waits for requests in flight before it
	// closes their connections.
	shutdownTimeout = 3 * time.Second
)

// Server runs an admin handler on a bound listener. Create it with Listen, run
// it with Serve and stop it with Close.
type Server struct {
	srv *http.Server
	ln  net.Listener

	// closeOnce makes Close idempotent; closeErr is its result.
	closeOnce sync.Once
	closeErr  error
}

// Listen binds addr (a "host:port"; port 0 picks a free one) at once, so that an
// address in use fails here rather than in Serve, and returns a Server for h that
// is not serving yet. Errors of the http.Server go to logger; nil discards them.
func Listen(addr string, h http.Handler, logger *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin: listen on %s: %w", addr, bareOpErr(err))
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{srv: newHTTPServer(h, logger), ln: newCapListener(ln, MaxConns, logger)}, nil
}

// capListener accepts at most max open connections: one more is closed at once
// (the client sees its connection reset or closed) and the first such is logged.
type capListener struct {
	net.Listener
	slots  chan struct{}
	logger *slog.Logger
	logged atomic.Bool
}

func newCapListener(ln net.Listener, max int, logger *slog.Logger) *capListener {
	return &capListener{Listener: ln, slots: make(chan struct{}, max), logger: logger}
}

// Accept returns the next connection while a slot is free.
func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &slotConn{Conn: c, free: func() { <-l.slots }}, nil
		default:
			c.Close()
			if l.logged.CompareAndSwap(false, true) {
				l.logger.Warn("admin: connection refused: too many open admin connections (further refusals are not logged)",
					"max_conns", cap(l.slots), "peer", c.RemoteAddr().String())
			}
		}
	}
}

// slotConn frees its listener slot on its first Close.
type slotConn struct {
	net.Conn
	once sync.Once
	free func()
}

func (c *slotConn) Close() error {
	c.once.Do(c.free)
	return c.Conn.Close()
}

// bareOpErr drops the *net.OpError layer, whose text repeats the address; the
// cause (for example syscall.EADDRINUSE) stays reachable with errors.Is.
func bareOpErr(err error) error {
	if opErr, ok := errors.AsType[*net.OpError](err); ok {
		return opErr.Err
	}
	return err
}

func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Addr returns the address the Server is bound to, with the actual port.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers requests in the caller's goroutine until Close, then returns nil;
// it returns nil at once if Close came first. Any other error is returned
// wrapped. Call it at most once.
func (s *Server) Serve() error {
	err := s.srv.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("admin: serve on %s: %w", s.Addr(), err)
}

// Close stops the Server: it closes the listener, waits up to 3 seconds for
// requests in flight and then closes every connection. It is safe to call
// from any goroutine, before or after Serve, any number of times; later calls
// return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.shutdown() })
	return s.closeErr
}

func (s *Server) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	// Shutdown closes the listener only if Serve has started.
	if lnErr := s.ln.Close(); lnErr != nil && !errors.Is(lnErr, net.ErrClosed) {
		err = errors.Join(err, lnErr)
	}
	if err != nil {
		return fmt.Errorf("admin: close %s: %w", s.Addr(), err)
	}
	return nil
}
