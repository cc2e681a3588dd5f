// Package testkit is `velo test`: it runs a query on synthetic data and
// checks what came out. It generates each source's records from a schema
// file (or one inferred from the query), feeds them straight into the
// engine (no encoding, no broker), evaluates the assertions of the spec and
// the query's `-- @assert:` annotations, and explains failures with the
// rule-based analysis.
//
// Takes: Options (the SQL, schemas, spec, records, seed). Prepare checks
// every input and reports problems positioned in their files; Run executes
// and gives a *report.Report (testkit/report), the stable result type that
// the CLI renders as text, JSON or JUnit and the Studio reads.
package testkit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/metrics"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit/analyze"
	"github.com/velostream/velostream/testkit/assert"
	"github.com/velostream/velostream/testkit/gen"
	"github.com/velostream/velostream/testkit/report"
	"github.com/velostream/velostream/testkit/schema"
	"github.com/velostream/velostream/testkit/spec"
)

// DefaultRecords is the number of records per source when nothing says.
const DefaultRecords = 10000

// DefaultSeed is the seed when neither the spec nor the caller gives one.
const DefaultSeed = 42

// sourceType is the connector type the harness binds every source to; the
// executor is handed generated sources by name, so nothing opens it.
const sourceType = "velo_test"

// Options configure a test.
type Options struct {
	// File names the SQL in messages; SQL is its text.
	File string
	SQL  string
	// Schemas are schema files given directly (--schema NAME=FILE), by
	// source name; they win over the spec's.
	Schemas map[string]*schema.Schema
	// Spec is the test spec, if any.
	Spec *spec.Spec
	// Records per source; 0 leaves it to the spec (default 10,000).
	Records int64
	// Seed, when HasSeed, wins over the spec's.
	Seed    uint64
	HasSeed bool
	// Now resolves relative timestamps in schemas; time.Now when zero.
	Now time.Time
	// AI asks Explainer for a plain-language explanation of a failure.
	AI        bool
	Explainer analyze.Explainer
}

// Error is a problem with the test's inputs (SQL, spec, schema files,
// assertions): nothing ran.
type Error struct {
	Problems schema.Problems
}

func (e *Error) Error() string { return e.Problems.Error() }

// Test is a prepared test, ready to run.
type Test struct {
	opts  Options
	Query *engine.Query
	// Schemas are every schema of the test by source name: given, or
	// inferred from the query (Inferred set).
	Schemas    map[string]*schema.Schema
	Assertions []*assert.Assertion
	Defaults   bool
	Seed       uint64
	records    map[string]int64
	// Progress counts records fed to the engine so far.
	Progress atomic.Int64
}

// LoadSchema reads and parses a schema file. name names the source it is
// for and becomes the schema's name when the file has none.
func LoadSchema(name, path string) (*schema.Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("schema for %s: %w", name, err)
	}
	s, errs := schema.Parse(path, string(b))
	if errs != nil {
		return nil, &Error{Problems: schema.FromList(path, string(b), errs)}
	}
	if s.Name == "" {
		s.Name = name
	}
	return s, nil
}

// LoadSpec reads and parses a spec file.
func LoadSpec(path string) (*spec.Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, errs := spec.Parse(path, string(b))
	if errs != nil {
		return nil, &Error{Problems: schema.FromList(path, string(b), errs)}
	}
	return s, nil
}

