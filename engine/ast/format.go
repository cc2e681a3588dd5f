package ast

import (
	"strconv"
	"strings"

	"github.com/velostream/velostream/engine/token"
)

// Format prints a statement, expression or other node as canonical SQL:
// keywords upper-case, one clause per line, GROUP BY before WINDOW before
// HAVING, `=`/`<>` for equality operators, CAST(x AS T) for `x::T`, and the
// statement's annotations as `-- @name: value` lines above it. For a tree
// the parser built, parsing the output gives the same tree again (positions
// aside). For hand-built trees, parentheses are added where precedence
// needs them.
func Format(n Node) string {
	var p printer
	p.node(n)
	return p.String()
}

// FormatScript prints every statement of s, each ended by ';', followed by
// the script's dangling annotations.
func FormatScript(s *Script) string {
	var p printer
	for i, st := range s.Statements {
		if i > 0 {
			p.WriteString("\n")
		}
		p.node(st)
		p.WriteString(";\n")
	}
	p.annotations(s.Dangling)
	return p.String()
}

type printer struct {
	strings.Builder
}

func (p *printer) node(n Node) {
	switch n := n.(type) {
	case Statement:
		p.annotations(n.Annots())
		p.stmt(n)
	case Expr:
		p.expr(n, 0)
	case *SelectItem:
		p.selectItem(n)
	case FromItem:
		p.from(n)
	case *WindowClause:
		p.window(n)
	case *Duration:
		p.duration(n)
	case *TypeName:
		p.typeName(n)
	}
}

func (p *printer) annotations(as []Annotation) {
	for _, a := range as {
		p.WriteString("-- @")
		p.WriteString(oneLine(a.Name))
		p.WriteString(":")
		if a.Value != "" {
			p.WriteString(" ")
			p.WriteString(oneLine(a.Value))
		}
		p.WriteString("\n")
	}
}

// oneLine keeps a hand-built annotation from spilling out of its comment
// (only '\n' ends a line comment; a lone '\r' is kept as written).
func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", " ")
}

func (p *printer) stmt(s Statement) {
	switch s := s.(type) {
	case *SelectStmt:
		p.selectStmt(s)
	case *CreateAsStmt:
		p.createHead(s.OrReplace, s.Kind, s.IfNotExists, s.Name)
		if len(s.With) > 0 {
			p.WriteString(" ")
			p.props(s.With)
		}
		p.WriteString(" AS\n")
		if s.Select != nil {
			p.selectStmt(s.Select)
		}
	case *CreateSourceStmt:
		p.createHead(s.OrReplace, s.Kind, s.IfNotExists, s.Name)
		if len(s.Columns) > 0 {
			p.WriteString(" (")
			for i, c := range s.Columns {
				if i > 0 {
					p.WriteString(", ")
				}
				p.ident(c.Name, false)
				p.WriteString(" ")
				p.typeName(&c.Type)
			}
			p.WriteString(")")
		}
		p.WriteString(" ") // a source always has WITH, even an empty one
		p.props(s.With)
	}
}

func (p *printer) createHead(orReplace bool, kind RelationKind, ifNotExists bool, name *Ident) {
	p.WriteString("CREATE ")
	if orReplace {
		p.WriteString("OR REPLACE ")
	}
	p.WriteString(kind.String())
	if ifNotExists {
		p.WriteString(" IF NOT EXISTS")
	}
	p.WriteString(" ")
	p.ident(name, false)
}

func (p *printer) selectStmt(s *SelectStmt) {
	p.WriteString("SELECT ")
	if s.Distinct {
		p.WriteString("DISTINCT ")
	}
	for i := range s.Items {
		if i > 0 {
			p.WriteString(", ")
		}
		p.selectItem(&s.Items[i])
	}
	if s.From != nil {
		p.WriteString("\nFROM ")
		p.from(s.From)
	}
	if s.Where != nil {
		p.WriteString("\nWHERE ")
		p.expr(s.Where, 0)
	}
	if len(s.GroupBy) > 0 {
		p.WriteString("\nGROUP BY ")
		p.exprList(s.GroupBy)
	}
	if s.Window != nil {
		p.WriteString("\n")
		p.window(s.Window)
	}
	if s.Having != nil {
		p.WriteString("\nHAVING ")
		p.expr(s.Having, 0)
	}
	if len(s.OrderBy) > 0 {
		p.WriteString("\nORDER BY ")
		p.orderItems(s.OrderBy)
	}
	if s.Limit != nil {
		p.WriteString("\nLIMIT ")
		p.WriteString(strconv.FormatInt(s.Limit.N, 10))
	}
	switch s.Emit {
	case EmitChanges:
		p.WriteString("\nEMIT CHANGES")
	case EmitFinal:
		p.WriteString("\nEMIT FINAL")
	}
	if len(s.With) > 0 {
		p.WriteString("\n")
		p.props(s.With)
	}
}

