package tars

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/TarsCloud/TarsGo/tars/util/current"

	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
)

// enterpriseRet is what the open-source registry answers to enterprise methods.
const enterpriseRet = -1

// Source gives the snapshot to answer from and its age; *cache.Cache is one.
type Source interface {
	Snapshot() *snapshot.Snapshot
	// LastSync is when the data was last read from the database (zero: never).
	LastSync() time.Time
}

// HandlerOptions configure a Handler. The zero value answers stale data forever.
type HandlerOptions struct {
	// MaxStale bounds the age of the data answered: once the last successful sync
	// is older, every lookup fails with ErrStale, so that clients keep the list
	// they have. Zero means no bound. Data that was never synced (a new or
	// imported file) is answered whatever its age.
	MaxStale time.Duration
	// Now is the clock MaxStale is measured with; nil means time.Now.
	Now func() time.Time
}

// Handler implements QueryF over a Source. Replies share the snapshot's slices,
// which is safe because neither the snapshot nor the reply encoder modifies them.
type Handler struct {
	src  Source
	opts HandlerOptions
}

var _ queryf.QueryFServantWithContext = (*Handler)(nil)

// NewHandler returns a Handler answering from src.
func NewHandler(src Source, opts HandlerOptions) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Handler{src: src, opts: opts}
}

// fresh fails with ErrStale when the data is older than MaxStale.
func (h *Handler) fresh() error {
	if h.opts.MaxStale <= 0 {
		return nil
	}
	last := h.src.LastSync()
	if age := h.opts.Now().Sub(last); !last.IsZero() && age > h.opts.MaxStale {
		return fmt.Errorf("%w: last sync from the database %s ago (--max-stale %s)", ErrStale, age.Round(time.Second), h.opts.MaxStale)
	}
	return nil
}

// retFailed is the ret of SameStation for an unknown station and of SameSet for a
// malformed setId or a set with nothing in the asked area and group.
const retFailed = -1

// entryOf returns the entry of id in snap (an empty entry when unknown).
func entryOf(snap *snapshot.Snapshot, id string) *snapshot.Entry {
	if e, ok := snap.Lookup(id); ok {
		return e
	}
	return &snapshot.Entry{}
}

// The list methods, as answer names them; notList marks QueryF's other methods.
type listMethod int

const (
	notList listMethod = iota
	methodAny
	methodSameGroup
	methodSameStation
	methodSameSet
)

// methods are QueryF's methods by wire name, each with the list it answers
// (notList for the others): the dispatcher answers anything else with
// TARSSERVERNOFUNCERR, as the official registry does, and the fast path takes the
// list methods.
var methods = map[string]listMethod{
	"findObjectById": methodAny, "findObjectById4Any": methodAny, "findObjectById4All": methodSameGroup,
	"findObjectByIdInSameGroup": methodSameGroup, "findObjectByIdInSameStation": methodSameStation,
	"findObjectByIdInSameSet": methodSameSet,
	"findObjectNodeName":      notList, "registerChange": notList, "registerQuery": notList, "getLocker": notList,
	"findSubsetConfigById": notList,
}

// knownMethod reports whether name is one of QueryF's methods.
func knownMethod(name string) bool {
	_, ok := methods[name]
	return ok
}

// answer is the return code and the lists of a list method for servant id, with
// arg the station or set id and who the caller for the group walk (callerOf). It
// fails only with ErrStale.
func (h *Handler) answer(m listMethod, id, arg, who string) (int32, snapshot.Lists, error) {
	if err := h.fresh(); err != nil {
		return 0, snapshot.Lists{}, err
	}
	ret, l := decide(h.src.Snapshot(), m, id, arg, who)
	return ret, l, nil
}

// decide is the answer of a list method from snap: the return code and the lists.
// Explain calls it too, so that an explanation describes the answer QueryF gives.
func decide(snap *snapshot.Snapshot, m listMethod, id, arg, who string) (int32, snapshot.Lists) {
	e := entryOf(snap, id)
	switch m {
	case methodSameGroup:
		return 0, e.InGroup(snap.GroupOf(who))
	case methodSameStation:
		return inStation(snap, e, arg)
	case methodSameSet:
		return inSet(snap, e, arg, who)
	}
	return 0, e.AllLists()
}

// inStation returns the endpoints whose grouprealid is in the first priority row
// of station: ret -1 when no row names the station, else ret 0 (possibly with
// empty lists).
func inStation(snap *snapshot.Snapshot, e *snapshot.Entry, station string) (int32, snapshot.Lists) {
	if !snap.HasStation(station) {
		return retFailed, snapshot.Lists{}
	}
	return 0, e.InStation(station)
}

// inSet returns the endpoints of the set setID ("name.area.group", group "*" for
// the whole area), else of the area's wildcard group. ret -1 for a malformed setId
// or when the servant has the set name but nothing in that area and group. When
// the servant has no endpoint in a set of that name, it answers as the group walk.
func inSet(snap *snapshot.Snapshot, e *snapshot.Entry, setID, who string) (int32, snapshot.Lists) {
	name, area, group, ok := splitSetID(setID)
	if !ok {
		return retFailed, snapshot.Lists{}
	}
	l, match := e.InSet(name, area, group)
	switch match {
	case snapshot.SetUnknown:
		return 0, e.InGroup(snap.GroupOf(who))
	case snapshot.SetEmpty:
		return retFailed, snapshot.Lists{}
	}
	return 0, l
}

