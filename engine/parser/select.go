package parser

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/token"
)

// Keywords that may follow a select item or a source: a bare word close to
// one of them is taken for a typo of it rather than for an alias.
var (
	itemFollow   = []token.Kind{token.FROM}
	sourceFollow = []token.Kind{token.WHERE, token.GROUP, token.WINDOW, token.HAVING, token.ORDER, token.LIMIT,
		token.EMIT, token.WITH, token.JOIN, token.INNER, token.LEFT, token.RIGHT, token.FULL, token.ON}
	clauseWords = []token.Kind{token.WHERE, token.GROUP, token.WINDOW, token.HAVING, token.ORDER, token.LIMIT,
		token.EMIT, token.WITH}
)

const clauseList = `WHERE, GROUP BY, WINDOW, HAVING, ORDER BY, LIMIT, EMIT, WITH or ";"`

func (p *parser) parseSelect() *ast.SelectStmt {
	s := &ast.SelectStmt{}
	s.Start = p.tok().Pos
	p.expectKeyword(token.SELECT)
	if p.accept(token.DISTINCT) {
		s.Distinct = true
	} else {
		p.accept(token.ALL)
	}
	s.Items = p.parseSelectItems()
	if p.at(token.FROM) || p.isMisspelled(token.FROM) {
		p.expectKeyword(token.FROM)
		s.From = p.parseFrom()
	} else {
		p.errorExpected("FROM")
	}
	p.parseClauses(s)
	s.Stop = p.prevEnd()
	return s
}

func (p *parser) isMisspelled(k token.Kind) bool {
	_, ok := p.misspelled(k)
	return ok
}

func (p *parser) parseSelectItems() []ast.SelectItem {
	var items []ast.SelectItem
	for {
		items = append(items, p.parseSelectItem())
		if !p.at(token.COMMA) {
			return items
		}
		p.next()
		if p.at(token.FROM) {
			p.errorExpectedHint("expression", "remove the comma before FROM")
		}
	}
}

func (p *parser) parseSelectItem() ast.SelectItem {
	t := p.tok()
	it := ast.SelectItem{Start: t.Pos}
	switch {
	case t.Kind == token.STAR:
		p.next()
		it.Star = true
		it.Stop = p.prevEnd()
		return it
	case identLike(t) && p.peek(1).Kind == token.DOT && p.peek(2).Kind == token.STAR:
		it.Star = true
		it.Qualifier = t.Val
		p.next()
		p.next()
		p.next()
		it.Stop = p.prevEnd()
		return it
	}
	it.Expr = p.parseExpr()
	it.Alias = p.parseAlias(itemFollow)
	if p.at(token.PRIMARY) && p.peek(1).Kind == token.KEY {
		p.next()
		p.next()
		it.PrimaryKey = true
	}
	it.Stop = p.stopFrom(it.Start)
	return it
}

// parseFrom parses a source followed by any number of joins (left-deep).
func (p *parser) parseFrom() ast.FromItem {
	left := p.parseSource()
	if left == nil {
		return nil
	}
	for {
		kind, ok := p.parseJoinKind()
		if !ok {
			return left
		}
		j := &ast.Join{Kind: kind, Left: left, Start: left.Pos()}
		if right := p.parseSource(); right != nil {
			j.Right = right
		}
		if p.expectKeyword(token.ON) {
			j.On = p.parseExpr()
		} else {
			j.On = p.badHere()
		}
		if p.accept(token.WITHIN) {
			j.Within = p.parseDuration(true)
		}
		j.Stop = p.prevEnd()
		left = j
	}
}

// parseJoinKind consumes [INNER|LEFT [OUTER]|RIGHT [OUTER]|FULL [OUTER]] JOIN.
func (p *parser) parseJoinKind() (ast.JoinKind, bool) {
	kind := ast.InnerJoin
	switch t := p.tok(); t.Kind {
	case token.JOIN:
		p.next()
		return kind, true
	case token.INNER:
		p.next()
	case token.LEFT, token.RIGHT, token.FULL:
		kind = ast.FullJoin
		if t.Kind == token.LEFT {
			kind = ast.LeftJoin
		} else if t.Kind == token.RIGHT {
			kind = ast.RightJoin
		}
		p.next()
		p.accept(token.OUTER)
	case token.CROSS:
		p.report(t.Pos, t.End, "write JOIN ... ON <condition>", "CROSS JOIN is not supported")
		p.next()
	default:
		if p.isMisspelled(token.JOIN) {
			p.reportMisspelled("JOIN", token.JOIN)
			p.next()
			return kind, true
		}
		return 0, false
	}
	p.expectKeyword(token.JOIN)
	return kind, true
}

