// Package planner rewrites a bound logical plan before execution. Each rule
// is a small function over the plan, applied in order; rules never change
// what a query means, only how cheaply it runs.
//
// Takes: a *plan.Query from the binder. Gives: the same query, rewritten.
package planner

import (
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// Rule rewrites a plan node tree and returns the new root.
type Rule struct {
	Name  string
	Apply func(plan.Node) plan.Node
}

// Rules are applied in this order.
var Rules = []Rule{
	{Name: "fold-constants", Apply: foldConstants},
	{Name: "drop-true-filters", Apply: dropTrueFilters},
	{Name: "push-filters-below-joins", Apply: pushFiltersBelowJoins},
}

// Plan applies every rule to q and returns it.
func Plan(q *plan.Query) *plan.Query {
	for _, r := range Rules {
		q.Root = r.Apply(q.Root)
	}
	return q
}

// foldConstants evaluates expressions that read no column once, at plan
// time, instead of once per record. Expressions whose evaluation fails are
// left alone so the error surfaces, positioned, at run time.
func foldConstants(n plan.Node) plan.Node {
	switch x := n.(type) {
	case *plan.Filter:
		x.Input = foldConstants(x.Input)
		x.Pred = fold(x.Pred)
	case *plan.Project:
		x.Input = foldConstants(x.Input)
		for i, e := range x.Exprs {
			x.Exprs[i] = fold(e)
		}
	case *plan.Join:
		x.Left = foldConstants(x.Left)
		x.Right = foldConstants(x.Right)
	case *plan.Over:
		x.Input = foldConstants(x.Input)
	case *plan.Aggregate:
		x.Input = foldConstants(x.Input)
		for i, e := range x.Keys {
			x.Keys[i] = fold(e)
		}
		for _, a := range x.Aggs {
			for i, e := range a.Args {
				a.Args[i] = fold(e)
			}
		}
		for i, e := range x.Output {
			x.Output[i] = fold(e)
		}
		if x.Having != nil {
			x.Having = fold(x.Having)
		}
	}
	return n
}

func fold(e expr.Expr) expr.Expr {
	if _, ok := e.(*expr.Const); ok || !expr.IsConst(e) {
		return e
	}
	var c expr.Ctx
	v := e.Eval(&c, nil)
	if c.Err != nil {
		return e
	}
	return expr.NewConst(v, e.Type(), e.String(), e.Span())
}

// dropTrueFilters removes WHERE clauses that are always true.
func dropTrueFilters(n plan.Node) plan.Node {
	switch x := n.(type) {
	case *plan.Filter:
		x.Input = dropTrueFilters(x.Input)
		if c, ok := x.Pred.(*expr.Const); ok && c.V.K == types.KindBool && c.V.Bool() {
			return x.Input
		}
	case *plan.Project:
		x.Input = dropTrueFilters(x.Input)
	case *plan.Aggregate:
		x.Input = dropTrueFilters(x.Input)
	case *plan.Over:
		x.Input = dropTrueFilters(x.Input)
	case *plan.Join:
		x.Left = dropTrueFilters(x.Left)
		x.Right = dropTrueFilters(x.Right)
	}
	return n
}

// pushFiltersBelowJoins moves the conjuncts of a WHERE that read only the
// left input of a join (a stream, or the joins before) below it, so that
// rows it drops are not looked up or kept. Only where the join keeps every
// left row as it is (INNER and LEFT): a filter on the preserved side of an
// outer join commutes with the join, one on the NULL-extended side does
// not. The left row is a prefix of the joined row, so its column indexes
// stay as they are.
func pushFiltersBelowJoins(n plan.Node) plan.Node {
	switch x := n.(type) {
	case *plan.Project:
		x.Input = pushFiltersBelowJoins(x.Input)
	case *plan.Aggregate:
		x.Input = pushFiltersBelowJoins(x.Input)
	case *plan.Over:
		x.Input = pushFiltersBelowJoins(x.Input)
	case *plan.Join:
		x.Left = pushFiltersBelowJoins(x.Left)
	case *plan.Filter:
		j, ok := x.Input.(*plan.Join)
		// Never below into a table: a filtered-out update would leave the
		// key's previous row in place, and deletions would be lost.
		if !ok || (j.Kind != ast.InnerJoin && j.Kind != ast.LeftJoin) || j.Table == -1 {
			x.Input = pushFiltersBelowJoins(x.Input)
			return x
		}
		width := len(j.Left.Schema())
		var down, keep []expr.Expr
		for _, c := range conjuncts(x.Pred) {
			if readsBelow(c, width) {
				down = append(down, c)
			} else {
				keep = append(keep, c)
			}
		}
		if len(down) > 0 {
			j.Left = &plan.Filter{Input: j.Left, Pred: and(down)}
		}
		j.Left = pushFiltersBelowJoins(j.Left)
		if len(keep) == 0 {
			return j
		}
		x.Pred = and(keep)
	}
	return n
}

func conjuncts(e expr.Expr) []expr.Expr {
	if l, ok := e.(*expr.Logic); ok && l.And {
		return append(conjuncts(l.L), conjuncts(l.R)...)
	}
	return []expr.Expr{e}
}

func and(es []expr.Expr) expr.Expr {
	out := es[0]
	for _, e := range es[1:] {
		out = expr.NewLogic(true, out, e, out.Span())
	}
	return out
}

// readsBelow reports whether e reads only columns before width (and no
// clock: NOW() gives the same value either side of a join, but keep it
// simple and exact).
func readsBelow(e expr.Expr, width int) bool {
	cols := expr.Columns(e)
	if len(cols) == 0 {
		return false
	}
	for _, c := range cols {
		if c >= width {
			return false
		}
	}
	return true
}
