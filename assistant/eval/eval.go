// Package eval measures NL->SQL generators on the evaluation set in
// assistant/testdata/eval.yaml: questions over the demo streams with a
// reference query written by hand.
//
// Takes: a Generator, the cases, the catalog and generated data (the test
// harness's generator, testkit/gen, over the schema files in
// assistant/testdata/schemas, with a fixed seed).
// Gives: per case whether the generator answered, whether its SQL
// validated, and whether its results equal the reference's on the data (as
// multisets of rows, column names and order aside); per generator the
// shares: validated, matched, coverage (answered) and precision (right when
// answered).
package eval

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/memory"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit/gen"
	"github.com/velostream/velostream/testkit/schema"
)

// Case is one question with its reference query.
type Case struct {
	ID       string `yaml:"id"`
	Question string `yaml:"question"`
	SQL      string `yaml:"sql"`
}

// Load reads the evaluation set.
func Load(path string) ([]Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval set: %w", err)
	}
	var cases []Case
	if err := yaml.Unmarshal(b, &cases); err != nil {
		return nil, fmt.Errorf("eval set %s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, c := range cases {
		if c.ID == "" || strings.TrimSpace(c.Question) == "" || strings.TrimSpace(c.SQL) == "" {
			return nil, fmt.Errorf("eval set %s: case %d needs id, question and sql", path, i+1)
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("eval set %s: id %q used twice", path, c.ID)
		}
		seen[c.ID] = true
	}
	return cases, nil
}

// Sizes are the records generated per stream: enough for several windows
// of every size the set uses (three hours of event time).
var Sizes = map[string]int64{"trades": 3000, "transactions": 2000, "clicks": 3000, "customers": 60}

// Seed fixes the generated data.
const Seed = 42

// Data is generated rows per stream, in the stream's full schema.
type Data struct {
	Schemas map[string]types.Schema
	Rows    map[string][]types.Row
}

// GenerateData runs the test harness's generator over the schema files in
// dir (NAME.schema.yaml), referenced schemas first.
func GenerateData(dir string) (*Data, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.schema.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("eval data: no schema files in %s", dir)
	}
	schemas := map[string]*schema.Schema{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("eval data: %w", err)
		}
		s, errs := schema.Parse(f, string(src))
		if errs != nil {
			return nil, fmt.Errorf("eval data: %w", errs)
		}
		schemas[s.Name] = s
	}
	if p := schema.Link(schemas); p != nil {
		return nil, fmt.Errorf("eval data: %s", p.Render())
	}
	opts := gen.Options{Seed: Seed, Now: time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC), Pools: map[string][]types.Value{}}
	d := &Data{Schemas: map[string]types.Schema{}, Rows: map[string][]types.Row{}}
	for _, name := range schema.GenerationOrder(schemas) {
		s := schemas[name]
		n := Sizes[name]
		if n == 0 {
			n = 1000
		}
		g, err := gen.New(s, opts)
		if err != nil {
			return nil, fmt.Errorf("eval data %s: %w", name, err)
		}
		rows := make([]types.Row, n)
		for i := range rows {
			rows[i] = make(types.Row, len(s.Fields))
			g.Next(rows[i])
		}
		d.Schemas[name], d.Rows[name] = g.Schema(), rows
		for _, f := range s.Fields { // pools for the schemas that reference this one
			idx := g.Schema().Index(f.Name)
			var pool []types.Value
			seen := map[string]bool{}
			for _, r := range rows {
				if k := valueKey(r[idx]); !seen[k] {
					seen[k] = true
					pool = append(pool, r[idx])
				}
			}
			opts.Pools[gen.PoolKey(name, f.Name)] = pool
		}
	}
	return d, nil
}

