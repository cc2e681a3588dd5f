// Package offline is the generator that needs no model: a semantic parser
// from English questions to streaming SQL over a catalog.
//
// Takes: a question and an assistant.Catalog.
// Gives: SQL built as a syntax tree and printed with ast.Format, validated
// by the engine, with the word links and assumptions it used; or a refusal
// naming the words it could not place. It never guesses: a word it does not
// know, two readings it cannot choose between, or a request the dialect
// cannot express is a refusal.
//
// How it reads a question: the words are split (hyphens, slashes and
// underscores separate words; plurals are stemmed), then linked to phrases,
// longest first: stream, column and measure names and synonyms (the user's
// synonyms first), known column values, and a fixed vocabulary of
// aggregates (average, total, count, how many, max, min, distinct, ...),
// grouping (by, per, for each, broken down by), comparisons (over, at
// least, below, between, is, not), windows (per minute, every 5 minutes,
// hourly, last hour, rolling 30 minutes, sessions with a 10 minute gap) and
// ranking (top 3 ... by ..., sorted by). Patterns over the linked phrases
// fill a frame (measures, group keys, filters, HAVING, window, order);
// the stream is the one named, or the only one that has every column
// mentioned.
package offline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/engine/ast"
	sqlparser "github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/types"
)

// Generator is the offline provider. The zero value is ready to use.
type Generator struct{}

// New returns the offline generator.
func New() *Generator { return &Generator{} }

// Name is "offline".
func (*Generator) Name() string { return "offline" }

// Generate answers from the catalog alone.
func (*Generator) Generate(ctx context.Context, req assistant.Request) (*assistant.Result, error) {
	cat, err := req.Prepare()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return AnswerLive(req.Question, cat, req.Live), nil
}

// Explain renders the findings as they are, labelled as rule-based: with no
// model there is nothing to add that would not be invented.
func (*Generator) Explain(_ context.Context, _ string, findings []assistant.Finding) (string, string, error) {
	return assistant.OfflineExplanation(findings), "offline", nil
}

// Answer parses one question against cat.
func Answer(question string, cat *assistant.Catalog) *assistant.Result {
	return AnswerLive(question, cat, false)
}

// AnswerLive is Answer for an answer that will be watched as it runs: a
// windowed query then emits changes (unless it ranks, which needs each
// window's final rows).
func AnswerLive(question string, cat *assistant.Catalog, live bool) *assistant.Result {
	p := &parser{cat: cat, lx: link(newLexicon(cat), tokenize(question))}
	p.run()
	if live && p.order == nil && !p.changes {
		p.changes = true
		p.liveDefault = true
	}
	res := &assistant.Result{Provider: "offline", Attempts: 1}
	refuse := func(reason string) *assistant.Result {
		res.Refusal = &assistant.Refusal{Understood: p.links, NotUnderstood: p.unknown, Reason: reason}
		return res
	}
	if len(p.lx) == 0 {
		return refuse("the question has no words to read")
	}
	if len(p.problems) > 0 {
		return refuse(p.problems[0])
	}
	if len(p.unknown) > 0 {
		return refuse(fmt.Sprintf("did not understand %s; rephrase with the streams' column names, or add a synonym", quoteWords(p.unknown)))
	}
	b := &builder{p: p, cat: cat}
	sel, reason := b.build()
	if sel == nil {
		return refuse(reason)
	}
	sql := ast.Format(sel)
	checked, errs := assistant.Validate(sql, cat)
	if len(errs) > 0 {
		// The parser built something the engine rejects: say so rather
		// than offer it (a bug to fix here, never the user's problem).
		r := refuse("the offline parser built SQL the engine rejects: " + errs[0].Msg)
		r.Refusal.SQL, r.Refusal.Errors = sql, assistant.ErrorsJSON(errs)
		return r
	}
	in := assistant.Describe(checked.Select)
	in.Links = p.links
	in.Assumptions = b.assumptions
	res.SQL = sql
	res.Interpretation = in
	res.Explanation = in.Summary
	res.Confidence = max(0.3, 0.9-0.15*float64(len(b.assumptions)))
	return res
}

func quoteWords(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, ", ")
}

// builder resolves the frame against the catalog and builds the tree.
type builder struct {
	p           *parser
	cat         *assistant.Catalog
	stream      *assistant.Stream
	assumptions []string
	aliases     map[string]int
}

func (b *builder) assume(format string, args ...any) {
	b.assumptions = append(b.assumptions, fmt.Sprintf(format, args...))
}

