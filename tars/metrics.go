package tars

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// result is how a request ended, the "result" label of tarscache_queryf_requests_total.
type result int

const (
	resultOK         result = iota // answered (whatever the method's own ret)
	resultStale                    // refused: data older than --max-stale
	resultBadRequest               // arguments that do not decode
	resultNoServant                // a servant other than the locator's
	resultNoMethod                 // a method QueryF does not have
	resultInternal                 // the handler panicked
	resultTooLarge                 // the reply is larger than clients accept
	numResults
)

var resultLabels = [numResults]string{"ok", "stale", "bad_request", "no_servant", "no_method", "internal_error", "reply_too_large"}

// otherMethod labels requests for methods QueryF does not have, so that a client
// cannot grow the label set.
const otherMethod = "other"

// requestBuckets span an in-memory answer (microseconds) to a reply stuck behind
// a slow client's connection.
var requestBuckets = []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .01, .1, 1}

// metrics are a Server's Prometheus metrics; every series is created up front,
// so recording a request is two array reads and no label hashing.
type metrics struct {
	byMethod map[string]*methodMetrics
	conns    prometheus.Gauge
	// refused counts connections closed at accept, by refusal reason.
	refused [numRefusals]prometheus.Counter
	// acceptErrors counts accepts that failed and were retried.
	acceptErrors prometheus.Counter
	// buffered gauges the bytes taken from Options.MaxBufferedBytes;
	// overBudget counts connections closed because it was spent.
	buffered   prometheus.Gauge
	overBudget prometheus.Counter
	// fastPanics counts requests the fast path gave up on with a panic (a bug:
	// the generic path answers them, more slowly).
	fastPanics prometheus.Counter
	// notTars counts connections closed because they do not speak Tars.
	notTars prometheus.Counter
	// pauses counts the event loop's batch-window pauses.
	pauses prometheus.Counter
}

// refusal is why a connection was closed at accept, the "reason" label of
// tarscache_queryf_connections_refused_total.
type refusal int

const (
	refusedNotAllowed refusal = iota // the peer is outside Options.Allow
	refusedTooMany                   // Options.MaxConns connections are open
	numRefusals
)

var refusalLabels = [numRefusals]string{"not_allowed", "too_many_connections"}

// methodMetrics are the series of one method label.
type methodMetrics struct {
	duration prometheus.Observer
	results  [numResults]prometheus.Counter
}

// newMetrics creates the metrics and registers them with reg, unless reg is nil.
func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	requests := f.NewCounterVec(prometheus.CounterOpts{Name: "tarscache_queryf_requests_total",
		Help: "QueryF requests by method and result: ok, stale, bad_request, no_servant, no_method, internal_error or reply_too_large."},
		[]string{"method", "result"})
	duration := f.NewHistogramVec(prometheus.HistogramOpts{Name: "tarscache_queryf_request_duration_seconds",
		Help: "Time from a request's packet to its encoded reply, by method.", Buckets: requestBuckets}, []string{"method"})
	m := &metrics{byMethod: map[string]*methodMetrics{},
		conns: f.NewGauge(prometheus.GaugeOpts{Name: "tarscache_queryf_connections", Help: "Open QueryF connections."})}
	refused := f.NewCounterVec(prometheus.CounterOpts{Name: "tarscache_queryf_connections_refused_total",
		Help: "QueryF connections closed at accept, by reason: not_allowed (outside --allow) or too_many_connections."}, []string{"reason"})
	m.acceptErrors = f.NewCounter(prometheus.CounterOpts{Name: "tarscache_queryf_accept_errors_total",
		Help: "QueryF accepts that failed and were retried after a pause (out of file descriptors, mostly)."})
	m.buffered = f.NewGauge(prometheus.GaugeOpts{Name: "tarscache_queryf_buffered_bytes",
		Help: "Bytes held for QueryF packets being received and replies being sent, beyond the first 4 KiB of each (bounded by --max-buffered-mib)."})
	m.overBudget = f.NewCounter(prometheus.CounterOpts{Name: "tarscache_queryf_over_budget_total",
		Help: "QueryF connections closed because they needed more buffered bytes than --max-buffered-mib left."})
	for r := range numRefusals {
		m.refused[r] = refused.WithLabelValues(refusalLabels[r])
	}
	m.fastPanics = f.NewCounter(prometheus.CounterOpts{Name: "tarscache_queryf_fast_path_panics_total",
		Help: "Requests the list-method fast path gave up on with a panic (a bug, logged): the generic path answered them."})
	m.notTars = f.NewCounter(prometheus.CounterOpts{Name: "tarscache_queryf_connections_not_tars_total",
		Help: "QueryF connections closed because what they sent is not a Tars request (HTTP probes, port scans)."})
	m.pauses = f.NewCounter(prometheus.CounterOpts{Name: "tarscache_queryf_batch_pauses_total",
		Help: "Pauses of the QueryF event loop for its batch window (--batch-window) before collecting requests, made while they arrive several at a time."})
	for _, name := range metricMethods() {
		m.byMethod[name] = newMethodMetrics(name, requests, duration)
	}
	return m
}

// metricMethods are the method labels: QueryF's methods, tars_ping and other.
func metricMethods() []string {
	names := []string{"tars_ping", otherMethod}
	for name := range methods {
		names = append(names, name)
	}
	return names
}

func newMethodMetrics(name string, requests *prometheus.CounterVec, duration *prometheus.HistogramVec) *methodMetrics {
	mm := &methodMetrics{duration: duration.WithLabelValues(name)}
	for r := range numResults {
		mm.results[r] = requests.WithLabelValues(name, resultLabels[r])
	}
	return mm
}

// method returns the series of a request's method name.
func (m *metrics) method(name string) *methodMetrics {
	if mm, ok := m.byMethod[name]; ok {
		return mm
	}
	return m.byMethod[otherMethod]
}
