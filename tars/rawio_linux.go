package tars

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// connIO returns the reader and writer a connection's goroutine uses. On Linux
// they issue read(2) and write(2) on the non-blocking socket as raw system calls
// through the connection's syscall.RawConn, which still waits for readiness in
// Go's network poller and honours the connection's deadlines. Such a call never
// blocks, so it needs none of the runtime's bookkeeping for blocking system
// calls: that bookkeeping wakes the runtime's monitor thread whenever a call
// starts while the process was idle, once per batch of requests. The function
// each hands to the RawConn is bound once, with its arguments and results in the
// reader's or writer's fields, so a call allocates nothing; each is used by its
// connection's goroutine only.
func connIO(c net.Conn) (io.Reader, io.Writer) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c, c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c, c
	}
	r, w := &rawReader{rc: rc}, &rawWriter{rc: rc}
	r.call, w.call = r.read, w.write
	return r, w
}

// rawReader reads with read(2); b, n and errno are the arguments and results of
// the call in progress.
type rawReader struct {
	rc    syscall.RawConn
	call  func(fd uintptr) bool // r.read
	b     []byte
	n     int
	errno syscall.Errno
}

// read is called by the RawConn when fd may be readable; false means "wait".
func (r *rawReader) read(fd uintptr) bool {
	r.n, r.errno = rawCall(syscall.SYS_READ, fd, r.b)
	return r.errno != syscall.EAGAIN
}

func (r *rawReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	r.b, r.n, r.errno = b, 0, 0
	err := r.rc.Read(r.call)
	r.b = nil
	switch {
	case err != nil:
		return 0, err
	case r.errno != 0:
		return 0, os.NewSyscallError("read", r.errno)
	case r.n == 0:
		return 0, io.EOF
	}
	return r.n, nil
}

// rawWriter writes with write(2); b, written and errno are the arguments and
// results of the call in progress.
type rawWriter struct {
	rc      syscall.RawConn
	call    func(fd uintptr) bool // w.write
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