// Prepare checks the SQL, schemas and assertions, infers the schemas of
// sources that have none, and compiles the query against them.
func Prepare(opts Options) (*Test, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	t := &Test{opts: opts, Schemas: map[string]*schema.Schema{}, records: map[string]int64{}, Seed: DefaultSeed}
	sqlErr := func(l diag.List) error { return &Error{Problems: schema.FromList(opts.File, opts.SQL, l)} }
	script, errs := parser.Parse(opts.SQL)
	if len(errs) > 0 {
		return nil, sqlErr(errs)
	}
	bind := map[string]map[string]string{}
	for _, n := range sourceNames(script) {
		bind[n] = map[string]string{"type": sourceType}
	}
	// Schemas: flags win over the spec.
	if sp := opts.Spec; sp != nil {
		names := make([]string, 0, len(sp.Schemas))
		for n := range sp.Schemas {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if opts.Schemas[n] != nil {
				continue
			}
			s, err := LoadSchema(n, sp.Schemas[n].Path)
			if err != nil {
				var te *Error
				if errors.As(err, &te) {
					return nil, err
				}
				return nil, &Error{Problems: schema.Problems{{File: sp.File, Src: sp.Src, Diag: diag.Diagnostic{Pos: sp.Schemas[n].Pos, End: sp.Schemas[n].Pos, Msg: err.Error()}}}}
			}
			t.Schemas[n] = s
		}
		if sp.HasSeed {
			t.Seed = sp.Seed
		}
	}
	for n, s := range opts.Schemas {
		if s.Name == "" {
			s.Name = n
		}
		t.Schemas[n] = s
	}
	if opts.HasSeed {
		t.Seed = opts.Seed
	}
	resolve := func(src *plan.Source) (types.Schema, error) {
		if s := schema.Lookup(t.Schemas, src.Name); s != nil {
			return s.Row(), nil
		}
		return nil, nil
	}
	// Sources without a schema: compile with open schemas to learn which
	// columns the query reads and how, then infer theirs.
	missing := false
	for n := range bind {
		if schema.Lookup(t.Schemas, n) == nil {
			missing = true
		}
	}
	if missing {
		q, errs := engine.Compile(opts.SQL, engine.Options{Sources: bind, Resolve: resolve, NoSampling: true})
		if len(errs) > 0 {
			return nil, sqlErr(errs)
		}
		for n, s := range inferSchemas(script, q.Plan, t.Schemas) {
			t.Schemas[n] = s
		}
	}
	if probs := schema.Link(t.Schemas); probs != nil {
		return nil, &Error{Problems: probs}
	}
	q, errs := engine.Compile(opts.SQL, engine.Options{Sources: bind, Resolve: resolve, NoSampling: true})
	if len(errs) > 0 {
		return nil, sqlErr(errs)
	}
	t.Query = q
	for n := range t.Schemas {
		t.records[n] = t.recordsFor(n)
	}
	// Assertions: the spec's, then the annotations'.
	var all []*assert.Assertion
	if opts.Spec != nil {
		all = append(all, opts.Spec.Assertions...)
	}
	anns, aerrs := assert.FromAnnotations(opts.File, opts.SQL, q.Plan.Annotations)
	if len(aerrs) > 0 {
		return nil, sqlErr(aerrs)
	}
	all = append(all, anns...)
	if len(all) == 0 {
		all = defaults(q.Plan)
		t.Defaults = true
	}
	var probs schema.Problems
	for _, a := range all {
		if a.Type == assert.JoinCoverage {
			fillJoin(a, script)
		}
		for _, d := range a.Bind(q.Plan.Output, t.Schemas) {
			probs = append(probs, schema.Problem{File: a.Origin.File, Src: a.Origin.Src, Diag: d})
		}
	}
	if probs != nil {
		return nil, &Error{Problems: probs}
	}
	t.Assertions = all
	return t, nil
}

func (t *Test) recordsFor(source string) int64 {
	if sp := t.opts.Spec; sp != nil {
		for n, s := range sp.Sources {
			if strings.EqualFold(n, source) && s.Records > 0 {
				return s.Records
			}
		}
	}
	if t.opts.Records > 0 {
		return t.opts.Records
	}
	if sp := t.opts.Spec; sp != nil && sp.Records > 0 {
		return sp.Records
	}
	return DefaultRecords
}

// TotalRecords is the number of records the run feeds the engine.
func (t *Test) TotalRecords() int64 {
	var n int64
	for _, ps := range t.Query.Plan.Sources {
		n += t.records[t.schemaKey(ps.Name)]
	}
	return n
}

// schemaKey returns the key of t.Schemas for a source name.
func (t *Test) schemaKey(name string) string {
	for n := range t.Schemas {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return name
}

// InferredSchemas returns the schemas inferred from the query, by source.
func (t *Test) InferredSchemas() map[string]*schema.Schema {
	out := map[string]*schema.Schema{}
	for n, s := range t.Schemas {
		if s.Inferred {
			out[n] = s
		}
	}
	return out
}

// sourceNames lists the sources a script's query reads.
func sourceNames(script *ast.Script) []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range script.Statements {
		if _, decl := st.(*ast.CreateSourceStmt); decl {
			continue
		}
		ast.Inspect(st, func(n ast.Node) bool {
			if r, ok := n.(*ast.SourceRef); ok && r.Name != nil {
				k := strings.ToLower(r.Name.Name())
				if !seen[k] {
					seen[k] = true
					out = append(out, r.Name.Name())
				}
			}
			return true
		})
	}
	return out
}