func (p *printer) selectItem(it *SelectItem) {
	if it.Star {
		if it.Qualifier != "" {
			p.part(it.Qualifier, false)
			p.WriteString(".")
		}
		p.WriteString("*")
		return
	}
	if it.Expr != nil {
		p.expr(it.Expr, 0)
	}
	if it.Alias != nil {
		p.WriteString(" AS ")
		p.ident(it.Alias, false)
	}
	if it.PrimaryKey {
		p.WriteString(" PRIMARY KEY")
	}
}

func (p *printer) from(f FromItem) {
	switch f := f.(type) {
	case *SourceRef:
		switch {
		case f.URI != "" && bareURI(f.URI):
			p.WriteString(f.URI)
		case f.URI != "":
			p.str(f.URI)
		default:
			p.ident(f.Name, false)
		}
		if f.Alias != nil {
			p.WriteString(" AS ")
			p.ident(f.Alias, false)
		}
	case *Join:
		if f.Left != nil {
			p.from(f.Left)
		}
		p.WriteString("\n")
		p.WriteString(f.Kind.String())
		p.WriteString(" ")
		if f.Right != nil {
			p.from(f.Right)
		}
		if f.On != nil {
			p.WriteString(" ON ")
			p.expr(f.On, 0)
		}
		if f.Within != nil {
			p.WriteString(" WITHIN ")
			p.duration(f.Within)
		}
	}
}

// bareURI reports whether u lexes back as one URI token: a word, "://", and
// no character that ends a URI.
func bareURI(u string) bool {
	i := strings.Index(u, "://")
	if i <= 0 || !token.IsBareWord(u[:i]) {
		return false
	}
	return !strings.ContainsAny(u, " \t\n\r\f\v,);")
}

func (p *printer) window(w *WindowClause) {
	p.WriteString("WINDOW ")
	p.WriteString(w.Kind.String())
	p.WriteString("(")
	sep := ""
	if w.TimeCol != nil {
		p.expr(w.TimeCol, 0)
		sep = ", "
	}
	if w.Size != nil {
		p.WriteString(sep)
		p.duration(w.Size)
		sep = ", "
	}
	if w.Advance != nil {
		p.WriteString(sep)
		p.duration(w.Advance)
	}
	p.WriteString(")")
}

func (p *printer) duration(d *Duration) {
	if d.Text != "" {
		p.WriteString(d.Text)
		return
	}
	// A hand-built duration: the largest unit that divides it exactly.
	units := []struct {
		name string
		ms   int64
	}{{"DAY", 86_400_000}, {"HOUR", 3_600_000}, {"MINUTE", 60_000}, {"SECOND", 1000}, {"MILLISECOND", 1}}
	for _, u := range units {
		if d.Millis%u.ms == 0 {
			p.WriteString("INTERVAL '")
			p.WriteString(strconv.FormatInt(d.Millis/u.ms, 10))
			p.WriteString("' ")
			p.WriteString(u.name)
			return
		}
	}
}

func (p *printer) props(props []Property) {
	p.WriteString("WITH (")
	for i, pr := range props {
		if i > 0 {
			p.WriteString(", ")
		}
		p.str(pr.Key)
		p.WriteString(" = ")
		p.str(pr.Value)
	}
	p.WriteString(")")
}

func (p *printer) typeName(t *TypeName) {
	p.WriteString(t.Name)
	if len(t.Params) > 0 {
		p.WriteString("(")
		for i, n := range t.Params {
			if i > 0 {
				p.WriteString(", ")
			}
			p.WriteString(strconv.Itoa(n))
		}
		p.WriteString(")")
	}
}

