// Package annotations gives Velostream's observability annotations their
// meaning. It takes a query's `-- @name: value` comments and the schema of
// the rows the query emits, and gives a typed Spec (the metrics to keep, the
// alerts to raise, the dashboard panels to draw) or positioned diagnostics
// that point into the .sql file, like SQL errors do.
//
//	-- @metric: trade_volume          starts a metric (a query may have several)
//	-- @metric_type: counter          counter (default) | gauge | histogram
//	-- @metric_help: Shares traded
//	-- @metric_labels: symbol         output columns, comma separated
//	-- @metric_field: volume          counter: add this column (else add 1 per row);
//	                                  gauge: set to it; histogram: observe it
//	-- @metric_buckets: 10, 100, 1000 histograms; also linear(start, width, n)
//	                                  and exponential(start, factor, n)
//	-- @metric_condition: volume > 0  only matching output rows count
//	-- @viz: line                     line | bar | gauge | stat | table | heatmap | geo
//	-- @viz_title: Volume by symbol
//	-- @alert: trade_volume > 1000000 attaches to the metric before it; the
//	                                  condition names metrics of the query
//	-- @alert_name: HighTradeVolume
//	-- @alert_for: 5m
//	-- @alert_severity: critical
//	-- @alert_summary: {{ $labels.symbol }} traded {{ $value }}
//
// Annotations whose names do not start with metric, alert or viz (such as
// @assert) belong to other features and are ignored here; a misspelt
// @metric_* name is an error rather than silently ignored.
//
// The package is pure: no I/O, no Prometheus client. The live metrics
// (observability/metrics) and the generators (observability/generate) both
// read the Spec, so the series the runner serves and the PromQL the rules and
// dashboards query always agree on names and labels.
package annotations

import (
	"strings"
	"time"

	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/token"
)

// Spec is the observability of one query.
type Spec struct {
	Metrics []*Metric
	Alerts  []*Alert
	// Viz and VizTitle are a @viz and @viz_title written before any
	// @metric: the chart for the query's own results ("" when not given).
	Viz      Viz
	VizTitle string
	// Window is how often a windowed query emits a window's results (the
	// tumbling size or the sliding advance); 0 when the query is not
	// windowed or its windows have no fixed period (sessions). An alert on
	// a counter compares the amount added per window with its threshold.
	Window time.Duration
}

// Type is a metric type.
type Type int

const (
	Counter Type = iota
	Gauge
	Histogram
)

func (t Type) String() string {
	switch t {
	case Gauge:
		return "gauge"
	case Histogram:
		return "histogram"
	}
	return "counter"
}

// Viz is the dashboard panel a metric asks for; "" picks the one that fits
// the metric type.
type Viz string

const (
	VizDefault Viz = ""
	VizLine    Viz = "line"
	VizBar     Viz = "bar"
	VizGauge   Viz = "gauge"
	VizStat    Viz = "stat"
	VizTable   Viz = "table"
	VizHeatmap Viz = "heatmap"
	VizGeo     Viz = "geo"
)

var vizNames = []string{"line", "bar", "gauge", "stat", "table", "heatmap", "geo"}

// Metric is one `@metric` with its settings, resolved against the output
// schema.
type Metric struct {
	Name string // as written after @metric, e.g. trade_volume
	Type Type
	Help string // @metric_help, or a sentence saying what is measured
	// Labels are output column names (as the schema spells them) that
	// become Prometheus labels; LabelCols are their indexes in the row.
	Labels    []string
	LabelCols []int
	// Field is the column a gauge sets, a histogram observes, or a counter
	// adds; "" (FieldCol -1) for a counter of rows.
	Field    string
	FieldCol int
	// Buckets are a histogram's upper bounds, increasing; nil for the
	// client's defaults.
	Buckets []float64
	// Condition is the @metric_condition text; Cond is it bound over the
	// output row (nil when there is none).
	Condition string
	Cond      expr.Expr
	Viz       Viz
	VizTitle  string
	Pos, End  token.Pos // the name after @metric
}

// Series is the name of the metric as served: velo_<name>, with _total for
// counters (unless the name already ends with it).
func (m *Metric) Series() string {
	s := "velo_" + m.Name
	if m.Type == Counter && !strings.HasSuffix(s, "_total") {
		s += "_total"
	}
	return s
}

// Base is velo_<name> without a counter's _total: the stem recording rules
// are named after.
func (m *Metric) Base() string {
	return strings.TrimSuffix(m.Series(), "_total")
}