// defaults are the assertions run when none are given: some output, no
// NULL group keys, and an answer within a second.
func defaults(q *plan.Query) []*assert.Assertion {
	out := []*assert.Assertion{{Type: assert.RecordCount, Cmp: &assert.Comparison{Op: assert.Gt, A: 0}, Default: true}}
	if a, ok := q.Root.(*plan.Aggregate); ok && len(a.Keys) > 0 {
		var keys []string
		for i, o := range a.Output {
			if c, ok := o.(*expr.Col); ok && c.Idx < len(a.Keys) && i < len(q.Output) {
				keys = append(keys, q.Output[i].Name)
			}
		}
		if len(keys) > 0 {
			out = append(out, &assert.Assertion{Type: assert.NoNulls, Fields: keys, Default: true})
		}
	}
	out = append(out, &assert.Assertion{Type: assert.ExecutionTime, Cmp: &assert.Comparison{Op: assert.Lt, A: 1000, Unit: "ms"}, Default: true})
	return out
}

// queryJoins lists the equi-joins of the query as (left source, right
// source, left key, right key).
func queryJoins(script *ast.Script) []analyze.Join {
	var out []analyze.Join
	alias := map[string]string{}
	for _, st := range script.Statements {
		if _, decl := st.(*ast.CreateSourceStmt); decl {
			continue
		}
		ast.Inspect(st, func(n ast.Node) bool {
			if r, ok := n.(*ast.SourceRef); ok && r.Name != nil {
				alias[strings.ToLower(r.Name.Name())] = r.Name.Name()
				if r.Alias != nil {
					alias[strings.ToLower(r.Alias.Name())] = r.Name.Name()
				}
			}
			return true
		})
		ast.Inspect(st, func(n ast.Node) bool {
			j, ok := n.(*ast.Join)
			if !ok {
				return true
			}
			equiJoins(j.On, func(l, r *ast.Ident) {
				ls, rs := alias[strings.ToLower(l.Qualifier())], alias[strings.ToLower(r.Qualifier())]
				if ls == "" || rs == "" || strings.EqualFold(ls, rs) {
					return
				}
				out = append(out, analyze.Join{Left: ls, Right: rs, LeftKey: l.Name(), RightKey: r.Name(), MinRate: 0.8})
			})
			return true
		})
	}
	return out
}

// fillJoin completes a join_coverage assertion without sources or keys
// from the query's first equi-join.
func fillJoin(a *assert.Assertion, script *ast.Script) {
	js := queryJoins(script)
	if len(js) == 0 {
		return
	}
	j := js[0]
	if a.Left == "" && a.Right == "" {
		a.Left, a.Right = j.Left, j.Right
	}
	if a.Key == "" && strings.EqualFold(a.Left, j.Left) {
		a.Key = j.LeftKey
		if a.RKey == "" && !strings.EqualFold(j.LeftKey, j.RightKey) {
			a.RKey = j.RightKey
		}
	}
}

// genOptions returns generator options with the pools of every reference
// schemas of the test make (generating referenced sources first).
func (t *Test) genOptions() (gen.Options, error) {
	opts := gen.Options{Seed: t.Seed, Now: t.opts.Now, Pools: map[string][]types.Value{}}
	for _, n := range schema.GenerationOrder(t.Schemas) {
		for _, f := range t.Schemas[n].Fields {
			r := f.References
			if r == nil {
				continue
			}
			key := gen.PoolKey(r.Schema, r.Field)
			if _, ok := opts.Pools[key]; ok {
				continue
			}
			target := schema.Lookup(t.Schemas, r.Schema)
			pool, err := gen.Pool(target, r.Field, t.records[t.keyOf(target)], opts)
			if err != nil {
				return opts, fmt.Errorf("generating %s.%s for references: %w", r.Schema, r.Field, err)
			}
			opts.Pools[key] = pool
		}
	}
	return opts, nil
}

func (t *Test) keyOf(s *schema.Schema) string {
	for n, x := range t.Schemas {
		if x == s {
			return n
		}
	}
	return s.Name
}

// scanner replays a source's generated data (deterministic for the seed).
func (t *Test) scanner(opts gen.Options) analyze.Scanner {
	return func(source string, columns types.Schema, each func(types.Row, int64) bool) error {
		s := schema.Lookup(t.Schemas, source)
		if s == nil {
			return fmt.Errorf("no schema for %s", source)
		}
		g, err := gen.New(s, opts)
		if err != nil {
			return err
		}
		src, err := gen.NewSource(source, g, t.records[t.keyOf(s)], columns, 4096, nil)
		if err != nil {
			return err
		}
		ctx := context.Background()
		for {
			b, err := src.Read(ctx)
			if errors.Is(err, connectors.ErrEndOfInput) {
				return nil
			}
			if err != nil {
				return err
			}
			for _, r := range b.Records {
				if !each(r.Row, r.Prov.Line) {
					return nil
				}
			}
		}
	}
}

