// Package planner rewrites a bound logical plan before execution. Each rule
// is a small function over the plan, applied in order; rules never change
// what a query means, only how cheaply it runs.
//
// Takes: a *plan.Query from the binder. Gives: the same query, rewritten.
package planner

import (
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
	}
	return n
}
