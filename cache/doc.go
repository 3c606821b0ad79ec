// Package cache keeps tarscache's servant records in a bbolt file and serves them from
// memory.
//
// A record is one servant (a Tars object name such as "Demo.HelloServer.HelloObj") with
// every endpoint the official registry's full load builds for it, active and inactive,
// plus the database columns later answers depend on (IDC group, set and subset fields)
// and the row each endpoint came from. Each record is stored under its servant id in
// the "servants" bucket as a canonical binary encoding whose CRC32 (Castagnoli) is the
// record's version. The IDC group configuration (Groups: t_server_group_rule and
// t_group_priority) is stored next to the records, so answers given offline are
// grouped as online. Subset rules (SubsetRule: the rule in force of a servant and the
// latest rejected row with its reason) are stored in their own bucket, versioned the
// same way, and each node's subset label is a field of its endpoints;
// docs/format.md specifies the layout.
//
// What it does:
//   - Apply takes a complete fetch of the registry (State), writes only the records whose
//     version changed, the groups when they changed, and deletes the servants that are
//     gone, all in one write transaction; a fetch identical to the stored state opens no
//     write transaction at all.
//   - After each commit it swaps in a new immutable Snapshot, so queries never touch
//     bbolt. Open loads every stored record into a Snapshot before returning, so a
//     restarted process serves at once, before any database contact.
//   - A Snapshot holds each servant's answers built ahead of time (Entry): every
//     endpoint as EndpointF with its group ids, the result of the registry's
//     group-priority walk for each group a client can be in, each station's
//     endpoints and the set index. A query is a few map reads and no allocation.
//   - Options.Override records answer in place of stored ones without being stored
//     (tarscache serve --advertise).
//   - Snapshot.SubsetConf answers findSubsetConfigById with one map read, and each
//     RuleEntry holds its rule compiled (package subset), ready to route.
//   - LastSync is the time of the last successful sync, kept in the file with every
//     change and at most every Options.LastSyncEvery while nothing changes.
//   - WriteTo takes a hot backup through an unlinked temporary copy, so a slow
//     reader never holds bbolt's read transaction.
//   - Apply and WriteTo first check that the file is still the one the Cache
//     wrote (identity, size, modification time, last commit, read through a file
//     descriptor, never the memory map): a file truncated, overwritten, replaced
//     or deleted under it is reported by FileStatus, backups fail with
//     ErrFileChanged, and the next Apply rewrites the file from the snapshot.
//
// What it does not do: it never talks to MySQL (package sync does), does not decide
// which answer a QueryF method gets or its return code (package tars does, from the
// caller's identity and arguments), and never hands out bbolt transactions or byte
// slices: values are decoded into owned structs before they leave a transaction.
//
// Concurrency: a *Cache is safe for concurrent use. Snapshot is lock-free and may be
// called from any number of goroutines while Apply runs; writers (Apply, Import) are
// serialised by the Cache. A Snapshot and everything reachable from it are immutable
// and may be kept and read for as long as the caller likes.
package cache
