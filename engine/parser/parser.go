// Package parser turns Velostream SQL text into syntax trees: Parse takes a
// script (statements separated by ';') and gives an *ast.Script, ParseExpr
// takes a single expression (alert conditions, test assertions) and gives an
// ast.Expr. Both return every error they found, positioned and sorted, and as
// much tree as they could build: the parser recovers at statement and clause
// boundaries so that one typo does not hide the next. Neither panics, whatever
// the input.
//
// The dialect is Velostream's, and the parser is liberal in what it accepts
// because users paste examples from its documentation: GROUP BY, WINDOW and
// HAVING in any order, several spellings of durations, `ROWS WINDOW BUFFER n
// ROWS` in OVER, URIs and file paths as sources, `-- @name: value` annotations.
package parser

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/token"
)

const (
	// maxDepth bounds expression nesting so that hostile input such as
	// 100000 '(' ends in an error rather than a very deep stack.
	maxDepth = 1000
	// maxErrorsPerStatement keeps a badly broken statement from burying the
	// errors of the others.
	maxErrorsPerStatement = 10
)

// Parse parses a whole script. The tree holds every statement that could be
// parsed (possibly with ast.BadExpr or nil parts where errors are); errs is
// sorted by position.
func Parse(src string) (script *ast.Script, errs diag.List) {
	l := lex(src)
	p := newParser(src, l)
	defer func() {
		if r := recover(); r != nil {
			// A bug in the parser must not take the caller down with it.
			p.internalError(r)
			script, errs = &ast.Script{}, p.finish(l.errs)
		}
	}()
	script = p.parseScript()
	attachAnnotations(script, l.annots)
	return script, p.finish(l.errs)
}

// ParseExpr parses a single expression, such as `SUM(x) > 0`. A trailing ';'
// is allowed; anything else after the expression is an error.
func ParseExpr(src string) (x ast.Expr, errs diag.List) {
	l := lex(src)
	p := newParser(src, l)
	defer func() {
		if r := recover(); r != nil {
			p.internalError(r)
			x, errs = &ast.BadExpr{}, p.finish(l.errs)
		}
	}()
	x = p.parseExpr()
	p.accept(token.SEMI)
	if !p.at(token.EOF) {
		p.errorExpected("end of expression")
	}
	return x, p.finish(l.errs)
}

type parser struct {
	src     string
	toks    []token.Token
	i       int
	errs    diag.List
	lastErr int // offset of the last error: one error per place, no cascades
	depth   int
	bounds  []int // offsets of the ';' that ended each statement (for error caps)
	// quietEOF silences "found end of input": the lexer already reported
	// the unterminated string or comment that ate the rest of the text.
	quietEOF bool
}

func newParser(src string, l *lexer) *parser {
	return &parser{src: src, toks: l.toks, lastErr: -1, quietEOF: l.swallowed}
}

func (p *parser) internalError(r any) {
	t := p.tok()
	p.errs.Add(t.Pos, t.End, fmt.Sprintf("internal parser error: %v (please report this input)", r))
}

