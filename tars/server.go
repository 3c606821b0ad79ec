package tars

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tarscache/tarscache/cache/snapshot"
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
	// DefaultMaxBufferedBytes bounds the bytes held across connections for
	// packets being received and replies being sent, beyond the first
	// initialPacket bytes of each.
	DefaultMaxBufferedBytes = 256 << 20
	// DefaultMaxReplyBytes is the largest reply sent: TarsGo's clients refuse
	// packets beyond 10 MiB (maxPackageLength, 10485760 bytes, by default). A
	// larger answer is replaced by an error.
	DefaultMaxReplyBytes = snapshot.MaxReplyBytes
	// DefaultPacketTimeout bounds the time a packet takes to arrive once its
	// length prefix has: a client that trickles one costs a connection that long.
	DefaultPacketTimeout = 10 * time.Second
	// DefaultBatchWindow is the pause of the event loop, while requests arrive
	// several at a time, before it collects them: one wake-up per 100-150 µs
	// of requests instead of one per request or two.
	DefaultBatchWindow = 100 * time.Microsecond
	// MaxBatchWindow is the longest batch window accepted: every request of a
	// busy moment may wait that long (plus the kernel's timer slack) more.
	MaxBatchWindow = time.Millisecond
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
	// connections; further ones wait. Zero means DefaultMaxInFlight. (The event
	// loop on Linux answers one at a time; the bound holds for the goroutines
	// that serve connections elsewhere.)
	MaxInFlight int
	// IdleTimeout closes a connection that sends nothing for this long. Zero
	// means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// PacketTimeout closes a connection whose packet is not complete this long
	// after its length prefix arrived. Zero means DefaultPacketTimeout.
	PacketTimeout time.Duration
	// MaxBufferedBytes bounds, across all connections, the bytes held for
	// packets still arriving and for replies not yet taken by their clients,
	// beyond the first 4 KiB of each (which every connection may hold). A
	// connection that needs more while the budget is spent is closed and
	// counted. Zero means DefaultMaxBufferedBytes.
	MaxBufferedBytes int64
	// MaxReplyBytes is the largest reply sent; a larger answer is replaced by
	// TARSSERVERUNKNOWNERR saying why. Zero means DefaultMaxReplyBytes.
	MaxReplyBytes int
	// BatchWindow is how long the event loop (Linux) pauses before collecting
	// requests after a collection that answered two or more, so that one
	// wake-up reads and answers several; after one that answered fewer it
	// waits for requests as usual. Requests that arrive one at a time (a
	// quiet server, a caller waiting for each reply) never wait for it. It
	// trades that much latency (plus the kernel's timer slack, 50 µs by
	// default) for fewer system calls and wake-ups per call, in the server and
	// in its clients, which receive their replies together. Zero means
	// DefaultBatchWindow; negative means no pause; more than MaxBatchWindow is
	// refused.
	BatchWindow time.Duration
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
	// window is the event loop's batch window (0: none).
	window time.Duration
	// inFlight holds one token per request being decoded and answered.
	inFlight chan struct{}
	// buffered is the budget of Options.MaxBufferedBytes.
	buffered *byteBudget
	// spill lends *[]byte buffers to connections whose replies outgrow their own
	// initialPacket bytes, until their next flush.
	spill sync.Pool
	// loggedRefusal is set once the first refused connection was logged at warn
	// level; later ones are logged at debug level (and counted).
	loggedRefusal atomic.Bool
	// loggedOverBudget is the same for connections closed over budget.
	loggedOverBudget atomic.Bool
	// loggedNotTars is set once the first connection that does not speak Tars
	// was logged at warn level; later ones are logged at debug level (and counted).
	loggedNotTars atomic.Bool

	// mu guards conns and closed.
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool

	// loop serves the connections on Linux (loop_linux.go); nil where it
	// could not be made, and elsewhere: each connection then has a goroutine.
	loop *eventLoop

	// wg counts the connection goroutines and the loop's, so that Close can
	// wait for them.
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
	if opts.MaxReplyBytes <= 0 {
		opts.MaxReplyBytes = DefaultMaxReplyBytes
	}
	if opts.MaxBufferedBytes <= 0 {
		opts.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	switch {
	case opts.BatchWindow == 0:
		opts.BatchWindow = DefaultBatchWindow
	case opts.BatchWindow < 0:
		opts.BatchWindow = 0
	case opts.BatchWindow > MaxBatchWindow:
		return nil, fmt.Errorf("tars: batch window %v is longer than %v", opts.BatchWindow, MaxBatchWindow)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tars: listen on %s: %w", addr, err)
	}
	d := &dispatcher{servant: opts.Servant, maxReply: opts.MaxReplyBytes, handler: h, queryf: new(queryf.QueryF), logger: opts.Logger,
		metrics: newMetrics(opts.Registerer)}
	s := &Server{ln: ln, dispatch: d, logger: opts.Logger, conns: map[net.Conn]struct{}{},
		allow: opts.Allow, maxConns: opts.MaxConns, inFlight: make(chan struct{}, opts.MaxInFlight),
		idle: opts.IdleTimeout, packet: opts.PacketTimeout, window: opts.BatchWindow,
		buffered: &byteBudget{max: opts.MaxBufferedBytes, held: d.metrics.buffered}}
	if s.loop, err = newEventLoop(s); err == nil {
		s.wg.Add(1)
		go s.loop.run()
	} else {
		s.logger.Debug("QueryF connections are served by a goroutine each", "reason", err)
	}
	return s, nil
}

