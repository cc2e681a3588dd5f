// Package metrics serves a running query's metrics to Prometheus. It takes
// the query's annotations Spec (observability/annotations) and gives a
// registry with:
//
//   - each @metric as velo_<name> (counters velo_<name>_total), updated from
//     the query's output rows by an executor.Emitter as they are emitted;
//   - the engine's series for the query (records read, emitted, late,
//     dead-lettered and bad, open windows, watermark lag, processing
//     latency) read from executor.Stats at scrape time;
//   - consumer lag per partition from sources that implement
//     connectors.Lagger (Kafka).
//
// Every series carries query=<name>. Counters add 1 per matching row, or
// the value of @metric_field when one is given; gauges are set to the
// field; histograms observe it. A label whose value is NULL or empty becomes
// "unknown". Each metric holds at most MaxSeries label sets: updates that
// would create more are dropped and counted in
// velo_metric_series_dropped_total{metric}, so memory stays bounded whatever
// the data. Rows a metric cannot use (a NULL or non-numeric field, a
// negative or infinite counter increment, a condition that failed to
// evaluate) are counted in velo_metric_rows_skipped_total{metric,reason}.
//
// `velo run --metrics-addr` and the runner pod use the same calls:
//
//	m, err := metrics.New(spec, metrics.Options{Query: name})
//	opts, err = m.Instrument(ctx, q.Plan, opts) // tee the output, share Stats
//	srv, err := metrics.Listen(addr, m.Handler())
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/observability"
	"github.com/velostream/velostream/observability/annotations"
)

// DefaultMaxSeries is the default cap on label sets per metric.
const DefaultMaxSeries = 10000

// Options configure a query's metrics.
type Options struct {
	// Query is the value of the query label on every series (see
	// observability.QueryName).
	Query string
	// MaxSeries caps the label sets of each @metric (DefaultMaxSeries when
	// 0 or less).
	MaxSeries int
	// Now is the clock of the watermark lag and of time functions in
	// @metric_condition; time.Now when nil.
	Now func() time.Time
	// Logger receives a warning when a metric reaches its cap; slog.Default
	// when nil.
	Logger *slog.Logger
	// NoRuntimeCollectors leaves out the Go runtime and process series
	// (tests that compare a whole scrape).
	NoRuntimeCollectors bool
}

// Metrics are one query's metrics.
type Metrics struct {
	reg      *prometheus.Registry
	stats    *executor.Stats
	engine   *engineCollector
	updaters []*updater
	emitter  *Updater
}

// New builds the registry for a query whose annotations resolved to spec.
// Registration errors (two metrics with one name) are returned, never
// panicked.
func New(spec *annotations.Spec, opts Options) (*Metrics, error) {
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = DefaultMaxSeries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Query == "" {
		opts.Query = "query"
	}
	m := &Metrics{reg: prometheus.NewRegistry(), stats: &executor.Stats{}}
	constLabels := prometheus.Labels{annotations.QueryLabel: opts.Query}
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        observability.SeriesDropped,
		Help:        "Metric updates dropped because they would have created a label set past the metric's series cap.",
		ConstLabels: constLabels,
	}, []string{"metric"})
	skipped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        observability.RowsSkipped,
		Help:        "Output rows a metric could not use, by reason.",
		ConstLabels: constLabels,
	}, []string{"metric", "reason"})
	m.engine = newEngineCollector(m.stats, opts.Now, constLabels)
	collectorsToRegister := []prometheus.Collector{dropped, skipped, m.engine, m.engine.latency}
	if !opts.NoRuntimeCollectors {
		collectorsToRegister = append(collectorsToRegister, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, spec := range spec.Metrics {
		u, err := newUpdater(spec, opts, constLabels, dropped, skipped)
		if err != nil {
			return nil, err
		}
		m.updaters = append(m.updaters, u)
		collectorsToRegister = append(collectorsToRegister, u.vec)
	}
	for _, c := range collectorsToRegister {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	m.stats.LatencyNanos = func(n int64) { m.engine.latency.Observe(float64(n) / 1e9) }
	m.emitter = &Updater{updaters: m.updaters}
	return m, nil
}

// Registry is the query's registry (to serve it elsewhere, or to gather in
// tests).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Stats are the counters the engine series read; pass them as
// executor.Options.Stats (Instrument does).
func (m *Metrics) Stats() *executor.Stats { return m.stats }

// Emitter updates the @metrics from output rows; tee it with the query's
// output (Instrument does).
func (m *Metrics) Emitter() *Updater { return m.emitter }

// Handler serves the registry in the Prometheus text and OpenMetrics
// formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:          slogPrintln{},
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
}

type slogPrintln struct{}

func (slogPrintln) Println(v ...any) {
	slog.Error("metrics: serving /metrics", "err", fmt.Sprint(v...))
}

// AddLagger adds a source's consumer lag to the engine series, labelled
// with the source's name and topic.
func (m *Metrics) AddLagger(source, topic string, l connectors.Lagger) {
	m.engine.addLag(source, topic, l)
}

// Instrument returns opts wired for metrics: Stats are the ones the engine
// series read, and every output row goes to the query's output and then to
// the metrics updater. When opts.Emitter is nil (the query writes to the
// sink its SQL names), that sink is opened here as the executor would have,
// and closing the returned Emitter closes it. Sources that implement
// connectors.Lagger report their consumer lag.
func (m *Metrics) Instrument(ctx context.Context, q *plan.Query, opts executor.Options) (executor.Options, error) {
	opts.Stats = m.stats
	out := opts.Emitter
	if out == nil {
		if q.Sink == nil {
			return opts, fmt.Errorf("metrics: the query has no sink")
		}
		sink, err := connectors.OpenSink(ctx, q.Sink.Type, connectors.Config{Name: q.Sink.Name, Props: q.Sink.Props, Schema: q.Output})
		if err != nil {
			return opts, fmt.Errorf("sink %s: %w", q.Sink.Name, err)
		}
		out = executor.NewSinkEmitter(ctx, sink, q.Output, q.Sink.Format, q.Sink.Props["key.field"])
	}
	opts.Emitter = executor.Tee{out, m.emitter}
	// Every source the run opens (or is given) that knows its consumer lag
	// reports it.
	prev := opts.SourceOpened
	opts.SourceOpened = func(ps *plan.Source, src connectors.Source) {
		if l, ok := src.(connectors.Lagger); ok {
			m.AddLagger(ps.Name, ps.Props["topic"], l)
		}
		if r, ok := src.(Retrier); ok {
			m.engine.addRetrier(ps.Name, r)
		}
		if prev != nil {
			prev(ps, src)
		}
	}
	return opts, nil
}