// Run generates the data, runs the query, checks the assertions and
// analyses failures.
func (t *Test) Run(ctx context.Context) (*report.Report, error) {
	q := t.Query
	gopts, err := t.genOptions()
	if err != nil {
		return nil, err
	}
	rep := &report.Report{Version: report.Version, Query: t.opts.File, Defaults: t.Defaults}
	if t.opts.Spec != nil {
		rep.Spec = t.opts.Spec.File
	}
	sources := map[string]connectors.Source{}
	var gens []*gen.Source
	var generators []*gen.Generator
	for _, ps := range q.Plan.Sources {
		s := schema.Lookup(t.Schemas, ps.Name)
		g, err := gen.New(s, gopts)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", ps.Name, err)
		}
		n := t.records[t.keyOf(s)]
		src, err := gen.NewSource(ps.Name, g, n, ps.Columns, 4096, &t.Progress)
		if err != nil {
			return nil, err
		}
		sources[ps.Name] = src
		gens = append(gens, src)
		generators = append(generators, g)
		file := s.File
		if s.Inferred {
			file = "inferred"
		}
		rep.Data = append(rep.Data, report.Source{Name: ps.Name, Records: n, Schema: file, Seed: t.Seed})
	}

	var rows []types.Row
	var times []int64
	em := &executor.FuncEmitter{F: func(r types.Row, ts int64) error {
		rows = append(rows, append(types.Row(nil), r...))
		times = append(times, ts)
		return nil
	}}
	var dead []string
	dlq := &executor.FuncEmitter{F: func(r types.Row, _ int64) error {
		if len(dead) < 100 && len(r) > 0 {
			dead = append(dead, r[0].S)
		}
		return nil
	}}
	stats := &executor.Stats{}
	peak := watchHeap()
	start := time.Now()
	_, runErr := q.Run(ctx, executor.Options{Sources: sources, Emitter: em, DeadLetter: dlq, Stats: stats, Now: func() time.Time { return t.opts.Now }})
	elapsed := time.Since(start)
	peakBytes := peak()
	if runErr != nil {
		return nil, fmt.Errorf("running the query: %w", runErr)
	}
	var genTime time.Duration
	for _, g := range gens {
		genTime += g.GenTime()
	}
	for i, g := range generators {
		if g.DerivedErrors > 0 {
			rep.Data[i].DerivedErrors = g.DerivedErrors
			rep.Data[i].DerivedError = g.FirstDerivedError.Error()
		}
	}

	scan := t.scanner(gopts)
	var covMu sync.Mutex
	covCache := map[string]*analyze.Coverage{}
	coverage := func(left, right, lk, rk string) (*analyze.Coverage, error) {
		key := strings.ToLower(left + "\x00" + right + "\x00" + lk + "\x00" + rk)
		covMu.Lock()
		defer covMu.Unlock()
		if c, ok := covCache[key]; ok {
			return c, nil
		}
		c, err := analyze.MeasureJoin(scan, t.Schemas, analyze.Join{Left: left, Right: right, LeftKey: lk, RightKey: rk})
		if err != nil {
			return nil, err
		}
		covCache[key] = c
		return c, nil
	}
	data := &assert.Data{Output: q.Plan.Output, Rows: rows, Records: t.TotalRecords(), Read: stats.Read.Load(),
		Bad: stats.Bad.Load(), DLQ: stats.DeadLettered.Load(), Late: stats.Late.Load(), Elapsed: elapsed,
		PeakHeapMB: float64(peakBytes) / (1 << 20), DeadLetters: dead,
		Coverage: func(left, right, lk, rk string) (assert.Coverage, error) {
			c, err := coverage(left, right, lk, rk)
			if err != nil {
				return assert.Coverage{}, err
			}
			return assert.Coverage{LeftRows: c.Left.Rows, Matched: c.Matched, Unmatched: c.Unmatched}, nil
		}}
	in := &analyze.Input{SQL: t.opts.SQL, Plan: q.Plan, Schemas: t.Schemas, Output: q.Plan.Output, Rows: rows, EventTimes: times,
		Read: stats.Read.Load(), Filtered: stats.Filtered.Load(), Late: stats.Late.Load(), Bad: stats.Bad.Load(),
		Watermark: stats.Watermark.Load(), MaxEvent: stats.MaxEventTime.Load(), Scan: scan}
	if len(dead) > 0 {
		in.FirstBad = dead[0]
	}
	joined := map[string]bool{}
	for _, a := range t.Assertions {
		r := a.Check(data)
		ra := report.Assertion{Type: a.Type, Passed: r.Passed, Summary: r.Summary, Message: a.Message, Default: a.Default,
			File: a.Origin.File, Line: a.Origin.Pos.Line}
		if !r.Passed {
			ra.Expected, ra.Actual = r.Expected, r.Actual
			for _, row := range r.Rows {
				ra.Rows = append(ra.Rows, []byte(row))
			}
			rep.Failed++
			switch a.Type {
			case assert.NoNulls:
				in.NullColumns = append(in.NullColumns, a.Fields...)
			case assert.JoinCoverage:
				in.Joins = append(in.Joins, analyze.Join{Left: a.Left, Right: a.Right, LeftKey: a.Key, RightKey: rightKey(a), MinRate: a.Cmp.A, Assertion: true})
				joined[strings.ToLower(a.Left+"."+a.Key)] = true
			}
		}
		rep.Assertions = append(rep.Assertions, ra)
	}
	for _, j := range queryJoins(t.Query.Script) {
		if !joined[strings.ToLower(j.Left+"."+j.LeftKey)] {
			in.Joins = append(in.Joins, j)
		}
	}
	rep.Total = len(rep.Assertions)
	rep.Passed = rep.Failed == 0
	rep.Findings = analyze.Analyze(in)
	if rep.Findings == nil {
		rep.Findings = []report.Finding{}
	}
	rep.Performance = report.Performance{ExecutionMs: ms(elapsed), GenerationMs: ms(genTime), PeakHeapMB: math.Round(data.PeakHeapMB*10) / 10}
	if s := elapsed.Seconds(); s > 0 {
		rep.Performance.RecordsPerSec = math.Round(float64(data.Read) / s)
	}
	rep.Engine = report.Engine{Read: stats.Read.Load(), Emitted: stats.Emitted.Load(), Filtered: stats.Filtered.Load(),
		Late: stats.Late.Load(), Bad: stats.Bad.Load(), DeadLettered: stats.DeadLettered.Load()}
	if w := stats.Watermark.Load(); w != math.MinInt64 {
		rep.Engine.Watermark = time.UnixMilli(w).UTC().Format(time.RFC3339Nano)
	}
	if m := stats.MaxEventTime.Load(); m != math.MinInt64 {
		rep.Engine.MaxEventTime = time.UnixMilli(m).UTC().Format(time.RFC3339Nano)
	}
	if t.opts.AI {
		rep.AI = t.explain(ctx, rep)
	}
	return rep, nil
}

