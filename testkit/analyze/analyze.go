// Package analyze explains why a test failed, from the data itself, with
// rules that run offline: a JOIN whose keys do not meet (samples and
// formats of each side, the overlap, a fix), a WHERE that removes every
// row (which conjunct, and the range of values it saw), a window that never
// closes (the watermark against the latest event time), late records, and
// NULLs in the output (the input field and rows they came from).
//
// Takes: an Input describing the run (the plan, the output, the engine's
// counters and a way to replay each source's generated records). Gives:
// report.Findings. An AI explanation, when a provider is configured, comes
// after these and never replaces them (Explainer).
package analyze

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit/report"
	"github.com/velostream/velostream/testkit/schema"
)

// Scanner replays a source's generated records in the layout of columns
// (names of the source's schema), calling each with the 1-based record
// number. each returns false to stop.
type Scanner func(source string, columns types.Schema, each func(row types.Row, line int64) bool) error

// Join is a pair of keys to examine.
type Join struct {
	Left, Right       string
	LeftKey, RightKey string
	MinRate           float64
	// Assertion is true when a failed join_coverage assertion asked for it.
	Assertion bool
}

// Input is what the analysis looks at.
type Input struct {
	SQL     string
	Plan    *plan.Query
	Schemas map[string]*schema.Schema // by source name
	Output  types.Schema
	Rows    []types.Row
	// EventTimes are the event times the engine gave each output row (a
	// window's end for windowed results).
	EventTimes []int64
	Read       int64
	Filtered   int64
	Late       int64
	Bad        int64
	Watermark  int64 // math.MinInt64 when never set
	MaxEvent   int64
	FirstBad   string // the first dead letter (JSON), if any
	// NullColumns are output columns a failed no_nulls assertion named.
	NullColumns []string
	Joins       []Join
	Scan        Scanner
}

// Analyze runs every rule that applies.
func Analyze(in *Input) []report.Finding {
	var out []report.Finding
	for _, j := range in.Joins {
		if f, ok := joinFinding(in, j); ok {
			out = append(out, f)
		}
	}
	if len(in.Rows) == 0 {
		out = append(out, whereFindings(in)...)
	}
	out = append(out, windowFindings(in)...)
	out = append(out, nullFindings(in)...)
	if in.Bad > 0 {
		f := report.Finding{Kind: "bad_records", Title: fmt.Sprintf("%s records failed in the engine and went to the dead-letter path", num(in.Bad))}
		if in.FirstBad != "" {
			f.Details = []string{"first: " + in.FirstBad}
		}
		out = append(out, f)
	}
	return out
}

func num(n int64) string { return thousands(n) }

func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func ts(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// schemaFile names where a source's schema lives, for fixes.
func schemaFile(in *Input, source string) string {
	if s := schema.Lookup(in.Schemas, source); s != nil && s.File != "" {
		return s.File
	}
	return source + ".schema.yaml (print the inferred one with velo test --print-schema)"
}

// ---- JOIN coverage ----

// KeyStats describes one side's key values.
type KeyStats struct {
	Rows     int64
	Nulls    int64
	Distinct int
	Samples  []string // first distinct values, as text
	Kind     types.Kind
	Prefix   string // common prefix of the distinct values (strings)
	MinLen   int
	MaxLen   int
	Shape    string // e.g. "CUST" + 3 digits; empty when values differ in form
	set      map[string]bool
	shape    []shapePart
	mixed    bool
}

// Coverage is the match of a left key against a right key.
type Coverage struct {
	Left, Right KeyStats
	Matched     int64 // left rows whose key is among the right keys
	Overlap     int   // distinct left keys found on the right
	Unmatched   []string
}

// Rate is the share of left rows that matched.
func (c *Coverage) Rate() float64 {
	if c.Left.Rows == 0 {
		return 0
	}
	return float64(c.Matched) / float64(c.Left.Rows)
}

// keyText is a value's identity for matching: numbers compare by value
// across INT/DECIMAL/DOUBLE; strings by text; other kinds by kind and text.
func keyText(v types.Value) string {
	switch v.K {
	case types.KindString:
		return "s:" + v.S
	case types.KindInt, types.KindDecimal, types.KindFloat:
		return "n:" + schema.Text(canonicalNum(v))
	}
	return fmt.Sprintf("%d:%s", v.K, schema.Text(v))
}

func canonicalNum(v types.Value) types.Value {
	f := schema.Float64(v)
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return types.IntValue(int64(f))
	}
	return types.FloatValue(f)
}

