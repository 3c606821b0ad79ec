//go:build !linux

package tars

import (
	"errors"
	"net"
)

// eventLoop is Linux only (loop_linux.go); elsewhere every connection has a
// goroutine of its own.
type eventLoop struct{}

func newEventLoop(*Server) (*eventLoop, error) {
	return nil, errors.New("no event loop on this system")
}

func (*eventLoop) add(net.Conn) error { return errors.New("no event loop on this system") }
func (*eventLoop) stop()              {}
func (*eventLoop) run()               {}

// writeOut is never called off the event loop.
func (cn *conn) writeOut() error { return cn.w.flush(&cn.d) }
