// Package sync reads the Tars registry database (db_tars) and turns its rows into
// the servant records of package cache/snapshot, exactly as the official registry's
// full load does, then applies them to a cache.
//
// # Reading
//
// A full fetch runs its queries inside one read-only, repeatable-read transaction,
// so that all see one database state: t_adapter_conf RIGHT JOIN t_server_conf
// (every deployed server with its adapters), t_registry_info (the registry's own
// heartbeat rows), t_server_group_rule and t_group_priority (IDC groups), and
// tarscache's own t_subset_rule and t_server_subset when the database has them (a
// missing one reads as empty; "tarscache db migrate" creates them). A full fetch
// reads the join as three plain scans joined in memory (scanjoin.go), keys
// compared as the columns' collation compares them, and falls back to MySQL's
// join under a collation or a key it cannot compare that way. Each scan's rows
// are read by a goroutine of its own, batches ahead of the join (readahead.go),
// which owns it and waits for it before the scan returns; the join hands its
// rows in batches to another goroutine that builds them into records
// (buildahead.go), waited for before the read returns. A panic on either is
// raised again on the goroutine that runs the fetch.
//
// # Building records
//
// Build applies the official per-row rules: the Tars endpoint grammar
// (package internal/endpoint), backup servers (bak_flag=1) never reach clients, the active rule
// (setting_state, present_state and flow_state), node names, set columns. Rows whose
// endpoint does not parse are dropped, counted and reported once per distinct row.
// BuildGroups reads the group tables as the registry does (C's atoi and strtoul
// included) and warns, once while it stands, about each rule part that cannot match
// the way it reads (CIDR blocks, other wildcards, blanks). t_server_subset labels
// each server node, and the full-load join carries the label into every endpoint of
// the node. BuildRules validates each t_subset_rule row with package subset (each
// rule version parsed once, by a subset.Compiler).
//
// # The sync loop
//
// A Syncer syncs once at start, then every interval. Each fetch starts with a probe:
// the deletion gate (gate.go: the server's Handler_delete counter and start time,
// each large table's UPDATE_TIME on MariaDB and largest id, all O(1)), MySQL's clock
// (NOW) and, for each of t_server_conf and t_adapter_conf whose gate is open, a
// fingerprint (row count and largest id; one in turn when both are open; a full
// fetch's scans, which read every row anyway, take both as they go), so a
// deletion is noticed within two intervals and an idle fetch costs MySQL the
// same at any fleet size. The first fetch reads every table. A full
// fetch builds the join's rows into records as they arrive (stream.go) rather than
// holding them, and hands back the stored record of each servant whose endpoints
// did not change, which the cache keeps without encoding it. Later ones are incremental: they re-read whole the
// servers with a row whose registry_timestamp is at or after the previous applied
// fetch's clock less Options.Overlap, and every other server's rows for the servants
// those name, so that each servant is rebuilt whole; t_registry_info, the group
// tables and t_subset_rule are read whole every time. The local clock is never
// compared with the database's. A moved fingerprint (deletions leave no timestamp),
// too many changed servers, Options.FullInterval, or a held previous fetch make the
// fetch read every table. Incremental or not, applying a fetch gives the records a
// full read would give.
//
// # Policy
//
// Two decisions about a fetch are this package's, and made only here:
//
//   - Mass-removal protection (protect.go, impact.go): a fetch that would take away
//     more than the threshold of the servants or of the active endpoints, or every
//     servant, is held, logged and applied only after AcceptHeld or AcceptIfHeld.
//   - A rejected subset rule never replaces the rule in force (keepInForce in
//     subset.go): the rejected row is kept next to the rule in force before it,
//     logged once and counted; a rejected row that says N still turns routing off.
//
// On failure the cache stays as it is, the lower bound of the next incremental
// fetch stays at the last applied one, and the Syncer retries with exponential
// backoff, logging the loss and the recovery of the database once each. With
// Options.Registerer a Syncer exports tarscache_sync_* metrics (metrics.go).
//
// # Several sources
//
// NewFromSources gives a Syncer several databases (Source, sources.go), the
// preferred first (New gives it one). Each sync tries them in order and applies
// the first that answers: the source in use always, the others unless they failed
// recently (a failed source is asked again after 0.5 s, doubling to 4 s, so the
// preferred one is taken back within seconds of answering). Reading another source
// than the one in use reads every table (FullSwitch), so that what is served is one
// source's whole state, never a mix; each switch is logged once with its reason.
// After a sync, the sources after the one in use are probed for their position
// every 4 s. While every source fails, the loop's backoff stops at 4 s.
//
// With two sources or more, a fetch first reads the source's replication position
// in its transaction, before any table (position.go: MariaDB's @@gtid_current_pos,
// or MySQL's @@gtid_executed when gtid_mode is ON), and compares it with the
// position of the data served, kept in memory: a source that lacks a transaction
// the served data holds is behind (ErrBehind): its state is not applied, it is
// reported and logged, and the data served stays. Positions that cannot be
// compared (none exposed, different flavors, none known yet after a start) compare
// as not behind: then the order of the sources decides. Sources reports where the
// data served comes from (Options.InitialSource until the first sync: the cache
// file, or the peer it was fetched from), since when, and each source's state; the
// tarscache_sync_source_* metrics say the same.
//
// # What it does not do
//
// It never serves queries (package tars does) and never writes to MySQL, except
// Migrate, run once by "tarscache db migrate", which creates tarscache's own tables
// when they are absent and never alters or drops a table. It does not compute
// per-endpoint group ids or answers (package cache/snapshot does, when it builds a
// snapshot, so that a group change rewrites no record), and does not store records
// (package cache does).
//
// # Concurrency
//
// Build and BuildGroups are pure functions; BuildRules only shares
// its Compiler, which is safe for concurrent use. A Syncer's Run and SyncOnce must
// not run concurrently with each other; the loop is owned by the caller of Run and
// ends when its context is cancelled. Held, AcceptHeld, AcceptIfHeld, Sources and
// Recent (the last 20 syncs, for the status page) are safe from any goroutine.
package sync
