package tars

import "errors"

// ErrServerClosed is returned by Server.Serve after Close.
var ErrServerClosed = errors.New("tars: server closed")
