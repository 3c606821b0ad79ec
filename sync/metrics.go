package sync

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/tarscache/tarscache/cache"
)

// Sync results, the values of the "result" label of tarscache_sync_duration_seconds.
const (
	resultApplied = "applied"
	resultHeld    = "held"
	resultFailed  = "failed"
)

// fullLabels are the "reason" labels of tarscache_sync_full_total, by Full* reason.
var fullLabels = map[string]string{
	FullFirst: "first", FullDeleted: "deleted", FullPeriodic: "periodic", FullMany: "many", FullHeld: "held", FullSwitch: "switch",
}

// syncBuckets span an idle incremental tick (milliseconds) to a full read of a
// large registry that nears FetchTimeout.
var syncBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// metrics are a Syncer's Prometheus metrics. They exist whether or not they are
// registered, so the Syncer updates them without checking.
type metrics struct {
	duration *prometheus.HistogramVec
	full     *prometheus.CounterVec
	failures prometheus.Gauge
	// failed counts failed syncs by stage: read (the database) or write (the file).
	failed   *prometheus.CounterVec
	held     prometheus.Gauge
	dropped  *prometheus.CounterVec
	rejected prometheus.Gauge
	// rejectedRules counts the subset rules rejected now.
	rejectedRules prometheus.Gauge
	written       prometheus.Counter
	deleted       prometheus.Counter
	// oversized gauges the servants whose answer is larger than clients accept.
	oversized prometheus.Gauge
}

// newMetrics creates the metrics and registers them with reg, unless reg is nil.
func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		duration: f.NewHistogramVec(prometheus.HistogramOpts{Name: "tarscache_sync_duration_seconds",
			Help: "Time of one sync (fetch, build and apply), by result: applied, held or failed.", Buckets: syncBuckets}, []string{"result"}),
		full: f.NewCounterVec(prometheus.CounterOpts{Name: "tarscache_sync_full_total",
			Help: "Syncs that read every table, by reason: first, deleted, periodic, many, held or switch."}, []string{"reason"}),
		failed: f.NewCounterVec(prometheus.CounterOpts{Name: "tarscache_sync_failures_total",
			Help: "Failed syncs by stage: read (the database did not answer) or write (the cache file could not be written)."}, []string{"stage"}),
		failures: f.NewGauge(prometheus.GaugeOpts{Name: "tarscache_sync_consecutive_failures",
			Help: "Failed syncs in a row; 0 while the database answers."}),
		held: f.NewGauge(prometheus.GaugeOpts{Name: "tarscache_sync_held",
			Help: "1 while a fetch is held by mass-removal protection (see /v1/held), else 0."}),
		dropped: f.NewCounterVec(prometheus.CounterOpts{Name: "tarscache_sync_rows_dropped_total",
			Help: "Rows read and dropped, by reason: bad_endpoint, empty_servant, bak_flag, too_large or invalid_utf8; a row read by n syncs counts n times."}, []string{"reason"}),
		rejected: f.NewGauge(prometheus.GaugeOpts{Name: "tarscache_sync_rejected_rows",
			Help: "Rows with bad data dropped now (each is logged once)."}),
		rejectedRules: f.NewGauge(prometheus.GaugeOpts{Name: "tarscache_sync_rejected_subset_rules",
			Help: "t_subset_rule rows rejected now (each is logged once); the rule in force before each stays."}),
		written: f.NewCounter(prometheus.CounterOpts{Name: "tarscache_sync_records_written_total",
			Help: "Servant records written to the cache file."}),
		deleted: f.NewCounter(prometheus.CounterOpts{Name: "tarscache_sync_records_deleted_total",
			Help: "Servant records deleted from the cache file."}),
		oversized: f.NewGauge(prometheus.GaugeOpts{Name: "tarscache_sync_oversized_servants",
			Help: "Servants whose findObjectById4Any answer is larger than Tars clients accept (10 MiB); QueryF answers them with an error."}),
	}
	m.init()
	return m
}

// init creates every labelled series up front, so that a rate over them is
// defined before the first event.
func (m *metrics) init() {
	for _, r := range []string{resultApplied, resultHeld, resultFailed} {
		m.duration.WithLabelValues(r)
	}
	for _, l := range fullLabels {
		m.full.WithLabelValues(l)
	}
	for _, r := range []string{DropBadEndpoint, DropEmptyServant, DropBackup, DropTooLarge, DropInvalidUTF8} {
		m.dropped.WithLabelValues(r)
	}
	for _, s := range []string{stageRead, stageWrite} {
		m.failed.WithLabelValues(s)
	}
}

// observe records one sync that took d and ended with res or err.
func (m *metrics) observe(res *Result, err error, d time.Duration) {
	result := resultApplied
	switch {
	case err != nil:
		result = resultFailed
	case res.Held != nil:
		result = resultHeld
	}
	m.duration.WithLabelValues(result).Observe(d.Seconds())
	if err != nil {
		m.failed.WithLabelValues(failureStage(err)).Inc()
		return
	}
	m.observeResult(res)
}

func (m *metrics) observeResult(res *Result) {
	if res.Full != "" {
		m.full.WithLabelValues(fullLabels[res.Full]).Inc()
	}
	for reason, n := range res.Report.Dropped {
		m.dropped.WithLabelValues(reason).Add(float64(n))
	}
	m.held.Set(boolGauge(res.Held != nil))
	m.written.Add(float64(res.Apply.Written))
	m.deleted.Add(float64(res.Apply.Deleted))
}

// Failure stages, the "stage" label of tarscache_sync_failures_total.
const (
	stageRead  = "read"
	stageWrite = "write"
)

// failureStage says whether a failed sync could not read the database or write
// the file.
func failureStage(err error) string {
	if errors.Is(err, cache.ErrWrite) {
		return stageWrite
	}
	return stageRead
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
