package tars

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// run serves the connection with raw read(2) and write(2) system calls on its
// non-blocking socket, through its syscall.RawConn: still waiting for readiness
// in Go's network poller and bound by the connection's deadlines, but without
// the runtime's bookkeeping for blocking calls (which wakes its monitor thread
// whenever a call starts while the process was idle, once per batch).
//
// The whole life of the connection is one RawConn.Read: readable runs when the
// socket may be readable, answers what arrived, and returns false to wait
// again. RawConn.Read clears the poller's readiness once, when it starts, not
// between waits, so a read that returned less than it had room for (the socket
// was drained) can go straight back to waiting: data that arrived since has
// marked the socket ready and the wait returns at once. A batch costs one read
// and one write; a read per batch that only says EAGAIN, as a loop of Reads
// would make, is saved.
func (cn *conn) run() error {
	sc, ok := cn.c.(syscall.Conn)
	if !ok {
		return cn.runPortable()
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return cn.runPortable()
	}
	w := &rawWriter{rc: rc}
	w.call = w.write
	cn.w.out = w
	r := rawReader{cn: cn}
	if r.err = cn.beforeWait(); r.err != nil {
		return r.err
	}
	if err := rc.Read(r.readable); err != nil {
		return cn.readEnd(err)
	}
	return r.err
}

// rawReader reads a connection's socket for run; err is why it stopped.
type rawReader struct {
	cn  *conn
	err error
}

// readable reads what fd holds and answers it, until a read finds the socket
// drained: then it sets the deadline of the wait and returns false (wait). It
// returns true when the connection ends, with the reason in r.err.
func (r *rawReader) readable(fd uintptr) bool {
	for {
		drained, err := r.cn.readSocket(fd)
		if err == nil && drained {
			err = r.cn.beforeWait()
		}
		if err != nil || drained {
			r.err = err
			return err != nil
		}
	}
}

// readSocket makes one read(2) of the socket fd into the read buffer and
// answers what arrived. drained reports that the read took less than it had
// room for (or nothing, EAGAIN): the socket holds no more for now.
func (cn *conn) readSocket(fd uintptr) (drained bool, err error) {
	b, err := cn.room()
	if err != nil {
		return false, err
	}
	n, errno := rawCall(syscall.SYS_READ, fd, b)
	switch {
	case errno == syscall.EAGAIN:
		return true, nil
	case errno != 0:
		return false, cn.readEnd(os.NewSyscallError("read", errno))
	case n == 0:
		return false, cn.readEnd(io.EOF)
	}
	return n < len(b), cn.received(n)
}

// rawWriter writes with write(2); b, written and errno are the arguments and
// results of the call in progress. call is w.write, bound once so that a
// Write allocates nothing.
type rawWriter struct {
	rc      syscall.RawConn
	call    func(fd uintptr) bool
	b       []byte
	written int
	errno   syscall.Errno
}

// write is called by the RawConn when fd may be writable; false means "wait".
func (w *rawWriter) write(fd uintptr) bool {
	for w.written < len(w.b) {
		n, errno := rawCall(syscall.SYS_WRITE, fd, w.b[w.written:])
		if errno == syscall.EAGAIN {
			return false
		}
		if errno != 0 {
			w.errno = errno
			return true
		}
		w.written += n
	}
	return true
}

func (w *rawWriter) Write(b []byte) (int, error) {
	w.b, w.written, w.errno = b, 0, 0
	err := w.rc.Write(w.call)
	written, errno := w.written, w.errno
	w.b = nil
	if err == nil && errno != 0 {
		err = os.NewSyscallError("write", errno)
	}
	return written, err
}

// rawCall runs read(2) or write(2) on fd with b, retrying when interrupted.
func rawCall(trap, fd uintptr, b []byte) (int, syscall.Errno) {
	for {
		n, _, errno := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if errno != syscall.EINTR {
			return int(n), errno
		}
	}
}