func (p *parser) badHere() *ast.BadExpr {
	t := p.tok()
	return &ast.BadExpr{Start: t.Pos, Stop: t.Pos}
}

// parseSource parses a named source, a URI (kafka://trades) or a quoted file
// path ('data/trades.jsonl'), with an optional alias.
func (p *parser) parseSource() ast.FromItem {
	t := p.tok()
	ref := &ast.SourceRef{Start: t.Pos}
	switch {
	case t.Kind == token.URI || t.Kind == token.STRING:
		ref.URI = t.Val
		name := SourceName(t.Val)
		if name == "" {
			p.report(t.Pos, t.End, "write a path after the scheme, e.g. kafka://host/topic", fmt.Sprintf("cannot derive a source name from %s", describe(t)))
			name = t.Val
		}
		ref.Name = &ast.Ident{Parts: []string{name}, Start: t.Pos, Stop: t.End}
		p.next()
	case identLike(t):
		ref.Name = p.parseName()
	case t.Kind == token.LPAREN:
		p.report(t.Pos, t.End, "declare the inner query as CREATE STREAM <name> AS SELECT ... and read from <name>",
			"subqueries in FROM are not supported")
		p.next()
		p.skipPast(token.RPAREN)
		p.parseAlias(sourceFollow)
		return nil
	default:
		p.errorExpected("source name")
		return nil
	}
	ref.Alias = p.parseAlias(sourceFollow)
	ref.Stop = p.prevEnd()
	return ref
}