// finish merges the lexer's errors with the parser's, sorts them, and keeps
// at most maxErrorsPerStatement for each statement.
func (p *parser) finish(lexErrs diag.List) diag.List {
	all := make(diag.List, 0, len(lexErrs)+len(p.errs))
	all = append(all, lexErrs...)
	all = append(all, p.errs...)
	all.Sort()
	out := all[:0]
	seg, n := 0, 0
	for _, d := range all {
		for seg < len(p.bounds) && p.bounds[seg] < d.Pos.Offset {
			seg++
			n = 0
		}
		if n < maxErrorsPerStatement {
			out = append(out, d)
		}
		n++
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// --- token access ---

func (p *parser) tok() *token.Token { return &p.toks[p.i] }

func (p *parser) peek(n int) *token.Token {
	j := p.i + n
	if j >= len(p.toks) {
		j = len(p.toks) - 1
	}
	return &p.toks[j]
}

func (p *parser) next() {
	if p.i < len(p.toks)-1 {
		p.i++
	}
}

func (p *parser) at(k token.Kind) bool { return p.toks[p.i].Kind == k }

func (p *parser) accept(k token.Kind) bool {
	if p.at(k) {
		p.next()
		return true
	}
	return false
}

// prevEnd is the end of the last consumed token: the Stop of the node just parsed.
func (p *parser) prevEnd() token.Pos {
	if p.i == 0 {
		return p.toks[0].Pos
	}
	return p.toks[p.i-1].End
}

// stopFrom is prevEnd for a node that starts at start: never before it, even
// when an error left the node without any token of its own.
func (p *parser) stopFrom(start token.Pos) token.Pos {
	if e := p.prevEnd(); e.Offset > start.Offset {
		return e
	}
	return start
}

// --- errors ---

func (p *parser) report(pos, end token.Pos, hint, msg string) {
	if pos.Offset == p.lastErr {
		return
	}
	p.lastErr = pos.Offset
	p.errs = append(p.errs, diag.Diagnostic{Pos: pos, End: end, Msg: msg, Hint: hint})
}

// errorExpected reports `expected <what>, found <current token>`. Nothing is
// reported at an ILLEGAL token: the lexer already said what is wrong there.
func (p *parser) errorExpected(what string) { p.errorExpectedHint(what, "") }

func (p *parser) errorExpectedHint(what, hint string) {
	t := p.tok()
	if t.Kind == token.ILLEGAL || t.Kind == token.EOF && p.quietEOF {
		return
	}
	p.report(t.Pos, t.End, hint, fmt.Sprintf("expected %s, found %s", what, describe(t)))
}

// describe names a token for messages: its text, quoted and shortened.
func describe(t *token.Token) string {
	if t.Kind == token.EOF {
		return "end of input"
	}
	s := t.Raw
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:37]) + "..."
	}
	return strconv.Quote(s)
}

// misspelled reports whether the current token is a plain word that reads
// like a typo of one of the keywords ks, and which. Short words must share
// the first letter so that a name like `y` is not taken for BY.
func (p *parser) misspelled(ks ...token.Kind) (token.Kind, bool) {
	t := p.tok()
	if t.Kind != token.IDENT && !(t.Kind.IsKeyword() && !t.Kind.Reserved()) {
		return 0, false
	}
	if len(t.Raw) < 2 {
		return 0, false
	}
	names := make([]string, len(ks))
	for i, k := range ks {
		if k == t.Kind {
			return 0, false // the keyword itself, not a typo
		}
		names[i] = k.String()
	}
	s := diag.Suggest(t.Raw, names)
	if s == "" {
		return 0, false
	}
	if len(t.Raw) <= 3 && !strings.EqualFold(t.Raw[:1], s[:1]) {
		return 0, false
	}
	for _, k := range ks {
		if k.String() == s {
			return k, true
		}
	}
	return 0, false
}

// expectKeyword consumes keyword k. A near-miss spelling of it is reported
// with a hint and then taken as k, so that parsing goes on as the user meant.
func (p *parser) expectKeyword(k token.Kind) bool {
	if p.accept(k) {
		return true
	}
	if _, ok := p.misspelled(k); ok {
		p.reportMisspelled(k.String(), k)
		p.next()
		return true
	}
	p.errorExpected(k.String())
	return false
}

func (p *parser) reportMisspelled(what string, k token.Kind) {
	t := p.tok()
	p.report(t.Pos, t.End, fmt.Sprintf("did you mean %s?", k), fmt.Sprintf("expected %s, found %s", what, describe(t)))
}

func (p *parser) expect(k token.Kind) bool {
	if p.accept(k) {
		return true
	}
	p.errorExpected(strconv.Quote(k.String()))
	return false
}

// skipPast skips to just after the next token of kind k at this paren depth,
// or to the end of the statement; it reports whether k was found.
func (p *parser) skipPast(k token.Kind) bool {
	depth := 0
	for {
		t := p.tok()
		switch {
		case t.Kind == token.EOF || t.Kind == token.SEMI:
			return false
		case t.Kind == k && depth == 0:
			p.next()
			return true
		case t.Kind == token.LPAREN:
			depth++
		case t.Kind == token.RPAREN:
			if depth == 0 {
				return false
			}
			depth--
		}
		p.next()
	}
}

// skipInList skips to the next ',' or ')' of the list being parsed.
func (p *parser) skipInList() {
	depth := 0
	for {
		t := p.tok()
		switch t.Kind {
		case token.EOF, token.SEMI:
			return
		case token.COMMA:
			if depth == 0 {
				return
			}
		case token.LPAREN:
			depth++
		case token.RPAREN:
			if depth == 0 {
				return
			}
			depth--
		}
		p.next()
	}
}

// --- names ---

