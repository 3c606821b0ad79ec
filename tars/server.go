package tars

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tarscache/tarscache/protocol/queryf"
)

// Framing bounds. QueryF requests are a few hundred bytes; anything near the
// limit is hostile or broken, and its connection is closed. A packet's buffer
// grows with the bytes that arrive, never to its declared length at once.
const (
	maxPacket     = 1 << 20
	minPacket     = 4
	initialPacket = 4 << 10
	writeTimeout  = 10 * time.Second
)

// Default limits of a Server.
const (
	// DefaultMaxConns is the number of QueryF connections served at once: a
	// fleet's clients each keep one or two open to their locator.
	DefaultMaxConns = 10000
	// DefaultMaxInFlight is the number of requests decoded and answered at once;
	// the others wait their turn (an answer takes microseconds).
	DefaultMaxInFlight = 1024
	// DefaultIdleTimeout closes a connection that sends nothing for this long, as
	// TarsGo's servers do by default; clients reconnect on their next call.
	DefaultIdleTimeout = 10 * time.Minute
	// DefaultPacketTimeout bounds the time a packet takes to arrive once its
	// length prefix has: a client that trickles one costs a connection that long.
	DefaultPacketTimeout = 10 * time.Second
)

// Options configure a Server. Zero fields take their documented defaults.
type Options struct {
	// Servant is the object name served; default ServantName.
	Servant string
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the server's metrics (tarscache_queryf_*); nil leaves
	// them unregistered.
	Registerer prometheus.Registerer
	// Allow lists the networks clients may connect from; a connection from
	// elsewhere is closed at accept and counted. Empty allows every address.
	Allow []netip.Prefix
	// MaxConns bounds the open connections: one more is closed at accept and
	// counted. Zero means DefaultMaxConns.
	MaxConns int
	// MaxInFlight bounds the requests being decoded and answered at once, across
	// connections; further ones wait. Zero means DefaultMaxInFlight.
	MaxInFlight int
	// IdleTimeout closes a connection that sends nothing for this long. Zero
	// means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// PacketTimeout closes a connection whose packet is not complete this long
	// after its length prefix arrived. Zero means DefaultPacketTimeout.
	PacketTimeout time.Duration
}

// Server serves QueryF on one TCP listener. See the package documentation.
type Server struct {
	ln       net.Listener
	dispatch *dispatcher
	logger   *slog.Logger

	allow    []netip.Prefix
	maxConns int
	// idle and packet are the read timeouts between packets and within one.
	idle, packet time.Duration
	// inFlight holds one token per request being decoded and answered.
	inFlight chan struct{}
	// loggedRefusal is set once the first refused connection was logged at warn
	// level; later ones are logged at debug level (and counted).
	loggedRefusal atomic.Bool

	// mu guards conns and closed.
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool

	// wg counts the connection goroutines, so that Close can wait for them.
	wg sync.WaitGroup
}

// Listen binds addr ("host:port") and returns a Server that answers from h once
// Serve runs. The port is bound on return, so clients may connect at once.
func Listen(addr string, h *Handler, opts Options) (*Server, error) {
	if opts.Servant == "" {
		opts.Servant = ServantName
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.PacketTimeout <= 0 {
		opts.PacketTimeout = DefaultPacketTimeout
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tars: listen on %s: %w", addr, err)
	}
	d := &dispatcher{servant: opts.Servant, handler: h, queryf: new(queryf.QueryF), logger: opts.Logger,
		metrics: newMetrics(opts.Registerer)}
	return &Server{ln: ln, dispatch: d, logger: opts.Logger, conns: map[net.Conn]struct{}{},
		allow: opts.Allow, maxConns: opts.MaxConns, inFlight: make(chan struct{}, opts.MaxInFlight),
		idle: opts.IdleTimeout, packet: opts.PacketTimeout}, nil
}

// Addr returns the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Close, serving each on its own goroutine. It
// returns ErrServerClosed after Close, or the accept error that stopped it.
func (s *Server) Serve() error {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			return fmt.Errorf("tars: accept on %s: %w", s.ln.Addr(), err)
		}
		if why, ok := s.admit(conn); !ok {
			s.refuse(conn, why)
			continue
		}
		if !s.track(conn) {
			conn.Close()
			return ErrServerClosed
		}
		go s.serveConn(conn)
	}
}

