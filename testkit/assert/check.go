package assert

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit/schema"
)

// MaxRows is how many offending rows a failure shows.
const MaxRows = 5

// Data is what a run produced, for checking.
type Data struct {
	Output  types.Schema
	Rows    []types.Row
	Records int64 // input records generated
	Read    int64 // records the engine read
	Bad     int64 // records that failed (decode, event time, evaluation)
	DLQ     int64 // records sent to the dead-letter path
	Late    int64
	Elapsed time.Duration
	// PeakHeapMB is the largest Go heap seen during the run.
	PeakHeapMB float64
	// DeadLetters are the dead-letter records (JSON), for offending rows.
	DeadLetters []string
	// Coverage computes join key coverage between two sources' inputs.
	Coverage func(left, right, leftKey, rightKey string) (Coverage, error)
}

// Coverage is how many left rows found their key among the right rows.
type Coverage struct {
	LeftRows, Matched int64
	// Unmatched holds a few left rows (JSON) whose key had no match.
	Unmatched []string
}

// Rate is Matched/LeftRows (0 for no rows).
func (c Coverage) Rate() float64 {
	if c.LeftRows == 0 {
		return 0
	}
	return float64(c.Matched) / float64(c.LeftRows)
}

// Result is the outcome of one assertion.
type Result struct {
	Passed bool
	// Summary follows "type: " on the assertion's line, e.g.
	// "7 (expected: > 0)".
	Summary  string
	Expected string
	Actual   string
	// Rows are offending rows as JSON objects (at most MaxRows).
	Rows []string
}

// Check evaluates a bound assertion against a run.
func (a *Assertion) Check(d *Data) Result {
	switch a.Type {
	case RecordCount:
		n := float64(len(d.Rows))
		return a.compare(n, fmtNum(n), "output rows")
	case ExecutionTime:
		ms := float64(d.Elapsed.Microseconds()) / 1000
		if ms < 10 {
			ms = math.Round(ms*10) / 10 // "0.4ms", not "0ms"
		} else {
			ms = math.Round(ms)
		}
		return a.compare(ms, fmtNum(ms)+"ms", "execution time")
	case Throughput:
		rate := 0.0
		if s := d.Elapsed.Seconds(); s > 0 {
			rate = math.Round(float64(d.Read) / s)
		}
		return a.compare(rate, fmtNum(rate)+" records/sec", "throughput")
	case MemoryUsage:
		mb := math.Round(d.PeakHeapMB*10) / 10
		return a.compare(mb, fmt.Sprintf("%.1f MB", mb), "peak heap")
	case DLQCount:
		r := a.compare(float64(d.Bad), fmtNum(float64(d.Bad)), "failed records")
		if !r.Passed {
			r.Rows = firstN(d.DeadLetters)
		}
		return r
	case ErrorRate:
		rate := 0.0
		if d.Read > 0 {
			rate = float64(d.Bad) / float64(d.Read)
		}
		r := a.compare(rate, fmt.Sprintf("%.2f%%", rate*100), "failed records / records read")
		r.Actual = fmt.Sprintf("%.2f%% (%d of %d records failed)", rate*100, d.Bad, d.Read)
		if !r.Passed {
			r.Rows = firstN(d.DeadLetters)
		}
		return r
	case SchemaContains:
		var missing []string
		for _, f := range a.Fields {
			if d.Output.Index(f) < 0 {
				missing = append(missing, f)
			}
		}
		list := "[" + strings.Join(a.Fields, ", ") + "]"
		if len(missing) == 0 {
			return Result{Passed: true, Summary: list}
		}
		return Result{Summary: fmt.Sprintf("%s: missing %s", list, strings.Join(missing, ", ")),
			Expected: "output columns include " + strings.Join(a.Fields, ", "),
			Actual:   "output columns are " + strings.Join(d.Output.Names(), ", ")}
	case NoNulls:
		return a.noNulls(d)
	case FieldValues:
		return a.fieldValues(d)
	case FieldInSet:
		return a.fieldInSet(d)
	case UniqueValues:
		return a.unique(d, "values of "+strings.Join(a.Fields, ", ")+" are unique", "["+strings.Join(a.Fields, ", ")+"]")
	case NoDuplicates:
		return a.noDuplicates(d)
	case Ordering:
		return a.ordering(d)
	case AggregateCheck:
		return a.aggregate(d)
	case JoinCoverage:
		return a.joinCoverage(d)
	}
	return Result{Summary: "unknown assertion type " + a.Type}
}

func (a *Assertion) compare(x float64, seen, what string) Result {
	ok := a.Cmp.Check(x)
	r := Result{Passed: ok, Summary: fmt.Sprintf("%s (expected: %s)", seen, a.Cmp), Expected: what + " " + a.Cmp.String(), Actual: seen}
	return r
}

func firstN(rows []string) []string {
	if len(rows) > MaxRows {
		return append([]string(nil), rows[:MaxRows]...)
	}
	return append([]string(nil), rows...)
}

