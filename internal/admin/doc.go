// Package admin is the admin HTTP API of "tarscache serve": a few endpoints that
// let an operator check that the process is alive and serving, read the records
// it serves, take a backup of its cache file, and inspect or accept a fetch the
// Syncer holds back (see package sync).
//
// NewHandler builds every route in one ServeMux. Bodies are JSON unless noted;
// times are RFC 3339 with nanoseconds, in UTC, and null when unknown:
//
//   - GET /healthz answers 200 "ok" (plain text) while the process runs.
//   - GET /readyz answers 200 once records are servable, that is once the snapshot
//     holds at least one servant or a sync has completed (an empty registry is a
//     valid state): {"ready":true,"servants":N,"last_sync":T,"stale_for_seconds":S},
//     S being how long ago (by Options.Now) the last successful sync started, or
//     null with last_sync when the file was never synced (a new or imported one).
//     Otherwise it answers 503 {"ready":false,"reason":"..."}; so it does once
//     the last sync is older than Options.MaxStale (serve --max-stale), when
//     QueryF refuses lookups as too stale. Ready means "serving loaded records",
//     not "MySQL is reachable": a server restarted during a database outage is
//     ready at once from its file, and stale_for_seconds says how old that file is.
//     A "file" object reports the cache file under the server:
//     {"ok":true,"changes":0,"rewrites":0}, or, while it was found truncated,
//     overwritten, replaced or deleted and not yet rewritten from memory,
//     {"ok":false,"problem":"...","since":T,...}; records are served from memory
//     meanwhile, so the answer stays 200. With Options.Sources the answer adds
//     "source":{"name":N,"since":T,"position":P}: where the records come from (a
//     DSN with its password hidden, "cache file PATH" or "peer URL" before the
//     first sync), since when, and the GTID position of the data when known.
//   - GET /v1/sources (with Options.Sources; 503 without) answers
//     {"in_use":{"name","since","position"},"sources":[{"name","state","since",
//     "position","error"}]}, each source preferred first, its state one of
//     in_use, standby, unreachable, behind or untried (see package sync).
//   - GET /v1/servants lists the stored servants in id order, only those whose id
//     starts with the optional ?prefix=:
//     {"servants":[{"id":...,"version":"8 hex digits","active":N,"inactive":N}],
//     "last_sync":T}. The version is the record's CRC32, as tarscache dump shows it.
//   - GET /v1/servants/{id} answers the record QueryF answers for the id (an exact,
//     case-sensitive match; a "/" in an id is sent as %2F): {"id","version",
//     "endpoints":[{"active","istcp","host","port","timeout","weight",
//     "weightType","authType","bakFlag","nodeName","enableGroup","ipGroupName",
//     "enableSet","setName","setArea","setGroup","subset","origin"}]}, every field
//     always present and named as in the records document below, istcp being 0
//     udp, 1 tcp, 2 ssl. An
//     unknown id answers 404 {"error":"unknown servant \"ID\""}. Both servant
//     routes add "override":true to a record the cache answers in place of the
//     stored one (serve --advertise); an override whose id is not stored is
//     answered by /v1/servants/{id} but not listed.
//   - GET /v1/records answers the records served, as the tarscache-records/1
//     document that "tarscache dump --format json" and "tarscache export" write
//     and "tarscache import" reads (docs/format.md): the whole cache with the IDC
//     groups, or with ?prefix= only the servants whose id starts with it. The
//     header X-Tarscache-Last-Sync (LastSyncHeader) carries the time of the last
//     successful sync, absent when there was none; with Options.Sources,
//     X-Tarscache-Source and X-Tarscache-Source-Since (SourceHeader,
//     SourceSinceHeader) say where the data comes from and since when. "tarscache
//     dump --admin" reads them. The document is streamed one record at a time.
//   - GET /v1/backup streams a consistent copy of the whole cache file, taken in
//     one read transaction while syncs go on, as application/octet-stream with
//     Content-Disposition: attachment; filename="tarscache-20060102T150405Z.db"
//     (the time, UTC, of the request). The size is not known in advance, so the
//     body is chunked: if the copy fails before any byte is sent the answer is 500
//     {"error":...}; if it fails later the failure is logged at Error and the
//     connection aborted, so the client gets a truncated transfer. Fetch it with
//     curl -f (curl -fsS -o backup.db http://127.0.0.1:17891/v1/backup fails on
//     both) and verify the result with "tarscache check --data backup.db" before
//     relying on it. The copy is first written to an unlinked temporary file
//     next to the cache file, so a slow client never holds up a sync. While the
//     cache file was changed under the server (cache.ErrFileChanged) the answer
//     is 503 with the reason and Retry-After.
//   - /v1/backup and /v1/records run at most MaxBackups and MaxRecordDumps at
//     once (more get 503 with Retry-After: 5), and a client has 10 s plus the
//     time the bytes take at 64 KiB/s to read one; a slower one is cut off.
//   - GET /metrics (only with Options.Gatherer) answers the Gatherer's metrics in
//     the Prometheus text format. serve registers the sync loop's
//     (tarscache_sync_*), the QueryF server's (tarscache_queryf_*), the Go
//     runtime's and the process's, and NewStoreCollector's: the servants and
//     endpoints being served and the age of the last successful sync, computed
//     from the snapshot at each scrape.
//   - GET /v1/held reports the held fetch, if any: when it was first held, why, and
//     what applying it would remove.
//   - POST /v1/held/accept accepts the held fetch (202): the next successful sync
//     applies whatever it removes. With nothing held it answers 409 and accepts
//     nothing, so that no acceptance is left armed for a later accident. The
//     acceptance is consumed by the next successful fetch, whatever it removes.
//
// GET routes answer HEAD too (/v1/backup then sends its headers only, without
// copying). Without Options.Store, /readyz answers 503 {"ready":false,...} and
// /v1/servants, /v1/servants/{id} and /v1/backup answer 503 {"error":...}.
//
// Listen and Server run the handler on a TCP address, DefaultAddr (loopback) unless
// told otherwise, with at most MaxConns connections open (one more is closed at
// accept, so idle clients cannot take the process's file descriptors). Errors the handlers write are JSON ({"error": "..."}); the mux's
// own 404 and 405 answers are plain text.
//
// # Access
//
// With Options.Token set (serve --admin-token-file), every route but /healthz and
// /readyz wants "Authorization: Bearer TOKEN" and answers 401 otherwise, the
// comparison taking the same time whatever the token; serve refuses to bind the API
// beyond loopback without a token. Cross-origin browser requests that change state
// are refused (CSRF).
//
// # What it does not do
//
// It changes no record, and never reads bbolt or MySQL itself (it links neither):
// everything it reports comes from the dependencies in Options (the snapshot and
// WriteTo of Options.Store, the held change of Options.Held).
//
// # Concurrency
//
// The handler is safe for concurrent use and keeps no state of its own; Options.Held,
// Options.Store and Options.Sources must be safe to call from any goroutine
// (*cache.Cache is; serve adapts its *sync.Syncer). A Server's Serve blocks in the caller's goroutine until
// Close, which may be called from any goroutine, any number of
// times. The connection goroutines belong to the underlying http.Server; Close
// ends them, forcibly after a few seconds (a backup in flight is cut off).
package admin
