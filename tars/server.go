package tars

import (
	"bufio"
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
	// MaxBufferedBytes bounds, across all connections, the bytes held for
	// packets still arriving and for replies not yet taken by their clients,
	// beyond the first 4 KiB of each (which every connection may hold). A
	// connection that needs more while the budget is spent is closed and
	// counted. Zero means DefaultMaxBufferedBytes.
	MaxBufferedBytes int64
	// MaxReplyBytes is the largest reply sent; a larger answer is replaced by
	// TARSSERVERUNKNOWNERR saying why. Zero means DefaultMaxReplyBytes.
	MaxReplyBytes int
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
	if opts.MaxReplyBytes <= 0 {
		opts.MaxReplyBytes = DefaultMaxReplyBytes
	}
	if opts.MaxBufferedBytes <= 0 {
		opts.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tars: listen on %s: %w", addr, err)
	}
	d := &dispatcher{servant: opts.Servant, maxReply: opts.MaxReplyBytes, handler: h, queryf: new(queryf.QueryF), logger: opts.Logger,
		metrics: newMetrics(opts.Registerer)}
	return &Server{ln: ln, dispatch: d, logger: opts.Logger, conns: map[net.Conn]struct{}{},
		allow: opts.Allow, maxConns: opts.MaxConns, inFlight: make(chan struct{}, opts.MaxInFlight),
		idle: opts.IdleTimeout, packet: opts.PacketTimeout,
		buffered: &byteBudget{max: opts.MaxBufferedBytes, held: d.metrics.buffered}}, nil
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

// serveConn reads packets from c and answers them in order until c fails. The
// replies to every request that arrived together are written together: a reply
// waits in w while the next packet is already in r's buffer, and w is flushed
// before a read that would wait for the network (or once it holds
// flushBytes), so a client that multiplexes its callers on one connection costs
// one read and one write per batch, not per call.
func (s *Server) serveConn(c net.Conn) {
	defer s.untrack(c)
	p := peerOf(c)
	in, out := connIO(c)
	r := bufio.NewReader(in)
	w := &replies{out: out, budget: s.buffered, spill: &s.spill, own: make([]byte, 0, initialPacket)}
	w.buf = w.own
	defer w.discard()
	d := &deadlines{c: c}
	for {
		err := s.flushIfWaiting(d, r, w)
		if err == nil {
			err = s.next(d, r, w, p)
		}
		if err != nil {
			s.logConnEnd(p, err)
			return
		}
	}
}

// next reads c's next packet and answers it into w. A packet whole in r's
// buffer, once r has read what arrived, is answered in place, without a copy.
func (s *Server) next(d *deadlines, r *bufio.Reader, w *replies, p peer) error {
	if r.Buffered() == 0 {
		if err := d.idle(s.idle); err != nil {
			return err
		}
		if _, err := r.Peek(1); err != nil {
			return idleEnd(err)
		}
	}
	if n, ok := bufferedPacket(r); ok {
		pkt, _ := r.Peek(n)
		err := s.respond(w, pkt, p)
		_, _ = r.Discard(n)
		return err
	}
	pkt, err := s.readPacket(d, r)
	if err != nil {
		return err
	}
	defer s.release(pkt)
	return s.respond(w, pkt, p)
}

// flushIfWaiting writes w's replies unless r holds the whole next packet (which
// is then answered first) and w is under flushBytes.
func (s *Server) flushIfWaiting(d *deadlines, r *bufio.Reader, w *replies) error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, ok := bufferedPacket(r); ok && len(w.buf) < flushBytes {
		return nil
	}
	return w.flush(d)
}

// bufferedPacket returns the length of r's next packet, prefix included, when r
// holds all of it and its length is within bounds (readPacket refuses the others).
func bufferedPacket(r *bufio.Reader) (int, bool) {
	avail := r.Buffered()
	if avail < 4 {
		return 0, false
	}
	head, err := r.Peek(4)
	if err != nil {
		return 0, false
	}
	n := binary.BigEndian.Uint32(head)
	return int(n), n >= minPacket && n <= maxPacket && int(n) <= avail
}

// respond answers pkt, appending the reply to w.
func (s *Server) respond(w *replies, pkt []byte, p peer) error {
	s.inFlight <- struct{}{}
	w.makeRoom()
	before := len(w.buf)
	out, err := s.dispatch.handle(w.buf, pkt, p)
	<-s.inFlight
	w.buf = out
	if err != nil {
		return err
	}
	if !w.hold() {
		s.dispatch.metrics.overBudget.Inc()
		return fmt.Errorf("%w: a reply of %d bytes", errOverBudget, len(out)-before)
	}
	return nil
}