// refs lists every column mention of the frame.
func (b *builder) refs() []colRef {
	p := b.p
	var out []colRef
	out = append(out, p.groups...)
	out = append(out, p.bare...)
	for _, f := range p.filters {
		out = append(out, f.col)
	}
	for _, m := range b.allMeasures() {
		if m.col != nil {
			out = append(out, *m.col)
		}
	}
	if p.order != nil && p.order.col != nil {
		out = append(out, *p.order.col)
	}
	return out
}

func (b *builder) allMeasures() []*measureSpec {
	out := append([]*measureSpec{}, b.p.measures...)
	for _, h := range b.p.having {
		out = append(out, h.m)
	}
	if b.p.order != nil && b.p.order.m != nil {
		out = append(out, b.p.order.m)
	}
	return out
}

// chooseStream picks the stream: the one named, or the only one holding
// every column mentioned.
func (b *builder) chooseStream() string {
	p := b.p
	cands := b.cat.Names()
	narrow := func(allowed []string) {
		cands = slices.DeleteFunc(cands, func(s string) bool { return !slices.Contains(allowed, s) })
	}
	var missing []string
	for _, r := range b.refs() {
		before := len(cands)
		narrow(r.streams())
		if len(cands) < before || len(cands) == 0 {
			missing = append(missing, r.lex.text)
		}
	}
	for _, m := range b.allMeasures() {
		if m.measure != nil {
			narrow([]string{m.measure.stream})
		}
	}
	if p.win != nil { // a window needs an event-time column
		var timed []string
		for _, s := range b.cat.Streams {
			if s.EventTime() != "" {
				timed = append(timed, s.Name)
			}
		}
		if len(cands) > 1 {
			narrow(timed)
		}
	}
	var named, also []string
	for _, m := range p.streams {
		if m.alsoColumn {
			if !slices.Contains(also, m.name) {
				also = append(also, m.name)
			}
		} else if !slices.Contains(named, m.name) {
			named = append(named, m.name)
		}
	}
	switch {
	case len(named) > 1:
		return "refuse:the question names several streams (" + strings.Join(named, ", ") + "): a query reads one stream (JOIN is not supported yet)"
	case len(named) == 1:
		if !slices.Contains(cands, named[0]) {
			return "refuse:" + b.notIn(named[0])
		}
		return named[0]
	}
	var alsoIn []string
	for _, a := range also {
		if slices.Contains(cands, a) {
			alsoIn = append(alsoIn, a)
		}
	}
	if len(alsoIn) == 1 {
		return alsoIn[0]
	}
	switch len(cands) {
	case 1:
		if len(b.refs()) == 0 && len(also) == 0 && !b.namesMeasure() {
			return "refuse:the question names no stream or column"
		}
		return cands[0]
	case 0:
		return "refuse:no stream has all of " + quoteWords(mentionTexts(b.refs()))
	}
	if len(b.refs()) == 0 && !b.namesMeasure() {
		return "refuse:which stream? Name one of " + strings.Join(b.cat.Names(), ", ")
	}
	return "refuse:ambiguous: " + strings.Join(cands, " and ") + " both have " + quoteWords(mentionTexts(b.refs())) + "; name the stream"
}

func (b *builder) namesMeasure() bool {
	for _, m := range b.allMeasures() {
		if m.measure != nil {
			return true
		}
	}
	return false
}

func (b *builder) notIn(stream string) string {
	for _, r := range b.refs() {
		if !slices.Contains(r.streams(), stream) {
			return fmt.Sprintf("%s has no column for %q", stream, r.lex.text)
		}
	}
	return fmt.Sprintf("the question's measures are not on %s", stream)
}

func mentionTexts(rs []colRef) []string {
	var out []string
	for _, r := range rs {
		if !slices.Contains(out, r.lex.text) {
			out = append(out, r.lex.text)
		}
	}
	return out
}

