package tars

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// conn is one QueryF connection: the bytes read and not yet answered, the
// replies not yet written and the deadlines in force.
//
// Packets are not pulled one by one: whatever reads the socket (the event loop
// on Linux, loop_linux.go; else the connection's goroutine, rawio_linux.go or
// runPortable) calls received with every batch of bytes that arrived. received answers each whole
// packet in place, in the read buffer, and writes the replies of the batch in
// one write before the connection waits for the network again (or once
// flushBytes are waiting), so a client that multiplexes its callers on one
// connection costs one read and one write per batch, not one of each per call.
type conn struct {
	s *Server
	c net.Conn
	p peer
	// in[start:end] holds the bytes read and not yet answered: whole packets
	// while received runs, at most one partial packet between batches. in is
	// own (initialPacket bytes) unless a packet larger than that is arriving;
	// what in holds beyond own came from the server's budget.
	in         []byte
	own        []byte
	start, end int
	w          *replies
	d          deadlines
	// partial is set while a packet's first bytes have arrived and its packet
	// deadline is in force.
	partial bool
	// answered counts the packets answered: the event loop's measure of what
	// one collection gathered.
	answered int

	// Served by the event loop lp (Linux), the connection is the socket fd;
	// sent is how much of the replies went out, blocked is set while the
	// rest waits for the socket to take it, watchingOut while epoll watches
	// fd for that. lp is nil for a connection served by a goroutine of its own.
	lp          *eventLoop
	fd          int
	sent        int
	blocked     bool
	watchingOut bool
}

// newConn returns the state of a new connection c.
func (s *Server) newConn(c net.Conn) *conn {
	own := make([]byte, initialPacket)
	cn := &conn{s: s, c: c, p: peerOf(c), in: own, own: own, d: deadlines{c: c}, fd: -1}
	cn.w = &replies{out: c, budget: s.buffered, spill: &s.spill, own: make([]byte, 0, initialPacket)}
	cn.w.buf = cn.w.own
	return cn
}

// serveConn answers c's packets in order on a goroutine of c's own until c
// fails, is closed or idles out: where the event loop does not serve it.
func (s *Server) serveConn(c net.Conn) {
	defer s.untrack(c)
	cn := s.newConn(c)
	defer cn.discard()
	s.logConnEnd(cn.p, cn.run())
}