// serve hands an accepted connection to the event loop, or to a goroutine of
// its own where there is none or the loop cannot take it.
func (s *Server) serve(c net.Conn) {
	if s.loop != nil {
		err := s.loop.add(c)
		if err == nil {
			return
		}
		s.logger.Debug("QueryF connection served by a goroutine of its own", "peer", c.RemoteAddr().String(), "reason", err)
	}
	go s.serveConn(c)
}

// Addr returns the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Close, serving each on its own goroutine. It
// returns ErrServerClosed after Close, or the accept error that stopped it. An
// accept error that passes (out of file descriptors, a connection aborted before
// it was accepted) is logged, counted and retried after a pause that doubles
// from 5 ms up to 1 s, as net/http does: the connections served meanwhile go on.
func (s *Server) Serve() error {
	var pause time.Duration
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if !temporary(err) {
				return fmt.Errorf("tars: accept on %s: %w", s.ln.Addr(), err)
			}
			pause = nextPause(pause)
			s.acceptFailed(err, pause)
			time.Sleep(pause)
			continue
		}
		if pause > 0 {
			pause = 0
			s.logger.Info("QueryF accepts connections again", "listen", s.ln.Addr().String())
		}
		if why, ok := s.admit(conn); !ok {
			s.refuse(conn, why)
			continue
		}
		if !s.track(conn) {
			conn.Close()
			return ErrServerClosed
		}
		s.serve(conn)
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
	if s.loop != nil {
		s.loop.stop()
	}
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("tars: close listener: %w", err)
	}
	return nil
}

// Bounds of the pause between accept retries.
const (
	firstAcceptPause = 5 * time.Millisecond
	maxAcceptPause   = time.Second
)

// nextPause doubles the pause after a failed accept, within its bounds.
func nextPause(d time.Duration) time.Duration {
	return min(max(2*d, firstAcceptPause), maxAcceptPause)
}

// temporary reports whether an accept error passes by itself: the process or the
// system is out of file descriptors or buffers, or a client gave up before its
// connection was accepted.
func temporary(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.EINTR, syscall.EAGAIN} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// acceptFailed counts a failed accept and logs it: at warn level when accepting
// had worked before, at debug level while it keeps failing.
func (s *Server) acceptFailed(err error, pause time.Duration) {
	s.dispatch.metrics.acceptErrors.Inc()
	level := slog.LevelDebug
	if pause == firstAcceptPause {
		level = slog.LevelWarn
	}
	s.logger.Log(context.Background(), level, "QueryF accept failed; retrying (open connections are still served; raise the open-files limit or lower --max-conns)",
		"listen", s.ln.Addr().String(), "err", err, "retry_in", pause)
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
