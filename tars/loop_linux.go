package tars

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// eventLoop serves every QueryF connection of a Server on Linux from one
// goroutine that waits in epoll_wait(2) on an epoll instance of its own, reads
// each connection that has bytes, answers the packets in place and writes the
// replies, all with non-blocking system calls.
//
// Go's network poller would cost a goroutine wake-up per batch of requests:
// the connection's goroutine parks, the scheduler looks for other work and
// polls the network twice (once without waiting, once waiting), and the
// goroutine is made runnable again when bytes arrive. With a Tars client's
// batches of one or two calls that was about 40% of the server's CPU. Here a
// batch costs one read and one write, and one epoll_wait serves every
// connection that became readable together.
//
// The loop takes over a connection's socket from the net.Conn Serve accepted
// (a duplicate of its descriptor, so that closing the net.Conn takes it out of
// Go's poller but not the connection down). Level-triggered readiness: a
// connection that still has bytes after one read is reported again. A
// connection whose replies the client does not take (write returns EAGAIN) is
// watched for writability only, and its further requests wait in its read
// buffer, so a slow reader holds at most its replies and one buffer of
// requests. Deadlines are the loop's: each connection records when its idle,
// packet or write timeout ends, and the loop closes those past it at least
// every sweepEvery.
//
// While busy, the loop pauses for the batch window (Options.BatchWindow)
// before each collection instead of waiting in epoll_wait: a wake-up per
// request, its sleep and wake in the scheduler, was the largest part of a
// call's cost, in the server and in the client it woke with a reply. Pausing
// lets the requests of a window (100 µs by default, plus the timer slack)
// gather, so that one collection reads and answers them together and each
// client reads its replies in one go. The loop is busy after a collection
// that answered busyCalls requests or more, and waits in epoll_wait after one
// that answered fewer: requests that come one at a time (a quiet server, a
// caller waiting for each reply) never wait for the window, nor do bytes a
// read left in a socket because they filled its buffer.
//
// Concurrency: add and stop may be called from any goroutine; everything else
// runs on the loop's goroutine, which owns the connections it serves.
type eventLoop struct {
	s    *Server
	epfd int
	// wake is an eventfd in the epoll set: add and stop write to it.
	wake       int
	events     []syscall.EpollEvent
	conns      map[int32]*conn
	sweepEvery time.Duration
	nextSweep  time.Time
	// windowSpec is the server's batch window for nanosleep(2).
	windowSpec syscall.Timespec

	// mu guards added and stopping.
	mu       sync.Mutex
	added    []*conn
	stopping bool
}

// loopEvents is the most connections one epoll_wait reports.
const loopEvents = 256

// newEventLoop creates the epoll instance and its wake-up eventfd.
func newEventLoop(s *Server) (*eventLoop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wake, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		syscall.Close(epfd)
		return nil, os.NewSyscallError("eventfd2", errno)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(wake)}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, int(wake), &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(int(wake))
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	sweep := min(s.idle, s.packet, writeTimeout) / 8
	return &eventLoop{s: s, epfd: epfd, wake: int(wake), events: make([]syscall.EpollEvent, loopEvents),
		conns: map[int32]*conn{}, sweepEvery: min(max(sweep, 5*time.Millisecond), time.Second),
		windowSpec: syscall.NsecToTimespec(int64(s.window))}, nil
}

// add hands the accepted connection c, already tracked by the server, to the
// loop. It fails only when c's descriptor cannot be taken; c is then
// untouched and the caller serves it otherwise.
func (l *eventLoop) add(c net.Conn) error {
	fd, err := takeFD(c)
	if err != nil {
		return err
	}
	cn := l.s.newConn(c)
	cn.fd, cn.lp = fd, l
	cn.d.c = nil
	c.Close() // Go's poller forgets the socket; fd keeps it open
	l.mu.Lock()
	l.added = append(l.added, cn)
	l.mu.Unlock()
	l.signal()
	return nil
}

// takeFD returns a duplicate (close-on-exec) of c's socket descriptor, which
// shares its non-blocking mode.
func takeFD(c net.Conn) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, errors.New("not a socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd, errno := -1, syscall.Errno(0)
	err = rc.Control(func(fd uintptr) {
		r, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		nfd, errno = int(r), e
	})
	if err != nil {
		return -1, err
	}
	if errno != 0 {
		return -1, os.NewSyscallError("fcntl(F_DUPFD_CLOEXEC)", errno)
	}
	return nfd, nil
}

// stop makes the loop close every connection and return.
func (l *eventLoop) stop() {
	l.mu.Lock()
	l.stopping = true
	l.mu.Unlock()
	l.signal()
}

// signal wakes the loop's epoll_wait.
func (l *eventLoop) signal() {
	one := [8]byte{1}
	_, _ = rawCall(syscall.SYS_WRITE, uintptr(l.wake), one[:])
}

// run serves until stop; the server's wait group counts it.
func (l *eventLoop) run() {
	defer l.s.wg.Done()
	defer syscall.Close(l.epfd)
	defer syscall.Close(l.wake)
	waitFrom := time.Now()
	l.nextSweep = waitFrom.Add(l.sweepEvery)
	busy, more := false, false // busy: pause before collecting; more: bytes wait already
	for {
		timeout := l.waitMillis(waitFrom)
		if busy || more {
			if !more {
				l.pause()
			}
			timeout = 0
		}
		n, err := syscall.EpollWait(l.epfd, l.events, timeout)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			l.s.logger.Error("QueryF event loop: epoll_wait failed; closing its connections", "err", err)
			l.closeAll()
			return
		}
		var answered int
		answered, more = l.collect(l.events[:max(n, 0)])
		if answered < 0 {
			l.closeAll()
			return
		}
		busy = l.s.window > 0 && answered >= busyCalls
		waitFrom = l.sweep()
	}
}

