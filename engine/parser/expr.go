package parser

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/token"
)

// Expressions, lowest to highest precedence:
//
//	OR
//	AND
//	NOT
//	= == != <> < <= > >=, IS [NOT] NULL, [NOT] IN, [NOT] BETWEEN, [NOT] LIKE
//	||
//	+ -
//	* / %
//	unary - +
//	postfix ::type
//	primary

// enter counts one level of nesting; past maxDepth it reports once and the
// caller gives up on the subexpression.
func (p *parser) enter() bool {
	p.depth++
	if p.depth > maxDepth {
		t := p.tok()
		p.report(t.Pos, t.End, "", fmt.Sprintf("expression nested too deeply (more than %d levels)", maxDepth))
		return false
	}
	return true
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseExpr() ast.Expr {
	defer p.leave()
	if !p.enter() {
		return p.badHere()
	}
	return p.parseOr()
}

func (p *parser) parseOr() ast.Expr {
	x := p.parseAnd()
	for p.at(token.OR) {
		op := p.tok().Pos
		p.next()
		x = &ast.Binary{Op: ast.OpOr, L: x, R: p.parseAnd(), OpPos: op}
	}
	return x
}

func (p *parser) parseAnd() ast.Expr {
	x := p.parseNot()
	for p.at(token.AND) {
		op := p.tok().Pos
		p.next()
		x = &ast.Binary{Op: ast.OpAnd, L: x, R: p.parseNot(), OpPos: op}
	}
	return x
}

func (p *parser) parseNot() ast.Expr {
	if !p.at(token.NOT) {
		return p.parseComparison()
	}
	defer p.leave()
	if !p.enter() {
		return p.badHere()
	}
	start := p.tok().Pos
	p.next()
	return &ast.Unary{Op: ast.OpNot, X: p.parseNot(), Start: start}
}

var comparisonOps = map[token.Kind]ast.BinaryOp{
	token.EQ: ast.OpEq, token.EQEQ: ast.OpEq, token.NE: ast.OpNe,
	token.LT: ast.OpLt, token.LE: ast.OpLe, token.GT: ast.OpGt, token.GE: ast.OpGe,
}

func (p *parser) parseComparison() ast.Expr {
	x := p.parseConcat()
	for {
		t := p.tok()
		if op, ok := comparisonOps[t.Kind]; ok {
			p.next()
			x = &ast.Binary{Op: op, L: x, R: p.parseConcat(), OpPos: t.Pos}
			continue
		}
		not := false
		switch t.Kind {
		case token.IS:
			p.next()
			n := &ast.IsNull{X: x, Not: p.accept(token.NOT)}
			if !p.accept(token.NULL) {
				p.errorExpected("NULL")
			}
			n.Stop = p.prevEnd()
			x = n
			continue
		case token.NOT:
			switch p.peek(1).Kind {
			case token.IN, token.BETWEEN, token.LIKE:
				p.next()
				not = true
			default:
				return x
			}
		}
		switch p.tok().Kind {
		case token.IN:
			x = p.parseIn(x, not)
		case token.BETWEEN:
			p.next()
			b := &ast.Between{X: x, Not: not, Lo: p.parseConcat()}
			if p.expectKeyword(token.AND) {
				b.Hi = p.parseConcat()
			} else {
				b.Hi = p.badHere()
			}
			x = b
		case token.LIKE:
			p.next()
			x = &ast.Like{X: x, Not: not, Pattern: p.parseConcat()}
		default:
			return x
		}
	}
}

func (p *parser) parseIn(x ast.Expr, not bool) ast.Expr {
	p.next() // IN
	in := &ast.In{X: x, Not: not}
	if !p.expect(token.LPAREN) {
		in.Stop = p.prevEnd()
		return in
	}
	if t := p.tok(); t.Kind == token.SELECT {
		p.report(t.Pos, t.End, "", "subqueries are not supported")
		p.skipPast(token.RPAREN)
		in.Stop = p.prevEnd()
		return in
	}
	in.List = p.parseExprList()
	if !p.expect(token.RPAREN) {
		p.skipPast(token.RPAREN)
	}
	in.Stop = p.prevEnd()
	return in
}

func (p *parser) parseConcat() ast.Expr {
	x := p.parseAdditive()
	for p.at(token.CONCAT) {
		op := p.tok().Pos
		p.next()
		x = &ast.Binary{Op: ast.OpConcat, L: x, R: p.parseAdditive(), OpPos: op}
	}
	return x
}

func (p *parser) parseAdditive() ast.Expr {
	x := p.parseMultiplicative()
	for {
		t := p.tok()
		var op ast.BinaryOp
		switch t.Kind {
		case token.PLUS:
			op = ast.OpAdd
		case token.MINUS:
			op = ast.OpSub
		default:
			return x
		}
		p.next()
		x = &ast.Binary{Op: op, L: x, R: p.parseMultiplicative(), OpPos: t.Pos}
	}
}

func (p *parser) parseMultiplicative() ast.Expr {
	x := p.parseUnary()
	for {
		t := p.tok()
		var op ast.BinaryOp
		switch t.Kind {
		case token.STAR:
			op = ast.OpMul
		case token.SLASH:
			op = ast.OpDiv
		case token.PERCENT:
			op = ast.OpMod
		default:
			return x
		}
		p.next()
		x = &ast.Binary{Op: op, L: x, R: p.parseUnary(), OpPos: t.Pos}
	}
}

func (p *parser) parseUnary() ast.Expr {
	t := p.tok()
	var op ast.UnaryOp
	switch t.Kind {
	case token.MINUS:
		op = ast.OpNeg
	case token.PLUS:
		op = ast.OpPlus
	default:
		return p.parsePostfix()
	}
	defer p.leave()
	if !p.enter() {
		return p.badHere()
	}
	p.next()
	return &ast.Unary{Op: op, X: p.parseUnary(), Start: t.Pos}
}

func (p *parser) parsePostfix() ast.Expr {
	x := p.parsePrimary()
	for p.at(token.DCOLON) {
		p.next()
		typ := p.parseType()
		x = &ast.Cast{X: x, Type: typ, Start: x.Pos(), Stop: p.prevEnd()}
	}
	return x
}

func (p *parser) parsePrimary() ast.Expr {
	t := p.tok()
	switch t.Kind {
	case token.INT, token.DECIMAL, token.FLOAT, token.STRING:
		kind := ast.LitString
		switch t.Kind {
		case token.INT:
			kind = ast.LitInt
		case token.DECIMAL:
			kind = ast.LitDecimal
		case token.FLOAT:
			kind = ast.LitFloat
		}
		p.next()
		return &ast.Literal{Kind: kind, Raw: t.Val, Start: t.Pos, Stop: t.End}
	case token.TRUE, token.FALSE:
		p.next()
		return &ast.Literal{Kind: ast.LitBool, Raw: t.Kind.String(), Bool: t.Kind == token.TRUE, Start: t.Pos, Stop: t.End}
	case token.NULL:
		p.next()
		return &ast.Literal{Kind: ast.LitNull, Raw: "NULL", Start: t.Pos, Stop: t.End}
	case token.INTERVAL, token.DURATION:
		d := p.parseDuration(false)
		if d == nil {
			return &ast.BadExpr{Start: t.Pos, Stop: p.prevEnd()}
		}
		return &ast.IntervalLit{Duration: *d}
	case token.LPAREN:
		return p.parseParen()
	case token.CASE:
		return p.parseCase()
	case token.CAST:
		if p.peek(1).Kind == token.LPAREN {
			return p.parseCast()
		}
	case token.EXTRACT:
		if p.peek(1).Kind == token.LPAREN {
			return p.parseExtract()
		}
	case token.LEFT, token.RIGHT:
		if p.peek(1).Kind == token.LPAREN {
			return p.parseCall(p.singleName())
		}
	case token.ILLEGAL:
		// The lexer reported it; step over it so the rest still parses.
		p.next()
		return &ast.BadExpr{Start: t.Pos, Stop: t.End}
	}
	if identLike(t) {
		name := p.parseName()
		if p.at(token.LPAREN) {
			return p.parseCall(name)
		}
		return name
	}
	p.errorExpected("expression")
	return p.badHere()
}

func (p *parser) parseParen() ast.Expr {
	start := p.tok().Pos
	p.next()
	if t := p.tok(); t.Kind == token.SELECT {
		p.report(t.Pos, t.End, "", "subqueries are not supported")
		p.skipPast(token.RPAREN)
		return &ast.BadExpr{Start: start, Stop: p.prevEnd()}
	}
	x := p.parseExpr()
	p.expect(token.RPAREN)
	return &ast.Paren{X: x, Start: start, Stop: p.prevEnd()}
}

func (p *parser) parseCase() ast.Expr {
	c := &ast.Case{Start: p.tok().Pos}
	p.next()
	if !p.at(token.WHEN) && !p.at(token.END) {
		c.Operand = p.parseExpr()
	}
	for p.at(token.WHEN) || p.isMisspelled(token.WHEN) {
		p.expectKeyword(token.WHEN)
		w := ast.WhenClause{Cond: p.parseExpr()}
		p.expectKeyword(token.THEN)
		w.Result = p.parseExpr()
		c.Whens = append(c.Whens, w)
	}
	if len(c.Whens) == 0 {
		p.errorExpected("WHEN")
	}
	if p.accept(token.ELSE) {
		c.Else = p.parseExpr()
	}
	p.expectKeyword(token.END)
	c.Stop = p.prevEnd()
	return c
}

func (p *parser) parseCast() ast.Expr {
	c := &ast.Cast{Start: p.tok().Pos}
	p.next()
	p.next() // (
	c.X = p.parseExpr()
	if p.expectKeyword(token.AS) {
		c.Type = p.parseType()
	} else {
		c.Type = ast.TypeName{Start: p.tok().Pos, Stop: p.tok().Pos}
	}
	if !p.expect(token.RPAREN) {
		p.skipPast(token.RPAREN)
	}
	c.Stop = p.prevEnd()
	return c
}

// parseExtract parses EXTRACT(field FROM x); EXTRACT('field', x) is also
// accepted, as Velostream's docs use it.
func (p *parser) parseExtract() ast.Expr {
	e := &ast.Extract{Start: p.tok().Pos}
	p.next()
	p.next() // (
	t := p.tok()
	e.FieldPos = t.Pos
	switch {
	case t.Kind == token.STRING:
		e.Field = strings.ToUpper(strings.TrimSpace(t.Val))
		p.next()
	case anyWord(t):
		e.Field = strings.ToUpper(t.Val)
		p.next()
	default:
		p.errorExpected("date/time field (YEAR, MONTH, DAY, HOUR, ...)")
	}
	if !p.accept(token.COMMA) {
		p.expectKeyword(token.FROM)
	}
	e.X = p.parseExpr()
	if !p.expect(token.RPAREN) {
		p.skipPast(token.RPAREN)
	}
	e.Stop = p.prevEnd()
	return e
}

// parseCall parses the rest of a call after its name: (args) and the
// optional WITHIN GROUP (ORDER BY ...) and OVER (...).
func (p *parser) parseCall(name *ast.Ident) ast.Expr {
	c := &ast.Call{Name: name, Start: name.Pos()}
	p.next() // (
	if p.accept(token.DISTINCT) {
		c.Distinct = true
	} else {
		p.accept(token.ALL)
	}
	switch {
	case p.at(token.STAR):
		p.next()
		c.Star = true
	case strings.EqualFold(name.Name(), "POSITION") && len(name.Parts) == 1 && !p.at(token.RPAREN):
		// SQL's POSITION(sub IN s) is POSITION(sub, s); the operands are
		// read above comparisons so that IN is not taken for x IN (list).
		sub := p.parseConcat()
		if p.accept(token.IN) {
			c.Args = []ast.Expr{sub, p.parseConcat()}
		} else {
			c.Args = []ast.Expr{sub}
			if p.accept(token.COMMA) {
				c.Args = append(c.Args, p.parseExprList()...)
			}
		}
	case !p.at(token.RPAREN):
		c.Args = p.parseExprList()
	}
	if !p.expect(token.RPAREN) {
		p.skipPast(token.RPAREN)
	}
	if p.at(token.WITHIN) && p.peek(1).Kind == token.GROUP {
		p.next()
		p.next()
		if p.expect(token.LPAREN) {
			p.expectKeyword(token.ORDER)
			p.expectKeyword(token.BY)
			c.WithinGroup = p.parseOrderItems()
			if !p.expect(token.RPAREN) {
				p.skipPast(token.RPAREN)
			}
		}
	}
	if p.at(token.OVER) {
		c.Over = p.parseOver()
	}
	c.Stop = p.prevEnd()
	return c
}

// parseOver parses OVER (...), whose parts may come in any order:
// PARTITION BY, ORDER BY, a ROWS or RANGE frame, Velostream's ROWS WINDOW
// BUFFER n ROWS, and EMIT CHANGES|FINAL.
func (p *parser) parseOver() *ast.OverClause {
	o := &ast.OverClause{Start: p.tok().Pos}
	p.next() // OVER
	paren := p.accept(token.LPAREN)
	if !paren {
		// Read the parts anyway (OVER ROWS WINDOW BUFFER 100 ROWS is a common
		// slip) so that one missing '(' gives one error.
		hint := ""
		switch p.tok().Kind {
		case token.ROWS, token.PARTITION, token.ORDER, token.RANGE:
			hint = "write OVER (...) with parentheses, e.g. OVER (ROWS WINDOW BUFFER 100 ROWS)"
		}
		p.errorExpectedHint(`"(" after OVER`, hint)
	}
	seen := map[string]token.Pos{}
	dup := func(name string, t *token.Token) bool {
		if first, ok := seen[name]; ok {
			p.report(t.Pos, t.End, "", fmt.Sprintf("duplicate %s in OVER (the first is at %s)", name, first))
			return true
		}
		seen[name] = t.Pos
		return false
	}
loop:
	for {
		t := p.tok()
		k := t.Kind
		if m, ok := p.misspelled(token.PARTITION, token.ORDER, token.ROWS, token.RANGE, token.EMIT); ok {
			p.reportMisspelled("PARTITION BY, ORDER BY, ROWS, RANGE or EMIT", m)
			k = m
		}
		switch k {
		case token.RPAREN, token.EOF, token.SEMI:
			break loop
		case token.PARTITION, token.ORDER, token.ROWS, token.RANGE, token.EMIT:
		default:
			if !paren {
				break loop
			}
		}
		switch k {
		case token.PARTITION:
			d := dup("PARTITION BY", t)
			p.next()
			p.expectKeyword(token.BY)
			if xs := p.parseExprList(); !d {
				o.PartitionBy = xs
			}
		case token.ORDER:
			d := dup("ORDER BY", t)
			p.next()
			p.expectKeyword(token.BY)
			if items := p.parseOrderItems(); !d {
				o.OrderBy = items
			}
		case token.ROWS, token.RANGE:
			if k == token.ROWS && p.peek(1).Kind == token.WINDOW {
				d := dup("ROWS WINDOW BUFFER", t)
				if n := p.parseBuffer(); !d {
					o.BufferRows = n
				}
				continue
			}
			d := dup("frame", t)
			if f := p.parseFrame(k == token.RANGE); !d {
				o.Frame = f
			}
		case token.EMIT:
			d := dup("EMIT", t)
			p.next()
			if mode, ok := p.parseEmitMode(); ok && !d {
				o.Emit = mode
			}
		default:
			p.errorExpected(`PARTITION BY, ORDER BY, ROWS, RANGE, EMIT or ")"`)
			p.skipPast(token.RPAREN)
			o.Stop = p.prevEnd()
			return o
		}
	}
	if paren {
		p.expect(token.RPAREN)
	}
	o.Stop = p.prevEnd()
	return o
}

// parseBuffer parses ROWS WINDOW BUFFER n ROWS.
func (p *parser) parseBuffer() int64 {
	p.next() // ROWS
	p.next() // WINDOW
	p.expectKeyword(token.BUFFER)
	t := p.tok()
	if t.Kind != token.INT {
		p.errorExpected("row count")
		return 0
	}
	n, err := strconv.ParseInt(t.Raw, 10, 64)
	switch {
	case err != nil:
		p.report(t.Pos, t.End, "", fmt.Sprintf("buffer size %s is too large", t.Raw))
	case n <= 0:
		p.report(t.Pos, t.End, "", fmt.Sprintf("expected a positive buffer size, found %s", t.Raw))
	}
	p.next()
	p.expectKeyword(token.ROWS)
	return n
}

// parseFrame parses ROWS|RANGE BETWEEN bound AND bound, or ROWS bound
// (short for BETWEEN bound AND CURRENT ROW).
func (p *parser) parseFrame(isRange bool) *ast.Frame {
	f := &ast.Frame{Range: isRange, Pos: p.tok().Pos}
	p.next()
	if p.accept(token.BETWEEN) {
		f.Start = p.parseFrameBound()
		p.expectKeyword(token.AND)
		f.EndBound = p.parseFrameBound()
		return f
	}
	f.Start = p.parseFrameBound()
	f.EndBound = ast.FrameBound{Current: true}
	return f
}

func (p *parser) parseFrameBound() ast.FrameBound {
	var b ast.FrameBound
	t := p.tok()
	switch t.Kind {
	case token.UNBOUNDED:
		b.Unbounded = true
	case token.CURRENT:
		p.next()
		p.expectKeyword(token.ROW)
		b.Current = true
		return b
	case token.INT:
		n, err := strconv.ParseInt(t.Raw, 10, 64)
		if err != nil {
			p.report(t.Pos, t.End, "", fmt.Sprintf("frame offset %s is too large", t.Raw))
		}
		b.N = n
	default:
		p.errorExpected("UNBOUNDED, CURRENT ROW or a row count")
		return b
	}
	p.next()
	switch p.tok().Kind {
	case token.PRECEDING:
		p.next()
	case token.FOLLOWING:
		p.next()
		b.Following = true
	default:
		if k, ok := p.misspelled(token.PRECEDING, token.FOLLOWING); ok {
			p.reportMisspelled("PRECEDING or FOLLOWING", k)
			p.next()
			b.Following = k == token.FOLLOWING
			return b
		}
		p.errorExpected("PRECEDING or FOLLOWING")
	}
	return b
}
