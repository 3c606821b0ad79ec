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
// starts while the process was idle, once per batch of requests.
func connIO(c net.Conn) (io.Reader, io.Writer) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c, c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c, c
	}
	return rawReader{rc}, rawWriter{rc}
}

type rawReader struct{ rc syscall.RawConn }

func (r rawReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := r.rc.Read(func(fd uintptr) bool {
		n, errno = rawCall(syscall.SYS_READ, fd, b)
		return errno != syscall.EAGAIN
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, os.NewSyscallError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

type rawWriter struct{ rc syscall.RawConn }

func (w rawWriter) Write(b []byte) (int, error) {
	written := 0
	var errno syscall.Errno
	err := w.rc.Write(func(fd uintptr) bool {
		for written < len(b) {
			var n int
			n, errno = rawCall(syscall.SYS_WRITE, fd, b[written:])
			if errno == syscall.EAGAIN {
				errno = 0
				return false
			}
			if errno != 0 {
				return true
			}
			written += n
		}
		return true
	})
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
