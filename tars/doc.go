// Package tars answers Tars service discovery: it serves the QueryF interface of
// tars.tarsregistry.QueryObj over the Tars protocol on TCP, from the immutable
// snapshots of package cache/snapshot.
//
// # Server
//
// Server runs its own accept loop instead of TarsGo's tars.Run (a process-wide
// singleton that cannot be stopped) or transport.TarsServer (which never releases
// its port): it frames packets, decodes each RequestPacket with TarsGo's codec,
// calls the generated queryf dispatcher and writes the ResponsePacket. On Linux
// one event loop (loop_linux.go) serves every connection: a goroutine waiting in
// epoll_wait on an epoll instance of its own, which reads each connection that
// has bytes, answers the packets in place in its read buffer and writes the
// replies, all with non-blocking system calls, so that a batch of requests (a
// stock client multiplexes its callers on one connection) costs one read and one
// write and no goroutine wake-up: going through Go's network poller cost about
// 40% of the server's CPU under a stock client's load. While requests come in
// fast, the loop sleeps for a batch window (Options.BatchWindow, 100 µs) before
// collecting them, instead of waking for each: the sleep and wake per request
// were then the largest part of a call's cost, in the server and in the client
// woken with each reply (1.3-2.2× the calls per server CPU-second, and a
// shorter tail, under a stock client's load). Replies to requests that
// arrived together go out in one write (or once 64 KiB are waiting); a client
// that does not take its replies is watched for writability only, its further
// requests waiting in its socket. Elsewhere, or for a connection the loop cannot
// take, a goroutine serves the connection with the same code (conn.go), waiting
// in Go's poller. Between batches a connection keeps a 4 KiB
// write buffer of its own; a batch that outgrows it borrows a larger one from
// the server's pool until its write (a stock client's eight callers' replies
// take about 4.5 KiB, and allocating a buffer per batch halved the calls per
// CPU-second).
// Per request it answers tars_ping, refuses other servant names (TARSSERVERNOSERVANTERR) and
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
// connections (Options.MaxBufferedBytes), replies waiting for their write
// counted together per connection: a connection that needs more is closed.
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
// a fast path: once checkWire has passed the packet, its fields are read in place
// (parseRequest, which takes only the layout stock clients write and leaves any
// other to TarsGo's decoder; a fuzz test holds it to TarsGo's reading), and the
// reply is appended to the connection's write buffer around the answer's lists as
// package cache/snapshot encoded them when the snapshot was built, byte for byte what
// the generated dispatcher would write (a test compares both). Such a call
// allocates nothing. Other versions (TUP, JSON), other methods, one-way calls and
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
// # Explain
//
// Explain answers a question from a snapshot with the handler's own decision
// function (decide, which the QueryF methods call too) and says how the answer was
// reached: the caller's group and the allow_ip_rule entry that set it, the group
// walk replayed step by step with the code that built the snapshot
// (snapshot.WalkOf), the station or set rule taken, the endpoints left out and
// where sample route keys go. It is for tarscache explain and the status page,
// never on the QueryF path.
//
// # What it does not do
//
// It never reads MySQL or the bbolt file (it does not link either); it never
// mutates a snapshot.
//
// # Concurrency
//
// A Handler is safe for concurrent use. A Server answers the requests of a
// connection in order: on Linux all connections on its event loop's goroutine,
// one request at a time; elsewhere each connection on a goroutine of its own.
// Close stops accepting, closes every connection and waits for the loop and the
// connections' goroutines.
package tars