// Run executes sql (which must validate against cat) over the data and
// returns its result rows.
func (d *Data) Run(ctx context.Context, sql string, cat *assistant.Catalog) ([]Row, error) {
	checked, errs := assistant.Validate(sql, cat)
	if len(errs) > 0 {
		return nil, errs
	}
	q := checked.Query
	sources := map[string]connectors.Source{}
	for _, src := range q.Plan.Sources {
		full, ok := d.Schemas[src.Name]
		if !ok {
			return nil, fmt.Errorf("no data for %s", src.Name)
		}
		idx := make([]int, len(src.Columns))
		for i, c := range src.Columns {
			idx[i] = full.Index(c.Name)
		}
		rows := make([]types.Row, len(d.Rows[src.Name]))
		for r, full := range d.Rows[src.Name] {
			row := make(types.Row, len(idx))
			for i, j := range idx {
				if j >= 0 {
					row[i] = full[j]
				}
			}
			rows[r] = row
		}
		sources[src.Name] = memory.NewSource(src.Name, src.Columns, rows, 0)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out := &executor.Collector{}
	if _, err := q.Run(ctx, executor.Options{Sources: sources, Emitter: out, Now: func() time.Time { return time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC) }}); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	res := make([]Row, 0, len(out.Rows))
	for _, r := range out.Rows {
		res = append(res, canonical(r))
	}
	return res, nil
}

// Row is a result row for comparison: its values with every number as a
// float64 (so that AVG as DECIMAL and as DOUBLE meet), sorted so that
// column order and names do not matter.
type Row []Value

// Value is one compared value: a number, or any other value as text.
type Value struct {
	Num  bool
	F    float64
	Text string
}

