package annotations

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
)

// Annotation names this package owns.
const (
	kMetric    = "metric"
	kType      = "metric_type"
	kHelp      = "metric_help"
	kLabels    = "metric_labels"
	kField     = "metric_field"
	kBuckets   = "metric_buckets"
	kCondition = "metric_condition"
	kViz       = "viz"
	kVizTitle  = "viz_title"
	kAlert     = "alert"
	kAlertName = "alert_name"
	kAlertFor  = "alert_for"
	kSeverity  = "alert_severity"
	kSummary   = "alert_summary"
)

var (
	metricKeys = []string{kType, kHelp, kLabels, kField, kBuckets, kCondition, kViz, kVizTitle}
	alertKeys  = []string{kAlertName, kAlertFor, kSeverity, kSummary}
	allKeys    = append(append([]string{kMetric, kAlert}, metricKeys...), alertKeys...)
)

var (
	// metricName is Prometheus' metric name syntax; alert names follow it
	// too (Prometheus 2 rejects other alert names).
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// reservedLabels are labels a metric may not take from a column: `query`
// names the query on every series, le and quantile belong to histograms and
// summaries, job and instance are set by Prometheus from the target.
var reservedLabels = []string{"query", "le", "quantile", "job", "instance"}

// reservedPrefixes keep user metrics apart from the engine's own series
// (velo_query_*, velo_metric_*).
var reservedPrefixes = []string{"query_", "metric_"}

// QueryLabel is the label every served series carries with the query's
// name, so that rules and dashboards select one query's series.
const QueryLabel = "query"

// DefaultRange is the look-back of rate, increase and quantile in alerts and
// recording rules when none is given.
const DefaultRange = 5 * time.Minute

// Check returns the diagnostics of q's observability annotations; `velo
// validate` reports them with the binder's.
func Check(q *plan.Query) diag.List {
	_, errs := FromQuery(q)
	return errs
}

// FromQuery resolves q's annotations against its output schema and takes
// the window period from its plan.
func FromQuery(q *plan.Query) (*Spec, diag.List) {
	spec, errs := parse(q.Annotations, q.Output, openOutput(q))
	spec.Window = emitPeriod(q.Root)
	return spec, errs
}

// Parse resolves annots against output, the schema of the rows the query
// emits. Every problem is a diagnostic positioned in the SQL text; the Spec
// holds what could be resolved.
func Parse(annots []ast.Annotation, output types.Schema) (*Spec, diag.List) {
	return parse(annots, output, false)
}

// openOutput reports whether the output schema is incomplete: `SELECT *`
// over a source whose columns are not known before its data is read (only
// `velo validate` binds such a query). Columns missing from it are then not
// errors.
func openOutput(q *plan.Query) bool {
	sel, ok := q.Stmt.(*ast.SelectStmt)
	if cs, isCreate := q.Stmt.(*ast.CreateAsStmt); isCreate {
		sel, ok = cs.Select, cs.Select != nil
	}
	if !ok || sel == nil {
		return false
	}
	star := false
	for _, it := range sel.Items {
		star = star || it.Star
	}
	if !star {
		return false
	}
	for _, s := range q.Sources {
		if s.Declared == nil {
			return true
		}
	}
	return false
}

// emitPeriod finds the window of an aggregation and returns how often it
// emits: the tumbling size or the sliding advance.
func emitPeriod(n plan.Node) time.Duration {
	if n == nil {
		return 0
	}
	if a, ok := n.(*plan.Aggregate); ok && a.Window != nil {
		switch a.Window.Kind {
		case ast.Tumbling:
			return time.Duration(a.Window.Size) * time.Millisecond
		case ast.Sliding:
			return time.Duration(a.Window.Advance) * time.Millisecond
		}
		return 0
	}
	for _, c := range n.Children() {
		if d := emitPeriod(c); d > 0 {
			return d
		}
	}
	return 0
}

// group is one @metric or @alert with the settings that followed it.
type group struct {
	head     ast.Annotation
	settings map[string]ast.Annotation
	metric   *group // an alert's metric
}

type parserState struct {
	out   types.Schema
	open  bool
	errs  diag.List
	names map[string]*Metric // every named @metric, including bad ones
	bad   map[*Metric]bool   // metrics with errors: alerts on them are dropped quietly
	// viz and vizTitle are @viz / @viz_title written before any @metric:
	// they choose how the query's own results are charted (the Studio).
	viz      Viz
	vizTitle string
}

func parse(annots []ast.Annotation, output types.Schema, open bool) (*Spec, diag.List) {
	p := &parserState{out: output, open: open, names: map[string]*Metric{}, bad: map[*Metric]bool{}}
	metrics, alerts := p.group(annots)
	spec := &Spec{Viz: p.viz, VizTitle: p.vizTitle}
	byGroup := map[*group]*Metric{}
	for _, g := range metrics {
		m := p.metric(g)
		byGroup[g] = m
		if m != nil && !p.bad[m] {
			spec.Metrics = append(spec.Metrics, m)
		}
	}
	alertNames := map[string]bool{}
	for _, g := range alerts {
		if a := p.alert(g, byGroup[g.metric], alertNames); a != nil {
			spec.Alerts = append(spec.Alerts, a)
		}
	}
	p.errs.Sort()
	return spec, p.errs
}

// group sorts the annotations into metrics and alerts: a setting belongs to
// the @metric or @alert before it.
func (p *parserState) group(annots []ast.Annotation) (metrics, alerts []*group) {
	var curMetric, curAlert *group
	for _, a := range annots {
		name := strings.ToLower(a.Name)
		switch {
		case name == kMetric:
			curMetric = &group{head: a, settings: map[string]ast.Annotation{}}
			curAlert = nil
			metrics = append(metrics, curMetric)
		case name == kAlert:
			curAlert = &group{head: a, settings: map[string]ast.Annotation{}, metric: curMetric}
			alerts = append(alerts, curAlert)
		case (name == kViz || name == kVizTitle) && curMetric == nil:
			p.queryViz(name, a)
		case contains(metricKeys, name):
			if curMetric == nil {
				p.errs.AddHint(a.NamePos, nameEnd(a), "start the metric with `-- @metric: NAME` on a line before it",
					fmt.Sprintf("@%s comes before any @metric", a.Name))
				continue
			}
			p.set(curMetric, name, a)
		case contains(alertKeys, name):
			if curAlert == nil {
				hint := "put it after the `-- @alert: CONDITION` it belongs to"
				if curMetric != nil && len(alerts) > 0 {
					hint = "an @metric since the last @alert starts a new metric: put the alert settings right after their @alert"
				}
				p.errs.AddHint(a.NamePos, nameEnd(a), hint, fmt.Sprintf("@%s does not follow an @alert", a.Name))
				continue
			}
			p.set(curAlert, name, a)
		case isOurs(name):
			msg := fmt.Sprintf("unknown annotation @%s", a.Name)
			if s := diag.Suggest(name, allKeys); s != "" {
				p.errs.AddHint(a.NamePos, nameEnd(a), fmt.Sprintf("did you mean @%s?", s), msg)
			} else {
				p.errs.AddHint(a.NamePos, nameEnd(a), "known: @"+strings.Join(allKeys, ", @"), msg)
			}
		}
	}
	return metrics, alerts
}

// queryViz reads a @viz or @viz_title that belongs to the query's results
// rather than to a metric.
func (p *parserState) queryViz(name string, a ast.Annotation) {
	if name == kVizTitle {
		p.vizTitle = a.Value
		return
	}
	v := strings.ToLower(strings.TrimSpace(a.Value))
	if !contains(vizNames, v) {
		p.valueErr(a, "use "+strings.Join(vizNames, ", "), "unknown @viz %q", a.Value)
		return
	}
	p.viz = Viz(v)
}

func (p *parserState) set(g *group, name string, a ast.Annotation) {
	if prev, dup := g.settings[name]; dup {
		p.errs.Addf(a.NamePos, nameEnd(a), "@%s is given twice for this @%s (first at line %d)", a.Name, g.head.Name, prev.NamePos.Line)
		return
	}
	g.settings[name] = a
}

// isOurs reports whether an annotation name is in this package's namespace
// (so a typo is an error, not silently ignored).
func isOurs(name string) bool {
	for _, p := range []string{"metric", "alert", "viz"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nameEnd(a ast.Annotation) token.Pos { return shift(a.NamePos, len(a.Name)) }

// shift moves p by n bytes on its line (annotation values are one line).
func shift(p token.Pos, n int) token.Pos {
	return token.Pos{Offset: p.Offset + n, Line: p.Line, Col: p.Col + n}
}

// within maps a position inside an annotation's value (from parsing the
// value alone: line 1, offsets from 0) to the .sql file.
func within(a ast.Annotation, p token.Pos) token.Pos {
	if !p.IsValid() {
		return a.ValuePos
	}
	return shift(a.ValuePos, p.Offset)
}

func (p *parserState) valueErr(a ast.Annotation, hint, format string, args ...any) {
	p.errs.AddHint(a.ValuePos, a.EndPos, hint, fmt.Sprintf(format, args...))
}

// value returns a setting's value; an empty value is reported.
func (p *parserState) value(g *group, key string) (ast.Annotation, bool) {
	a, ok := g.settings[key]
	if !ok {
		return a, false
	}
	if strings.TrimSpace(a.Value) == "" {
		p.errs.Addf(a.NamePos, nameEnd(a), "@%s needs a value", a.Name)
		return a, false
	}
	return a, true
}

func (p *parserState) metric(g *group) *Metric {
	h := g.head
	m := &Metric{Name: h.Value, FieldCol: -1, Pos: h.ValuePos, End: h.EndPos}
	switch {
	case h.Value == "":
		p.errs.AddHint(h.NamePos, nameEnd(h), "e.g. `-- @metric: trade_volume`", "@metric needs a name")
		return nil
	case !metricName.MatchString(h.Value):
		p.valueErr(h, "metric names are letters, digits, _ and :, not starting with a digit", "invalid metric name %q", h.Value)
		return nil
	}
	for _, pre := range reservedPrefixes {
		if strings.HasPrefix(h.Value, pre) {
			p.valueErr(h, "velo_"+pre+"* names the engine's own metrics", "metric name %q may not start with %q", h.Value, pre)
			return nil
		}
	}
	if a, ok := p.value(g, kType); ok {
		switch strings.ToLower(a.Value) {
		case "counter":
			m.Type = Counter
		case "gauge":
			m.Type = Gauge
		case "histogram":
			m.Type = Histogram
		default:
			p.valueErr(a, "use counter, gauge or histogram", "unknown metric type %q", a.Value)
			p.names[m.Name] = m
			p.bad[m] = true
			return m
		}
	}
	for _, other := range p.names {
		if other.Series() == m.Series() {
			p.valueErr(h, "each @metric needs its own name", "metric %q is defined twice (also at line %d)", h.Value, other.Pos.Line)
			return nil
		}
	}
	ok := true
	if a, has := p.value(g, kLabels); has {
		ok = p.labels(m, a) && ok
	}
	if a, has := p.value(g, kField); has {
		ok = p.field(m, a) && ok
	} else if _, given := g.settings[kField]; !given && m.Type != Counter {
		p.errs.AddHint(h.ValuePos, h.EndPos, "add `-- @metric_field: COLUMN` naming a numeric output column",
			fmt.Sprintf("%s %q needs @metric_field: the column it %s", m.Type, m.Name, map[Type]string{Gauge: "sets", Histogram: "observes"}[m.Type]))
		ok = false
	}
	if a, has := p.value(g, kBuckets); has {
		if m.Type != Histogram {
			p.errs.AddHint(a.NamePos, a.EndPos, "buckets belong to `@metric_type: histogram`", fmt.Sprintf("@metric_buckets on %s %q", m.Type, m.Name))
			ok = false
		} else {
			ok = p.buckets(m, a) && ok
		}
	}
	if a, has := p.value(g, kCondition); has {
		ok = p.condition(m, a) && ok
	}
	if a, has := p.value(g, kViz); has {
		v := strings.ToLower(a.Value)
		if !contains(vizNames, v) {
			p.valueErr(a, "use "+strings.Join(vizNames, ", "), "unknown @viz %q", a.Value)
			ok = false
		} else {
			m.Viz = Viz(v)
			if m.Viz == VizGeo && !hasGeoLabels(m.Labels) {
				p.valueErr(a, "add latitude and longitude (or lat and lon, or geohash) output columns to @metric_labels",
					"@viz: geo needs the location in the metric's labels")
				ok = false
			}
		}
	}
	if a, has := p.value(g, kVizTitle); has {
		m.VizTitle = a.Value
	}
	if a, has := p.value(g, kHelp); has {
		m.Help = a.Value
	} else {
		m.Help = defaultHelp(m)
	}
	// A bad metric is still named, so alerts on it do not also report an
	// unknown metric.
	p.names[m.Name] = m
	p.bad[m] = !ok
	return m
}

func hasGeoLabels(labels []string) bool {
	has := func(names ...string) bool {
		for _, l := range labels {
			for _, n := range names {
				if strings.EqualFold(l, n) {
					return true
				}
			}
		}
		return false
	}
	return has("geohash") || has("latitude", "lat") && has("longitude", "lon", "lng")
}

func defaultHelp(m *Metric) string {
	var s string
	switch m.Type {
	case Gauge:
		s = "Latest " + m.Field + " of the query's output rows"
	case Histogram:
		s = "Distribution of " + m.Field + " over the query's output rows"
	default:
		if m.Field != "" {
			s = "Sum of " + m.Field + " over the query's output rows"
		} else {
			s = "Output rows of the query"
		}
	}
	if m.Condition != "" {
		s += " where " + m.Condition
	}
	return s
}

// items splits a comma-separated value, keeping each item's offset.
func items(v string) (texts []string, offs []int) {
	off := 0
	for _, part := range strings.Split(v, ",") {
		lead := len(part) - len(strings.TrimLeft(part, " \t"))
		texts = append(texts, strings.TrimSpace(part))
		offs = append(offs, off+lead)
		off += len(part) + 1
	}
	return texts, offs
}

func (p *parserState) labels(m *Metric, a ast.Annotation) bool {
	ok := true
	texts, offs := items(a.Value)
	seen := map[string]bool{}
	for i, name := range texts {
		pos := shift(a.ValuePos, offs[i])
		end := shift(pos, len(name))
		if name == "" {
			p.errs.Add(pos, pos, "empty label in @metric_labels")
			ok = false
			continue
		}
		col := p.out.Index(name)
		if col < 0 && !p.open {
			p.columnErr(pos, end, name, "label")
			ok = false
			continue
		}
		label := name
		if col >= 0 {
			label = p.out[col].Name
		}
		if !labelName.MatchString(label) {
			p.errs.AddHint(pos, end, "give the column an alias: SELECT ... AS "+sanitize(label),
				fmt.Sprintf("column %q cannot be a Prometheus label name (letters, digits and _ only)", label))
			ok = false
			continue
		}
		if contains(reservedLabels, strings.ToLower(label)) || strings.HasPrefix(label, "__") {
			p.errs.AddHint(pos, end, "give the column another name with AS",
				fmt.Sprintf("label %q is reserved (query names the query; le, quantile, job and instance belong to Prometheus)", label))
			ok = false
			continue
		}
		if seen[strings.ToLower(label)] {
			p.errs.Addf(pos, end, "label %q is listed twice", label)
			ok = false
			continue
		}
		seen[strings.ToLower(label)] = true
		m.Labels = append(m.Labels, label)
		m.LabelCols = append(m.LabelCols, col)
	}
	return ok
}

func sanitize(s string) string {
	var b strings.Builder
	for i, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r == '_', r >= '0' && r <= '9' && i > 0:
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	out := strings.Trim(b.String(), "_")
	if out == "" {
		return "name"
	}
	return out
}

func (p *parserState) columnErr(pos, end token.Pos, name, what string) {
	msg := fmt.Sprintf("%s %q is not an output column", what, name)
	if s := diag.Suggest(name, p.out.Names()); s != "" {
		p.errs.AddHint(pos, end, fmt.Sprintf("did you mean %q?", s), msg)
		return
	}
	p.errs.AddHint(pos, end, "output columns: "+strings.Join(p.out.Names(), ", "), msg)
}

func (p *parserState) field(m *Metric, a ast.Annotation) bool {
	name := a.Value
	col := p.out.Index(name)
	if col < 0 {
		if p.open {
			m.Field = name
			return true
		}
		p.columnErr(a.ValuePos, a.EndPos, name, "field")
		return false
	}
	t := p.out[col].Type
	if !t.Kind.Numeric() && t.Kind != types.KindAny {
		p.valueErr(a, "use a numeric column, or CAST it in the SELECT",
			"@metric_field %q is %s: a %s needs a number", p.out[col].Name, t, m.Type)
		return false
	}
	m.Field, m.FieldCol = p.out[col].Name, col
	return true
}

func (p *parserState) buckets(m *Metric, a ast.Annotation) bool {
	v := strings.TrimSpace(a.Value)
	lower := strings.ToLower(v)
	var bs []float64
	for _, fn := range []string{"linear", "exponential"} {
		if !strings.HasPrefix(lower, fn+"(") {
			continue
		}
		if !strings.HasSuffix(v, ")") {
			p.valueErr(a, fn+"(start, "+map[string]string{"linear": "width", "exponential": "factor"}[fn]+", count)", "missing ) in @metric_buckets")
			return false
		}
		args, ok := p.numbers(a, v[len(fn)+1:len(v)-1], len(fn)+1)
		if !ok {
			return false
		}
		if len(args) != 3 || args[2] != math.Trunc(args[2]) || args[2] < 1 || args[2] > 1000 {
			p.valueErr(a, fn+"(start, "+map[string]string{"linear": "width", "exponential": "factor"}[fn]+", count) with 1 <= count <= 1000",
				"%s buckets need three numbers ending in a whole count", fn)
			return false
		}
		if fn == "linear" {
			if args[1] <= 0 {
				p.valueErr(a, "the width must be positive", "linear buckets need a positive width")
				return false
			}
			bs = prometheus.LinearBuckets(args[0], args[1], int(args[2]))
		} else {
			if args[0] <= 0 || args[1] <= 1 {
				p.valueErr(a, "start > 0 and factor > 1", "exponential buckets need a positive start and a factor above 1")
				return false
			}
			bs = prometheus.ExponentialBuckets(args[0], args[1], int(args[2]))
		}
		m.Buckets = bs
		return true
	}
	bs, ok := p.numbers(a, a.Value, 0)
	if !ok {
		return false
	}
	texts, offs := items(a.Value)
	for i := 1; i < len(bs); i++ {
		if bs[i] <= bs[i-1] {
			pos := shift(a.ValuePos, offs[i])
			p.errs.AddHint(pos, shift(pos, len(texts[i])), "list bucket bounds in increasing order",
				fmt.Sprintf("bucket %s is not above %s", texts[i], texts[i-1]))
			return false
		}
	}
	m.Buckets = bs
	return true
}

// numbers parses a comma-separated list of finite numbers found at byte
// offset base of a's value.
func (p *parserState) numbers(a ast.Annotation, list string, base int) ([]float64, bool) {
	texts, offs := items(list)
	out := make([]float64, 0, len(texts))
	for i, t := range texts {
		pos := shift(a.ValuePos, base+offs[i])
		f, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			what := fmt.Sprintf("%q is not a number", t)
			if t == "" {
				what = "empty item"
			}
			p.errs.AddHint(pos, shift(pos, max(len(t), 1)), "e.g. `-- @metric_buckets: 0.1, 0.5, 1, 5` or exponential(0.001, 2, 16)",
				"bad @metric_buckets: "+what)
			return nil, false
		}
		out = append(out, f)
	}
	return out, true
}

func (p *parserState) condition(m *Metric, a ast.Annotation) bool {
	x, errs := parser.ParseExpr(a.Value)
	if len(errs) == 0 && p.open {
		// The output is not fully known: the condition is parsed, and bound
		// when the query runs.
		m.Condition = a.Value
		return true
	}
	if len(errs) == 0 {
		bound, berrs := binder.BindRowExpr(x, p.out)
		errs = berrs
		if len(errs) == 0 {
			if k := bound.Type().Kind; k != types.KindBool && k != types.KindAny && k != types.KindNull {
				p.valueErr(a, "write a comparison, e.g. volume > 0", "@metric_condition is %s, not a condition (BOOLEAN)", bound.Type())
				return false
			}
			m.Condition, m.Cond = a.Value, bound
			return true
		}
	}
	for _, d := range errs {
		d.Pos, d.End = within(a, d.Pos), within(a, d.End)
		d.Msg = "@metric_condition: " + d.Msg
		p.errs = append(p.errs, d)
	}
	return false
}
