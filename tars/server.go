package tars

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tarscache/tarscache/protocol/queryf"
)

// Framing bounds. QueryF requests are a few hundred bytes; anything near the
// limit is hostile or broken, and its connection is closed.
const (
	maxPacket    = 1 << 20
	minPacket    = 4
	writeTimeout = 10 * time.Second
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
}

// Server serves QueryF on one TCP listener. See the package documentation.
type Server struct {
	ln       net.Listener
	dispatch *dispatcher
	logger   *slog.Logger

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
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tars: listen on %s: %w", addr, err)
	}
	d := &dispatcher{servant: opts.Servant, handler: h, queryf: new(queryf.QueryF), logger: opts.Logger,
		metrics: newMetrics(opts.Registerer)}
	return &Server{ln: ln, dispatch: d, logger: opts.Logger, conns: map[net.Conn]struct{}{}}, nil
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
		pkt, err := readPacket(r)
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
	out, err := s.dispatch.handle(pkt, p)
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
	s.logger.Warn("QueryF connection closed", "peer", p.ip+":"+p.port, "err", err)
}

// readPacket reads one length-prefixed Tars packet, prefix included.
func readPacket(r *bufio.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n < minPacket || n > maxPacket {
		return nil, fmt.Errorf("packet length %d outside %d..%d", n, minPacket, maxPacket)
	}
	pkt := make([]byte, n)
	copy(pkt, head[:])
	if _, err := io.ReadFull(r, pkt[4:]); err != nil {
		return nil, fmt.Errorf("read packet body: %w", err)
	}
	return pkt, nil
}

func peerOf(c net.Conn) peer {
	host, port, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return peer{ip: c.RemoteAddr().String()}
	}
	return peer{ip: host, port: port}
}