// flushBytes is the most a connection's replies wait for the next one.
const flushBytes = 64 << 10

// Spill buffers: a connection's replies move into one once fewer than
// replyRoom bytes are left in its own buffer, and one that grew beyond
// maxSpill is left to the garbage collector instead of going back, so that
// what a pooled buffer holds beyond its batch's bytes stays small.
const (
	replyRoom = 2 << 10
	maxSpill  = 4 * initialPacket
)

// replies holds a connection's replies not yet written. Between batches it
// holds only the connection's own initialPacket bytes; a batch that outgrows
// them borrows a spill buffer from the server until it is flushed, so that
// clients whose callers' replies arrive several at a time cost no allocation
// per batch, and idle connections hold no more than their own buffer. What buf
// holds beyond initialPacket comes from the server's budget until the flush.
type replies struct {
	out    io.Writer
	buf    []byte
	budget *byteBudget
	// taken is what buf took from the budget.
	taken int64
	// own is the connection's buffer; big, when not nil, the spill buffer
	// borrowed from spill that buf now uses.
	own   []byte
	big   *[]byte
	spill *sync.Pool
}

// makeRoom moves w's replies into a spill buffer when its own buffer has less
// than replyRoom bytes left (a reply larger than that still grows buf by append).
func (w *replies) makeRoom() {
	if w.big != nil || len(w.buf) == 0 || cap(w.buf)-len(w.buf) >= replyRoom {
		return
	}
	big, _ := w.spill.Get().(*[]byte)
	if big == nil {
		b := make([]byte, 0, 4*initialPacket)
		big = &b
	}
	w.big = big
	w.buf = append((*big)[:0], w.buf...)
}

// hold takes from the budget what w.buf now holds beyond initialPacket (all of
// a spill buffer's capacity), reporting false when the budget cannot give it.
func (w *replies) hold() bool {
	held := len(w.buf)
	if w.big != nil {
		held = cap(w.buf)
	}
	need := int64(max(held-initialPacket, 0))
	if need <= w.taken {
		return true
	}
	if !w.budget.take(need - w.taken) {
		return false
	}
	w.taken = need
	return true
}

// flush writes the replies held and empties w.
func (w *replies) flush(d *deadlines) error {
	if err := d.write(); err != nil {
		return err
	}
	_, err := w.out.Write(w.buf)
	w.discard()
	return err
}

// discard empties w, gives back what it took from the budget and returns its
// spill buffer: w is left with its own buffer.
func (w *replies) discard() {
	w.budget.give(w.taken)
	w.taken = 0
	if w.big != nil && cap(w.buf) <= maxSpill {
		*w.big = w.buf[:0]
		w.spill.Put(w.big)
	}
	w.big = nil
	w.buf = w.own[:0]
}

func (s *Server) logConnEnd(p peer, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return
	}
	if errors.Is(err, errOverBudget) {
		level := slog.LevelDebug
		if s.loggedOverBudget.CompareAndSwap(false, true) {
			level = slog.LevelWarn
		}
		s.logger.Log(context.Background(), level, "QueryF connection closed: the buffered-bytes budget is spent "+
			"(further ones are counted in tarscache_queryf_over_budget_total)", "peer", p.String(), "err", err)
		return
	}
	if errors.As(err, new(notTarsError)) {
		s.logNotTars(p, err)
		return
	}
	s.logger.Warn("QueryF connection closed", "peer", p.String(), "err", err)
}

// notTarsError marks the end of a connection that sent something else than a
// Tars request: a length prefix out of bounds (an HTTP probe's "GET ") or a
// packet that does not decode.
type notTarsError struct{ error }

func (e notTarsError) Unwrap() error { return e.error }

// logNotTars counts a connection that does not speak Tars and logs it: the first
// at warn level, later ones at debug level, so that health checkers and port
// scanners do not flood the log.
func (s *Server) logNotTars(p peer, err error) {
	s.dispatch.metrics.notTars.Inc()
	level := slog.LevelDebug
	if s.loggedNotTars.CompareAndSwap(false, true) {
		level = slog.LevelWarn
	}
	s.logger.Log(context.Background(), level, "QueryF connection closed: it does not speak Tars (an HTTP probe or a port scan?); "+
		"further ones are logged at debug level and counted in tarscache_queryf_connections_not_tars_total", "peer", p.ip+":"+p.port, "err", err)
}

