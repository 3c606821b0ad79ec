// Package tars answers Tars service discovery: it serves the QueryF interface of
// tars.tarsregistry.QueryObj over the Tars protocol on TCP, from the immutable
// snapshots of package cache/snapshot.
//
// # Server
//
// Server runs its own accept loop instead of TarsGo's tars.Run (a process-wide
// singleton that cannot be stopped) or transport.TarsServer (which never releases
// its port): it frames packets, decodes each RequestPacket with TarsGo's codec,
// calls the generated queryf dispatcher and writes the ResponsePacket. Per request
// it answers tars_ping, refuses other servant names (TARSSERVERNOSERVANTERR) and
// unknown methods (TARSSERVERNOFUNCERR), replies to nothing sent one-way, and
// recovers a panicking handler (TARSSERVERUNKNOWNERR, logged): a bad request can
// end its connection, never the process. TarsGo's decoder trusts the lengths it
// reads (a negative one panics, a large one is allocated as declared), so every
// packet and then its arguments are first walked by checkWire, which allocates
// nothing and refuses such lengths, unknown types and deep nesting: a bad packet
// closes its connection, bad arguments get TARSSERVERDECODEERR. A connection idle
// for Options.IdleTimeout, or whose packet takes longer than Options.PacketTimeout
// to arrive, is closed. The bytes held for packets still arriving and replies not
// yet taken, beyond the first 4 KiB of each, come out of one budget shared by all
// connections (Options.MaxBufferedBytes): a connection that needs more is closed.
// A reply larger than Options.MaxReplyBytes (TarsGo's 10 MiB client limit) is
// replaced by TARSSERVERUNKNOWNERR saying so. An accept that fails for a reason
// that passes (EMFILE) is retried after a pause, as net/http does, never ending
// Serve. With Options.Registerer it counts every
// request by method and result (tarscache_queryf_requests_total), times it
// (tarscache_queryf_request_duration_seconds) and gauges open connections; the
// method label is QueryF's wire name or "other", so clients cannot grow it.
//
// # Fast path
//
// The list methods of the Tars protocol version (what every stock client sends) take
// a fast path: their arguments are read in place and the reply is written around
// the answer's lists as package cache/snapshot encoded them when the snapshot was built, in
// one allocation, byte for byte what the generated dispatcher would write (a test
// compares both). Other versions (TUP, JSON), other methods, one-way calls and
// errors take the generated dispatcher.
//
// # Handler
//
// Handler implements QueryF with the official registry's answers
// (docs/compatibility.md): findObjectById (active endpoints), findObjectById4Any (all
// active and all inactive), findObjectByIdInSameGroup and findObjectById4All (the
// group-priority walk for the caller, who is the request context's node_name or else
// the peer address), findObjectByIdInSameStation (ret -1 for an unknown station),
// findObjectByIdInSameSet (setId checked as officially, ret -1 for nothing found, the
// group walk for an unknown set name) and findSubsetConfigById (the servant's subset
// rule in force, validated and canonical; enable=false when it has none). Every
// endpoint carries its node's subset label (EndpointF tag 15). An unknown servant
// gets ret 0 and empty lists. The enterprise methods answer -1 as the open-source
// registry does. The answers themselves are built ahead of time by package
// cache/snapshot; a method picks one and sets the return code. With
// HandlerOptions.MaxStale, lookups fail (ErrStale, TARSSERVERUNKNOWNERR) once the
// source's last sync is older than that.
//
// # What it does not do
//
// It never reads MySQL or the bbolt file (it does not link either); it never
// mutates a snapshot.
//
// # Concurrency
//
// A Handler is safe for concurrent use. A Server serves each
// connection on its own goroutine, requests of a connection in order; Close stops
// accepting, closes every connection and waits for their goroutines.
package tars