// setLists sets the out arguments of a list method.
func setLists(ret int32, l snapshot.Lists, err error, active, inactive *[]endpointf.EndpointF) (int32, error) {
	*active, *inactive = l.Active, l.Inactive
	return ret, err
}

// FindObjectById returns the active endpoints of id (none for an unknown id).
func (h *Handler) FindObjectById(_ context.Context, id string) ([]endpointf.EndpointF, error) {
	_, l, err := h.answer(methodAny, id, "", "")
	return l.Active, err
}

// FindObjectById4Any returns all active and all inactive endpoints of id, ret 0.
func (h *Handler) FindObjectById4Any(_ context.Context, id string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	ret, l, err := h.answer(methodAny, id, "", "")
	return setLists(ret, l, err, active, inactive)
}

// FindObjectById4All is findObjectByIdInSameGroup under its misleading official name.
func (h *Handler) FindObjectById4All(ctx context.Context, id string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	return h.FindObjectByIdInSameGroup(ctx, id, active, inactive)
}

// FindObjectByIdInSameGroup answers with the registry's group-priority walk for
// the caller's IDC group: the caller's own group, then its priority rows, then the
// endpoints without a group, then everything. A caller in no group gets
// everything. Always ret 0.
func (h *Handler) FindObjectByIdInSameGroup(ctx context.Context, id string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	ret, l, err := h.answer(methodSameGroup, id, "", caller(ctx))
	return setLists(ret, l, err, active, inactive)
}

// FindObjectByIdInSameStation returns the endpoints whose grouprealid is in the
// first priority row of station: ret -1 when no row names the station, else ret 0
// (possibly with empty lists).
func (h *Handler) FindObjectByIdInSameStation(_ context.Context, id, station string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	ret, l, err := h.answer(methodSameStation, id, station, "")
	return setLists(ret, l, err, active, inactive)
}

// FindObjectByIdInSameSet returns the endpoints of the set setId ("name.area.group",
// group "*" for the whole area), else of the area's wildcard group. ret -1 for a
// malformed setId or when the servant has the set name but nothing in that area
// and group. When the servant has no endpoint in a set of that name, it answers
// as FindObjectByIdInSameGroup does.
func (h *Handler) FindObjectByIdInSameSet(ctx context.Context, id, setID string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	ret, l, err := h.answer(methodSameSet, id, setID, caller(ctx))
	return setLists(ret, l, err, active, inactive)
}

// caller is the registry's idea of who asks (TarsCpp's Current::getHostName): the
// request context's node_name when set, else the peer's IP address.
func caller(ctx context.Context) string {
	if rc, ok := current.GetRequestContext(ctx); ok && rc["node_name"] != "" {
		return rc["node_name"]
	}
	ip, _ := current.GetClientIPFromContext(ctx)
	return ip
}

// callerOf is caller from a request's context map and the peer's address.
func callerOf(requestContext map[string]string, ip string) string {
	if name := requestContext["node_name"]; name != "" {
		return name
	}
	return ip
}

// splitSetID checks a setId as the registry does: split at dots with empty parts
// dropped, it must leave exactly a name, an area and a group, and neither the
// name nor the area may be "*". So "a..b.c" reads as "a.b.c". It does not allocate.
func splitSetID(setID string) (name, area, group string, ok bool) {
	var parts [3]string
	n := 0
	for rest := setID; rest != ""; {
		tok, after, _ := strings.Cut(rest, ".")
		rest = after
		if tok == "" {
			continue
		}
		if n == len(parts) {
			return "", "", "", false
		}
		parts[n] = tok
		n++
	}
	if n != len(parts) || parts[0] == "*" || parts[1] == "*" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// FindSubsetConfigById returns ret 0 and the subset rule in force for id, validated
// and in canonical form, or enable=false when id has none. It is a map read.
func (h *Handler) FindSubsetConfigById(_ context.Context, id string, conf *endpointf.SubsetConf) (int32, error) {
	if err := h.fresh(); err != nil {
		return 0, err
	}
	*conf = h.src.Snapshot().SubsetConf(id)
	return 0, nil
}

// FindObjectNodeName is an enterprise method: -1, as the open-source registry answers.
func (h *Handler) FindObjectNodeName(context.Context, string, *[]string) (int32, error) {
	return enterpriseRet, nil
}

// RegisterChange is an enterprise method: -1, as the open-source registry answers.
func (h *Handler) RegisterChange(context.Context, map[string]string, string) (int32, error) {
	return enterpriseRet, nil
}

// RegisterQuery is an enterprise method: -1, as the open-source registry answers.
func (h *Handler) RegisterQuery(context.Context, string, string) (int32, error) {
	return enterpriseRet, nil
}

// GetLocker is an enterprise method: -1, as the open-source registry answers.
func (h *Handler) GetLocker(context.Context, *queryf.GetMasterSlaveLock) (int32, error) {
	return enterpriseRet, nil
}