// readPacket reads one length-prefixed Tars packet, prefix included, within the
// idle timeout for the prefix and the packet timeout for the rest. A deadline is
// set only when r must wait for bytes: a pipelined request costs none.
func (s *Server) readPacket(d *deadlines, r *bufio.Reader) ([]byte, error) {
	if r.Buffered() < 4 {
		if err := d.idle(s.idle); err != nil {
			return nil, err
		}
	}
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, idleEnd(err)
	}
	n := binary.BigEndian.Uint32(head[:])
	if n < minPacket || n > maxPacket {
		return nil, notTarsError{fmt.Errorf("packet length %d outside %d..%d", n, minPacket, maxPacket)}
	}
	if r.Buffered() < int(n)-4 {
		if err := d.packet(s.packet); err != nil {
			return nil, err
		}
	}
	return s.readBody(r, head, n)
}

// deadlines sets one connection's read and write deadlines. Each setting costs
// a timer update in the runtime, so an idle or write deadline set less than a
// sixteenth of its length ago is kept rather than moved: the connection then
// times out up to that much early, never late.
type deadlines struct {
	c net.Conn
	// idleAt and writeAt are when the idle read deadline and the write
	// deadline in force were set (zero when none is).
	idleAt, writeAt time.Time
}

// idle gives the connection's reads timeout from now.
func (d *deadlines) idle(timeout time.Duration) error {
	now := time.Now()
	if !d.idleAt.IsZero() && now.Sub(d.idleAt) < timeout/16 {
		return nil
	}
	d.idleAt = now
	return d.c.SetReadDeadline(now.Add(timeout))
}

// packet gives the rest of a packet timeout from now to arrive.
func (d *deadlines) packet(timeout time.Duration) error {
	d.idleAt = time.Time{}
	return d.c.SetReadDeadline(time.Now().Add(timeout))
}

// write gives the connection's writes writeTimeout from now.
func (d *deadlines) write() error {
	now := time.Now()
	if !d.writeAt.IsZero() && now.Sub(d.writeAt) < writeTimeout/16 {
		return nil
	}
	d.writeAt = now
	return d.c.SetWriteDeadline(now.Add(writeTimeout))
}

// idleEnd turns the timeout of an idle connection into io.EOF: closing it is
// routine, not worth a warning.
func idleEnd(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return io.EOF
	}
	return err
}

// readBody reads the n-4 bytes that follow a packet's length prefix head. The
// buffer grows with the bytes that arrive, doubling from initialPacket; what it
// holds beyond initialPacket is taken from the server's budget as it grows and
// given back once the packet is answered (by the caller, with release).
func (s *Server) readBody(r *bufio.Reader, head [4]byte, n uint32) ([]byte, error) {
	buf := make([]byte, 4, min(int(n), initialPacket))
	copy(buf, head[:])
	for len(buf) < int(n) {
		if len(buf) == cap(buf) {
			grown, err := s.grow(buf, int(n))
			if err != nil {
				return nil, err
			}
			buf = grown
		}
		k, err := r.Read(buf[len(buf):min(cap(buf), int(n))])
		buf = buf[:len(buf)+k]
		if err != nil && len(buf) < int(n) {
			s.release(buf)
			return nil, fmt.Errorf("read packet body: %w", unexpectedEOF(err))
		}
	}
	return buf, nil
}

// grow returns buf with twice its capacity (at most n), taking the extra bytes
// from the budget; when the budget is spent it gives back what buf held.
func (s *Server) grow(buf []byte, n int) ([]byte, error) {
	size := min(2*cap(buf), n)
	if !s.buffered.take(int64(size - cap(buf))) {
		s.release(buf)
		s.dispatch.metrics.overBudget.Inc()
		return nil, fmt.Errorf("%w: a packet of %d bytes, %d received", errOverBudget, n, len(buf))
	}
	grown := make([]byte, len(buf), size)
	copy(grown, buf)
	return grown, nil
}

// release gives back to the budget what a packet buffer took from it.
func (s *Server) release(buf []byte) {
	s.buffered.give(int64(max(cap(buf)-initialPacket, 0)))
}

// errOverBudget ends a connection that needs bytes the budget does not have.
var errOverBudget = errors.New("buffered bytes of all connections at --max-buffered-mib")

// byteBudget counts bytes held against a maximum; it never waits.
type byteBudget struct {
	max  int64
	used atomic.Int64
	held prometheus.Gauge
}

// take reports whether n more bytes fit, and counts them if so.
func (b *byteBudget) take(n int64) bool {
	if n == 0 {
		return true
	}
	for {
		used := b.used.Load()
		if used+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			b.held.Add(float64(n))
			return true
		}
	}
}

func (b *byteBudget) give(n int64) {
	if n > 0 {
		b.used.Add(-n)
		b.held.Sub(float64(n))
	}
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
