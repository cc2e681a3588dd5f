package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/observability/annotations"
)

// Updater is the executor.Emitter that updates a query's @metrics from its
// output rows. It is called by the query's one goroutine, so its series
// maps need no lock; the Prometheus values it sets are safe to scrape
// concurrently.
type Updater struct {
	updaters []*updater
}

// Emit updates every metric from row. It never fails: a row a metric cannot
// use is counted, not returned as an error that would stop the query.
func (u *Updater) Emit(row types.Row, _ int64) error {
	for _, m := range u.updaters {
		m.update(row)
	}
	return nil
}

func (*Updater) Flush(context.Context) error { return nil }
func (*Updater) Close() error                { return nil }

// Skip reasons.
const (
	reasonNull       = "null_field"
	reasonNotNumeric = "not_numeric"
	reasonNegative   = "negative"
	reasonNotFinite  = "not_finite"
	reasonCondition  = "condition_error"
)

// updater keeps one metric.
type updater struct {
	spec   *annotations.Metric
	vec    prometheus.Collector
	newFn  func(labels []string) (series, error) // creates one series
	single *series                               // the series of a metric without labels
	series map[string]series                     // label key -> series
	max    int
	key    []byte   // reused buffer for the label key
	vals   []string // label values of a new series
	ctx    expr.Ctx
	logger *slog.Logger
	capped bool

	dropped prometheus.Counter
	skipped *prometheus.CounterVec
	skips   map[string]prometheus.Counter
}

func newUpdater(m *annotations.Metric, opts Options, constLabels prometheus.Labels, dropped, skipped *prometheus.CounterVec) (*updater, error) {
	// A spec resolved against an incomplete output schema (velo validate
	// of SELECT * over an undeclared source) names columns it could not
	// place; such a spec describes, it cannot run.
	for i, c := range m.LabelCols {
		if c < 0 {
			return nil, fmt.Errorf("metrics: %s: label %q is not a known output column", m.Name, m.Labels[i])
		}
	}
	if m.Field != "" && m.FieldCol < 0 || m.Condition != "" && m.Cond == nil {
		return nil, fmt.Errorf("metrics: %s: resolved without the query's output columns", m.Name)
	}
	u := &updater{
		spec:    m,
		series:  map[string]series{},
		max:     opts.MaxSeries,
		vals:    make([]string, len(m.Labels)),
		logger:  opts.Logger,
		dropped: dropped.WithLabelValues(m.Name),
		skipped: skipped,
		skips:   map[string]prometheus.Counter{},
	}
	now := opts.Now
	u.ctx.Env = functions.Env{NowMillis: func() int64 { return now().UnixMilli() }}
	switch m.Type {
	case annotations.Gauge:
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: m.Series(), Help: m.Help, ConstLabels: constLabels}, m.Labels)
		u.vec = v
		u.newFn = func(l []string) (series, error) {
			g, err := v.GetMetricWithLabelValues(l...)
			return series{g: g}, err
		}
	case annotations.Histogram:
		v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: m.Series(), Help: m.Help, ConstLabels: constLabels, Buckets: m.Buckets}, m.Labels)
		u.vec = v
		u.newFn = func(l []string) (series, error) {
			o, err := v.GetMetricWithLabelValues(l...)
			return series{o: o}, err
		}
	default:
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: m.Series(), Help: m.Help, ConstLabels: constLabels}, m.Labels)
		u.vec = v
		u.newFn = func(l []string) (series, error) {
			c, err := v.GetMetricWithLabelValues(l...)
			return series{c: c}, err
		}
	}
	if len(m.Labels) == 0 {
		s, err := u.newFn(nil)
		if err != nil {
			return nil, err
		}
		u.single = &s
	}
	return u, nil
}

// series is one label set of a metric: exactly one field is set, by the
// metric's type (a type switch on interfaces would mistake a Gauge for a
// Counter, which it also satisfies).
type series struct {
	c prometheus.Counter
	g prometheus.Gauge
	o prometheus.Observer
}

func (u *updater) skip(reason string) {
	c := u.skips[reason]
	if c == nil {
		c = u.skipped.WithLabelValues(u.spec.Name, reason)
		u.skips[reason] = c
	}
	c.Inc()
}