// Close stops accepting, closes every connection and waits for their goroutines.
// It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("tars: close listener: %w", err)
	}
	return nil
}

// admit says whether a new connection may be served, or why not.
func (s *Server) admit(c net.Conn) (refusal, bool) {
	if !s.allowed(c.RemoteAddr()) {
		return refusedNotAllowed, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return refusedTooMany, len(s.conns) < s.maxConns
}

// allowed reports whether addr is in Options.Allow (always, when it is empty).
func (s *Server) allowed(addr net.Addr) bool {
	if len(s.allow) == 0 {
		return true
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range s.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// refuse closes a connection that may not be served, counts it and logs it: the
// first at warn level, later ones at debug level.
func (s *Server) refuse(c net.Conn, why refusal) {
	c.Close()
	s.dispatch.metrics.refused[why].Inc()
	level := slog.LevelDebug
	if s.loggedRefusal.CompareAndSwap(false, true) {
		level = slog.LevelWarn
	}
	s.logger.Log(context.Background(), level, "QueryF connection refused (further refusals are counted in tarscache_queryf_connections_refused_total)",
		"peer", c.RemoteAddr().String(), "reason", refusalLabels[why])
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track registers a new connection unless the server is closing.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.dispatch.metrics.conns.Inc()
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.dispatch.metrics.conns.Dec()
	c.Close()
	s.wg.Done()
}

// serveConn reads packets from c and answers them in order until c fails.
func (s *Server) serveConn(c net.Conn) {
	defer s.untrack(c)
	p := peerOf(c)
	r := bufio.NewReader(c)
	for {
		pkt, err := s.readPacket(c, r)
		if err == nil {
			err = s.respond(c, pkt, p)
		}
		if err != nil {
			s.logConnEnd(p, err)
			return
		}
	}
}

func (s *Server) respond(c net.Conn, pkt []byte, p peer) error {
	s.inFlight <- struct{}{}
	out, err := s.dispatch.handle(pkt, p)
	<-s.inFlight
	if err != nil || out == nil {
		return err
	}
	if err := c.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	_, err = c.Write(out)
	return err
}

func (s *Server) logConnEnd(p peer, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return
	}
	s.logger.Warn("QueryF connection closed", "peer", p.String(), "err", err)
}

// readPacket reads one length-prefixed Tars packet of c, prefix included, within
// the idle timeout for the prefix and the packet timeout for the rest. A deadline
// is set only when r must wait for bytes: a pipelined request costs none.
func (s *Server) readPacket(c net.Conn, r *bufio.Reader) ([]byte, error) {
	if err := s.deadline(c, r, 4, s.idle); err != nil {
		return nil, err
	}
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, idleEnd(err)
	}
	n := binary.BigEndian.Uint32(head[:])
	if n < minPacket || n > maxPacket {
		return nil, fmt.Errorf("packet length %d outside %d..%d", n, minPacket, maxPacket)
	}
	if err := s.deadline(c, r, int(n)-4, s.packet); err != nil {
		return nil, err
	}
	return readBody(r, head, n)
}

// deadline gives c's reads d from now unless r already holds the n bytes wanted.
func (s *Server) deadline(c net.Conn, r *bufio.Reader, n int, d time.Duration) error {
	if r.Buffered() >= n {
		return nil
	}
	return c.SetReadDeadline(time.Now().Add(d))
}

// idleEnd turns the timeout of an idle connection into io.EOF: closing it is
// routine, not worth a warning.
func idleEnd(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return io.EOF
	}
	return err
}

// readBody reads the n-4 bytes that follow a packet's length prefix head.
func readBody(r *bufio.Reader, head [4]byte, n uint32) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, min(n, initialPacket)))
	buf.Write(head[:])
	if _, err := io.CopyN(buf, r, int64(n)-4); err != nil {
		return nil, fmt.Errorf("read packet body: %w", unexpectedEOF(err))
	}
	return buf.Bytes(), nil
}

// unexpectedEOF turns the io.EOF of a body cut short into io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func peerOf(c net.Conn) peer {
	host, port, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return peer{ip: c.RemoteAddr().String()}
	}
	return peer{ip: host, port: port}
}