func (p *printer) str(s string) {
	p.WriteByte('\'')
	p.WriteString(strings.ReplaceAll(s, "'", "''"))
	p.WriteByte('\'')
}

// ident prints a possibly qualified name. Parts that would not lex back as
// the same bare identifier are double-quoted. A reserved word after a '.'
// needs no quotes, and callee names may be LEFT or RIGHT.
func (p *printer) ident(id *Ident, callee bool) {
	if id == nil {
		return
	}
	last := len(id.Parts) - 1
	for i, part := range id.Parts {
		if i > 0 {
			p.WriteString(".")
		}
		quoted := i == last && id.Quoted
		if !quoted && i == 0 && callee && len(id.Parts) == 1 {
			switch token.Lookup(part) {
			case token.LEFT, token.RIGHT:
				p.WriteString(part)
				continue
			case token.CAST, token.EXTRACT:
				quoted = true // a call named CAST would parse as the CAST form
			}
		}
		p.part(part, quoted || i == 0 && token.Lookup(part).Reserved())
	}
}

func (p *printer) part(s string, quote bool) {
	if !quote && token.IsBareWord(s) && !token.Lookup(s).Reserved() {
		p.WriteString(s)
		return
	}
	if !quote && token.IsBareWord(s) {
		p.WriteString(s) // reserved, but the caller allows it (after a '.')
		return
	}
	p.WriteByte('"')
	p.WriteString(strings.ReplaceAll(s, `"`, `""`))
	p.WriteByte('"')
}

// Precedence levels, lowest first, as the parser climbs them.
const (
	precOr = 1 + iota
	precAnd
	precNot
	precCmp
	precConcat
	precAdd
	precMul
	precUnary
	precPrimary
)

func precOf(x Expr) int {
	switch x := x.(type) {
	case *Binary:
		switch x.Op {
		case OpOr:
			return precOr
		case OpAnd:
			return precAnd
		case OpConcat:
			return precConcat
		case OpAdd, OpSub:
			return precAdd
		case OpMul, OpDiv, OpMod:
			return precMul
		}
		return precCmp
	case *Unary:
		if x.Op == OpNot {
			return precNot
		}
		return precUnary
	case *In, *Between, *Like, *IsNull:
		return precCmp
	}
	return precPrimary
}

// expr prints x, in parentheses when its precedence is below min.
func (p *printer) expr(x Expr, min int) {
	if x == nil {
		return
	}
	if precOf(x) < min {
		p.WriteString("(")
		p.expr(x, 0)
		p.WriteString(")")
		return
	}
	switch x := x.(type) {
	case *Ident:
		p.ident(x, false)
	case *Literal:
		p.literal(x)
	case *IntervalLit:
		p.duration(&x.Duration)
	case *Binary:
		prec := precOf(x)
		p.expr(x.L, prec)
		p.WriteString(" ")
		p.WriteString(x.Op.String())
		p.WriteString(" ")
		p.expr(x.R, prec+1)
	case *Unary:
		switch x.Op {
		case OpNot:
			p.WriteString("NOT ")
			p.expr(x.X, precNot)
		default:
			op := "-"
			if x.Op == OpPlus {
				op = "+"
			}
			var sub printer
			sub.expr(x.X, precUnary)
			p.WriteString(op)
			if strings.HasPrefix(sub.String(), "-") {
				p.WriteString(" ") // "--" would start a comment
			}
			p.WriteString(sub.String())
		}
	case *Paren:
		p.WriteString("(")
		p.expr(x.X, 0)
		p.WriteString(")")
	case *Call:
		p.call(x)
	case *Case:
		p.WriteString("CASE")
		if x.Operand != nil {
			p.WriteString(" ")
			p.expr(x.Operand, 0)
		}
		for _, w := range x.Whens {
			p.WriteString(" WHEN ")
			p.expr(w.Cond, 0)
			p.WriteString(" THEN ")
			p.expr(w.Result, 0)
		}
		if x.Else != nil {
			p.WriteString(" ELSE ")
			p.expr(x.Else, 0)
		}
		p.WriteString(" END")
	case *Cast:
		p.WriteString("CAST(")
		p.expr(x.X, 0)
		p.WriteString(" AS ")
		p.typeName(&x.Type)
		p.WriteString(")")
	case *In:
		p.expr(x.X, precCmp)
		if x.Not {
			p.WriteString(" NOT")
		}
		p.WriteString(" IN (")
		p.exprList(x.List)
		p.WriteString(")")
	case *Between:
		p.expr(x.X, precCmp)
		if x.Not {
			p.WriteString(" NOT")
		}
		p.WriteString(" BETWEEN ")
		p.expr(x.Lo, precConcat)
		p.WriteString(" AND ")
		p.expr(x.Hi, precConcat)
	case *Like:
		p.expr(x.X, precCmp)
		if x.Not {
			p.WriteString(" NOT")
		}
		p.WriteString(" LIKE ")
		p.expr(x.Pattern, precConcat)
	case *IsNull:
		p.expr(x.X, precCmp)
		if x.Not {
			p.WriteString(" IS NOT NULL")
		} else {
			p.WriteString(" IS NULL")
		}
	case *Extract:
		p.WriteString("EXTRACT(")
		if token.IsBareWord(x.Field) {
			p.WriteString(x.Field)
		} else {
			p.str(x.Field)
		}
		p.WriteString(" FROM ")
		p.expr(x.X, 0)
		p.WriteString(")")
	case *BadExpr:
		p.WriteString("NULL") // only in trees with errors; keeps the text parseable
	}
}

