package generate

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/velostream/velostream/observability/annotations"
)

// promql renders PromQL over one query's series: every selector carries
// query="<name>", and every aggregation keeps the query label and the
// metric's labels (summing or maxing over the pods of a runner).
type promql struct {
	query  string
	window time.Duration
}

func dur(d time.Duration) string { return model.Duration(d).String() }

// selector is series{query="name"}.
func (p promql) selector(series string) string {
	return series + "{" + annotations.QueryLabel + "=" + strconv.Quote(p.query) + "}"
}

// by is the grouping of a metric's aggregations: the query label and the
// metric's labels, plus extra ones (le).
func by(m *annotations.Metric, extra ...string) string {
	labels := append([]string{annotations.QueryLabel}, m.Labels...)
	return "by (" + strings.Join(append(labels, extra...), ", ") + ")"
}

// valueRange is the look-back of a bare counter or histogram reference: the
// query's window when it is at least DefaultRange, else DefaultRange.
func (p promql) valueRange() time.Duration {
	return max(p.window, annotations.DefaultRange)
}

func orDefault(d time.Duration) time.Duration {
	if d <= 0 {
		return annotations.DefaultRange
	}
	return d
}

// ref renders a metric reference of an alert condition.
func (p promql) ref(r *annotations.Ref) string {
	m := r.Metric
	switch m.Type {
	case annotations.Gauge:
		return fmt.Sprintf("max %s (%s)", by(m), p.selector(m.Series()))
	case annotations.Histogram:
		count := p.selector(m.Series() + "_count")
		switch r.Func {
		case annotations.Rate:
			return fmt.Sprintf("sum %s (rate(%s[%s]))", by(m), count, dur(orDefault(r.Range)))
		case annotations.Increase:
			return fmt.Sprintf("sum %s (increase(%s[%s]))", by(m), count, dur(orDefault(r.Range)))
		case annotations.Quantile:
			return fmt.Sprintf("histogram_quantile(%s, sum %s (rate(%s[%s])))",
				strconv.FormatFloat(r.Quantile, 'g', -1, 64), by(m, "le"), p.selector(m.Series()+"_bucket"), dur(orDefault(r.Range)))
		}
		rng := dur(p.valueRange())
		return fmt.Sprintf("(sum %s (rate(%s[%s])) / sum %s (rate(%s[%s])))",
			by(m), p.selector(m.Series()+"_sum"), rng, by(m), count, rng)
	}
	sel := p.selector(m.Series())
	switch r.Func {
	case annotations.Rate:
		return fmt.Sprintf("sum %s (rate(%s[%s]))", by(m), sel, dur(orDefault(r.Range)))
	case annotations.Increase:
		return fmt.Sprintf("sum %s (increase(%s[%s]))", by(m), sel, dur(orDefault(r.Range)))
	}
	// A bare counter is the amount added per window of the query, so that
	// `volume > 1000000` over 5-minute windows compares one window's
	// volume. A window shorter than the default range is read as the
	// average over that range scaled to one window, because increase()
	// over a few scrapes is noisy or empty.
	switch {
	case p.window >= annotations.DefaultRange:
		return fmt.Sprintf("sum %s (increase(%s[%s]))", by(m), sel, dur(p.window))
	case p.window > 0:
		return fmt.Sprintf("(sum %s (rate(%s[%s])) * %s)", by(m), sel, dur(annotations.DefaultRange),
			strconv.FormatFloat(p.window.Seconds(), 'g', -1, 64))
	}
	return fmt.Sprintf("sum %s (increase(%s[%s]))", by(m), sel, dur(annotations.DefaultRange))
}

// cond renders an alert condition.
func (p promql) cond(c annotations.Cond) string {
	switch x := c.(type) {
	case *annotations.Ref:
		return p.ref(x)
	case *annotations.Number:
		return x.Text
	case *annotations.Neg:
		return "-" + p.operand(x.X)
	case *annotations.Compare:
		return p.operand(x.L) + " " + x.Op + " " + p.operand(x.R)
	case *annotations.Logical:
		return p.operand(x.L) + " " + x.Op + " " + p.operand(x.R)
	case *annotations.Arith:
		return p.operand(x.L) + " " + x.Op + " " + p.operand(x.R)
	}
	panic(fmt.Sprintf("generate: unknown condition node %T", c))
}

// operand parenthesises binary operands so that PromQL's precedence (which
// differs from SQL's for AND/OR against comparisons) never changes the
// meaning.
func (p promql) operand(c annotations.Cond) string {
	switch c.(type) {
	case *annotations.Compare, *annotations.Logical, *annotations.Arith:
		return "(" + p.cond(c) + ")"
	}
	return p.cond(c)
}

// level is the aggregation level of a recording rule's name
// (level:metric:operations, Prometheus' naming convention).
func level(m *annotations.Metric) string {
	return strings.Join(append([]string{annotations.QueryLabel}, m.Labels...), "_")
}
