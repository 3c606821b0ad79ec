package tars

import "errors"

// ErrStale is returned (wrapped, with the data's age) by every lookup once the data
// is older than HandlerOptions.MaxStale; the client receives TARSSERVERUNKNOWNERR
// and keeps its previous endpoint list.
var ErrStale = errors.New("tarscache: data too stale to answer")

// ErrServerClosed is returned by Server.Serve after Close.
var ErrServerClosed = errors.New("tars: server closed")

// ErrUnknownMethod is returned by Explain for a method name it does not know.
var ErrUnknownMethod = errors.New("unknown method")
