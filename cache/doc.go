// Package cache keeps tarscache's servant records in a bbolt file and serves them
// from memory as immutable snapshots (package cache/snapshot).
//
// A record is one servant with every endpoint the official registry's full load
// builds for it, active and inactive, plus the database columns later answers
// depend on (IDC group, set and subset fields) and the row each endpoint came from.
// Each record is stored under its servant id in the "servants" bucket as a canonical
// binary encoding whose CRC32 (Castagnoli) is the record's version. The IDC group
// configuration is stored next to the records, so that answers given offline are
// grouped as online; subset rules (the rule in force of a servant and the latest
// rejected row with its reason) have their own bucket, versioned the same way.
// docs/format.md specifies the layout.
//
// # What it does
//
//   - Open checks the file (format mark, bbolt's page check for a file that will be
//     written, run alongside the load, every record's CRC32) and loads every record
//     into the first Snapshot before returning, so a restarted process serves at once, before any database
//     contact. A damaged file is refused (ErrCorrupt), never served. The records
//     are decoded and their entries built on Options.LoadWorkers goroutines
//     (load.go), merged in key order: the snapshot, and the record a damaged file
//     is refused for (the first bad one in key order), do not depend on the
//     number of workers. A record's strings share one copy of its stored value,
//     and each worker cuts those copies and the endpoint slices from blocks shared
//     by consecutive records (arena.go): a block lives while any of its records
//     does; answers are encoded for the wire on first use (package cache/snapshot). With
//     PauseGCWhileLoading on (the tarscache command sets it unless the operator
//     sets GOGC), the garbage collector is off while a file loads and its target
//     restored after: a load allocates little besides what it keeps (410 MiB for
//     397 MiB at a million endpoints), so the heap's peak stays below what the
//     process's own GOGC 50 would allow. On Linux the file is mapped with
//     MAP_POPULATE, read in one pass rather than one page fault at a time.
//   - Apply takes a fetch of the registry (State, complete or partial), validates it
//     against the file format, writes only the records whose version changed, the
//     groups and rules when they changed, deletes the servants that are gone, all in
//     one write transaction, then swaps in the next Snapshot. A fetch identical to
//     the stored state opens no write transaction at all. Plan is its dry run.
//   - Options.Override records answer in place of stored ones without being stored
//     (tarscache serve --advertise).
//   - LastSync is the time of the last successful sync, kept in the file with every
//     change and at most every Options.LastSyncEvery while nothing changes.
//   - Source is where the data came from (the database a sync read, with its
//     password hidden, and since when), kept in the file when State.Source
//     changes it.
//   - WriteTo takes a hot backup through an unlinked temporary copy, so a slow
//     reader never holds bbolt's read transaction.
//   - Apply and WriteTo first check that the file is still the one the Cache
//     wrote (identity, size, modification time, last commit, read through a file
//     descriptor, never the memory map): a file truncated, overwritten, replaced
//     or deleted under it is reported by FileStatus, backups fail with
//     ErrFileChanged, and the next Apply rewrites the file from the snapshot.
//   - Check and ReadJSON serve the CLI and the admin API.
//
// # What it does not do
//
// It never talks to MySQL (package sync does) and makes no policy decision about a
// fetch: whether a fetch removes too much (mass-removal protection) and what a
// rejected subset rule keeps in force are package sync's. It does not build answers
// (package cache/snapshot does) or decide which answer a QueryF method gets
// (package tars does). It never hands out bbolt transactions or byte slices: values
// are decoded into owned structs before they leave a transaction.
//
// # Concurrency
//
// A *Cache is safe for concurrent use. Snapshot is lock-free and may be called from
// any number of goroutines while Apply runs; writers (Apply) are serialised
// by the Cache. Open's load workers read bbolt's values only while its read
// transaction is open, copy what they keep, and are all stopped before Open
// returns (also when reading the file fails). PauseGCWhileLoading is
// process-wide, like the collector's target it changes: concurrent Opens keep the
// collector off until the last is done. A Snapshot and everything reachable from it are immutable and may be
// kept and read for as long as the caller likes. Close is idempotent; the last
// Snapshot stays readable after it.
package cache
