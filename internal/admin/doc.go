// Package admin is the admin HTTP API of "tarscache serve": a few JSON endpoints
// that let an operator check that the process is alive and inspect or accept a
// fetch the Syncer holds back (see package sync).
//
// NewHandler builds every route in one ServeMux:
//
//   - GET /healthz answers 200 "ok" while the process runs.
//   - GET /v1/held reports the held fetch, if any: when it was first held, why, and
//     what applying it would remove.
//   - POST /v1/held/accept accepts the held fetch (202): the next successful sync
//     applies whatever it removes. With nothing held it answers 409 and accepts
//     nothing, so that no acceptance is left armed for a later accident. The
//     acceptance is consumed by the next successful fetch, whatever it removes.
//
// Listen and Server run the handler on a TCP address, DefaultAddr (loopback) unless
// told otherwise. Errors the handlers write are JSON ({"error": "..."}); the mux's
// own 404 and 405 answers are plain text.
//
// What it does not do: it has no authentication yet, so it must stay on loopback;
// it rejects cross-origin browser requests that change state (CSRF) but not DNS
// rebinding, which the token authentication to come will cover. It exports no
// metrics yet, and it never reads the cache or MySQL itself: everything it reports
// comes from the dependencies in Options.
//
// Concurrency: the handler is safe for concurrent use and keeps no state of its
// own; Options.Held must be safe to call from any goroutine (*sync.Syncer is). A
// Server's Serve blocks in the caller's goroutine until Close, which may be called
// from any goroutine, any number of times. The connection goroutines belong to the
// underlying http.Server; Close ends them, forcibly after a
// few seconds.
package admin