// identLike reports whether t can be a bare or quoted name here.
func identLike(t *token.Token) bool {
	return t.Kind == token.IDENT || t.Kind == token.QIDENT || t.Kind.IsKeyword() && !t.Kind.Reserved()
}

// anyWord reports whether t is a word of any kind (after '.', in a type or a
// property key a reserved word is no longer ambiguous).
func anyWord(t *token.Token) bool {
	return t.Kind == token.IDENT || t.Kind == token.QIDENT || t.Kind.IsKeyword()
}

// parseName parses `a` or `a.b.c`; the current token is identLike.
func (p *parser) parseName() *ast.Ident {
	t := p.tok()
	id := &ast.Ident{Parts: []string{t.Val}, Quoted: t.Kind == token.QIDENT, Start: t.Pos}
	p.next()
	for p.at(token.DOT) && anyWord(p.peek(1)) {
		p.next()
		t = p.tok()
		id.Parts = append(id.Parts, t.Val)
		id.Quoted = t.Kind == token.QIDENT
		p.next()
	}
	id.Stop = p.prevEnd()
	return id
}

func (p *parser) singleName() *ast.Ident {
	t := p.tok()
	id := &ast.Ident{Parts: []string{t.Val}, Quoted: t.Kind == token.QIDENT, Start: t.Pos, Stop: t.End}
	p.next()
	return id
}

// canFollowAlias reports whether t may come right after an alias; a word
// followed by anything else is more likely a misspelled keyword.
func canFollowAlias(t *token.Token) bool {
	switch t.Kind {
	case token.COMMA, token.SEMI, token.RPAREN, token.EOF, token.PRIMARY:
		return true
	}
	return t.Kind.Reserved()
}

// parseAlias parses `[AS] alias`. clauseWords are the keywords that may come
// next: a bare word close to one of them, not followed by what can follow an
// alias, is left alone for the caller to report as a misspelled keyword.
func (p *parser) parseAlias(clauseWords []token.Kind) *ast.Ident {
	if p.accept(token.AS) {
		if identLike(p.tok()) {
			return p.singleName()
		}
		p.errorExpected("alias")
		return nil
	}
	t := p.tok()
	if !identLike(t) {
		return nil
	}
	if t.Kind == token.PRIMARY && p.peek(1).Kind == token.KEY {
		return nil
	}
	if t.Kind != token.QIDENT && !canFollowAlias(p.peek(1)) {
		if _, ok := p.misspelled(clauseWords...); ok {
			return nil
		}
	}
	return p.singleName()
}

// --- script and statements ---

func (p *parser) parseScript() *ast.Script {
	s := &ast.Script{}
	for {
		for p.at(token.SEMI) {
			p.bounds = append(p.bounds, p.tok().Pos.Offset)
			p.next()
		}
		if p.at(token.EOF) {
			return s
		}
		start := p.i
		st := p.parseStatement()
		if st != nil {
			s.Statements = append(s.Statements, st)
		}
		switch t := p.tok(); {
		case t.Kind == token.SEMI || t.Kind == token.EOF:
		case isStatementStart(t.Kind):
			if st != nil { // a failed statement already has its error
				p.errorExpected(`";"`)
			}
		default:
			p.errorExpected(`";"`)
			p.skipStatement()
		}
		if p.i == start { // guarantee progress whatever went wrong
			p.next()
		}
	}
}

func isStatementStart(k token.Kind) bool {
	return k == token.SELECT || k == token.CREATE || k == token.INSERT
}

// skipStatement skips to the next ';' or statement keyword at paren depth 0.
func (p *parser) skipStatement() {
	depth := 0
	first := true
	for {
		t := p.tok()
		switch {
		case t.Kind == token.EOF || t.Kind == token.SEMI:
			return
		case isStatementStart(t.Kind) && depth == 0 && !first:
			return
		case t.Kind == token.LPAREN:
			depth++
		case t.Kind == token.RPAREN && depth > 0:
			depth--
		}
		first = false
		p.next()
	}
}

