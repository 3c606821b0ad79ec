package cache_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
)

// The source a sync names is stored with its data and survives a restart; an
// Apply that names none (an import) leaves it; naming the stored one again
// writes nothing.
func TestCache_source(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tarscache.db")
	c, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	require.Equal(t, cache.Source{}, c.Source(), "a new file names no source")
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	replica := cache.Source{Name: "tars:xxxxx@tcp(10.0.1.21:3306)/db_tars", Since: at}
	_, err = c.Apply(cache.State{FetchedAt: at, Source: &replica})
	require.NoError(t, err)
	require.Equal(t, replica.Name, c.Source().Name)
	tx, err := c.TxID()
	require.NoError(t, err)
	_, err = c.Apply(cache.State{FetchedAt: at.Add(time.Second), Source: &replica})
	require.NoError(t, err)
	again, err := c.TxID()
	require.NoError(t, err)
	require.Equal(t, tx, again, "the same source again writes nothing")
	_, err = c.Apply(cache.State{})
	require.NoError(t, err)
	require.NoError(t, c.Close())

	c, err = cache.Open(path, cache.Options{ReadOnly: true})
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, replica.Name, c.Source().Name)
	require.True(t, replica.Since.Equal(c.Source().Since))
}