// SourceName derives the name of a source given as a URI or a file path: the
// last path segment (kafka://localhost:9092/trades?group=g -> trades), the
// host when there is no path (kafka://trades -> trades), and for files the
// base name without extension (file:///tmp/x.jsonl, 'data/x.jsonl' -> x).
// It returns "" when nothing usable is left.
func SourceName(uri string) string {
	scheme, rest := "", uri
	if i := strings.Index(uri, "://"); i > 0 {
		scheme, rest = strings.ToLower(uri[:i]), uri[i+3:]
	} else if i := strings.IndexByte(uri, ':'); i > 1 && !strings.ContainsAny(uri[:i], `/\`) {
		scheme, rest = strings.ToLower(uri[:i]), uri[i+1:] // file:trades.jsonl
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimRight(rest, "/")
	isFile := scheme == "" || scheme == "file"
	var name string
	if i := strings.LastIndexAny(rest, `/\`); i >= 0 {
		name = rest[i+1:]
	} else {
		name = rest
		if !isFile {
			if at := strings.LastIndexByte(name, '@'); at >= 0 {
				name = name[at+1:] // user@host
			}
			if c := strings.IndexByte(name, ':'); c >= 0 {
				name = name[:c] // host:port
			}
		}
	}
	if isFile {
		if ext := path.Ext(name); ext != "" && ext != name {
			name = strings.TrimSuffix(name, ext)
		}
	}
	return name
}

// clauseState tracks which clauses a SELECT has, to accept GROUP BY, WINDOW
// and HAVING in any order among themselves but each only once, and the other
// clauses in their order.
type clauseState struct {
	rank     int // rank of the latest-ranked clause so far
	rankName string
	first    map[string]token.Pos
}

var clauseRank = map[token.Kind]int{
	token.WHERE: 1, token.GROUP: 2, token.WINDOW: 2, token.HAVING: 2, token.EMIT: 3,
	token.ORDER: 3, token.LIMIT: 4, token.WITH: 5,
}

var clauseName = map[token.Kind]string{
	token.WHERE: "WHERE", token.GROUP: "GROUP BY", token.WINDOW: "WINDOW", token.HAVING: "HAVING",
	token.EMIT: "EMIT", token.ORDER: "ORDER BY", token.LIMIT: "LIMIT", token.WITH: "WITH",
}

// checkClause reports a duplicate (and tells the caller to drop it) or a
// clause out of order (kept: nothing the user wrote is lost).
func (p *parser) checkClause(st *clauseState, k token.Kind, t *token.Token) (keep bool) {
	name := clauseName[k]
	if first, dup := st.first[name]; dup {
		p.report(t.Pos, t.End, "", fmt.Sprintf("duplicate %s clause (the first is at %s)", name, first))
		return false
	}
	st.first[name] = t.Pos
	r := clauseRank[k]
	switch {
	case k == token.EMIT:
		// EMIT may come before or after ORDER BY and LIMIT, but not after WITH.
		if st.rank > 4 {
			p.report(t.Pos, t.End, "write EMIT before WITH", fmt.Sprintf("unexpected EMIT after %s", st.rankName))
		}
	case r < st.rank:
		p.report(t.Pos, t.End, fmt.Sprintf("write %s before %s", name, st.rankName), fmt.Sprintf("unexpected %s after %s", name, st.rankName))
	}
	if r > st.rank {
		st.rank, st.rankName = r, name
	}
	return true
}

func (p *parser) parseClauses(s *ast.SelectStmt) {
	st := &clauseState{first: map[string]token.Pos{}}
	for {
		t := p.tok()
		k := t.Kind
		if k == token.IDENT || k.IsKeyword() && !k.Reserved() {
			if m, ok := p.misspelled(clauseWords...); ok {
				p.report(t.Pos, t.End, fmt.Sprintf("did you mean %s?", m), fmt.Sprintf("expected %s, found %s", clauseList, describe(t)))
				k = m
			}
		}
		switch k {
		case token.EOF, token.SEMI:
			return
		case token.WHERE:
			keep := p.checkClause(st, k, t)
			p.next()
			if x := p.parseExpr(); keep {
				s.Where = x
			}
		case token.GROUP:
			keep := p.checkClause(st, k, t)
			p.next()
			p.expectKeyword(token.BY)
			if xs := p.parseExprList(); keep {
				s.GroupBy = xs
			}
		case token.WINDOW:
			keep := p.checkClause(st, k, t)
			if w := p.parseWindow(); keep {
				s.Window = w
			}
		case token.HAVING:
			keep := p.checkClause(st, k, t)
			p.next()
			if x := p.parseExpr(); keep {
				s.Having = x
			}
		case token.ORDER:
			keep := p.checkClause(st, k, t)
			p.next()
			p.expectKeyword(token.BY)
			if items := p.parseOrderItems(); keep {
				s.OrderBy = items
			}
		case token.LIMIT:
			keep := p.checkClause(st, k, t)
			if l := p.parseLimit(); keep {
				s.Limit = l
			}
		case token.EMIT:
			keep := p.checkClause(st, k, t)
			p.next()
			if mode, ok := p.parseEmitMode(); ok && keep {
				s.Emit, s.EmitPos = mode, t.Pos
			}
		case token.WITH:
			keep := p.checkClause(st, k, t)
			if props := p.parseProps(); keep {
				s.With, s.WithPos = props, t.Pos
			}
		default:
			if isStatementStart(k) {
				return // the script loop reports the missing ';'
			}
			hint := ""
			switch k {
			case token.JOIN, token.INNER, token.LEFT, token.RIGHT, token.FULL:
				hint = "joins go right after FROM, before WHERE"
			case token.FROM:
				hint = "a query has one FROM; join more sources with JOIN ... ON"
			}
			p.errorExpectedHint(clauseList, hint)
			p.skipClause()
		}
	}
}

// skipClause skips to the next clause keyword (at paren depth 0), the end
// of the statement, or the start of another one; it always moves.
func (p *parser) skipClause() {
	depth := 0
	p.next()
	for {
		t := p.tok()
		switch {
		case t.Kind == token.EOF || t.Kind == token.SEMI:
			return
		case depth == 0 && (clauseRank[t.Kind] > 0 || isStatementStart(t.Kind)):
			return
		case t.Kind == token.LPAREN:
			depth++
		case t.Kind == token.RPAREN && depth > 0:
			depth--
		}
		p.next()
	}
}

func (p *parser) parseEmitMode() (ast.EmitMode, bool) {
	switch p.tok().Kind {
	case token.CHANGES:
		p.next()
		return ast.EmitChanges, true
	case token.FINAL:
		p.next()
		return ast.EmitFinal, true
	}
	if k, ok := p.misspelled(token.CHANGES, token.FINAL); ok {
		p.reportMisspelled("CHANGES or FINAL", k)
		p.next()
		if k == token.FINAL {
			return ast.EmitFinal, true
		}
		return ast.EmitChanges, true
	}
	p.errorExpected("CHANGES or FINAL")
	return ast.EmitDefault, false
}

func (p *parser) parseLimit() *ast.Limit {
	l := &ast.Limit{Start: p.tok().Pos}
	p.next() // LIMIT
	t := p.tok()
	if t.Kind != token.INT {
		p.errorExpected("row count")
		return nil
	}
	n, err := strconv.ParseInt(t.Raw, 10, 64)
	if err != nil {
		p.report(t.Pos, t.End, "", fmt.Sprintf("LIMIT %s is too large", t.Raw))
	}
	l.N = n
	p.next()
	l.Stop = p.prevEnd()
	return l
}

func (p *parser) parseExprList() []ast.Expr {
	xs := []ast.Expr{p.parseExpr()}
	for p.accept(token.COMMA) {
		xs = append(xs, p.parseExpr())
	}
	return xs
}

func (p *parser) parseOrderItems() []ast.OrderItem {
	var items []ast.OrderItem
	for {
		start := p.tok().Pos
		it := ast.OrderItem{Expr: p.parseExpr()}
		if p.accept(token.DESC) {
			it.Desc = true
		} else {
			p.accept(token.ASC)
		}
		if t := p.tok(); t.Kind == token.NULLS {
			p.report(t.Pos, t.End, "", "NULLS FIRST/LAST is not supported")
			p.next()
			p.next()
		}
		it.Stop = p.stopFrom(start)
		items = append(items, it)
		if !p.accept(token.COMMA) {
			return items
		}
	}
}

var windowKinds = map[token.Kind]ast.WindowKind{
	token.TUMBLING: ast.Tumbling, token.SLIDING: ast.Sliding, token.HOPPING: ast.Sliding, token.SESSION: ast.Session,
}

// parseWindow parses WINDOW TUMBLING|SLIDING|HOPPING|SESSION(args), where the
// arguments are durations and at most one time column, which may come first
// or last (both orders appear in Velostream's documentation).
func (p *parser) parseWindow() *ast.WindowClause {
	w := &ast.WindowClause{Start: p.tok().Pos}
	p.next() // WINDOW
	t := p.tok()
	kind, ok := windowKinds[t.Kind]
	if !ok {
		k, typo := p.misspelled(token.TUMBLING, token.SLIDING, token.HOPPING, token.SESSION)
		if !typo {
			hint := ""
			if t.Kind == token.ROWS {
				hint = "row-count windows go in OVER (ROWS WINDOW BUFFER n ROWS)"
			}
			p.errorExpectedHint("TUMBLING, SLIDING, HOPPING or SESSION", hint)
			return nil
		}
		p.reportMisspelled("TUMBLING, SLIDING, HOPPING or SESSION", k)
		kind = windowKinds[k]
	}
	w.Kind = kind
	p.next()
	if !p.expect(token.LPAREN) {
		return nil
	}
	var durs []*ast.Duration
	var extra []ast.Node // durations or columns beyond what the kind takes
	bad := false         // an argument already had an error: counting would only add noise
	for !p.at(token.RPAREN) {
		if p.looksLikeDuration() {
			if d := p.parseDuration(true); d != nil {
				durs = append(durs, d)
			} else {
				bad = true
			}
		} else if t := p.tok(); identLike(t) || t.Kind == token.LPAREN {
			x := p.parseExpr()
			if w.TimeCol == nil {
				w.TimeCol = x
			} else {
				extra = append(extra, x)
			}
		} else {
			p.errorExpected("duration or time column")
			p.skipInList()
			bad = true
		}
		if !p.accept(token.COMMA) {
			break
		}
	}
	closeTok := p.tok()
	if !p.expect(token.RPAREN) {
		p.skipPast(token.RPAREN)
	}
	w.Stop = p.prevEnd()
	want := 1
	if kind == ast.Sliding {
		want = 2
	}
	if len(durs) > want {
		extra = append(extra, durs[want])
	}
	switch {
	case len(extra) > 0:
		n := extra[0]
		hint := ""
		if kind == ast.Tumbling && len(durs) == 2 {
			hint = "use SLIDING(size, advance) for overlapping windows"
		}
		p.report(n.Pos(), n.End(), hint, fmt.Sprintf("%s takes %s, found more arguments", windowKindName(t, kind), windowArgs(kind)))
	case len(durs) < want && !bad:
		p.report(closeTok.Pos, closeTok.End, "", fmt.Sprintf("%s takes %s, found %d duration(s)", windowKindName(t, kind), windowArgs(kind), len(durs)))
	}
	if len(durs) > 0 {
		w.Size = durs[0]
	}
	if kind == ast.Sliding && len(durs) > 1 {
		w.Advance = durs[1]
	}
	return w
}

func windowKindName(t *token.Token, k ast.WindowKind) string {
	if t.Kind == token.HOPPING {
		return "HOPPING"
	}
	return k.String()
}

func windowArgs(k ast.WindowKind) string {
	switch k {
	case ast.Sliding:
		return "([time_column,] size, advance)"
	case ast.Session:
		return "([time_column,] gap)"
	}
	return "([time_column,] size)"
}
