package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// unlimited is the budget of a connection that CutAfter does not limit.
const unlimited = -1

// Stats counts what a Proxy has done since Start.
type Stats struct {
	// Accepted counts every connection accepted from a client, refused ones included.
	Accepted int64
	// Refused counts the connections closed at once because Refuse was on.
	Refused int64
	// Cut counts the connections closed by CutAll or by a CutAfter budget. Connections
	// ended by a peer, by a failed dial or by Close are not counted.
	Cut int64
	// DialErrors counts the connections closed because the target could not be dialled.
	DialErrors int64
	// LastDialErr is the latest dial error, or nil.
	LastDialErr error
	// Live is the number of connections open right now.
	Live int
}

// Proxy forwards TCP connections from Addr to a target and injects faults on demand.
// Create it with Start; its methods are safe for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener
	dialer net.Dialer
	ctx    context.Context // cancelled by Close, aborts pending dials
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and every connection's goroutines

	mu       sync.Mutex
	closed   bool
	refuse   bool
	cutAfter int64 // budget given to new connections, or unlimited
	links    map[*link]struct{}
	stats    Stats
}

// link is one proxied connection. Its fields other than client are guarded by Proxy.mu;
// server is written once, before the goroutines that read it without the lock start.
type link struct {
	client net.Conn
	server net.Conn // nil until dialled
	budget int64    // bytes the server may still send to the client, or unlimited
	closed bool
}

// Start listens on 127.0.0.1 at a free port and forwards each accepted connection to
// target, a "host:port".
func Start(target string) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, fmt.Errorf("faultproxy: target %q: %w", target, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		target:   target,
		ln:       ln,
		ctx:      ctx,
		cancel:   cancel,
		cutAfter: unlimited,
		links:    make(map[*link]struct{}),
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the "127.0.0.1:port" address clients should connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Refuse turns refusal on or off. While on, each new connection is accepted and closed
// at once; connections already open are not affected.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = on
}

// CutAll closes both sides of every live connection now.
func (p *Proxy) CutAll() {
	for _, l := range p.liveLinks() {
		p.drop(l, true)
	}
}

// CutAfter arms a fault that lasts until Heal (a later CutAfter replaces it): every live
// connection, and every connection accepted later, may forward n more bytes from the
// server to the client; when the server sends more than that, the connection is closed
// instead, so the client receives exactly n bytes and then end of file. A connection
// whose server sends no more than n bytes stays open. For a new connection the n bytes
// count from its start, handshake included. CutAfter panics if n is negative.
func (p *Proxy) CutAfter(n int64) {
	if n < 0 {
		panic("faultproxy: CutAfter with a negative byte count")
	}
	p.setBudget(n)
}

// Heal disarms every fault: Refuse is off and no connection is limited by CutAfter any
// more. Connections already cut stay closed.
func (p *Proxy) Heal() {
	p.mu.Lock()
	p.refuse = false
	p.mu.Unlock()
	p.setBudget(unlimited)
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Live = len(p.links)
	return s
}

// Close stops accepting, closes every connection, and returns once every goroutine the
// proxy started has ended. Calling it again only waits.
func (p *Proxy) Close() error {
	p.mu.Lock()
	already := p.closed
	p.closed = true
	p.mu.Unlock()
	if already {
		p.wg.Wait()
		return nil
	}
	p.cancel()
	err := p.ln.Close()
	for _, l := range p.liveLinks() {
		p.drop(l, false)
	}
	p.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("faultproxy: close listener: %w", err)
	}
	return nil
}

// acceptLoop admits connections until the listener fails, which Close causes. Any
// other accept error also ends it, after closing the listener so that clients are
// refused rather than left waiting.
func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			p.ln.Close()
			return
		}
		p.admit(c)
	}
}

// admit closes c if refusing, and otherwise registers it and starts serving it.
func (p *Proxy) admit(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Accepted++
	if p.closed {
		c.Close()
		return
	}
	if p.refuse {
		p.stats.Refused++
		c.Close()
		return
	}
	l := &link{client: c, budget: p.cutAfter}
	p.links[l] = struct{}{}
	p.wg.Add(1)
	go p.serve(l)
}

// serve dials the target for l and forwards both directions until l is closed.
func (p *Proxy) serve(l *link) {
	defer p.wg.Done()
	server, err := p.dialer.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		p.dialFailed(fmt.Errorf("faultproxy: dial %s: %w", p.target, err))
		p.drop(l, false)
		return
	}
	if !p.attach(l, server) {
		server.Close()
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.forwardUp(l)
	}()
	p.forwardDown(l)
}

// forwardUp copies client to server, unlimited, then closes l.
func (p *Proxy) forwardUp(l *link) {
	io.Copy(l.server, l.client)
	p.drop(l, false)
}

// forwardDown copies server to client within l's budget, then closes l: as a fault
// when the budget ran out, as a normal end otherwise.
func (p *Proxy) forwardDown(l *link) {
	buf := make([]byte, 32<<10)
	for {
		n, err := l.server.Read(buf)
		if n > 0 {
			allowed, cut := p.spend(l, n)
			if allowed > 0 {
				if _, werr := l.client.Write(buf[:allowed]); werr != nil {
					break
				}
			}
			if cut {
				p.drop(l, true)
				return
			}
		}
		if err != nil {
			break
		}
	}
	p.drop(l, false)
}

// spend takes n bytes from l's budget and returns how many of them may be forwarded,
// and whether l must be cut because the server sent more than the budget.
func (p *Proxy) spend(l *link, n int) (allowed int, cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case l.budget == unlimited:
		return n, false
	case int64(n) <= l.budget:
		l.budget -= int64(n)
		return n, false
	default:
		allowed = int(l.budget)
		l.budget = 0
		return allowed, true
	}
}

// setBudget gives every live connection, and every future one, the budget b.
func (p *Proxy) setBudget(b int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.cutAfter = b
	for l := range p.links {
		l.budget = b
	}
}

// attach records l's server side; it reports false if l was closed meanwhile.
func (p *Proxy) attach(l *link, server net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l.closed {
		return false
	}
	l.server = server
	return true
}

// drop closes both sides of l once, counting it as cut when fault is true.
func (p *Proxy) drop(l *link, fault bool) {
	p.mu.Lock()
	if l.closed {
		p.mu.Unlock()
		return
	}
	l.closed = true
	delete(p.links, l)
	if fault {
		p.stats.Cut++
	}
	server := l.server
	p.mu.Unlock()
	l.client.Close()
	if server != nil {
		server.Close()
	}
}

// dialFailed records a failed dial, unless Close aborted it.
func (p *Proxy) dialFailed(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.stats.DialErrors++
	p.stats.LastDialErr = err
}

// liveLinks returns the connections open now.
func (p *Proxy) liveLinks() []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	return links
}