func (p *parser) parseStatement() ast.Statement {
	t := p.tok()
	switch t.Kind {
	case token.SELECT:
		return p.parseSelect()
	case token.CREATE:
		return p.parseCreate()
	case token.INSERT:
		p.report(t.Pos, t.End, "write CREATE STREAM <name> AS SELECT ... to send query results to a stream",
			"INSERT is not supported")
		p.skipPast(token.SEMI) // INSERT ... SELECT is one statement
		return nil
	case token.WITH:
		p.report(t.Pos, t.End, "", "WITH queries (common table expressions) are not supported")
		p.skipPast(token.SEMI)
		return nil
	}
	if k, ok := p.misspelled(token.SELECT, token.CREATE); ok {
		if k == token.SELECT {
			return p.parseSelect()
		}
		return p.parseCreate()
	}
	p.errorExpected("SELECT or CREATE")
	p.skipStatement()
	return nil
}

func (p *parser) parseCreate() ast.Statement {
	start := p.tok().Pos
	p.expectKeyword(token.CREATE)
	orReplace := false
	if p.accept(token.OR) {
		p.expectKeyword(token.REPLACE)
		orReplace = true
	}
	var kind ast.RelationKind
	switch t := p.tok(); t.Kind {
	case token.STREAM:
		kind = ast.Stream
	case token.TABLE:
		kind = ast.Table
	default:
		k, ok := p.misspelled(token.STREAM, token.TABLE)
		if !ok {
			p.errorExpected("STREAM or TABLE")
			p.skipStatement()
			return nil
		}
		p.reportMisspelled("STREAM or TABLE", k)
		if k == token.TABLE {
			kind = ast.Table
		}
	}
	p.next()
	ifNotExists := false
	if p.at(token.IF) && p.peek(1).Kind == token.NOT {
		p.next()
		p.next()
		p.expectKeyword(token.EXISTS)
		ifNotExists = true
	}
	if !identLike(p.tok()) {
		p.errorExpected(strings.ToLower(kind.String()) + " name")
		p.skipStatement()
		return nil
	}
	name := p.parseName()

	var cols []ast.ColumnDef
	colsPos := p.tok()
	hasCols := p.at(token.LPAREN)
	if hasCols {
		cols = p.parseColumns()
	}
	var with []ast.Property
	var withPos token.Pos
	if p.at(token.WITH) {
		withPos = p.tok().Pos
		with = p.parseProps()
	}
	isAs := p.at(token.AS)
	if !isAs && !withPos.IsValid() {
		if k, ok := p.misspelled(token.AS, token.WITH); ok {
			p.reportMisspelled("AS or WITH", k)
			if k == token.WITH {
				withPos = p.tok().Pos
				with = p.parseProps()
			} else {
				isAs = true
			}
		}
	}
	if isAs {
		p.next()
		if hasCols {
			p.report(colsPos.Pos, colsPos.End, "declare columns on the source stream; a query's columns come from its SELECT list",
				"a column list cannot be combined with AS SELECT")
		}
		c := &ast.CreateAsStmt{Kind: kind, OrReplace: orReplace, IfNotExists: ifNotExists, Name: name, With: with, WithPos: withPos}
		c.Start = start
		if p.at(token.SELECT) || p.isMisspelled(token.SELECT) {
			c.Select = p.parseSelect()
		} else {
			p.errorExpected("SELECT")
		}
		c.Stop = p.prevEnd()
		return c
	}
	if !withPos.IsValid() {
		p.errorExpectedHint("AS or WITH", "a source needs WITH ('key' = 'value', ...); a derived stream needs AS SELECT ...")
	}
	c := &ast.CreateSourceStmt{Kind: kind, OrReplace: orReplace, IfNotExists: ifNotExists, Name: name, Columns: cols, With: with, WithPos: withPos}
	c.Start = start
	c.Stop = p.prevEnd()
	return c
}

// parseColumns parses `(name TYPE, ...)`.
func (p *parser) parseColumns() []ast.ColumnDef {
	p.next() // (
	var cols []ast.ColumnDef
	for {
		if !identLike(p.tok()) {
			p.errorExpected("column name")
			p.skipInList()
		} else {
			name := p.singleName()
			typ := p.parseType()
			cols = append(cols, ast.ColumnDef{Name: name, Type: typ})
			if !p.at(token.COMMA) && !p.at(token.RPAREN) {
				p.errorExpected(`"," or ")"`)
				p.skipInList()
			}
		}
		if !p.accept(token.COMMA) {
			break
		}
	}
	p.expect(token.RPAREN)
	return cols
}

