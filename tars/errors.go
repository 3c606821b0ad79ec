package tars

import "errors"

// ErrNotImplemented is returned (wrapped, naming the method) by QueryF methods
// tarscache does not answer yet; the client receives TARSSERVERUNKNOWNERR and keeps
// its previous endpoint list.
var ErrNotImplemented = errors.New("not implemented by this tarscache")

// ErrServerClosed is returned by Server.Serve after Close.
var ErrServerClosed = errors.New("tars: server closed")
