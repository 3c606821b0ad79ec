package tars

import (
	"context"
	"fmt"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/protocol/queryf"
)

// enterpriseRet is what the open-source registry answers to enterprise methods.
const enterpriseRet = -1

// Source gives the snapshot to answer from; *cache.Cache is one.
type Source interface {
	Snapshot() *cache.Snapshot
}

// Handler implements QueryF over a Source. Replies share the snapshot's slices,
// which is safe because neither the snapshot nor the reply encoder modifies them.
type Handler struct {
	src Source
}

var _ queryf.QueryFServantWithContext = (*Handler)(nil)

// NewHandler returns a Handler answering from src.
func NewHandler(src Source) *Handler { return &Handler{src: src} }

func (h *Handler) lookup(id string) *cache.Entry {
	e, ok := h.src.Snapshot().Lookup(id)
	if !ok {
		return &cache.Entry{}
	}
	return e
}

// FindObjectById returns the active endpoints of id (none for an unknown id).
func (h *Handler) FindObjectById(_ context.Context, id string) ([]endpointf.EndpointF, error) {
	return h.lookup(id).Active, nil
}

// FindObjectById4Any returns all active and all inactive endpoints of id, ret 0.
func (h *Handler) FindObjectById4Any(_ context.Context, id string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	e := h.lookup(id)
	*active, *inactive = e.Active, e.Inactive
	return 0, nil
}

// FindObjectById4All is findObjectByIdInSameGroup under its misleading official name.
func (h *Handler) FindObjectById4All(ctx context.Context, id string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	return h.FindObjectByIdInSameGroup(ctx, id, active, inactive)
}

// FindObjectByIdInSameGroup answers as the official registry does while no IDC
// group rule exists, where every client is in no group: all active and all
// inactive endpoints, ret 0.
func (h *Handler) FindObjectByIdInSameGroup(ctx context.Context, id string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	return h.FindObjectById4Any(ctx, id, active, inactive)
}

// FindObjectByIdInSameStation is not implemented yet and returns ErrNotImplemented.
func (h *Handler) FindObjectByIdInSameStation(_ context.Context, _, _ string, _, _ *[]endpointf.EndpointF) (int32, error) {
	return 0, fmt.Errorf("findObjectByIdInSameStation: %w", ErrNotImplemented)
}

// FindObjectByIdInSameSet is not implemented yet and returns ErrNotImplemented.
func (h *Handler) FindObjectByIdInSameSet(_ context.Context, _, _ string, _, _ *[]endpointf.EndpointF) (int32, error) {
	return 0, fmt.Errorf("findObjectByIdInSameSet: %w", ErrNotImplemented)
}

// FindSubsetConfigById returns ret 0 and enable=false: no subset rules exist yet.
func (h *Handler) FindSubsetConfigById(_ context.Context, _ string, conf *endpointf.SubsetConf) (int32, error) {
	*conf = endpointf.SubsetConf{}
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
