package annotations

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/model"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/token"
)

// alert resolves one @alert group. attached is the metric it follows (nil
// when none, or when that metric was not even named).
func (p *parserState) alert(g *group, attached *Metric, names map[string]bool) *Alert {
	h := g.head
	a := &Alert{Metric: attached, Condition: h.Value, Severity: "warning", Pos: h.ValuePos, End: h.EndPos}
	if strings.TrimSpace(h.Value) == "" {
		p.errs.AddHint(h.NamePos, nameEnd(h), "e.g. `-- @alert: trade_volume > 1000000`", "@alert needs a condition")
		return nil
	}
	x, errs := parser.ParseExpr(h.Value)
	if len(errs) > 0 {
		for _, d := range errs {
			d.Pos, d.End = within(h, d.Pos), within(h, d.End)
			d.Msg = "@alert: " + d.Msg
			p.errs = append(p.errs, d)
		}
		return nil
	}
	r := &resolver{p: p, a: h, attached: attached}
	c, kind := r.resolve(x)
	if c == nil {
		return nil
	}
	if kind != boolean {
		p.errs.AddHint(h.ValuePos, h.EndPos, "compare a metric with a threshold, e.g. trade_volume > 1000000",
			"@alert condition is a number, not a comparison")
		return nil
	}
	if r.quiet {
		return nil
	}
	a.Expr = c
	ok := true
	if s, has := p.value(g, kAlertName); has {
		if !metricName.MatchString(s.Value) {
			p.valueErr(s, "letters, digits, _ and :, not starting with a digit (Prometheus' rule for alert names)", "invalid alert name %q", s.Value)
			ok = false
		} else if names[s.Value] {
			p.valueErr(s, "give each @alert its own @alert_name", "alert name %q is used twice", s.Value)
			ok = false
		}
		a.Name = s.Value
	} else {
		base := "Velo"
		if m := attached; m != nil {
			base = camel(m.Name)
		} else if refs := Refs(c); len(refs) > 0 {
			base = camel(refs[0].Metric.Name)
		}
		a.Name = base + "Alert"
		for i := 2; names[a.Name]; i++ {
			a.Name = fmt.Sprintf("%sAlert%d", base, i)
		}
	}
	names[a.Name] = true
	if s, has := p.value(g, kAlertFor); has {
		d, err := model.ParseDuration(s.Value)
		if err != nil || d <= 0 {
			p.valueErr(s, "a Prometheus duration such as 30s, 5m, 1h or 1h30m", "bad @alert_for %q", s.Value)
			ok = false
		}
		a.For = time.Duration(d)
	}
	if s, has := p.value(g, kSeverity); has {
		a.Severity = s.Value
	}
	if s, has := p.value(g, kSummary); has {
		if err := checkTemplate(s.Value); err != nil {
			p.valueErr(s, "Prometheus templates: {{ $labels.NAME }}, {{ $value }}, {{ $value | humanize }}", "bad @alert_summary: %v", err)
			ok = false
		}
		a.Summary = s.Value
	}
	if !ok {
		return nil
	}
	return a
}

type kind int

const (
	numeric kind = iota
	boolean
)

// resolver turns a parsed condition into a Cond, reporting what cannot be
// expressed over the query's metrics.
type resolver struct {
	p        *parserState
	a        ast.Annotation
	attached *Metric
	// quiet is set when the condition reads a metric that has its own
	// errors: the alert is dropped without a second report.
	quiet bool
}

func (r *resolver) span(n ast.Node) (token.Pos, token.Pos) {
	return within(r.a, n.Pos()), within(r.a, n.End())
}

func (r *resolver) errf(n ast.Node, hint, format string, args ...any) {
	pos, end := r.span(n)
	r.p.errs.AddHint(pos, end, hint, fmt.Sprintf(format, args...))
}

var (
	compareOps = map[ast.BinaryOp]string{ast.OpEq: "==", ast.OpNe: "!=", ast.OpLt: "<", ast.OpLe: "<=", ast.OpGt: ">", ast.OpGe: ">="}
	arithOps   = map[ast.BinaryOp]string{ast.OpAdd: "+", ast.OpSub: "-", ast.OpMul: "*", ast.OpDiv: "/", ast.OpMod: "%"}
)

