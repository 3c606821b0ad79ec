package admin

import (
	"math"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// storeCollector reports what a Store serves, computed at each scrape from the
// snapshot being served, so it never disagrees with the answers.
type storeCollector struct {
	store     Store
	now       func() time.Time
	lastSync  *prometheus.Desc
	staleness *prometheus.Desc
	servants  *prometheus.Desc
	endpoints *prometheus.Desc
	// fileChanged, fileChanges and fileRewrites report FileStatus.
	fileChanged, fileChanges, fileRewrites *prometheus.Desc
}

// NewStoreCollector returns a collector of the records store serves
// (tarscache_servants, tarscache_endpoints) and of their age
// (tarscache_last_sync_timestamp_seconds, tarscache_staleness_seconds, +Inf for
// a cache never synced), measured with now (nil: time.Now).
func NewStoreCollector(store Store, now func() time.Time) prometheus.Collector {
	if now == nil {
		now = time.Now
	}
	return &storeCollector{store: store, now: now,
		lastSync: prometheus.NewDesc("tarscache_last_sync_timestamp_seconds",
			"Unix time of the last successful sync from the database; 0 when the cache was never synced.", nil, nil),
		staleness: prometheus.NewDesc("tarscache_staleness_seconds",
			"Seconds since the last successful sync from the database; +Inf when the cache was never synced.", nil, nil),
		servants:  prometheus.NewDesc("tarscache_servants", "Servants served.", nil, nil),
		endpoints: prometheus.NewDesc("tarscache_endpoints", "Endpoints served, by state: active or inactive.", []string{"state"}, nil),
		fileChanged: prometheus.NewDesc("tarscache_cache_file_changed",
			"1 while the cache file was found truncated, overwritten, replaced or deleted under the server and not yet rewritten from memory.", nil, nil),
		fileChanges: prometheus.NewDesc("tarscache_cache_file_changes_total",
			"Times the cache file was found changed under the server.", nil, nil),
		fileRewrites: prometheus.NewDesc("tarscache_cache_file_rewrites_total",
			"Times the cache file was rewritten from memory after such a change.", nil, nil),
	}
}

// Describe sends the descriptors of every metric the collector reports.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lastSync
	ch <- c.staleness
	ch <- c.servants
	ch <- c.endpoints
	ch <- c.fileChanged
	ch <- c.fileChanges
	ch <- c.fileRewrites
}

// Collect reports the store's current figures.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	last, stale := c.age()
	ch <- prometheus.MustNewConstMetric(c.lastSync, prometheus.GaugeValue, last)
	ch <- prometheus.MustNewConstMetric(c.staleness, prometheus.GaugeValue, stale)
	servants, active, inactive := c.count()
	ch <- prometheus.MustNewConstMetric(c.servants, prometheus.GaugeValue, float64(servants))
	ch <- prometheus.MustNewConstMetric(c.endpoints, prometheus.GaugeValue, float64(active), "active")
	ch <- prometheus.MustNewConstMetric(c.endpoints, prometheus.GaugeValue, float64(inactive), "inactive")
	fs := c.store.FileStatus()
	changed := 0.0
	if fs.Problem != "" {
		changed = 1
	}
	ch <- prometheus.MustNewConstMetric(c.fileChanged, prometheus.GaugeValue, changed)
	ch <- prometheus.MustNewConstMetric(c.fileChanges, prometheus.CounterValue, float64(fs.Changes))
	ch <- prometheus.MustNewConstMetric(c.fileRewrites, prometheus.CounterValue, float64(fs.Rewrites))
}

// age returns the last sync as a Unix time and the seconds since.
func (c *storeCollector) age() (last, stale float64) {
	t := c.store.LastSync()
	if t.IsZero() {
		return 0, math.Inf(1)
	}
	return float64(t.UnixNano()) / 1e9, c.now().Sub(t).Seconds()
}

// count returns the servants served and their active and inactive endpoints.
func (c *storeCollector) count() (servants, active, inactive int) {
	snap := c.store.Snapshot()
	for _, id := range snap.IDs() {
		e, _ := snap.Lookup(id)
		n := e.Servant.CountActive()
		active += n
		inactive += len(e.Servant.Endpoints) - n
	}
	return snap.Len(), active, inactive
}

// metricsHandler serves g in the Prometheus text format; errors of single
// collectors are reported in the answer rather than failing it.
func metricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