// Alert is one `@alert` with its settings.
type Alert struct {
	Name string // @alert_name, or derived from the metric
	// Metric is the metric the @alert follows; nil when it came before any
	// @metric (its condition then names the metrics it watches).
	Metric    *Metric
	Condition string // as written
	Expr      Cond   // the condition, resolved against the query's metrics
	For       time.Duration
	Severity  string // default "warning"
	Summary   string // @alert_summary (a Prometheus template), or ""
	Pos, End  token.Pos
}

// Cond is a resolved alert condition: comparisons, AND/OR, arithmetic,
// numbers and references to the query's metrics. Generators render it as
// PromQL.
type Cond interface {
	Span() (token.Pos, token.Pos)
	cond()
}

// Compare is L op R with op one of > >= < <= == !=.
type Compare struct {
	Op       string
	L, R     Cond
	Pos, End token.Pos
}

// Logical is L and R, L or R (PromQL's set operators: both sides must carry
// the same labels).
type Logical struct {
	Op       string // "and" | "or"
	L, R     Cond
	Pos, End token.Pos
}

// Arith is L op R with op one of + - * / %.
type Arith struct {
	Op       string
	L, R     Cond
	Pos, End token.Pos
}

// Neg is -X.
type Neg struct {
	X        Cond
	Pos, End token.Pos
}

// Number is a numeric constant; Text is its PromQL spelling.
type Number struct {
	Value    float64
	Text     string
	Pos, End token.Pos
}

// Func says how a Ref reads its metric.
type Func int

const (
	// Value is a bare reference: a gauge's value; for a counter the amount
	// added per window of the query (per 5 minutes when not windowed); for
	// a histogram the mean observed value over that range.
	Value    Func = iota
	Rate          // rate(m [, range]): per second; histograms count observations
	Increase      // increase(m [, range]): added over the range
	Quantile      // quantile(q, m [, range]): a histogram's q-quantile
)

// Ref is a reference to a metric of the query.
type Ref struct {
	Metric *Metric
	Func   Func
	// Range is the look-back of rate, increase and quantile (0: the
	// default, 5 minutes).
	Range    time.Duration
	Quantile float64
	Pos, End token.Pos
}

func (c *Compare) Span() (token.Pos, token.Pos) { return c.Pos, c.End }
func (c *Logical) Span() (token.Pos, token.Pos) { return c.Pos, c.End }
func (c *Arith) Span() (token.Pos, token.Pos)   { return c.Pos, c.End }
func (c *Neg) Span() (token.Pos, token.Pos)     { return c.Pos, c.End }
func (c *Number) Span() (token.Pos, token.Pos)  { return c.Pos, c.End }
func (c *Ref) Span() (token.Pos, token.Pos)     { return c.Pos, c.End }

func (*Compare) cond() {}
func (*Logical) cond() {}
func (*Arith) cond()   {}
func (*Neg) cond()     {}
func (*Number) cond()  {}
func (*Ref) cond()     {}

// Labels returns the labels a condition's result carries (those of the
// metrics it reads; nil for a constant).
func Labels(c Cond) []string {
	switch x := c.(type) {
	case *Ref:
		return x.Metric.Labels
	case *Compare:
		return firstLabels(x.L, x.R)
	case *Logical:
		return firstLabels(x.L, x.R)
	case *Arith:
		return firstLabels(x.L, x.R)
	case *Neg:
		return Labels(x.X)
	}
	return nil
}

func firstLabels(l, r Cond) []string {
	if hasRef(l) {
		return Labels(l)
	}
	return Labels(r)
}

func hasRef(c Cond) bool {
	switch x := c.(type) {
	case *Ref:
		return true
	case *Compare:
		return hasRef(x.L) || hasRef(x.R)
	case *Logical:
		return hasRef(x.L) || hasRef(x.R)
	case *Arith:
		return hasRef(x.L) || hasRef(x.R)
	case *Neg:
		return hasRef(x.X)
	}
	return false
}

// Refs returns the metric references of c in order.
func Refs(c Cond) []*Ref {
	var out []*Ref
	var walk func(Cond)
	walk = func(c Cond) {
		switch x := c.(type) {
		case *Ref:
			out = append(out, x)
		case *Compare:
			walk(x.L)
			walk(x.R)
		case *Logical:
			walk(x.L)
			walk(x.R)
		case *Arith:
			walk(x.L)
			walk(x.R)
		case *Neg:
			walk(x.X)
		}
	}
	walk(c)
	return out
}
