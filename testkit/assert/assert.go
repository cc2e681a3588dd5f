// Package assert holds the assertions of `velo test`: what a test expects
// of a query's output and run, written in a spec file (query.test.yaml) or
// as `-- @assert: <type> <args>` annotations in the SQL.
//
// Takes: assertion text (ParseAnnotation, ParseSpec), the query's output
// schema (Bind: names and conditions are checked with the engine's binder,
// errors positioned in the file they came from), then the run's Data
// (Check). Gives: a Result per assertion with what was expected, what was
// seen, and a few offending rows.
package assert

import (
	"fmt"
	"strings"

	"github.com/velostream/velostream/engine/agg"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit/schema"
)

// Assertion types.
const (
	RecordCount    = "record_count"
	SchemaContains = "schema_contains"
	NoNulls        = "no_nulls"
	FieldValues    = "field_values"
	FieldInSet     = "field_in_set"
	UniqueValues   = "unique_values"
	AggregateCheck = "aggregate_check"
	JoinCoverage   = "join_coverage"
	ExecutionTime  = "execution_time"
	Throughput     = "throughput"
	MemoryUsage    = "memory_usage"
	NoDuplicates   = "no_duplicates"
	Ordering       = "ordering"
	DLQCount       = "dlq_count"
	ErrorRate      = "error_rate"
)

// Types lists every assertion type.
var Types = []string{RecordCount, SchemaContains, NoNulls, FieldValues, FieldInSet, UniqueValues, AggregateCheck,
	JoinCoverage, ExecutionTime, Throughput, MemoryUsage, NoDuplicates, Ordering, DLQCount, ErrorRate}

// units of the measured quantity of each comparison-based type.
var units = map[string]string{RecordCount: "", ExecutionTime: "ms", Throughput: "", MemoryUsage: " MB",
	DLQCount: "", ErrorRate: "%", JoinCoverage: "%", AggregateCheck: ""}

// Origin is where an assertion was written.
type Origin struct {
	File string
	Src  string
	Pos  token.Pos // of the assertion
	// ExprPos is where an expression argument's text starts, so errors
	// inside it point at the right column.
	ExprPos token.Pos
}

// Assertion is one parsed assertion.
type Assertion struct {
	Type    string
	Cmp     *Comparison
	Fields  []string // schema_contains, no_nulls, unique_values, no_duplicates
	Field   string   // field_in_set, ordering
	Values  []string // field_in_set
	Expr    string   // field_values condition, aggregate_check expression
	Desc    bool     // ordering
	Left    string   // join_coverage
	Right   string
	Key     string
	RKey    string // right key when it differs from Key
	Message string
	// Default marks an assertion the harness added because none were given.
	Default bool
	Origin  Origin

	// bound by Bind
	cond    expr.Expr // field_values
	fieldIx []int
	aggs    []boundAgg
	outer   expr.Expr // aggregate_check over the aggregate results
}

type boundAgg struct {
	fn   *agg.Func
	args []expr.Expr
	star bool
	text string
}

// Name is how the assertion is listed: its type.
func (a *Assertion) Name() string { return a.Type }

// Bind checks the assertion against the query's output schema (and the
// test's sources and schemas, for join_coverage) and compiles its
// expressions. Diagnostics are positioned in the assertion's origin.
func (a *Assertion) Bind(out types.Schema, sources map[string]*schema.Schema) diag.List {
	var errs diag.List
	at := a.Origin.Pos
	field := func(name string) int {
		i := out.Index(name)
		if i < 0 {
			hint := "output columns: " + strings.Join(out.Names(), ", ")
			if s := diag.Suggest(name, out.Names()); s != "" {
				hint = "did you mean " + s + "?"
			}
			errs = append(errs, diag.Diagnostic{Pos: at, End: at, Msg: fmt.Sprintf("%s: the output has no column %q", a.Type, name), Hint: hint})
		}
		return i
	}
	a.fieldIx = nil
	switch a.Type {
	case NoNulls, UniqueValues, NoDuplicates:
		for _, f := range a.Fields {
			a.fieldIx = append(a.fieldIx, field(f))
		}
	case FieldInSet, Ordering:
		a.fieldIx = []int{field(a.Field)}
	case FieldValues:
		x, perrs := parser.ParseExpr(a.Expr)
		if len(perrs) > 0 {
			return schema.Shift(perrs, a.Origin.ExprPos)
		}
		c, berrs := binder.BindRowExpr(x, out)
		if len(berrs) > 0 {
			return schema.Shift(berrs, a.Origin.ExprPos)
		}
		if k := c.Type().Kind; k != types.KindBool && k != types.KindAny && k != types.KindNull {
			return schema.Shift(diag.List{{Pos: x.Pos(), End: x.End(), Msg: fmt.Sprintf("field_values needs a condition (true or false for each row); this is %s", c.Type())}}, a.Origin.ExprPos)
		}
		a.cond = c
	case AggregateCheck:
		return a.bindAggregate(out)
	case JoinCoverage:
		for _, side := range []struct{ src, key string }{{a.Left, a.Key}, {a.Right, a.rightKey()}} {
			s := schema.Lookup(sources, side.src)
			if s == nil {
				var names []string
				for n := range sources {
					names = append(names, n)
				}
				errs = append(errs, diag.Diagnostic{Pos: at, End: at, Msg: fmt.Sprintf("join_coverage: %q is not a source of this test (sources: %s)", side.src, strings.Join(sorted(names), ", "))})
				continue
			}
			if s.Field(side.key) == nil {
				errs = append(errs, diag.Diagnostic{Pos: at, End: at, Msg: fmt.Sprintf("join_coverage: source %s has no field %q", side.src, side.key)})
			}
		}
	}
	return errs
}

