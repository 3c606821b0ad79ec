// Package snapshot is tarscache's read model: the immutable, in-memory view of
// every servant record, the IDC group configuration and the subset rules, with each
// QueryF answer built and Tars-encoded ahead of time.
//
// A Snapshot holds one Entry per servant (Servant: a Tars object name such as
// "Demo.HelloServer.HelloObj" with every endpoint the official registry's full load
// builds for it). NewEntry builds, once, everything a query can ask of the servant:
// every endpoint as EndpointF with its group ids, the result of the registry's
// group-priority walk for each group a client can be in (Entry.InGroup), each
// station's endpoints (Entry.InStation) and the set index (Entry.InSet), each list
// encoded as the bytes a reply carries (Lists.Wire). A query is a few map reads and
// no allocation. Index answers the group questions of one Groups value: which group
// an address is in (the registry's getGroupId, C string functions included) and
// which priority row a station names. RuleEntry is a subset rule with its
// findSubsetConfigById answer and the rule compiled (package subset).
//
// WriteJSON and ReadJSON are the records document (tarscache-records/1,
// docs/format.md) that dump, export, import and the admin API exchange.
//
// # What it does not do
//
// It never reads or writes a file or a database: package cache builds snapshots
// from its bbolt file and from each sync's changes (New, With, Rebuild, WithPinned)
// and validates records against the file format first; the versions it carries are
// the CRC32 of cache's encoding. It does not decide which answer a QueryF method
// gets or its return code (package tars does, from the caller's identity and
// arguments). It links neither bbolt nor the MySQL driver, so that the query path
// and the admin API depend on the read model only.
//
// # Concurrency
//
// A Snapshot, and every Entry, Lists, Index and RuleEntry reachable from it, is
// immutable once built and safe for any number of concurrent readers; keep it for as
// long as you like. Callers must not modify anything a Snapshot returns: maps and
// slices are shared by every reader. With, Rebuild and WithPinned return new
// snapshots and leave the receiver as it is; building one is the writer's job and
// is not itself synchronised (package cache serialises its writers).
package snapshot
