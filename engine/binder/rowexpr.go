package binder

import (
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// BindRowExpr binds a standalone expression against one row of the given
// schema (for example a query's output row): column names resolve to
// positions in that row, functions and types are checked as in a query.
// Aggregates are not allowed. Used for `@metric_condition`, alert
// conditions and test assertions.
func BindRowExpr(e ast.Expr, schema types.Schema) (expr.Expr, diag.List) {
	b := &binder{}
	src := &plan.Source{Name: "row", Columns: append(types.Schema(nil), schema...), Declared: schema, TimeCol: -1}
	s := &scope{b: b, rels: []*relation{{src: src, alias: "row"}}, clause: "this expression"}
	x := s.bind(e)
	b.errs.Sort()
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	return x, nil
}