func (u *updater) update(row types.Row) {
	m := u.spec
	if m.Cond != nil {
		v := m.Cond.Eval(&u.ctx, row)
		if u.ctx.Err != nil {
			u.ctx.Reset()
			u.skip(reasonCondition)
			return
		}
		if v.K != types.KindBool || v.I == 0 {
			return
		}
	}
	x := 1.0
	if m.FieldCol >= 0 {
		var reason string
		x, reason = number(row[m.FieldCol])
		if reason != "" {
			u.skip(reason)
			return
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			u.skip(reasonNotFinite)
			return
		}
		if m.Type == annotations.Counter && x < 0 {
			// Prometheus counters only go up; a negative increment would
			// panic in the client and mean nothing to rate().
			u.skip(reasonNegative)
			return
		}
	}
	var s series
	if u.single != nil {
		s = *u.single
	} else {
		var ok bool
		if s, ok = u.lookup(row); !ok {
			return
		}
	}
	switch {
	case s.c != nil:
		s.c.Add(x)
	case s.g != nil:
		s.g.Set(x)
	default:
		s.o.Observe(x)
	}
}

// lookup finds or creates the series of row's label values. The key is
// built in a reused buffer, and the map lookup by string(u.key) does not
// allocate, so an existing series costs no allocation.
func (u *updater) lookup(row types.Row) (series, bool) {
	u.key = u.key[:0]
	for i, c := range u.spec.LabelCols {
		if i > 0 {
			u.key = append(u.key, 0xff) // never in UTF-8 text
		}
		u.key = appendLabel(u.key, row[c])
	}
	if s, ok := u.series[string(u.key)]; ok {
		return s, true
	}
	if len(u.series) >= u.max {
		u.dropped.Inc()
		if !u.capped {
			u.capped = true
			u.logger.Warn("metric reached its series cap: new label sets are dropped and counted",
				"metric", u.spec.Series(), "max_series", u.max)
		}
		return series{}, false
	}
	key := string(u.key)
	vals := u.vals
	start := 0
	for i := range vals {
		end := strings.IndexByte(key[start:], 0xff)
		if end < 0 {
			end = len(key)
		} else {
			end += start
		}
		vals[i] = key[start:end]
		start = end + 1
	}
	s, err := u.newFn(vals)
	if err != nil {
		// Label values are made valid UTF-8 and the label names were
		// checked by annotations, so this is a bug; count it rather than
		// lose it silently.
		u.logger.Error("metrics: cannot create series", "metric", u.spec.Series(), "err", err)
		u.skip("internal_error")
		return series{}, false
	}
	u.series[key] = s
	return s, true
}

// appendLabel renders a label value: text as is (made valid UTF-8), other
// values as their JSON text without quotes, NULL and "" as "unknown".
func appendLabel(dst []byte, v types.Value) []byte {
	switch v.K {
	case types.KindNull:
		return append(dst, "unknown"...)
	case types.KindString:
		if v.S == "" {
			return append(dst, "unknown"...)
		}
		if utf8.ValidString(v.S) {
			return append(dst, v.S...)
		}
		return append(dst, strings.ToValidUTF8(v.S, "\uFFFD")...)
	case types.KindInt:
		return strconv.AppendInt(dst, v.I, 10)
	}
	start := len(dst)
	dst = format.AppendJSONValue(dst, v)
	if n := len(dst); n-start >= 2 && dst[start] == '"' && dst[n-1] == '"' {
		copy(dst[start:], dst[start+1:n-1])
		dst = dst[:n-2]
	}
	return dst
}

// number converts a field value to float64, or says why it cannot.
func number(v types.Value) (float64, string) {
	switch v.K {
	case types.KindInt:
		return float64(v.I), ""
	case types.KindFloat:
		return v.Float(), ""
	case types.KindDecimal:
		if v.Big() {
			f, err := strconv.ParseFloat(v.S, 64)
			if err != nil {
				return 0, reasonNotNumeric
			}
			return f, ""
		}
		return float64(v.I) / math.Pow10(int(v.Scale)), ""
	case types.KindNull:
		return 0, reasonNull
	}
	return 0, reasonNotNumeric
}