func (r *resolver) resolve(x ast.Expr) (Cond, kind) {
	pos, end := r.span(x)
	switch n := x.(type) {
	case *ast.Paren:
		return r.resolve(n.X)
	case *ast.Ident:
		m := r.metric(n)
		if m == nil {
			return nil, numeric
		}
		return &Ref{Metric: m, Func: Value, Pos: pos, End: end}, numeric
	case *ast.Literal:
		switch n.Kind {
		case ast.LitInt, ast.LitDecimal, ast.LitFloat:
			f, err := strconv.ParseFloat(n.Raw, 64)
			if err != nil || math.IsInf(f, 0) {
				r.errf(n, "", "number %s is out of range", n.Raw)
				return nil, numeric
			}
			return &Number{Value: f, Text: promNumber(f), Pos: pos, End: end}, numeric
		}
		r.errf(n, "alert conditions compare numbers", "%s literal in an alert condition", litKind(n.Kind))
		return nil, numeric
	case *ast.Unary:
		switch n.Op {
		case ast.OpPlus:
			return r.resolve(n.X)
		case ast.OpNeg:
			c, k := r.resolve(n.X)
			if c == nil {
				return nil, k
			}
			if k != numeric {
				r.errf(n, "", "cannot negate a comparison")
				return nil, k
			}
			return &Neg{X: c, Pos: pos, End: end}, numeric
		}
		r.errf(n, "write the opposite comparison (e.g. <= instead of NOT >)", "NOT is not supported in alert conditions")
		return nil, boolean
	case *ast.Binary:
		return r.binary(n, pos, end)
	case *ast.Call:
		return r.call(n, pos, end)
	}
	r.errf(x, "alert conditions use metrics, numbers, + - * / %, comparisons, AND, OR, rate(m), increase(m) and quantile(q, m)",
		"this expression is not supported in an alert condition")
	return nil, numeric
}

func litKind(k ast.LitKind) string {
	switch k {
	case ast.LitString:
		return "string"
	case ast.LitBool:
		return "boolean"
	}
	return "NULL"
}

func (r *resolver) binary(n *ast.Binary, pos, end token.Pos) (Cond, kind) {
	l, lk := r.resolve(n.L)
	rc, rk := r.resolve(n.R)
	if l == nil || rc == nil {
		return nil, numeric
	}
	opPos := within(r.a, n.OpPos)
	opEnd := shift(opPos, len(n.Op.String()))
	if op, ok := compareOps[n.Op]; ok {
		if lk != numeric || rk != numeric {
			r.p.errs.AddHint(opPos, opEnd, "combine comparisons with AND or OR", "cannot compare the result of a comparison")
			return nil, boolean
		}
		if !hasRef(l) && !hasRef(rc) {
			r.p.errs.AddHint(pos, end, "compare a metric of the query with a threshold", "this comparison reads no metric")
			return nil, boolean
		}
		if !r.sameLabels(l, rc, opPos, opEnd) {
			return nil, boolean
		}
		return &Compare{Op: op, L: l, R: rc, Pos: pos, End: end}, boolean
	}
	if op, ok := arithOps[n.Op]; ok {
		if lk != numeric || rk != numeric {
			r.p.errs.AddHint(opPos, opEnd, "", fmt.Sprintf("arithmetic (%s) on a comparison", op))
			return nil, numeric
		}
		if !r.sameLabels(l, rc, opPos, opEnd) {
			return nil, numeric
		}
		return &Arith{Op: op, L: l, R: rc, Pos: pos, End: end}, numeric
	}
	if n.Op == ast.OpAnd || n.Op == ast.OpOr {
		if lk != boolean || rk != boolean {
			r.p.errs.AddHint(opPos, opEnd, "both sides of AND and OR are comparisons", fmt.Sprintf("%s of a number", n.Op))
			return nil, boolean
		}
		if !r.sameLabels(l, rc, opPos, opEnd) {
			return nil, boolean
		}
		return &Logical{Op: strings.ToLower(n.Op.String()), L: l, R: rc, Pos: pos, End: end}, boolean
	}
	r.p.errs.AddHint(opPos, opEnd, "", fmt.Sprintf("operator %s is not supported in alert conditions", n.Op))
	return nil, numeric
}

