package main

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/sync"
	"github.com/tarscache/tarscache/tars"
)

// Every series serve exports passes Prometheus's own linter (names, units, help),
// and tarscache's own are named tarscache_<what> in snake case.
func TestMetricNaming(t *testing.T) {
	c := cachetest.Open(t, "")
	reg := newRegistry(c)
	srv, err := tars.Listen("127.0.0.1:0", tars.NewHandler(c, tars.HandlerOptions{}), tars.Options{Registerer: reg})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	sync.New(nil, c, sync.Options{Registerer: reg})

	families, err := reg.Gather()
	require.NoError(t, err)
	problems, err := promlint.NewWithMetricFamilies(families).Lint()
	require.NoError(t, err)
	require.Empty(t, problems)
	ours := 0
	for _, mf := range families {
		name := mf.GetName()
		if strings.HasPrefix(name, "tarscache") {
			ours++
			require.Regexp(t, `^tarscache_[a-z][a-z0-9_]*[a-z]$`, name)
		}
	}
	require.NotZero(t, ours)
}