// received takes n more bytes at the end of the read buffer, answers every whole
// packet it now holds and writes their replies. A length prefix out of bounds
// ends the connection (notTarsError), once the replies before it are written.
//
// Served by the event loop, it stops answering while the socket does not take
// the replies (cn.blocked): the requests left wait in the read buffer.
func (cn *conn) received(n int) error {
	cn.end += n
	for !cn.blocked {
		pkt, err := cn.nextPacket()
		if err != nil || pkt == nil {
			if len(cn.w.buf) == 0 {
				return err
			}
			if ferr := cn.flush(); err == nil {
				err = ferr
			}
			return err
		}
		if err := cn.s.respond(cn.w, pkt, cn.p); err != nil {
			return err
		}
		cn.start += len(pkt)
		cn.answered++
		if len(cn.w.buf) >= flushBytes {
			if err := cn.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush writes the replies held: all of them, waiting as long as the write
// deadline allows, on a connection's own goroutine; as many as the socket takes
// now, on the event loop.
func (cn *conn) flush() error {
	if cn.lp != nil {
		return cn.writeOut()
	}
	return cn.w.flush(&cn.d)
}

// nextPacket returns the whole packet, prefix included, at the front of the read
// buffer, or nil when the buffer holds only part of one (or nothing).
func (cn *conn) nextPacket() ([]byte, error) {
	held := cn.in[cn.start:cn.end]
	if len(held) < 4 {
		return nil, nil
	}
	n := binary.BigEndian.Uint32(held)
	if n < minPacket || n > maxPacket {
		return nil, notTarsError{fmt.Errorf("packet length %d outside %d..%d", n, minPacket, maxPacket)}
	}
	if uint32(len(held)) < n {
		return nil, nil
	}
	return held[:n], nil
}

// room returns the free tail of the read buffer to read into, making room
// first: once everything was answered the buffer starts over (its own
// initialPacket bytes again); a partial packet is moved to the front; one that
// fills the buffer grows it, doubling up to the packet's declared length, with
// bytes from the server's budget (errOverBudget when the budget cannot give
// them).
func (cn *conn) room() ([]byte, error) {
	if cn.start == cn.end {
		cn.start, cn.end = 0, 0
		if len(cn.in) != len(cn.own) {
			cn.s.release(cn.in)
			cn.in = cn.own
		}
	}
	if cn.end < len(cn.in) {
		return cn.in[cn.end:], nil
	}
	if cn.start > 0 {
		cn.end = copy(cn.in, cn.in[cn.start:cn.end])
		cn.start = 0
		return cn.in[cn.end:], nil
	}
	n := int(binary.BigEndian.Uint32(cn.in)) // nextPacket checked it: longer than the buffer, within maxPacket
	grown, err := cn.s.grow(cn.in[:cn.end], n)
	if err != nil {
		cn.in = cn.own // grow gave back what the buffer held
		return nil, err
	}
	cn.in = grown[:cap(grown)]
	return cn.in[cn.end:], nil
}

// beforeWait sets the read deadline for the wait that follows: the idle timeout
// between packets, the packet timeout once a packet has begun (set when it
// began, so that a packet trickled byte by byte cannot extend it).
func (cn *conn) beforeWait() error {
	if cn.start == cn.end {
		cn.partial = false
		return cn.d.idle(cn.s.idle)
	}
	if cn.partial {
		return nil
	}
	cn.partial = true
	return cn.d.packet(cn.s.packet)
}

// readEnd says why reading ended: the peer's close or the idle timeout between
// packets are io.EOF (routine, not logged); within a packet they are errors.
func (cn *conn) readEnd(err error) error {
	between := cn.start == cn.end
	switch {
	case between && (errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded)):
		return io.EOF
	case errors.Is(err, io.EOF):
		return fmt.Errorf("read packet: %w (%d bytes of a packet received)", io.ErrUnexpectedEOF, cn.end-cn.start)
	case between:
		return err
	}
	return fmt.Errorf("read packet (%d bytes received): %w", cn.end-cn.start, err)
}

// runPortable serves the connection with its own Read and Write: where raw
// system calls are not used.
func (cn *conn) runPortable() error {
	for {
		if err := cn.beforeWait(); err != nil {
			return err
		}
		b, err := cn.room()
		if err != nil {
			return err
		}
		n, err := cn.c.Read(b)
		if n > 0 {
			if err := cn.received(n); err != nil {
				return err
			}
		}
		if err != nil {
			return cn.readEnd(err)
		}
	}
}

// discard gives back what the connection holds from the budget.
func (cn *conn) discard() {
	cn.w.discard()
	if len(cn.in) != len(cn.own) {
		cn.s.release(cn.in)
		cn.in = cn.own
	}
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

// deadlines sets one connection's read and write deadlines. Each setting costs
// a timer update in the runtime, so an idle or write deadline set less than a
// sixteenth of its length ago is kept rather than moved: the connection then
// times out up to that much early, never late.
//
// On the event loop (c nil) they are only recorded: the loop closes a
// connection once readBy has passed, or writeBy while its replies wait.
type deadlines struct {
	c net.Conn
	// idleAt and writeAt are when the idle read deadline and the write
	// deadline in force were set (zero when none is).
	idleAt, writeAt time.Time
	readBy, writeBy time.Time
}

// idle gives the connection's reads timeout from now.
func (d *deadlines) idle(timeout time.Duration) error {
	now := time.Now()
	if d.c == nil {
		d.readBy = now.Add(timeout)
		return nil
	}
	if !d.idleAt.IsZero() && now.Sub(d.idleAt) < timeout/16 {
		return nil
	}
	d.idleAt = now
	return d.c.SetReadDeadline(now.Add(timeout))
}

// packet gives the rest of a packet timeout from now to arrive.
func (d *deadlines) packet(timeout time.Duration) error {
	d.idleAt = time.Time{}
	d.readBy = time.Now().Add(timeout)
	if d.c == nil {
		return nil
	}
	return d.c.SetReadDeadline(d.readBy)
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

func peerOf(c net.Conn) peer {
	host, port, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return peer{ip: c.RemoteAddr().String()}
	}
	return peer{ip: host, port: port}
}