// rowJSON renders an output row.
func rowJSON(s types.Schema, r types.Row) string { return string(format.AppendJSON(nil, s, r)) }

func (a *Assertion) noNulls(d *Data) Result {
	list := "[" + strings.Join(a.Fields, ", ") + "]"
	counts := make([]int, len(a.fieldIx))
	var bad []string
	badRows := 0
	for _, r := range d.Rows {
		hit := false
		for k, i := range a.fieldIx {
			if r[i].K == types.KindNull {
				counts[k]++
				hit = true
			}
		}
		if hit {
			badRows++
			if len(bad) < MaxRows {
				bad = append(bad, rowJSON(d.Output, r))
			}
		}
	}
	if badRows == 0 {
		return Result{Passed: true, Summary: list}
	}
	var parts []string
	for k, c := range counts {
		if c > 0 {
			parts = append(parts, fmt.Sprintf("%s NULL in %d", a.Fields[k], c))
		}
	}
	seen := fmt.Sprintf("%d of %d rows have a NULL (%s)", badRows, len(d.Rows), strings.Join(parts, ", "))
	return Result{Summary: list + ": " + seen, Expected: "no NULL in " + strings.Join(a.Fields, ", "), Actual: seen, Rows: bad}
}

func (a *Assertion) fieldValues(d *Data) Result {
	var c expr.Ctx
	var bad []string
	failed, nulls := 0, 0
	var firstErr error
	for _, r := range d.Rows {
		c.Reset()
		v := a.cond.Eval(&c, r)
		if c.Err != nil && firstErr == nil {
			firstErr = c.Err
		}
		t, null := functions.Truthy(v)
		if t && !null && c.Err == nil {
			continue
		}
		failed++
		if null {
			nulls++
		}
		if len(bad) < MaxRows {
			bad = append(bad, rowJSON(d.Output, r))
		}
	}
	if failed == 0 {
		return Result{Passed: true, Summary: fmt.Sprintf("%s (all %s rows)", a.Expr, fmtNum(float64(len(d.Rows))))}
	}
	seen := fmt.Sprintf("%d of %d rows fail", failed, len(d.Rows))
	if nulls > 0 {
		seen += fmt.Sprintf(" (%d of them NULL)", nulls)
	}
	if firstErr != nil {
		seen += fmt.Sprintf("; first error: %v", firstErr)
	}
	return Result{Summary: a.Expr + ": " + seen, Expected: "every row satisfies " + a.Expr, Actual: seen, Rows: bad}
}

func (a *Assertion) fieldInSet(d *Data) Result {
	i := a.fieldIx[0]
	allowed := map[string]bool{}
	for _, v := range a.Values {
		allowed[v] = true
	}
	var bad []string
	failed := 0
	outside := map[string]int{}
	for _, r := range d.Rows {
		txt := schema.Text(r[i])
		if r[i].K != types.KindNull && allowed[txt] {
			continue
		}
		failed++
		outside[txt]++
		if len(bad) < MaxRows {
			bad = append(bad, rowJSON(d.Output, r))
		}
	}
	set := fmt.Sprintf("%s in [%s]", a.Field, strings.Join(a.Values, ", "))
	if failed == 0 {
		return Result{Passed: true, Summary: set}
	}
	seen := fmt.Sprintf("%d of %d rows outside the set (values seen: %s)", failed, len(d.Rows), topValues(outside, 5))
	return Result{Summary: set + ": " + seen, Expected: set, Actual: seen, Rows: bad}
}

// topValues renders the most frequent values of a count map.
func topValues(m map[string]int, n int) string {
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range m {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].v != list[j].v {
			return list[i].v > list[j].v
		}
		return list[i].k < list[j].k
	})
	var parts []string
	for i, e := range list {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(list)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", e.k, e.v))
	}
	return strings.Join(parts, ", ")
}

// keyOf renders the values of columns idx as one comparable key.
func keyOf(r types.Row, idx []int) string {
	var b []byte
	for _, i := range idx {
		b = format.AppendJSONValue(b, r[i])
		b = append(b, 0)
	}
	return string(b)
}

func (a *Assertion) unique(d *Data, expected, label string) Result {
	seen := map[string]int{}
	firstRow := map[string]int{}
	var bad []string
	dups := map[string]int{}
	for n, r := range d.Rows {
		k := keyOf(r, a.fieldIx)
		seen[k]++
		if seen[k] == 1 {
			firstRow[k] = n
			continue
		}
		dups[displayKey(d.Output, r, a.fieldIx)] = seen[k]
		if len(bad) < MaxRows {
			if seen[k] == 2 {
				bad = append(bad, rowJSON(d.Output, d.Rows[firstRow[k]]))
			}
			if len(bad) < MaxRows {
				bad = append(bad, rowJSON(d.Output, r))
			}
		}
	}
	if len(dups) == 0 {
		return Result{Passed: true, Summary: fmt.Sprintf("%s: %s distinct", label, fmtNum(float64(len(seen))))}
	}
	act := fmt.Sprintf("%d values occur more than once (%s)", len(dups), topValues(dups, 3))
	return Result{Summary: label + ": " + act, Expected: expected, Actual: act, Rows: bad}
}