// collect serves what one epoll_wait reported. It returns the requests
// answered (-1 once stop was called) and whether a connection has bytes to
// read already.
func (l *eventLoop) collect(events []syscall.EpollEvent) (answered int, more bool) {
	for _, ev := range events {
		if ev.Fd == int32(l.wake) {
			if !l.takeAdded() {
				return -1, false
			}
			continue
		}
		if cn := l.conns[ev.Fd]; cn != nil {
			before := cn.answered
			more = l.serve(cn, ev.Events) || more
			answered += cn.answered - before
		}
	}
	return answered, more
}

// busyCalls is the fewest requests one collection must answer for the loop
// to pause before the next: requests then arrive together, and a pause gathers
// more of them. A caller that sends its next request only once it has its
// reply (one request per collection) is never made to wait for the window.
const busyCalls = 2

// pause sleeps for the batch window, letting the requests of a busy moment
// gather so that one collection reads and answers them together.
func (l *eventLoop) pause() {
	l.s.dispatch.metrics.pauses.Inc()
	_ = syscall.Nanosleep(&l.windowSpec, nil) // interrupted: a shorter pause
}

// waitMillis is how long epoll_wait may wait, from now: until the next sweep.
func (l *eventLoop) waitMillis(now time.Time) int {
	return max(int(l.nextSweep.Sub(now)/time.Millisecond)+1, 1)
}

// takeAdded registers the connections add handed over; false once stop was
// called.
func (l *eventLoop) takeAdded() bool {
	var b [8]byte
	_, _ = rawCall(syscall.SYS_READ, uintptr(l.wake), b[:])
	l.mu.Lock()
	added, stopping := l.added, l.stopping
	l.added = nil
	l.mu.Unlock()
	for _, cn := range added {
		l.conns[int32(cn.fd)] = cn
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(cn.fd)}
		if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, cn.fd, &ev); err != nil {
			l.close(cn, os.NewSyscallError("epoll_ctl", err))
			continue
		}
		if err := cn.beforeWait(); err != nil {
			l.close(cn, err)
		}
	}
	return !stopping
}

// serve handles what epoll reported for cn: bytes to read, or room to write
// the replies it holds. It reports whether cn has more bytes to read already
// (its read filled the buffer): the next collection need not pause for them.
func (l *eventLoop) serve(cn *conn, events uint32) (more bool) {
	var err error
	if cn.blocked {
		if events&(syscall.EPOLLOUT|syscall.EPOLLERR|syscall.EPOLLHUP) == 0 {
			return false
		}
		if err = cn.writeOut(); err == nil && !cn.blocked {
			err = cn.received(0) // requests that waited for the replies to go
		}
	} else {
		var drained bool
		drained, err = cn.readSocket(uintptr(cn.fd)) // level-triggered: bytes left over are reported again
		more = !drained
	}
	if err == nil && !cn.blocked {
		err = cn.beforeWait()
	}
	if err == nil {
		err = l.rearm(cn)
	}
	if err != nil {
		l.close(cn, err)
		return false
	}
	return more && !cn.blocked
}

// rearm watches cn for writability while its replies wait, for readability
// otherwise.
func (l *eventLoop) rearm(cn *conn) error {
	if cn.blocked == cn.watchingOut {
		return nil
	}
	events := uint32(syscall.EPOLLIN)
	if cn.blocked {
		events = syscall.EPOLLOUT
	}
	ev := syscall.EpollEvent{Events: events, Fd: int32(cn.fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, cn.fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	cn.watchingOut = cn.blocked
	return nil
}

// sweep closes, once every sweepEvery, the connections past their deadline.
// It returns the time it looked at the clock.
func (l *eventLoop) sweep() time.Time {
	now := time.Now()
	if now.Before(l.nextSweep) {
		return now
	}
	l.nextSweep = now.Add(l.sweepEvery)
	for _, cn := range l.conns {
		switch {
		case cn.blocked && now.After(cn.d.writeBy):
			l.close(cn, fmt.Errorf("write: %w", os.ErrDeadlineExceeded))
		case !cn.blocked && now.After(cn.d.readBy):
			l.close(cn, cn.readEnd(os.ErrDeadlineExceeded))
		}
	}
	return now
}

// close ends cn: its socket is closed, what it held given back, the server
// told.
func (l *eventLoop) close(cn *conn, err error) {
	delete(l.conns, int32(cn.fd))
	syscall.Close(cn.fd) // also leaves the epoll set
	cn.discard()
	l.s.logConnEnd(cn.p, err)
	l.s.untrack(cn.c)
}

// closeAll ends every connection, those not yet taken in included.
func (l *eventLoop) closeAll() {
	l.mu.Lock()
	added := l.added
	l.added, l.stopping = nil, true
	l.mu.Unlock()
	for _, cn := range added {
		l.conns[int32(cn.fd)] = cn
	}
	for _, cn := range l.conns {
		l.close(cn, net.ErrClosed)
	}
}

// writeOut writes the replies cn holds, as far as the socket takes them; when
// it takes no more (EAGAIN) cn is blocked until it does, within writeTimeout.
func (cn *conn) writeOut() error {
	for cn.sent < len(cn.w.buf) {
		n, errno := rawCall(syscall.SYS_WRITE, uintptr(cn.fd), cn.w.buf[cn.sent:])
		if errno == syscall.EAGAIN {
			if !cn.blocked {
				cn.blocked, cn.d.writeBy = true, time.Now().Add(writeTimeout)
			}
			return nil
		}
		if errno != 0 {
			return os.NewSyscallError("write", errno)
		}
		cn.sent += n
	}
	cn.sent, cn.blocked = 0, false
	cn.w.discard()
	return nil
}