// MeasureJoin replays both sources and measures how the keys meet.
func MeasureJoin(scan Scanner, schemas map[string]*schema.Schema, j Join) (*Coverage, error) {
	ls, rs := schema.Lookup(schemas, j.Left), schema.Lookup(schemas, j.Right)
	if ls == nil || rs == nil {
		return nil, fmt.Errorf("join_coverage: no data for %s or %s", j.Left, j.Right)
	}
	lf, rf := ls.Field(j.LeftKey), rs.Field(j.RightKey)
	if lf == nil || rf == nil {
		return nil, fmt.Errorf("join_coverage: %s.%s or %s.%s is not a field", j.Left, j.LeftKey, j.Right, j.RightKey)
	}
	c := &Coverage{}
	c.Right.set = map[string]bool{}
	err := scan(j.Right, types.Schema{{Name: rf.Name, Type: rf.SQLType()}}, func(r types.Row, _ int64) bool {
		c.Right.add(r[0])
		return true
	})
	if err != nil {
		return nil, err
	}
	c.Left.set = map[string]bool{}
	lrow := ls.Row()
	li := lrow.Index(lf.Name)
	err = scan(j.Left, lrow, func(r types.Row, line int64) bool {
		v := r[li]
		c.Left.add(v)
		if v.K != types.KindNull && c.Right.set[keyText(v)] {
			c.Matched++
		} else if len(c.Unmatched) < 5 {
			c.Unmatched = append(c.Unmatched, fmt.Sprintf(`{"_source":%q,"_record":%d,"row":%s}`, j.Left, line, format.AppendJSON(nil, lrow, r)))
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	for k := range c.Left.set {
		if c.Right.set[k] {
			c.Overlap++
		}
	}
	c.Left.finish()
	c.Right.finish()
	return c, nil
}

func (k *KeyStats) add(v types.Value) {
	k.Rows++
	if v.K == types.KindNull {
		k.Nulls++
		return
	}
	if k.Kind == types.KindNull {
		k.Kind = v.K
	}
	t := keyText(v)
	if k.set[t] {
		return
	}
	k.set[t] = true
	k.Distinct++
	txt := schema.Text(v)
	if len(k.Samples) < 3 {
		k.Samples = append(k.Samples, txt)
	}
	if k.Distinct == 1 {
		k.Prefix, k.MinLen, k.MaxLen = txt, len(txt), len(txt)
	} else {
		k.Prefix = commonPrefix(k.Prefix, txt)
		k.MinLen, k.MaxLen = min(k.MinLen, len(txt)), max(k.MaxLen, len(txt))
	}
	if k.Distinct == 1 {
		k.shape = shapeOf(txt)
	} else if !k.mixed && !mergeShape(k.shape, shapeOf(txt)) {
		k.mixed = true
	}
}

func (k *KeyStats) finish() {
	if !k.mixed && k.shape != nil {
		k.Shape = shapeText(k.shape)
	}
	// A prefix that only holds leading digits of numbers says nothing.
	k.Prefix = strings.TrimRightFunc(k.Prefix, func(r rune) bool { return r >= '0' && r <= '9' })
}

func commonPrefix(a, b string) string {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return a[:i]
}

// shape describes a value's form: its non-digit text with runs of digits
// counted, e.g. "CUST001" -> `"CUST" + 3 digits`, "C-100" -> `"C-" + 3 digits`.
type shapePart struct {
	text       string // literal text, or "" for a digit run
	dmin, dmax int
}

func shapeOf(s string) []shapePart {
	var parts []shapePart
	i := 0
	for i < len(s) {
		j := i
		if isDigit(s[i]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			parts = append(parts, shapePart{dmin: j - i, dmax: j - i})
		} else {
			for j < len(s) && !isDigit(s[j]) {
				j++
			}
			parts = append(parts, shapePart{text: s[i:j]})
		}
		i = j
	}
	return parts
}

// mergeShape widens a's digit counts to cover b; false when the forms differ.
func mergeShape(a, b []shapePart) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].text != b[i].text {
			return false
		}
	}
	for i := range a {
		if a[i].text == "" {
			a[i].dmin, a[i].dmax = min(a[i].dmin, b[i].dmin), max(a[i].dmax, b[i].dmax)
		}
	}
	return true
}