// sameLabels checks that two sides that both read metrics carry the same
// labels: PromQL matches series of a binary operation on their labels, and
// sides with different labels would never match (the alert could not fire).
func (r *resolver) sameLabels(l, rc Cond, pos, end token.Pos) bool {
	if !hasRef(l) || !hasRef(rc) {
		return true
	}
	a, b := Labels(l), Labels(rc)
	if sameSet(a, b) {
		return true
	}
	r.p.errs.AddHint(pos, end, "metrics combined in one alert need the same @metric_labels",
		fmt.Sprintf("the two sides have different labels (%s and %s), so no series would match", labelList(a), labelList(b)))
	return false
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

func labelList(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// metric resolves a name in a condition: a metric of the query by name, or
// the column the metric before the @alert measures.
func (r *resolver) metric(id *ast.Ident) *Metric {
	if len(id.Parts) > 1 {
		r.errf(id, "name the metric alone", "qualified name %s in an alert condition", strings.Join(id.Parts, "."))
		return nil
	}
	name := id.Name()
	m := r.p.names[name]
	if m == nil {
		for n, x := range r.p.names {
			if strings.EqualFold(n, name) {
				m = x
			}
		}
	}
	if m == nil && r.attached != nil && r.attached.Field != "" && strings.EqualFold(name, r.attached.Field) {
		m = r.attached
	}
	if m != nil {
		if r.p.bad[m] {
			r.quiet = true
		}
		return m
	}
	metrics := make([]string, 0, len(r.p.names))
	for n := range r.p.names {
		metrics = append(metrics, n)
	}
	if r.p.out.Index(name) >= 0 {
		if a := r.attached; a != nil && a.Type == Counter && a.Field == "" {
			r.errf(id, fmt.Sprintf("add `-- @metric_field: %s` so the counter sums it, or compare the count: %s > N", name, a.Name),
				"alert on column %q, but counter %q counts rows", name, a.Name)
			return nil
		}
		r.errf(id, "alert conditions read metrics: name one of the query's @metric names, or make the column a @metric_field",
			"alert on column %q, which no metric measures", name)
		return nil
	}
	msg := fmt.Sprintf("alert on unknown metric %q", name)
	switch s := diag.Suggest(name, metrics); {
	case s != "":
		r.errf(id, fmt.Sprintf("did you mean %q?", s), "%s", msg)
	case len(metrics) == 0:
		r.errf(id, "define it first: `-- @metric: "+name+"`", "%s: the query has no @metric", msg)
	default:
		r.errf(id, "the query's metrics: "+strings.Join(sortedCopy(metrics), ", "), "%s", msg)
	}
	return nil
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (r *resolver) call(n *ast.Call, pos, end token.Pos) (Cond, kind) {
	fn := strings.ToLower(n.Name.Name())
	var f Func
	switch fn {
	case "rate":
		f = Rate
	case "increase":
		f = Increase
	case "quantile":
		f = Quantile
	default:
		r.errf(n.Name, "use rate(m), increase(m) or quantile(q, m), each with an optional range such as 10m",
			"function %s is not available in alert conditions", n.Name.Name())
		return nil, numeric
	}
	if n.Star || n.Distinct || n.Over != nil || len(n.WithinGroup) > 0 {
		r.errf(n, "", "%s takes plain arguments", fn)
		return nil, numeric
	}
	args := n.Args
	ref := &Ref{Func: f, Pos: pos, End: end}
	want := "rate(metric [, range])"
	if f == Increase {
		want = "increase(metric [, range])"
	}
	if f == Quantile {
		want = "quantile(q, histogram [, range])"
		if len(args) < 2 || len(args) > 3 {
			r.errf(n, "e.g. quantile(0.99, latency) or quantile(0.99, latency, 10m)", "%s needs 2 or 3 arguments", want)
			return nil, numeric
		}
		q, ok := args[0].(*ast.Literal)
		v, err := 0.0, error(nil)
		if ok {
			v, err = strconv.ParseFloat(q.Raw, 64)
		}
		if !ok || err != nil || q.Kind == ast.LitString || v < 0 || v > 1 {
			r.errf(args[0], "e.g. 0.99", "the quantile must be a number between 0 and 1")
			return nil, numeric
		}
		ref.Quantile = v
		args = args[1:]
	} else if len(args) < 1 || len(args) > 2 {
		r.errf(n, "e.g. "+fn+"(orders) or "+fn+"(orders, 10m)", "%s needs 1 or 2 arguments", want)
		return nil, numeric
	}
	id, ok := args[0].(*ast.Ident)
	if !ok {
		r.errf(args[0], "", "%s reads a metric by name", fn)
		return nil, numeric
	}
	m := r.metric(id)
	if m == nil {
		return nil, numeric
	}
	switch {
	case f == Quantile && m.Type != Histogram:
		r.errf(id, "quantile reads a histogram", "%q is a %s", m.Name, m.Type)
		return nil, numeric
	case (f == Rate || f == Increase) && m.Type == Gauge:
		r.errf(id, fn+" reads a counter or a histogram; compare a gauge directly", "%q is a gauge", m.Name)
		return nil, numeric
	}
	ref.Metric = m
	if len(args) == 2 {
		d, ok := args[1].(*ast.IntervalLit)
		if !ok || d.Millis <= 0 {
			r.errf(args[1], "a duration such as 30s, 5m or INTERVAL '10' MINUTE", "the range of %s must be a positive duration", fn)
			return nil, numeric
		}
		ref.Range = time.Duration(d.Millis) * time.Millisecond
	}
	return ref, numeric
}

// promNumber spells f the way PromQL reads it back exactly.
func promNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' || r == ':' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

// promTemplateFuncs are the functions Prometheus offers in alert templates;
// only their names matter to a parse check.
var promTemplateFuncs = func() template.FuncMap {
	fm := template.FuncMap{}
	for _, n := range []string{"query", "first", "label", "value", "strvalue", "sortByLabel", "humanize", "humanize1024",
		"humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime", "pathPrefix", "externalURL", "parseDuration",
		"args", "reReplaceAll", "safeHtml", "match", "title", "toUpper", "toLower", "graphLink", "tableLink",
		"stripPort", "stripDomain", "urlUnescape"} {
		fm[n] = func(...any) any { return nil }
	}
	return fm
}()

// checkTemplate parses an annotation template the way Prometheus will,
// with the variables it defines ($labels, $value, ...).
func checkTemplate(s string) error {
	const defs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
	_, err := template.New("summary").Funcs(promTemplateFuncs).Option("missingkey=zero").Parse(defs + s)
	if err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "summary:1: "); i >= 0 {
			msg = msg[i+len("summary:1: "):]
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}