func displayKey(s types.Schema, r types.Row, idx []int) string {
	var parts []string
	for _, i := range idx {
		parts = append(parts, schema.Text(r[i]))
	}
	return strings.Join(parts, "/")
}

func (a *Assertion) noDuplicates(d *Data) Result {
	idx := a.fieldIx
	label := "[" + strings.Join(a.Fields, ", ") + "]"
	if len(a.Fields) == 0 {
		idx = make([]int, len(d.Output))
		for i := range idx {
			idx[i] = i
		}
		label = "whole rows"
	}
	save := a.fieldIx
	a.fieldIx = idx
	r := a.unique(d, "no two rows share "+label, label)
	a.fieldIx = save
	if r.Passed {
		r.Summary = label + ": no duplicates"
	}
	return r
}

func (a *Assertion) ordering(d *Data) Result {
	i := a.fieldIx[0]
	dir := "ascending"
	if a.Desc {
		dir = "descending"
	}
	label := a.Field + " " + dir
	for n := 1; n < len(d.Rows); n++ {
		c, ok, _ := functions.Compare(d.Rows[n-1][i], d.Rows[n][i])
		if !ok {
			continue // NULLs do not order
		}
		if (!a.Desc && c > 0) || (a.Desc && c < 0) {
			act := fmt.Sprintf("row %d (%s) comes after row %d (%s)", n+1, schema.Text(d.Rows[n][i]), n, schema.Text(d.Rows[n-1][i]))
			return Result{Summary: label + ": " + act, Expected: "rows in " + dir + " order of " + a.Field, Actual: act,
				Rows: []string{rowJSON(d.Output, d.Rows[n-1]), rowJSON(d.Output, d.Rows[n])}}
		}
	}
	return Result{Passed: true, Summary: label}
}

func (a *Assertion) aggregate(d *Data) Result {
	var c expr.Ctx
	res := make(types.Row, len(a.aggs))
	var parts []string
	for k, ag := range a.aggs {
		buf := ag.fn.NewBuffer()
		for _, r := range d.Rows {
			v := types.BoolValue(true)
			if !ag.star && len(ag.args) > 0 {
				c.Reset()
				v = ag.args[0].Eval(&c, r)
			}
			if err := buf.Update(v); err != nil {
				return Result{Summary: fmt.Sprintf("%s: %v", a.Expr, err), Expected: a.Expr, Actual: err.Error()}
			}
		}
		res[k] = buf.Result()
		parts = append(parts, fmt.Sprintf("%s = %s", ag.text, schema.Text(res[k])))
	}
	c.Reset()
	v := a.outer.Eval(&c, res)
	seen := strings.Join(parts, ", ")
	if c.Err != nil {
		return Result{Summary: fmt.Sprintf("%s: %v", a.Expr, c.Err), Expected: a.Expr, Actual: c.Err.Error()}
	}
	if a.Cmp != nil {
		x := schema.Float64(v)
		ok := v.K != types.KindNull && a.Cmp.Check(x)
		return Result{Passed: ok, Summary: fmt.Sprintf("%s = %s (expected: %s)", a.Expr, schema.Text(v), a.Cmp),
			Expected: a.Expr + " " + a.Cmp.String(), Actual: schema.Text(v)}
	}
	t, null := functions.Truthy(v)
	if t && !null {
		return Result{Passed: true, Summary: fmt.Sprintf("%s (%s)", a.Expr, seen)}
	}
	return Result{Summary: fmt.Sprintf("%s: %s", a.Expr, seen), Expected: a.Expr, Actual: seen}
}

func (a *Assertion) joinCoverage(d *Data) Result {
	if d.Coverage == nil {
		return Result{Summary: "no source data to measure", Expected: a.Cmp.String(), Actual: "no data"}
	}
	cov, err := d.Coverage(a.Left, a.Right, a.Key, a.rightKey())
	if err != nil {
		return Result{Summary: err.Error(), Expected: a.Cmp.String(), Actual: err.Error()}
	}
	rate := cov.Rate()
	pct := fmtPct(rate)
	r := Result{Passed: a.Cmp.Check(rate), Summary: fmt.Sprintf("%s match (expected: %s)", pct, a.Cmp),
		Expected: fmt.Sprintf("%s of %s rows find %s in %s", a.Cmp, a.Left, a.Key, a.Right),
		Actual:   fmt.Sprintf("%s of %s %s rows (%s) matched", fmtNum(float64(cov.Matched)), fmtNum(float64(cov.LeftRows)), a.Left, pct)}
	if !r.Passed {
		r.Rows = firstN(cov.Unmatched)
	}
	return r
}

func fmtPct(x float64) string {
	p := x * 100
	if p == math.Trunc(p) {
		return fmt.Sprintf("%.0f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}