func rightKey(a *assert.Assertion) string {
	if a.RKey != "" {
		return a.RKey
	}
	return a.Key
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/100) / 10 }

// explain asks the configured AI provider, after the rule-based findings.
func (t *Test) explain(ctx context.Context, rep *report.Report) *report.AI {
	if t.opts.Explainer == nil {
		return &report.AI{Note: "No AI provider is configured, so nothing was sent anywhere; the analysis above is rule-based. (AI providers come with the Studio.)"}
	}
	ai := &report.AI{Configured: true, Provider: t.opts.Explainer.Name()}
	if rep.Passed {
		ai.Note = "Every assertion passed: nothing to explain."
		return ai
	}
	var failures []report.Assertion
	for _, a := range rep.Assertions {
		if !a.Passed {
			failures = append(failures, a)
		}
	}
	text, err := t.opts.Explainer.Explain(ctx, analyze.Request{SQL: t.opts.SQL, Failures: failures, Findings: rep.Findings})
	if err != nil {
		ai.Note = "The AI provider failed: " + err.Error()
		return ai
	}
	ai.Explanation = text
	return ai
}

// watchHeap samples the Go heap every few milliseconds until the returned
// function is called, which returns the largest value seen.
func watchHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			return sample[0].Value.Uint64()
		}
		return 0
	}
	var peak atomic.Uint64
	peak.Store(read())
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if v := read(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		if v := read(); v > peak.Load() {
			peak.Store(v)
		}
		return peak.Load()
	}
}
