// Package doctor checks a Tars registry for the mistakes that make service discovery
// answer what nobody meant: one host:port claimed by two servers, group rules that
// can never match, set names clients cannot ask for, servants with no active
// endpoint, endpoints that do not parse, adapters without a server, the registry's
// own rows missing or not heartbeating, subset rules rejected, and the clock of the
// database against this host's.
//
// # What it does
//
// Database reads db_tars through the same fetch and build code as package sync (so a
// finding describes exactly the rows tarscache and the official registry load) and
// adds the checks only the database can answer (clocks, heartbeats, orphaned
// adapters). Snapshot checks what a cache file can show: the records, the IDC
// groups and the subset rules it holds. Both return a Report: a list of Finding,
// each with its severity, the rows involved, what the official registry does with
// them and how to fix them. Report.WriteText and Report.WriteJSON print it.
//
// # What it does not do
//
// It changes nothing: every query is a SELECT, run in one read-only transaction
// (besides the clock probe). It does not decide what a client gets (package tars
// does); it reports the rows that decide it.
//
// # Severities
//
// SeverityError marks data that makes clients reach the wrong process or lose a
// server they were meant to reach (a host:port claimed twice, an endpoint that does
// not parse, no registry to find, a subset rule refused); tarscache doctor exits 1
// when there is one. SeverityWarning marks configuration that does not do what it
// seems to. SeverityInfo marks facts worth knowing.
//
// # Concurrency
//
// The functions keep no state; they are safe to call from any goroutine.
package doctor