func (a *Assertion) rightKey() string {
	if a.RKey != "" {
		return a.RKey
	}
	return a.Key
}

// bindAggregate binds an expression with aggregates over the output rows:
// each aggregate call becomes a column of a one-row schema of results, and
// the rest of the expression is bound over that row.
func (a *Assertion) bindAggregate(out types.Schema) diag.List {
	x, perrs := parser.ParseExpr(a.Expr)
	if len(perrs) > 0 {
		return schema.Shift(perrs, a.Origin.ExprPos)
	}
	a.aggs = nil
	var errs diag.List
	var resultRow types.Schema
	x = schema.Rewrite(x, func(e ast.Expr) ast.Expr {
		c, ok := e.(*ast.Call)
		if !ok || c.Over != nil || !agg.IsAggregate(c.Name.Name()) {
			return e
		}
		ba := boundAgg{star: c.Star, text: ast.Format(c)}
		var argTypes []types.Type
		for _, arg := range c.Args {
			b, berrs := binder.BindRowExpr(arg, out)
			if len(berrs) > 0 {
				errs = append(errs, berrs...)
				return e
			}
			ba.args = append(ba.args, b)
			argTypes = append(argTypes, b.Type())
		}
		fn, err := agg.Lookup(c.Name.Name(), c.Distinct, argTypes, nil)
		if err != nil {
			errs.Add(c.Pos(), c.End(), err.Error())
			return e
		}
		ba.fn = fn
		a.aggs = append(a.aggs, ba)
		name := fmt.Sprintf("__agg_%d", len(a.aggs)-1)
		resultRow = append(resultRow, types.Column{Name: name, Type: fn.ResultType()})
		return &ast.Ident{Parts: []string{name}, Start: c.Start, Stop: c.Stop}
	})
	if len(errs) > 0 {
		return schema.Shift(errs, a.Origin.ExprPos)
	}
	if len(a.aggs) == 0 {
		return schema.Shift(diag.List{{Pos: x.Pos(), End: x.End(), Msg: "aggregate_check needs an aggregate over the output, e.g. SUM(volume) > 0", Hint: "aggregates: " + strings.Join(agg.Names(), ", ")}}, a.Origin.ExprPos)
	}
	b, berrs := binder.BindRowExpr(x, resultRow)
	if len(berrs) > 0 {
		for i := range berrs {
			if strings.Contains(berrs[i].Msg, "unknown column") {
				berrs[i].Hint = "outside an aggregate, aggregate_check sees no columns: wrap them, e.g. SUM(volume)"
			}
		}
		return schema.Shift(berrs, a.Origin.ExprPos)
	}
	isBool := b.Type().Kind == types.KindBool
	if a.Cmp == nil && !isBool && b.Type().Kind != types.KindAny {
		return schema.Shift(diag.List{{Pos: x.Pos(), End: x.End(), Msg: fmt.Sprintf("aggregate_check needs a condition such as SUM(volume) > 0 (or a comparison: greater_than, ...); %s is %s", a.Expr, b.Type())}}, a.Origin.ExprPos)
	}
	if a.Cmp != nil && isBool {
		return schema.Shift(diag.List{{Pos: x.Pos(), End: x.End(), Msg: "aggregate_check: give either a condition or an expression with a comparison, not both"}}, a.Origin.ExprPos)
	}
	a.outer = b
	return nil
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