func shapeText(parts []shapePart) string {
	var out []string
	for _, p := range parts {
		switch {
		case p.text != "":
			out = append(out, fmt.Sprintf("%q", p.text))
		case p.dmin == p.dmax:
			out = append(out, fmt.Sprintf("%d digits", p.dmin))
		default:
			out = append(out, fmt.Sprintf("%d..%d digits", p.dmin, p.dmax))
		}
	}
	return strings.Join(out, " + ")
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (k *KeyStats) describe() string {
	var parts []string
	parts = append(parts, k.Kind.String())
	if k.Kind == types.KindString {
		if k.Prefix != "" {
			parts = append(parts, fmt.Sprintf("prefix %q", k.Prefix))
		}
		if k.MinLen == k.MaxLen {
			parts = append(parts, fmt.Sprintf("length %d", k.MinLen))
		} else {
			parts = append(parts, fmt.Sprintf("length %d..%d", k.MinLen, k.MaxLen))
		}
		if k.Shape != "" {
			parts = append(parts, "format "+k.Shape)
		}
	}
	parts = append(parts, num(int64(k.Distinct))+" distinct")
	if k.Nulls > 0 {
		parts = append(parts, num(k.Nulls)+" NULL")
	}
	return strings.Join(parts, ", ")
}

func joinFinding(in *Input, j Join) (report.Finding, bool) {
	c, err := MeasureJoin(in.Scan, in.Schemas, j)
	if err != nil {
		return report.Finding{Kind: "join_coverage", Title: err.Error()}, true
	}
	rate := c.Rate()
	if !j.Assertion && rate >= j.MinRate {
		return report.Finding{}, false
	}
	lname, rname := j.Left+"."+j.LeftKey, j.Right+"."+j.RightKey
	f := report.Finding{Kind: "join_coverage",
		Title: fmt.Sprintf("The JOIN on %s = %s matched %s of %s rows (%s of %s)", lname, rname, pct(rate), j.Left, num(c.Matched), num(c.Left.Rows))}
	f.Details = append(f.Details,
		fmt.Sprintf("%s contains: [%s] (%s)", lname, strings.Join(c.Left.Samples, ", "), c.Left.describe()),
		fmt.Sprintf("%s contains: [%s] (%s)", rname, strings.Join(c.Right.Samples, ", "), c.Right.describe()),
		fmt.Sprintf("overlap: %s of %s distinct %s values appear in %s", num(int64(c.Overlap)), num(int64(c.Left.Distinct)), lname, rname))
	ref := fmt.Sprintf("in %s give %s `references: {schema: %s, field: %s}` so its values are drawn from the generated %s keys",
		schemaFile(in, j.Left), j.LeftKey, j.Right, j.RightKey, j.Right)
	switch {
	case c.Left.Kind != c.Right.Kind && c.Left.Kind != types.KindNull && c.Right.Kind != types.KindNull:
		f.Details = append(f.Details, fmt.Sprintf("the key types differ: %s is %s, %s is %s", lname, c.Left.Kind, rname, c.Right.Kind))
		f.Fix = fmt.Sprintf("compare like with like: CAST(%s AS %s) in the ON clause, or make both schema fields the same type; then %s", lname, c.Right.Kind, ref)
	case c.Left.Kind == types.KindString && (c.Left.Prefix != c.Right.Prefix || c.Left.Shape != c.Right.Shape):
		f.Details = append(f.Details, fmt.Sprintf("the key formats differ: %s vs %s", quoteOr(c.Left.Shape, c.Left.Prefix), quoteOr(c.Right.Shape, c.Right.Prefix)))
		f.Fix = ref
	case c.Overlap == 0:
		f.Details = append(f.Details, "the formats agree but the generated values never meet (the ranges do not overlap)")
		f.Fix = ref
	default:
		f.Fix = ref
	}
	if len(c.Unmatched) > 0 {
		f.Details = append(f.Details, "unmatched, e.g.: "+c.Unmatched[0])
	}
	return f, true
}

func quoteOr(shape, prefix string) string {
	if shape != "" {
		return shape
	}
	return fmt.Sprintf("prefix %q", prefix)
}

func pct(x float64) string {
	p := x * 100
	if p == math.Trunc(p) {
		return fmt.Sprintf("%.0f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}

// ---- WHERE ----

// filters returns the Filter nodes that sit directly on a source's scan.
func filters(n plan.Node) []*plan.Filter {
	var out []*plan.Filter
	var walk func(plan.Node)
	walk = func(n plan.Node) {
		if f, ok := n.(*plan.Filter); ok {
			if _, ok := f.Input.(*plan.Scan); ok {
				out = append(out, f)
			}
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	if n != nil {
		walk(n)
	}
	return out
}

func conjuncts(e expr.Expr) []expr.Expr {
	if l, ok := e.(*expr.Logic); ok && l.And {
		return append(conjuncts(l.L), conjuncts(l.R)...)
	}
	return []expr.Expr{e}
}

// sqlText returns the SQL a bound expression came from.
func sqlText(src string, e expr.Expr) string {
	sp := e.Span()
	if sp.Start.IsValid() && sp.End.Offset > sp.Start.Offset && sp.End.Offset <= len(src) {
		return src[sp.Start.Offset:sp.End.Offset]
	}
	return e.String()
}

type colRange struct {
	lo, hi   types.Value
	nulls    int64
	distinct map[string]bool
	samples  []string
}

func (c *colRange) add(v types.Value) {
	if v.K == types.KindNull {
		c.nulls++
		return
	}
	if c.lo.K == types.KindNull {
		c.lo, c.hi = v, v
	} else {
		if x, ok, _ := functions.Compare(v, c.lo); ok && x < 0 {
			c.lo = v
		}
		if x, ok, _ := functions.Compare(v, c.hi); ok && x > 0 {
			c.hi = v
		}
	}
	if c.distinct == nil {
		c.distinct = map[string]bool{}
	}
	if len(c.distinct) <= 50 {
		t := schema.Text(v)
		if !c.distinct[t] {
			c.distinct[t] = true
			if len(c.samples) < 5 {
				c.samples = append(c.samples, t)
			}
		}
	}
}

func whereFindings(in *Input) []report.Finding {
	var out []report.Finding
	for _, f := range filters(in.Plan.Root) {
		src := f.Input.(*plan.Scan).Source
		parts := conjuncts(f.Pred)
		alone := make([]int64, len(parts))
		all := int64(0)
		total := int64(0)
		ranges := make([]colRange, len(src.Columns))
		var ctx expr.Ctx
		err := in.Scan(src.Name, src.Columns, func(r types.Row, _ int64) bool {
			total++
			ok := true
			for k, p := range parts {
				ctx.Reset()
				t, null := functions.Truthy(p.Eval(&ctx, r))
				if t && !null && ctx.Err == nil {
					alone[k]++
				} else {
					ok = false
				}
			}
			if ok {
				all++
			}
			for i := range ranges {
				ranges[i].add(r[i])
			}
			return true
		})
		if err != nil || total == 0 || all > 0 {
			continue
		}
		fd := report.Finding{Kind: "where_filter",
			Title: fmt.Sprintf("The WHERE clause removed every one of the %s %s records", num(total), src.Name)}
		culprit := -1
		for k, p := range parts {
			line := fmt.Sprintf("%s kept %s of %s records", sqlText(in.SQL, p), num(alone[k]), num(total))
			if alone[k] == 0 && culprit < 0 {
				culprit = k
				line += "  <- eliminated them"
			}
			fd.Details = append(fd.Details, line)
		}
		var cols []int
		if culprit >= 0 {
			cols = expr.Columns(parts[culprit])
		} else {
			fd.Details = append(fd.Details, "each condition keeps some records, but no record passes them all together")
			for _, p := range parts {
				cols = append(cols, expr.Columns(p)...)
			}
		}
		seen := map[int]bool{}
		for _, c := range cols {
			if seen[c] || c >= len(src.Columns) {
				continue
			}
			seen[c] = true
			r := ranges[c]
			name := src.Columns[c].Name
			switch {
			case r.lo.K == types.KindNull:
				fd.Details = append(fd.Details, fmt.Sprintf("%s was NULL in every record", name))
			case r.lo.K == types.KindString || r.lo.K == types.KindBool:
				more := ""
				if len(r.distinct) > len(r.samples) {
					more = ", ..."
				}
				fd.Details = append(fd.Details, fmt.Sprintf("%s took the values [%s%s]", name, strings.Join(r.samples, ", "), more))
			default:
				fd.Details = append(fd.Details, fmt.Sprintf("%s ranged from %s to %s", name, schema.Text(r.lo), schema.Text(r.hi)))
			}
			if r.nulls > 0 {
				fd.Details = append(fd.Details, fmt.Sprintf("%s was NULL in %s records", name, num(r.nulls)))
			}
		}
		if culprit >= 0 {
			fd.Fix = fmt.Sprintf("change the condition %s, or the constraints of %s in %s so that some generated values pass it",
				sqlText(in.SQL, parts[culprit]), colNames(src.Columns, cols), schemaFile(in, src.Name))
		} else {
			fd.Fix = "the conditions contradict each other for the generated data: check them together"
		}
		out = append(out, fd)
	}
	return out
}

func colNames(s types.Schema, idx []int) string {
	var names []string
	seen := map[int]bool{}
	for _, i := range idx {
		if i < len(s) && !seen[i] {
			seen[i] = true
			names = append(names, s[i].Name)
		}
	}
	return strings.Join(names, ", ")
}

// ---- windows and time ----

func windowFindings(in *Input) []report.Finding {
	var out []report.Finding
	if !in.Plan.Windowed {
		return nil
	}
	var agg *plan.Aggregate
	var walk func(plan.Node)
	walk = func(n plan.Node) {
		if a, ok := n.(*plan.Aggregate); ok && agg == nil {
			agg = a
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(in.Plan.Root)
	if agg == nil || agg.Window == nil {
		return nil
	}
	var delay int64
	var timeCol string
	for _, s := range in.Plan.Sources {
		delay = max(delay, s.MaxOutOfOrder)
		if s.TimeCol >= 0 && s.TimeCol < len(s.Columns) {
			timeCol = s.Name + "." + s.Columns[s.TimeCol].Name
		}
	}
	if in.Watermark == math.MinInt64 && in.Read > in.Bad && in.Read > 0 {
		out = append(out, report.Finding{Kind: "window_never_closes",
			Title:   "The watermark never advanced, so no window could close while data flowed",
			Details: []string{"no record carried a usable event time" + timeHint(timeCol)},
			Fix:     "give the time column a timestamp type with start/rate in the schema, and make sure it is never NULL"})
		return out
	}
	if agg.Emit == ast.EmitFinal && len(in.Rows) > 0 && in.Watermark != math.MinInt64 {
		closed := 0
		firstEnd := int64(math.MaxInt64)
		for _, t := range in.EventTimes {
			if t <= in.Watermark {
				closed++
			}
			firstEnd = min(firstEnd, t)
		}
		if closed == 0 {
			f := report.Finding{Kind: "window_never_closes",
				Title: "No window closed while data flowed: every result came from closing windows at the end of the test input",
				Details: []string{
					fmt.Sprintf("watermark reached %s (latest event time %s minus %dms allowed out-of-orderness)", ts(in.Watermark), ts(in.MaxEvent), delay),
					fmt.Sprintf("the first window ends at %s, %s after the watermark", ts(firstEnd), time.Duration(firstEnd-in.Watermark)*time.Millisecond),
					"on an unbounded stream these windows would stay open until later data moves the watermark past their end",
				}}
			f.Fix = fmt.Sprintf("generate enough event time to pass a window: more --records, a higher rate for %s in the schema, or a shorter window (%s) or watermark delay", strings.TrimPrefix(timeCol, ""), agg.Window)
			out = append(out, f)
		}
	}
	if in.Late > 0 {
		f := report.Finding{Kind: "late_records",
			Title:   fmt.Sprintf("%s records arrived after their window had closed and were not counted", num(in.Late)),
			Details: []string{fmt.Sprintf("the watermark allows %dms of out-of-orderness", delay)}}
		for _, s := range in.Plan.Sources {
			if s.TimeCol < 0 {
				continue
			}
			sc := schema.Lookup(in.Schemas, s.Name)
			if sc == nil {
				continue
			}
			if fl := sc.Field(s.Columns[s.TimeCol].Name); fl != nil && fl.JitterMs > s.MaxOutOfOrder {
				f.Details = append(f.Details, fmt.Sprintf("%s.%s is generated up to %dms out of order (jitter), more than the %dms the watermark waits", s.Name, fl.Name, fl.JitterMs, s.MaxOutOfOrder))
				f.Fix = fmt.Sprintf("set '%s.watermark.max_out_of_orderness' = '%dms' (or more) in the query, or lower the jitter of %s", s.Name, fl.JitterMs, fl.Name)
			}
		}
		out = append(out, f)
	}
	return out
}

func timeHint(col string) string {
	if col == "" {
		return ""
	}
	return " (time column " + col + ")"
}

// ---- NULLs in the output ----

// inputColumns returns, for output column i, the source and the input
// columns it is computed from, when the plan reads one source.
func inputColumns(p *plan.Query, i int) (*plan.Source, []int, string) {
	if len(p.Sources) != 1 {
		return nil, nil, ""
	}
	src := p.Sources[0]
	switch n := p.Root.(type) {
	case *plan.Project:
		if i < len(n.Exprs) {
			return src, expr.Columns(n.Exprs[i]), n.Exprs[i].String()
		}
	case *plan.Aggregate:
		if i >= len(n.Output) {
			return nil, nil, ""
		}
		var cols []int
		nk := len(n.Keys)
		for _, c := range expr.Columns(n.Output[i]) {
			switch {
			case c < nk:
				cols = append(cols, expr.Columns(n.Keys[c])...)
			case c < nk+len(n.Aggs):
				for _, a := range n.Aggs[c-nk].Args {
					cols = append(cols, expr.Columns(a)...)
				}
			}
		}
		return src, cols, n.Output[i].String()
	}
	return nil, nil, ""
}

func nullFindings(in *Input) []report.Finding {
	var out []report.Finding
	for _, name := range in.NullColumns {
		oi := in.Output.Index(name)
		if oi < 0 {
			continue
		}
		nulls := 0
		for _, r := range in.Rows {
			if r[oi].K == types.KindNull {
				nulls++
			}
		}
		if nulls == 0 {
			continue
		}
		f := report.Finding{Kind: "output_nulls",
			Title: fmt.Sprintf("Output column %s is NULL in %d of %d rows", name, nulls, len(in.Rows))}
		src, cols, text := inputColumns(in.Plan, oi)
		if src == nil {
			f.Details = append(f.Details, "it is computed from more than one source; check the join's unmatched side (an outer join yields NULLs)")
			out = append(out, f)
			continue
		}
		f.Details = append(f.Details, fmt.Sprintf("it is computed as %s from %s", text, src.Name))
		if len(cols) == 0 {
			f.Details = append(f.Details, "it reads no input column: the expression itself yields NULL")
			out = append(out, f)
			continue
		}
		counts := map[int]int64{}
		var samples []string
		total := int64(0)
		err := in.Scan(src.Name, src.Columns, func(r types.Row, line int64) bool {
			total++
			hit := false
			for _, c := range cols {
				if r[c].K == types.KindNull {
					counts[c]++
					hit = true
				}
			}
			if hit && len(samples) < 3 {
				samples = append(samples, fmt.Sprintf("%s#%d %s", src.Name, line, format.AppendJSON(nil, src.Columns, r)))
			}
			return true
		})
		if err != nil {
			continue
		}
		var nullable []string
		for _, c := range uniq(cols) {
			cname := src.Columns[c].Name
			if counts[c] == 0 {
				continue
			}
			line := fmt.Sprintf("input %s.%s is NULL in %s of %s records", src.Name, cname, num(counts[c]), num(total))
			if sc := schema.Lookup(in.Schemas, src.Name); sc != nil {
				if fl := sc.Field(cname); fl != nil && fl.Nullable {
					line += fmt.Sprintf(" (the schema sets null_probability %g)", fl.NullProbability)
				}
			}
			f.Details = append(f.Details, line)
			nullable = append(nullable, cname)
		}
		if len(nullable) == 0 {
			f.Details = append(f.Details, "no input value it reads was NULL: the expression yields NULL (e.g. a CASE without ELSE, a failed CAST, NULLIF)")
		} else {
			for _, s := range samples {
				f.Details = append(f.Details, "e.g. "+s)
			}
			f.Fix = fmt.Sprintf("if NULLs are not expected, remove nullable/null_probability of %s in %s; if they are, use COALESCE(%s, ...) in the query",
				strings.Join(nullable, ", "), schemaFile(in, src.Name), nullable[0])
		}
		out = append(out, f)
	}
	return out
}

func uniq(xs []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Ints(out)
	return out
}

// ---- AI ----

// Request is what an AI provider is given: the query, the failures and
// the rule-based findings.
type Request struct {
	SQL      string
	Failures []report.Assertion
	Findings []report.Finding
}

// Explainer explains a failed test in plain language. Providers (the
// Studio's) implement it; the rule-based findings are shown first and
// never replaced.
type Explainer interface {
	Name() string
	Explain(ctx context.Context, req Request) (string, error)
}

// ErrNoProvider is what --ai reports when no provider is configured.
var ErrNoProvider = errors.New("no AI provider is configured")
