// Package sync reads the Tars registry database (db_tars) and turns its rows into
// the servant records of package cache, exactly as the official registry's full
// load does.
//
// A full fetch runs its queries inside one read-only, repeatable-read transaction,
// so that all see the same database state: t_adapter_conf RIGHT JOIN t_server_conf
// (every deployed server with its adapters), t_registry_info (the registry's own
// heartbeat rows), t_server_group_rule and t_group_priority (IDC groups). Build applies the official per-row rules: the Tars endpoint
// grammar (ParseEndpoint), backup servers (bak_flag=1) never reach clients, the
// active rule (setting_state, present_state and flow_state), node names, set
// columns. Rows whose endpoint does not parse are dropped, counted and reported
// once per distinct row. BuildGroups reads the group tables as the registry does
// (C's atoi and strtoul included) and warns, once while it stands, about each rule
// part that cannot match the way it reads (CIDR blocks, other wildcards, blanks).
//
// A Syncer owns the loop: it syncs once at start, then every interval. Each fetch
// is one read-only repeatable-read transaction that starts with a probe: MySQL's
// clock (NOW) and a fingerprint (row count and largest id) of t_server_conf or
// t_adapter_conf, one in turn (counting is most of an idle fetch's cost; a full
// fetch counts both), so a deletion is noticed within two intervals. The first fetch reads every table. Later ones are incremental: they
// re-read whole the servers (application, server_name) with a row whose
// registry_timestamp is at or after the previous applied fetch's clock less
// Options.Overlap, and every other server's rows for the servants those name, so
// that each servant is rebuilt whole; t_registry_info and the group tables are read
// whole every time. The local clock is never compared with the database's. A
// moved fingerprint (deletions leave no timestamp), too many changed servers,
// Options.FullInterval, or a held previous fetch make the fetch read every table.
// Incremental or not, applying a fetch gives the records a full read would give.
//
// Subset routing uses tarscache's own tables, when the database has them (a query
// on a missing one fails with ER_NO_SUCH_TABLE, which reads as "none", and the
// appearance of t_server_subset moves the fingerprint, so that the next fetch
// reads every table): t_server_subset labels each server node, and the full-load join carries
// the label into every endpoint of the node (cache.Endpoint.Subset); its rows move
// the changed servers like registry_timestamp does, and its fingerprint (row count
// and the sum of the CRC32 of its keys) catches deletions. t_subset_rule is read
// whole on every fetch, like the group tables; BuildRules validates each row with
// package subset (each rule version parsed once, by a subset.Compiler) and a
// rejected row never replaces the rule in force (cache.State.KeepInForce), it is
// logged once and counted.
//
// Each successful fetch is applied to the cache (unless it would take away more
// than the protection threshold of the servants or active endpoints, or every
// servant: such a fetch is held, logged and applied only after AcceptHeld or
// AcceptIfHeld). On failure the cache stays as it is, the lower bound of the next
// incremental fetch stays at the last applied one, and the Syncer retries with
// exponential backoff, logging the loss and the recovery of the database once
// each. Held, AcceptHeld and AcceptIfHeld are safe from any goroutine. With
// Options.Registerer a Syncer exports tarscache_sync_* metrics: each sync's
// duration by result (applied, held, failed), full reads by reason, consecutive
// failures, whether a fetch is held, rows dropped by reason, records written and
// deleted.
//
// # Several sources
//
// NewFromSources gives a Syncer several databases (Source), the preferred first
// (New gives it one). Each sync tries them in order and applies the first that
// answers: the source in use always, the others unless they failed recently (a
// failed source is asked again after 0.5 s, doubling to 4 s, so the preferred one
// is taken back within seconds of answering). Reading another source than the one
// in use reads every table (FullSwitch), so that what is served is one source's
// whole state, never a mix; each switch is logged once with its reason. After a
// sync, the sources after the one in use are probed for their position every 4 s.
// While every source fails, the loop's backoff stops at 4 s.
//
// With two sources or more, a fetch first reads the source's replication position
// in its transaction, before any table (MariaDB's @@gtid_current_pos, or MySQL's
// @@gtid_executed when gtid_mode is ON), and compares it with the position of the
// data served, kept in memory: a source that lacks a transaction the served data
// holds is behind (ErrBehind): its state is not applied, it is reported and
// logged, and the data served stays. Positions that cannot be compared (none
// exposed, different flavors, none known yet after a start) compare as not
// behind: then the order of the sources decides. Sources reports where the data
// served comes from (Options.InitialSource until the first sync: the cache file,
// or the peer it was fetched from), since when, and each source's state; the
// tarscache_sync_source_* metrics say the same.
//
// What it does not do: it never serves queries (package tars does), never writes
// to MySQL (except Migrate, run once by "tarscache db migrate", which creates
// tarscache's own tables t_subset_rule and t_server_subset when they are absent and
// never alters or drops a table), and does not compute per-endpoint group ids (package cache does, when it
// builds a snapshot, so that a group change rewrites no record).
//
// Concurrency: Build, BuildGroups and ParseEndpoint are pure functions; Sources
// is safe from any goroutine; BuildRules
// only shares its Compiler, which is safe for concurrent use. A Syncer's Run and
// SyncOnce must not run concurrently with each other; the Syncer's loop is owned
// by the caller of Run and ends when its context is cancelled.
package sync
