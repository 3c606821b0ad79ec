// Package faultproxy is a TCP proxy for integration tests that simulates outages
// between a client (tarscache) and a server (MariaDB).
//
// Start listens on 127.0.0.1 at a free port and forwards every accepted connection to
// one target address. A test points its client at Addr and then injects faults:
//
//   - Refuse(true) accepts new connections and closes them at once, so a client sees
//     an error immediately rather than a hang; connections already open keep working.
//   - CutAll closes every live connection, both sides, now.
//   - CutAfter(n) gives every live connection, and every connection accepted later,
//     a budget of n more bytes from the server to the client. The first n bytes are
//     forwarded; when the server sends more, the connection is closed instead, so the
//     client receives exactly n bytes and then end of file. This is how a MySQL
//     client is made to fail in the middle of a result set.
//   - Heal disarms every fault: Refuse is off and no connection has a budget any more.
//
// Stats reports what happened, for assertions. Close stops accepting, closes every
// connection and waits for every goroutine the proxy started.
//
// What it does not do: it knows nothing of the MySQL protocol (CutAfter counts raw
// bytes, handshake included); it only limits the server-to-client direction; it does
// not delay, reorder or corrupt data; it does not half-close (when either side of a
// connection ends, the proxy closes both); it listens on IPv4 loopback only; it logs
// nothing. A connection whose target cannot be dialled is closed and recorded in
// Stats.
//
// Concurrency: every method of Proxy is safe for concurrent use. A fault applies to the
// data the proxy forwards after the call has returned; bytes already handed to the
// client's socket are not taken back. After Close, Refuse, CutAll, CutAfter and Heal
// have no effect, and Stats and Addr still answer. Each connection is served by two
// goroutines (one per direction) owned by the proxy and ended by closing the
// connection's sockets; one more goroutine accepts, ended by closing the listener.
package faultproxy
