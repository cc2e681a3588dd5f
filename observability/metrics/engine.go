package metrics

import (
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/observability"
)

// engineCollector reads the executor's Stats when Prometheus scrapes, so
// the hot path pays only the atomic adds the executor does anyway.
type engineCollector struct {
	stats   *executor.Stats
	now     func() time.Time
	latency prometheus.Histogram

	read, emitted, filtered, late, dead, bad, open, wmLag, lag, state, replayed, retries *prometheus.Desc

	mu       sync.Mutex
	lags     []namedLag
	retriers []namedRetrier
}

// namedLag is a source that reports consumer lag (connectors.Lagger, for
// Kafka the records between its position and each partition's end). Lag
// is called at scrape time, concurrently with the query.
type namedLag struct {
	source, topic string
	l             connectors.Lagger
}

func newEngineCollector(stats *executor.Stats, now func() time.Time, constLabels prometheus.Labels) *engineCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, constLabels)
	}
	return &engineCollector{
		stats: stats,
		now:   now,
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:        observability.ProcessingLatency,
			Help:        "Time to process one batch of input records, in seconds.",
			ConstLabels: constLabels,
			// 10µs to about 2.6s: a batch is usually well under a
			// millisecond; the top buckets catch stalls.
			Buckets: prometheus.ExponentialBuckets(0.00001, 4, 10),
		}),
		read:     d(observability.RecordsRead, "Records read from the query's sources, good and bad."),
		emitted:  d(observability.RecordsEmitted, "Result rows the query emitted."),
		filtered: d(observability.RecordsFiltered, "Records removed by WHERE."),
		late:     d(observability.RecordsLate, "Records that arrived after every window they belong to had closed."),
		dead:     d(observability.RecordsDeadLettered, "Records written to a dead-letter sink."),
		bad:      d(observability.RecordsBad, "Records that could not be decoded or processed."),
		open:     d(observability.OpenWindows, "Window and group states held in memory."),
		wmLag:    d(observability.WatermarkLag, "Wall-clock time minus the query's event-time watermark, in seconds."),
		lag:      d(observability.ConsumerLag, "Records not yet read, per source partition.", "source", "topic", "partition"),
		state:    d(observability.StateRows, "Rows held in memory by joins of two streams (join), tables (table) and window functions (over).", "kind"),
		retries:  d(observability.ConnectionRetries, "Failed attempts to reach a source's cluster (it grows while a broker is down).", "source"),
		replayed: d(observability.RecordsReplayed, "Records re-read after a restart whose windows had already been emitted (skipped)."),
	}
}

// Retrier is implemented by sources and sinks that retry a cluster that
// cannot be reached (the Kafka connector).
type Retrier interface{ Reconnects() int64 }

type namedRetrier struct {
	name string
	r    Retrier
}

func (c *engineCollector) addRetrier(name string, r Retrier) {
	c.mu.Lock()
	c.retriers = append(c.retriers, namedRetrier{name, r})
	c.mu.Unlock()
}

func (c *engineCollector) addLag(source, topic string, l connectors.Lagger) {
	c.mu.Lock()
	c.lags = append(c.lags, namedLag{source, topic, l})
	sort.SliceStable(c.lags, func(i, j int) bool { return c.lags[i].source < c.lags[j].source })
	c.mu.Unlock()
}

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.read, c.emitted, c.filtered, c.late, c.dead, c.bad, c.open, c.wmLag, c.lag, c.state, c.replayed, c.retries} {
		ch <- d
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	counter(c.read, s.Read.Load())
	counter(c.emitted, s.Emitted.Load())
	counter(c.filtered, s.Filtered.Load())
	counter(c.late, s.Late.Load())
	counter(c.dead, s.DeadLettered.Load())
	counter(c.bad, s.Bad.Load())
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(s.OpenWindows.Load()))
	counter(c.replayed, s.Replayed.Load())
	ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, float64(s.JoinRows.Load()), "join")
	ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, float64(s.TableRows.Load()), "table")
	ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, float64(s.OverRows.Load()), "over")
	// Before the first record the watermark is MinInt64, and at the end of
	// a bounded input it jumps to MaxInt64 to close every window: neither
	// is a lag, so the series is absent rather than absurd.
	if wm := s.Watermark.Load(); wm != math.MinInt64 && wm != math.MaxInt64 {
		lag := float64(c.now().UnixMilli()-wm) / 1000
		ch <- prometheus.MustNewConstMetric(c.wmLag, prometheus.GaugeValue, lag)
	}
	c.mu.Lock()
	lags := append([]namedLag(nil), c.lags...)
	retriers := append([]namedRetrier(nil), c.retriers...)
	c.mu.Unlock()
	for _, r := range retriers {
		ch <- prometheus.MustNewConstMetric(c.retries, prometheus.CounterValue, float64(r.r.Reconnects()), r.name)
	}
	for _, l := range lags {
		for partition, lag := range l.l.Lag() {
			m, err := prometheus.NewConstMetric(c.lag, prometheus.GaugeValue, float64(lag), l.source, l.topic, strconv.Itoa(int(partition)))
			if err != nil {
				// A topic name that is not valid UTF-8: the scrape reports
				// it instead of the process panicking.
				m = prometheus.NewInvalidMetric(c.lag, err)
			}
			ch <- m
		}
	}
}