func (b *builder) build() (*ast.SelectStmt, string) {
	p := b.p
	name := b.chooseStream()
	if reason, ok := strings.CutPrefix(name, "refuse:"); ok {
		return nil, reason
	}
	b.stream = b.cat.Stream(name)
	s := b.stream
	// A stream word that is not the chosen stream is its column:
	// "how many customers" over trades counts distinct customer_id.
	for _, m := range p.streams {
		if m.name == s.Name {
			continue
		}
		c, ok := columnOf(m.lex, s.Name)
		if !ok {
			return nil, fmt.Sprintf("%q names the stream %s, but the question is about %s (JOIN is not supported yet)", m.lex.text, m.name, s.Name)
		}
		counted := false
		for _, ms := range b.allMeasures() {
			if ms.countOf == m.lex {
				ms.star, ms.distinct, ms.col = false, true, &c
				b.assume("%q counted as distinct %s of %s", m.lex.text, c.column(s.Name), s.Name)
				counted = true
			}
		}
		if !counted {
			p.bare = append(p.bare, c)
		}
	}
	grouped := len(p.measures) > 0 || len(p.having) > 0 || len(p.groups) > 0 || p.win != nil || p.order != nil
	sel := &ast.SelectStmt{From: &ast.SourceRef{Name: ident(s.Name)}}
	b.aliases = map[string]int{}
	// Group keys: named ones, then bare columns of a grouped query.
	var keys []string
	addKey := func(c string) {
		if !slices.Contains(keys, c) {
			keys = append(keys, c)
		}
	}
	for _, g := range p.groups {
		addKey(g.column(s.Name))
	}
	// "sessions per user": a column named before the grouping, with no
	// measure, is what is counted (distinct values), not a second key.
	if grouped && len(p.measures) == 0 && len(p.having) == 0 && p.order == nil && len(p.bare) == 1 && len(p.groups) > 0 &&
		p.index(p.bare[0].lex) < p.index(p.groups[0].lex) {
		c := p.bare[0]
		p.measures = []*measureSpec{{fn: "COUNT", col: &c, distinct: true, text: c.lex.text}}
		p.bare = nil
		b.assume("%q counted as distinct %s", c.lex.text, c.column(s.Name))
	}
	var proj []string
	for _, c := range p.bare {
		col := c.column(s.Name)
		if grouped {
			if !slices.Contains(keys, col) {
				b.assume("%q read as a group key", c.lex.text)
			}
			addKey(col)
		} else if !slices.Contains(proj, col) {
			proj = append(proj, col)
		}
	}
	if p.win != nil && p.win.kind == "session" {
		// "in sessions with a 10 minute gap": the session word named the window.
		keys = slices.DeleteFunc(keys, func(k string) bool {
			return strings.Contains(k, "session") && !slices.ContainsFunc(p.groups, func(g colRef) bool { return g.column(s.Name) == k })
		})
		b.assumptions = slices.DeleteFunc(b.assumptions, func(a string) bool { return strings.Contains(a, "session") })
	}
	for _, k := range keys {
		if isTime(s, k) {
			return nil, fmt.Sprintf("grouping by the time column %s: say a window instead (per minute, hourly)", k)
		}
		sel.Items = append(sel.Items, ast.SelectItem{Expr: ident(k)})
		sel.GroupBy = append(sel.GroupBy, ident(k))
		b.aliases[strings.ToLower(k)]++
	}
	measures := p.measures
	if grouped && len(measures) == 0 {
		if len(p.having) > 0 {
			measures = []*measureSpec{p.having[0].m}
		} else if p.order != nil && p.order.m != nil {
			measures = []*measureSpec{p.order.m}
		} else {
			measures = []*measureSpec{{fn: "COUNT", star: true}}
			b.assume("no measure named: counting records")
		}
	}
	if p.order != nil && p.order.m != nil && !slices.ContainsFunc(measures, func(m *measureSpec) bool { return sameMeasure(m, p.order.m) }) {
		measures = append(measures, p.order.m)
	}
	aliasOf := map[*measureSpec]string{}
	for _, m := range measures {
		x, alias, reason := b.measureExpr(m)
		if x == nil {
			return nil, reason
		}
		if slices.ContainsFunc(sel.Items, func(it ast.SelectItem) bool { return it.Alias != nil && ast.Format(it.Expr) == ast.Format(x) }) {
			continue
		}
		alias = b.unique(alias)
		aliasOf[m] = alias
		sel.Items = append(sel.Items, ast.SelectItem{Expr: x, Alias: ident(alias)})
	}
	if !grouped {
		if len(proj) == 0 {
			sel.Items = []ast.SelectItem{{Star: true}}
		}
		for _, c := range proj {
			sel.Items = append(sel.Items, ast.SelectItem{Expr: ident(c)})
		}
	}
	// WHERE
	var conds []ast.Expr
	for _, f := range p.filters {
		x, reason := b.filterExpr(f)
		if x == nil {
			return nil, reason
		}
		conds = append(conds, x)
	}
	sel.Where = and(conds)
	// HAVING
	var hs []ast.Expr
	for _, h := range p.having {
		x, _, reason := b.measureExpr(h.m)
		if x == nil {
			return nil, reason
		}
		hs = append(hs, &ast.Binary{Op: binOp(h.op), L: x, R: numLit(h.val.text)})
	}
	sel.Having = and(hs)
	// WINDOW
	if w := p.win; w != nil {
		tc := s.EventTime()
		if tc == "" {
			return nil, fmt.Sprintf("%s has no event-time column, so it cannot be windowed", s.Name)
		}
		wc := &ast.WindowClause{TimeCol: ident(tc), Size: &ast.Duration{Millis: w.size}}
		switch w.kind {
		case "tumbling":
			wc.Kind = ast.Tumbling
		case "session":
			wc.Kind = ast.Session
		case "sliding":
			wc.Kind = ast.Sliding
			adv := w.advance
			if !w.explicit {
				adv = assistant.SlidingAdvance(w.size)
				if adv == w.size {
					wc.Kind = ast.Tumbling
					b.assume("a %s window is too short to slide: tumbling", durText(w.size))
					break
				}
				b.assume("the sliding %s window advances every %s", durText(w.size), durText(adv))
			} else if adv > w.size || w.size%adv != 0 {
				return nil, fmt.Sprintf("a sliding %s window cannot advance every %s (the size must be a multiple of the advance)", durText(w.size), durText(adv))
			}
			if wc.Kind == ast.Sliding {
				wc.Advance = &ast.Duration{Millis: adv}
			}
		}
		sel.Window = wc
	}
	// ORDER BY, LIMIT
	if o := p.order; o != nil {
		if sel.Window == nil {
			return nil, "ranking needs a time window (a stream has no end to sort): add one, e.g. \"per minute\" or \"every hour\""
		}
		if p.changes {
			return nil, "ranking sorts each window when it closes, which does not go with \"real time\" updates"
		}
		var key ast.Expr
		switch {
		case o.m != nil:
			alias := aliasOf[o.m]
			if alias == "" {
				for m, a := range aliasOf {
					if sameMeasure(m, o.m) {
						alias = a
					}
				}
			}
			key = ident(alias)
		case o.col != nil:
			col := o.col.column(s.Name)
			if !slices.Contains(keys, col) {
				return nil, fmt.Sprintf("cannot sort by %s: it is not a group key or measure of the result", col)
			}
			key = ident(col)
		}
		sel.OrderBy = []ast.OrderItem{{Expr: key, Desc: o.desc}}
		if o.limit > 0 {
			sel.Limit = &ast.Limit{N: o.limit}
			b.assume("LIMIT %d ends the query after %d rows: the first window's top %d", o.limit, o.limit, o.limit)
		}
	}
	if p.changes && sel.Window != nil {
		sel.Emit = ast.EmitChanges
		if p.liveDefault {
			b.assume("the cell runs live, so each window's rows are updated as records arrive (EMIT CHANGES) instead of once when it closes")
		}
	}
	return sel, ""
}

