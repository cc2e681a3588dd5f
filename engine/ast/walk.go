package ast

// Inspect walks the tree rooted at n in depth-first order, calling f for
// every node; when f returns false the node's children are skipped. Nil
// parts of trees returned with parse errors are skipped. Besides the node
// types, it visits *SelectItem, *TypeName, *WindowClause and *Duration,
// which have spans too.
func Inspect(n Node, f func(Node) bool) {
	if n == nil || isNilNode(n) || !f(n) {
		return
	}
	switch n := n.(type) {
	case *SelectStmt:
		for i := range n.Items {
			Inspect(&n.Items[i], f)
		}
		if n.From != nil {
			Inspect(n.From, f)
		}
		inspectExpr(n.Where, f)
		for _, x := range n.GroupBy {
			inspectExpr(x, f)
		}
		if n.Window != nil {
			Inspect(n.Window, f)
		}
		inspectExpr(n.Having, f)
		for _, o := range n.OrderBy {
			inspectExpr(o.Expr, f)
		}
	case *CreateAsStmt:
		if n.Name != nil {
			Inspect(n.Name, f)
		}
		if n.Select != nil {
			Inspect(n.Select, f)
		}
	case *CreateSourceStmt:
		if n.Name != nil {
			Inspect(n.Name, f)
		}
		for i := range n.Columns {
			if n.Columns[i].Name != nil {
				Inspect(n.Columns[i].Name, f)
			}
			Inspect(&n.Columns[i].Type, f)
		}
	case *SelectItem:
		inspectExpr(n.Expr, f)
		if n.Alias != nil {
			Inspect(n.Alias, f)
		}
	case *SourceRef:
		if n.Name != nil {
			Inspect(n.Name, f)
		}
		if n.Alias != nil {
			Inspect(n.Alias, f)
		}
	case *Join:
		if n.Left != nil {
			Inspect(n.Left, f)
		}
		if n.Right != nil {
			Inspect(n.Right, f)
		}
		inspectExpr(n.On, f)
		if n.Within != nil {
			Inspect(n.Within, f)
		}
	case *WindowClause:
		inspectExpr(n.TimeCol, f)
		if n.Size != nil {
			Inspect(n.Size, f)
		}
		if n.Advance != nil {
			Inspect(n.Advance, f)
		}
	case *Binary:
		inspectExpr(n.L, f)
		inspectExpr(n.R, f)
	case *Unary:
		inspectExpr(n.X, f)
	case *Paren:
		inspectExpr(n.X, f)
	case *Call:
		Inspect(n.Name, f)
		for _, a := range n.Args {
			inspectExpr(a, f)
		}
		for _, o := range n.WithinGroup {
			inspectExpr(o.Expr, f)
		}
		if n.Over != nil {
			for _, x := range n.Over.PartitionBy {
				inspectExpr(x, f)
			}
			for _, o := range n.Over.OrderBy {
				inspectExpr(o.Expr, f)
			}
		}
	case *Case:
		inspectExpr(n.Operand, f)
		for _, w := range n.Whens {
			inspectExpr(w.Cond, f)
			inspectExpr(w.Result, f)
		}
		inspectExpr(n.Else, f)
	case *Cast:
		inspectExpr(n.X, f)
		Inspect(&n.Type, f)
	case *In:
		inspectExpr(n.X, f)
		for _, x := range n.List {
			inspectExpr(x, f)
		}
	case *Between:
		inspectExpr(n.X, f)
		inspectExpr(n.Lo, f)
		inspectExpr(n.Hi, f)
	case *Like:
		inspectExpr(n.X, f)
		inspectExpr(n.Pattern, f)
	case *IsNull:
		inspectExpr(n.X, f)
	case *Extract:
		inspectExpr(n.X, f)
	}
}

func inspectExpr(x Expr, f func(Node) bool) {
	if x != nil {
		Inspect(x, f)
	}
}

// isNilNode catches typed nil pointers stored in an interface.
func isNilNode(n Node) bool {
	switch n := n.(type) {
	case *SelectStmt:
		return n == nil
	case *CreateAsStmt:
		return n == nil
	case *CreateSourceStmt:
		return n == nil
	case *SourceRef:
		return n == nil
	case *Join:
		return n == nil
	case *Ident:
		return n == nil
	case *WindowClause:
		return n == nil
	case *Duration:
		return n == nil
	}
	return false
}