func (p *printer) literal(l *Literal) {
	switch l.Kind {
	case LitString:
		p.str(l.Raw)
	case LitNull:
		p.WriteString("NULL")
	case LitBool:
		if l.Bool {
			p.WriteString("TRUE")
		} else {
			p.WriteString("FALSE")
		}
	default:
		p.WriteString(l.Raw)
	}
}

func (p *printer) exprList(xs []Expr) {
	for i, x := range xs {
		if i > 0 {
			p.WriteString(", ")
		}
		p.expr(x, 0)
	}
}

func (p *printer) orderItems(items []OrderItem) {
	for i, it := range items {
		if i > 0 {
			p.WriteString(", ")
		}
		p.expr(it.Expr, 0)
		if it.Desc {
			p.WriteString(" DESC")
		}
	}
}

func (p *printer) call(c *Call) {
	p.ident(c.Name, true)
	p.WriteString("(")
	if c.Distinct {
		p.WriteString("DISTINCT ")
	}
	if c.Star {
		p.WriteString("*")
	} else {
		p.exprList(c.Args)
	}
	p.WriteString(")")
	if len(c.WithinGroup) > 0 {
		p.WriteString(" WITHIN GROUP (ORDER BY ")
		p.orderItems(c.WithinGroup)
		p.WriteString(")")
	}
	if o := c.Over; o != nil {
		p.WriteString(" OVER (")
		var parts []string
		if o.BufferRows != 0 {
			parts = append(parts, "ROWS WINDOW BUFFER "+strconv.FormatInt(o.BufferRows, 10)+" ROWS")
		}
		if len(o.PartitionBy) > 0 {
			var s printer
			s.exprList(o.PartitionBy)
			parts = append(parts, "PARTITION BY "+s.String())
		}
		if len(o.OrderBy) > 0 {
			var s printer
			s.orderItems(o.OrderBy)
			parts = append(parts, "ORDER BY "+s.String())
		}
		if f := o.Frame; f != nil {
			kw := "ROWS"
			if f.Range {
				kw = "RANGE"
			}
			parts = append(parts, kw+" BETWEEN "+frameBound(f.Start)+" AND "+frameBound(f.EndBound))
		}
		switch o.Emit {
		case EmitChanges:
			parts = append(parts, "EMIT CHANGES")
		case EmitFinal:
			parts = append(parts, "EMIT FINAL")
		}
		p.WriteString(strings.Join(parts, " "))
		p.WriteString(")")
	}
}

func frameBound(b FrameBound) string {
	dir := " PRECEDING"
	if b.Following {
		dir = " FOLLOWING"
	}
	switch {
	case b.Current:
		return "CURRENT ROW"
	case b.Unbounded:
		return "UNBOUNDED" + dir
	}
	return strconv.FormatInt(b.N, 10) + dir
}