func columnOf(l *lexeme, stream string) (colRef, bool) {
	var cs []sense
	for _, s := range l.all(sColumn) {
		if s.stream == stream {
			cs = append(cs, s)
		}
	}
	return colRef{cands: cs, lex: l}, len(cs) > 0
}

func sameMeasure(a, b *measureSpec) bool {
	if a == b {
		return true
	}
	if a.measure != nil || b.measure != nil {
		return a.measure != nil && b.measure != nil && a.measure.measure == b.measure.measure
	}
	ac, bc := "", ""
	if a.col != nil {
		ac = a.col.cands[0].column
	}
	if b.col != nil {
		bc = b.col.cands[0].column
	}
	return a.fn == b.fn && a.star == b.star && a.distinct == b.distinct && ac == bc
}

func isTime(s *assistant.Stream, col string) bool {
	c := s.Column(col)
	t, err := assistant.ParseType(c.Type)
	return err == nil && t.Kind == types.KindTimestamp
}

func (b *builder) colType(col string) types.Type {
	t, _ := assistant.ParseType(b.stream.Column(col).Type)
	return t
}

func (b *builder) unique(alias string) string {
	k := strings.ToLower(alias)
	b.aliases[k]++
	if n := b.aliases[k]; n > 1 {
		return fmt.Sprintf("%s_%d", alias, n)
	}
	return alias
}

