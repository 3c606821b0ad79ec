// Package snapshot is tarscache's read model: the immutable, in-memory view of
// every servant record, the IDC group configuration and the subset rules, with each
// QueryF answer built and Tars-encoded ahead of time.
//
// A Snapshot holds one Entry per servant (Servant: a Tars object name such as
// "Demo.HelloServer.HelloObj" with every endpoint the official registry's full load
// builds for it). NewEntry builds, once, everything a query can ask of the servant:
// every endpoint as EndpointF with its group ids, the result of the registry's
// group-priority walk for each group a client can be in (Entry.InGroup), each
// station's endpoints (Entry.InStation) and the set index (Entry.InSet). Each
// answer is encoded as the bytes a reply carries (Lists.Wire) on its first use
// and kept, so that an entry costs no encoding until asked for (loading a million
// endpoints encodes nothing) and a query is then a few map reads and no
// allocation. An entry whose only answer is All (no group rule, no station, no
// set endpoint: most registries) is built without the group walk, and its All
// lists themselves are built on their first use (Entry.AllLists, or
// Snapshot.Lookup, which the query path takes): loading or syncing a million
// endpoints then builds no EndpointF, and counting endpoints or bounding a reply
// reads the record instead. Index answers the group questions of one Groups value: which group
// an address is in (the registry's getGroupId, C string functions included) and
// which priority row a station names. RuleEntry is a subset rule with its
// findSubsetConfigById answer and the rule compiled (package subset).
//
// For people, explain.go replays what was built: WalkOf re-runs a servant's
// group-priority walk for one group with the builder's own steps and reports each,
// GroupRule names the allow_ip_rule entry that puts a client in its group,
// StationRow the row a station uses and SetGroupUsed the set group InSet answers
// from. They are never on the query path.
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
// long as you like. Two things are written after building, each once, by the
// first reader that needs it, and no reader ever sees either half built. An
// answer's wire encoding is built by the first Wire call and published with an
// atomic compare-and-swap: readers racing it keep the stored bytes (every reader
// of an answer gets the same slices). The All lists of an entry whose only answer
// is All are built by the first AllLists (or InGroup) call under the entry's
// sync.Once: readers racing it wait for it and get the same lists. Callers must not modify anything a Snapshot returns: maps and
// slices are shared by every reader. With, Rebuild and WithPinned return new
// snapshots and leave the receiver as it is; building one is the writer's job and
// is not itself synchronised (package cache serialises its writers).
package snapshot