func canonical(r types.Row) Row {
	out := make(Row, len(r))
	for i, v := range r {
		out[i] = toValue(v)
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

func less(a, b Value) bool {
	if a.Num != b.Num {
		return a.Num
	}
	if a.Num {
		return a.F < b.F
	}
	return a.Text < b.Text
}

func toValue(v types.Value) Value {
	switch v.K {
	case types.KindInt:
		return Value{Num: true, F: float64(v.I)}
	case types.KindFloat:
		return Value{Num: true, F: v.Float()}
	case types.KindDecimal:
		if v.Big() {
			f, _ := strconv.ParseFloat(v.S, 64)
			return Value{Num: true, F: f}
		}
		return Value{Num: true, F: float64(v.I) / math.Pow10(int(v.Scale))}
	}
	return Value{Text: valueKey(v)}
}

func valueKey(v types.Value) string {
	switch v.K {
	case types.KindNull:
		return "null"
	case types.KindBool:
		return strconv.FormatBool(v.Bool())
	case types.KindInt:
		return strconv.FormatInt(v.I, 10)
	case types.KindFloat:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case types.KindDecimal:
		if v.Big() {
			return v.S
		}
		return strconv.FormatInt(v.I, 10) + "e-" + strconv.Itoa(int(v.Scale))
	case types.KindTimestamp:
		return "t" + strconv.FormatInt(v.I, 10)
	case types.KindInterval:
		return "i" + strconv.FormatInt(v.I, 10)
	case types.KindString:
		return "s" + v.S
	}
	return fmt.Sprint(v)
}

// close is equality of numbers up to float rounding: an exact DECIMAL
// average and a DOUBLE one differ in the last digits.
func closeTo(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-7*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func rowEqual(a, b Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Num != b[i].Num || a[i].Num && !closeTo(a[i].F, b[i].F) || !a[i].Num && a[i].Text != b[i].Text {
			return false
		}
	}
	return true
}

// coarse is a sort key that rounding differences do not change (almost
// never: Equal falls back to matching when they do).
func coarse(r Row) string {
	var b strings.Builder
	for _, v := range r {
		if v.Num {
			b.WriteString(strconv.FormatFloat(v.F, 'g', 5, 64))
		} else {
			b.WriteString(v.Text)
		}
		b.WriteByte(0x1f)
	}
	return b.String()
}

// Equal compares two results as multisets of rows, numbers up to rounding.
func Equal(got, want []Row) bool {
	if len(got) != len(want) {
		return false
	}
	g, w := slices.Clone(got), slices.Clone(want)
	sort.SliceStable(g, func(i, j int) bool { return coarse(g[i]) < coarse(g[j]) })
	sort.SliceStable(w, func(i, j int) bool { return coarse(w[i]) < coarse(w[j]) })
	same := true
	for i := range g {
		if !rowEqual(g[i], w[i]) {
			same = false
			break
		}
	}
	if same {
		return true
	}
	// Rows whose coarse keys tie or straddle a rounding boundary may sort
	// differently: match each wanted row to an unused equal one.
	used := make([]bool, len(g))
	for _, wr := range w {
		found := false
		for i, gr := range g {
			if !used[i] && rowEqual(gr, wr) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Outcome is one case's result.
type Outcome struct {
	ID, Question string
	Answered     bool   // the generator offered SQL
	Validated    bool   // that SQL validated against the catalog
	Matched      bool   // and its results equal the reference's
	SQL          string // the generator's SQL
	Refusal      string // why it refused
	Err          string // a provider error or a run error
}

// Report is a generator's figures on the set.
type Report struct {
	Provider string
	Outcomes []Outcome
}

func (r *Report) count(f func(Outcome) bool) int {
	n := 0
	for _, o := range r.Outcomes {
		if f(o) {
			n++
		}
	}
	return n
}

// Total is the number of cases.
func (r *Report) Total() int { return len(r.Outcomes) }

// Answered counts the cases given SQL.
func (r *Report) Answered() int { return r.count(func(o Outcome) bool { return o.Answered }) }

// Validated counts answers that validate.
func (r *Report) Validated() int { return r.count(func(o Outcome) bool { return o.Validated }) }

// Matched counts answers whose results equal the reference's.
func (r *Report) Matched() int { return r.count(func(o Outcome) bool { return o.Matched }) }

// Coverage is the share of cases answered.
func (r *Report) Coverage() float64 { return share(r.Answered(), r.Total()) }

// Precision is the share of answers that are right.
func (r *Report) Precision() float64 { return share(r.Matched(), r.Answered()) }

func share(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Evaluate asks g every case and checks its answers against the references.
func Evaluate(ctx context.Context, g assistant.Generator, cases []Case, cat *assistant.Catalog, data *Data) (*Report, error) {
	r := &Report{Provider: g.Name()}
	for _, c := range cases {
		want, err := data.Run(ctx, c.SQL, cat)
		if err != nil {
			return nil, fmt.Errorf("case %s: the reference query fails: %w", c.ID, err)
		}
		o := Outcome{ID: c.ID, Question: c.Question}
		res, err := g.Generate(ctx, assistant.Request{Question: c.Question, Catalog: cat})
		switch {
		case err != nil:
			o.Err = err.Error()
		case res.Refusal != nil:
			o.Refusal = res.Refusal.Reason
		default:
			o.Answered, o.SQL = true, res.SQL
			got, err := data.Run(ctx, res.SQL, cat)
			if err != nil {
				o.Err = err.Error()
				break
			}
			o.Validated = true
			o.Matched = Equal(got, want)
		}
		r.Outcomes = append(r.Outcomes, o)
	}
	return r, nil
}

// Print writes the figures and, with verbose, every case that was not right.
func (r *Report) Print(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "provider %s: %d questions\n", r.Provider, r.Total())
	fmt.Fprintf(w, "  answered (coverage):            %3d  %5.1f%%\n", r.Answered(), 100*r.Coverage())
	fmt.Fprintf(w, "  validated (of all questions):   %3d  %5.1f%%\n", r.Validated(), 100*share(r.Validated(), r.Total()))
	fmt.Fprintf(w, "  results match the reference:    %3d  %5.1f%% of all, %5.1f%% of answered (precision)\n", r.Matched(), 100*share(r.Matched(), r.Total()), 100*r.Precision())
	if !verbose {
		return
	}
	for _, o := range r.Outcomes {
		switch {
		case o.Matched:
			continue
		case o.Err != "":
			fmt.Fprintf(w, "  ERROR    %-34s %s\n", o.ID, o.Err)
		case !o.Answered:
			fmt.Fprintf(w, "  refused  %-34s %s\n", o.ID, o.Refusal)
		default:
			fmt.Fprintf(w, "  WRONG    %-34s %s\n", o.ID, strings.ReplaceAll(o.SQL, "\n", " "))
		}
	}
}