var aliasPrefix = map[string]string{
	"AVG": "avg", "SUM": "total", "MAX": "max", "MIN": "min", "MEDIAN": "median",
	"STDDEV": "stddev", "FIRST_VALUE": "first", "LAST_VALUE": "last", "COUNT": "count",
}

// measureExpr builds an aggregate call and its alias.
func (b *builder) measureExpr(m *measureSpec) (ast.Expr, string, string) {
	if m.measure != nil {
		x, errs := sqlparser.ParseExpr(m.measure.measure.Expr)
		if len(errs) > 0 {
			return nil, "", fmt.Sprintf("measure %s: %v", m.measure.measure.Name, errs)
		}
		return x, m.measure.measure.Name, ""
	}
	call := &ast.Call{Name: ident(m.fn), Star: m.star, Distinct: m.distinct}
	if m.star {
		return call, "count", ""
	}
	col := m.col.column(b.stream.Name)
	t := b.colType(col)
	switch m.fn {
	case "AVG", "SUM", "MEDIAN", "STDDEV":
		if !t.Kind.Numeric() {
			return nil, "", fmt.Sprintf("%s of %s: %s is %s, not a number", strings.ToLower(m.fn), col, col, t)
		}
	}
	call.Args = []ast.Expr{ident(col)}
	alias := aliasPrefix[m.fn] + "_" + col
	if m.distinct && m.fn == "COUNT" {
		alias = "distinct_" + col
	}
	return call, alias, ""
}

// filterExpr builds a typed comparison.
func (b *builder) filterExpr(f filterSpec) (ast.Expr, string) {
	col := f.col.column(b.stream.Name)
	if col == "" {
		return nil, fmt.Sprintf("%s has no column for %q", b.stream.Name, f.col.lex.text)
	}
	t := b.colType(col)
	c := b.stream.Column(col)
	var lits []ast.Expr
	for _, v := range f.vals {
		switch {
		case t.Kind == types.KindTimestamp:
			return nil, fmt.Sprintf("conditions on the time column %s are not understood; use a window (last hour, per minute)", col)
		case t.Kind.Numeric():
			if !v.num {
				return nil, fmt.Sprintf("%s is a number; %q is not", col, v.text)
			}
			lits = append(lits, numLit(v.text))
		case t.Kind == types.KindString:
			if f.op != "=" && f.op != "<>" && f.op != "in" && f.op != "not in" {
				return nil, fmt.Sprintf("%s is text: it can be equal to a value, not %s one", col, opWords(f.op))
			}
			text := v.text
			if !v.exact {
				for _, known := range c.Values {
					if strings.EqualFold(known, text) && known != text {
						b.assume("%q read as the known value %q", text, known)
						text = known
					}
				}
			}
			lits = append(lits, &ast.Literal{Kind: ast.LitString, Raw: text})
		case t.Kind == types.KindBool:
			return nil, fmt.Sprintf("conditions on the boolean %s are not understood", col)
		}
	}
	x := ident(col)
	switch f.op {
	case "between":
		return &ast.Between{X: x, Lo: lits[0], Hi: lits[1]}, ""
	case "in", "not in":
		return &ast.In{X: x, List: lits, Not: f.op == "not in"}, ""
	}
	return &ast.Binary{Op: binOp(f.op), L: x, R: lits[0]}, ""
}

func opWords(op string) string {
	switch op {
	case ">", ">=":
		return "above"
	case "<", "<=":
		return "below"
	case "between":
		return "between"
	}
	return op
}

func binOp(op string) ast.BinaryOp {
	switch op {
	case ">":
		return ast.OpGt
	case ">=":
		return ast.OpGe
	case "<":
		return ast.OpLt
	case "<=":
		return ast.OpLe
	case "<>":
		return ast.OpNe
	}
	return ast.OpEq
}

func numLit(s string) *ast.Literal {
	if strings.Contains(s, ".") {
		return &ast.Literal{Kind: ast.LitDecimal, Raw: s}
	}
	return &ast.Literal{Kind: ast.LitInt, Raw: s}
}

func ident(name string) *ast.Ident { return &ast.Ident{Parts: []string{name}} }

func and(xs []ast.Expr) ast.Expr {
	var out ast.Expr
	for _, x := range xs {
		if out == nil {
			out = x
			continue
		}
		out = &ast.Binary{Op: ast.OpAnd, L: out, R: x}
	}
	return out
}