// parseType parses a type name with optional integer parameters:
// STRING, DECIMAL(12, 4), VARCHAR(20).
func (p *parser) parseType() ast.TypeName {
	t := p.tok()
	tn := ast.TypeName{Start: t.Pos, Stop: t.Pos}
	if t.Kind != token.IDENT && !t.Kind.IsKeyword() {
		p.errorExpected("type name")
		return tn
	}
	tn.Name = strings.ToUpper(t.Raw)
	p.next()
	if p.accept(token.LPAREN) {
		for {
			t := p.tok()
			if t.Kind != token.INT {
				p.errorExpected("integer type parameter")
				break
			}
			n, err := strconv.Atoi(t.Raw)
			if err != nil {
				p.report(t.Pos, t.End, "", fmt.Sprintf("type parameter %s is too large", t.Raw))
			}
			tn.Params = append(tn.Params, n)
			p.next()
			if !p.accept(token.COMMA) {
				break
			}
		}
		if !p.expect(token.RPAREN) {
			p.skipPast(token.RPAREN)
		}
	}
	tn.Stop = p.prevEnd()
	return tn
}

// parseProps parses WITH ('key' = 'value', ...); the current token is WITH.
// The result is non-nil (possibly empty) so callers can tell WITH () from no
// WITH at all.
func (p *parser) parseProps() []ast.Property {
	p.next() // WITH
	props := []ast.Property{}
	if !p.expect(token.LPAREN) {
		return props
	}
	for !p.at(token.RPAREN) {
		if prop, ok := p.parseProp(); ok {
			props = append(props, prop)
		} else {
			p.skipInList()
		}
		if !p.accept(token.COMMA) {
			break
		}
	}
	p.expect(token.RPAREN)
	return props
}

func (p *parser) parseProp() (ast.Property, bool) {
	var prop ast.Property
	t := p.tok()
	prop.KeyPos = t.Pos
	switch {
	case t.Kind == token.STRING:
		prop.Key = t.Val
		p.next()
	case anyWord(t):
		prop.Key = p.dottedWords()
	default:
		p.errorExpected("property name")
		return prop, false
	}
	if !p.expect(token.EQ) {
		return prop, false
	}
	t = p.tok()
	prop.ValuePos = t.Pos
	switch {
	case t.Kind == token.STRING || t.Kind == token.QIDENT:
		prop.Value = t.Val
		p.next()
	case t.Kind == token.INT || t.Kind == token.DECIMAL || t.Kind == token.FLOAT || t.Kind == token.DURATION || t.Kind == token.URI:
		prop.Value = t.Raw
		p.next()
	case t.Kind == token.MINUS && (p.peek(1).Kind == token.INT || p.peek(1).Kind == token.DECIMAL || p.peek(1).Kind == token.FLOAT):
		p.next()
		prop.Value = "-" + p.tok().Raw
		p.next()
	case anyWord(t):
		prop.Value = p.dottedWords()
	default:
		p.errorExpected("property value")
		return prop, false
	}
	prop.EndPos = p.prevEnd()
	if !p.at(token.COMMA) && !p.at(token.RPAREN) {
		p.errorExpectedHint(`"," or ")"`, "write properties as 'key' = 'value', separated by commas")
		return prop, false
	}
	return prop, true
}

// dottedWords reads bare words joined by dots, as in bootstrap.servers.
func (p *parser) dottedWords() string {
	var b strings.Builder
	b.WriteString(p.tok().Val)
	p.next()
	for p.at(token.DOT) && anyWord(p.peek(1)) {
		p.next()
		b.WriteByte('.')
		b.WriteString(p.tok().Val)
		p.next()
	}
	return b.String()
}

// attachAnnotations gives each annotation to the first statement that ends
// after it: annotations on the lines before a statement, or inside it,
// belong to it. Those after the last statement are kept as dangling.
func attachAnnotations(s *ast.Script, annots []ast.Annotation) {
	j := 0
	for _, a := range annots {
		for j < len(s.Statements) && s.Statements[j].End().Offset <= a.NamePos.Offset {
			j++
		}
		if j == len(s.Statements) {
			s.Dangling = append(s.Dangling, a)
			continue
		}
		if b := stmtBase(s.Statements[j]); b != nil {
			b.Annotations = append(b.Annotations, a)
		}
	}
}

func stmtBase(st ast.Statement) *ast.StmtBase {
	switch s := st.(type) {
	case *ast.SelectStmt:
		return &s.StmtBase
	case *ast.CreateAsStmt:
		return &s.StmtBase
	case *ast.CreateSourceStmt:
		return &s.StmtBase
	}
	return nil
}
