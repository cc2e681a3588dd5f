package offline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/engine/types"
)

// lexeme is a phrase of the question with its possible meanings, or a
// number, a quoted string, or a word the lexicon does not know.
type lexeme struct {
	senses []sense
	toks   []token
	text   string
	num    string // for numbers
	str    bool   // a quoted string (text is its content)
	used   bool
}

func (l *lexeme) has(k senseKind) *sense {
	for i := range l.senses {
		if l.senses[i].kind == k {
			return &l.senses[i]
		}
	}
	return nil
}

func (l *lexeme) all(k senseKind) []sense {
	var out []sense
	for _, s := range l.senses {
		if s.kind == k {
			out = append(out, s)
		}
	}
	return out
}

// filler reports a lexeme that only ever carries no meaning.
func (l *lexeme) filler() bool {
	if len(l.senses) == 0 {
		return false
	}
	for _, s := range l.senses {
		if s.kind != sFiller {
			return false
		}
	}
	return true
}

// skippable lexemes may be left unplaced without refusing: fillers and
// the small connecting words whose role, when they have one, a pattern
// takes.
func (l *lexeme) skippable() bool {
	if l.num != "" || l.str || len(l.senses) == 0 {
		return false
	}
	for _, s := range l.senses {
		switch s.kind {
		case sFiller, sIn, sWith, sAnd, sIs:
		default:
			return false
		}
	}
	return true
}

// link splits the question into lexemes, longest phrase first.
func link(lex *lexicon, toks []token) []*lexeme {
	var out []*lexeme
	for i := 0; i < len(toks); {
		t := toks[i]
		switch t.kind {
		case tString:
			out = append(out, &lexeme{toks: toks[i : i+1], text: t.text, str: true})
			i++
			continue
		case tNum:
			out = append(out, &lexeme{toks: toks[i : i+1], text: t.text, num: t.num})
			i++
			continue
		}
		matched := false
		for n := min(lex.maxLen, len(toks)-i); n >= 1; n-- {
			parts := make([]string, 0, n)
			ok := true
			for _, tt := range toks[i : i+n] {
				if tt.kind == tString || tt.kind == tNum && n > 1 {
					ok = false
					break
				}
				parts = append(parts, tt.norm)
			}
			if !ok {
				continue
			}
			if ss, found := lex.phrases[strings.Join(parts, " ")]; found {
				out = append(out, &lexeme{senses: ss, toks: toks[i : i+n], text: joinText(toks[i : i+n])})
				i += n
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, &lexeme{toks: toks[i : i+1], text: t.text})
			i++
		}
	}
	return out
}

func joinText(ts []token) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, t.text)
	}
	return strings.Join(parts, " ")
}

// colRef is a column mention whose stream is decided later: the
// (stream, column) pairs it may mean.
type colRef struct {
	cands []sense // sColumn senses
	lex   *lexeme
}

func (c colRef) streams() []string {
	var out []string
	for _, s := range c.cands {
		if !slices.Contains(out, s.stream) {
			out = append(out, s.stream)
		}
	}
	return out
}

func (c colRef) column(stream string) string {
	for _, s := range c.cands {
		if s.stream == stream {
			return s.column
		}
	}
	return ""
}

type measureSpec struct {
	fn       string // AVG, SUM, COUNT, ...; "" for a catalog measure
	col      *colRef
	distinct bool
	star     bool
	measure  *sense // a catalog measure
	// countOf is set for COUNT(*) of a named stream ("how many customers"):
	// when another stream is chosen it may become COUNT(DISTINCT column).
	countOf *lexeme
	text    string
}

type literal struct {
	text  string
	num   bool
	exact bool // the catalog's own spelling of a value
}

type filterSpec struct {
	col     colRef
	op      string // = <> > >= < <= between in
	vals    []literal
	text    string
	valueOf []sense // for a value lexeme: its value senses
}

type havingSpec struct {
	m    *measureSpec
	op   string
	val  literal
	text string
}

type windowSpec struct {
	kind     string // tumbling, sliding, session
	size     int64
	advance  int64
	explicit bool // advance said by the question
	text     string
}

type orderSpec struct {
	m     *measureSpec
	col   *colRef
	desc  bool
	limit int64
	text  string
}

type streamMention struct {
	lex  *lexeme
	name string
	// alsoColumn: the word may mean a column too ("customers")
	alsoColumn bool
}

// parser holds what has been understood of one question.
type parser struct {
	cat      *assistant.Catalog
	lx       []*lexeme
	measures []*measureSpec
	groups   []colRef
	filters  []filterSpec
	having   []havingSpec
	win      *windowSpec
	order    *orderSpec
	bare     []colRef
	streams  []streamMention
	changes  bool
	// liveDefault: changes was chosen because the answer runs live, not
	// because the question asked for real time.
	liveDefault bool
	links       []string
	unknown     []string
	problems    []string
}

func (p *parser) linkf(l *lexeme, format string, args ...any) {
	p.links = append(p.links, fmt.Sprintf("%q -> %s", l.text, fmt.Sprintf(format, args...)))
}

// next returns the index of the first lexeme at or after j that is not a
// pure filler.
func (p *parser) next(j int) int {
	for j < len(p.lx) && p.lx[j].filler() {
		j++
	}
	return j
}

func (p *parser) at(j int, k senseKind) *sense {
	if j >= len(p.lx) {
		return nil
	}
	return p.lx[j].has(k)
}

func (p *parser) num(j int) string {
	if j >= len(p.lx) {
		return ""
	}
	return p.lx[j].num
}

func (p *parser) use(from, to int) {
	for k := from; k < to && k < len(p.lx); k++ {
		p.lx[k].used = true
	}
}

// colAt reads a column mention at j: a lexeme with column senses.
func (p *parser) colAt(j int) (colRef, bool) {
	if j >= len(p.lx) {
		return colRef{}, false
	}
	cs := p.lx[j].all(sColumn)
	if len(cs) == 0 {
		return colRef{}, false
	}
	return colRef{cands: cs, lex: p.lx[j]}, true
}

// run places every lexeme in a pattern, left to right.
func (p *parser) run() {
	for i := 0; i < len(p.lx); {
		if p.lx[i].used || p.lx[i].filler() {
			i++
			continue
		}
		if j := p.pattern(i); j > i {
			p.use(i, j)
			i = j
			continue
		}
		l := p.lx[i]
		if l.has(sUnsupported) != nil {
			p.problems = append(p.problems, fmt.Sprintf("%q asks for a ratio, arithmetic or a comparison the offline parser does not build; write the SQL, or configure an AI provider", l.text))
		}
		if !l.skippable() {
			p.unknown = append(p.unknown, l.text)
		}
		i++
	}
}

// pattern tries the patterns at i, in order, and returns the index after
// the one that matched (i when none did).
func (p *parser) pattern(i int) int {
	for _, f := range []func(int) int{p.window, p.orderBy, p.havingAt, p.filterAt, p.measureAt, p.groupAt, p.mention} {
		if j := f(i); j > i {
			return j
		}
	}
	return i
}

// durationAt reads [NUM] UNIT at j.
func (p *parser) durationAt(j int) (int64, int) {
	j = p.next(j)
	n := int64(1)
	if s := p.num(j); s != "" {
		v, ok := wholeNumber(s)
		if !ok || v <= 0 {
			return 0, -1
		}
		n = v
		j = p.next(j + 1)
	}
	if u := p.at(j, sUnit); u != nil {
		return n * u.ms, j + 1
	}
	return 0, -1
}

func wholeNumber(s string) (int64, bool) {
	var v int64
	if s == "" {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		v = v*10 + int64(r-'0')
		if v > 1<<40 {
			return 0, false
		}
	}
	return v, true
}

func (p *parser) setWindow(w *windowSpec, at *lexeme) {
	p.linkf(at, "%s window of %s", w.kind, durText(w.size))
	if p.win == nil {
		p.win = w
		return
	}
	// "over the last hour, every 5 minutes": a tumbling step after a
	// sliding window is its advance.
	if p.win.kind == "sliding" && w.kind == "tumbling" && !p.win.explicit {
		p.win.advance, p.win.explicit = w.size, true
		return
	}
	if w.kind == "sliding" && p.win.kind == "tumbling" && !w.explicit {
		w.advance, w.explicit = p.win.size, true
		p.win = w
		return
	}
	if *p.win != *w {
		p.problems = append(p.problems, fmt.Sprintf("two different time windows (%s %s and %s %s)", p.win.kind, durText(p.win.size), w.kind, durText(w.size)))
	}
}

// window recognises the time-window phrases.
func (p *parser) window(i int) int {
	l := p.lx[i]
	switch {
	case l.has(sAdverb) != nil: // hourly, daily
		p.setWindow(&windowSpec{kind: "tumbling", size: l.has(sAdverb).ms}, l)
		return i + 1
	case l.has(sGroup) != nil || l.has(sEvery) != nil: // per minute, every 5 minutes
		if ms, j := p.durationAt(i + 1); j > 0 {
			j = p.skipWinWord(j)
			p.setWindow(&windowSpec{kind: "tumbling", size: ms}, l)
			return j
		}
	case l.has(sCmp) != nil && l.has(sCmp).op == ">" && p.at(p.next(i+1), sLast) != nil: // over the last hour
		return p.window(p.next(i + 1))
	case l.has(sLast) != nil: // last 10 minutes
		if ms, j := p.durationAt(i + 1); j > 0 {
			p.setWindow(&windowSpec{kind: "sliding", size: ms}, l)
			return j
		}
	case l.has(sSliding) != nil || l.has(sTumbling) != nil: // rolling 30 minute, tumbling window of 5 minutes
		kind := "tumbling"
		if l.has(sSliding) != nil {
			kind = "sliding"
		}
		j := p.skipWinWord(i + 1)
		if ms, k := p.durationAt(j); k > 0 {
			p.setWindow(&windowSpec{kind: kind, size: ms}, l)
			return p.skipWinWord(k)
		}
	case l.num != "" || l.has(sUnit) != nil: // 5 minute windows; 30 minute gap
		ms, j := p.durationAt(i)
		if j < 0 {
			return i
		}
		if k := p.next(j); p.at(k, sWinWord) != nil || p.at(k, sTumbling) != nil {
			p.setWindow(&windowSpec{kind: "tumbling", size: ms}, l)
			return k + 1
		}
		if k := p.next(j); p.at(k, sGap) != nil {
			p.setWindow(&windowSpec{kind: "session", size: ms}, l)
			return k + 1
		}
	case l.has(sGap) != nil: // gap of 30 minutes
		if ms, j := p.durationAt(i + 1); j > 0 {
			p.setWindow(&windowSpec{kind: "session", size: ms}, l)
			return j
		}
	}
	// session window of 30 seconds
	if c, ok := p.colAt(i); ok && isSession(c) {
		if k := p.next(i + 1); p.at(k, sWinWord) != nil {
			if ms, j := p.durationAt(k + 1); j > 0 {
				p.setWindow(&windowSpec{kind: "session", size: ms}, l)
				return j
			}
		}
	}
	return i
}

func isSession(c colRef) bool {
	for _, s := range c.cands {
		if strings.Contains(s.column, "session") {
			return true
		}
	}
	return false
}

func (p *parser) skipWinWord(j int) int {
	if k := p.next(j); p.at(k, sWinWord) != nil {
		return k + 1
	}
	return j
}

// measureAt reads an aggregate phrase at j: "average price", "number of
// unique users", "how many trades", "volume", "distinct sessions".
func (p *parser) measureAt(i int) int {
	m, j := p.readMeasure(i, true)
	if m == nil {
		return i
	}
	p.measures = append(p.measures, m)
	// "average latitude and longitude": the aggregate applies to both.
	for m.fn != "" && m.col != nil && !m.star {
		k := p.next(j)
		if p.at(k, sAnd) == nil {
			break
		}
		c, ok := p.colAt(p.next(k + 1))
		if !ok || p.at(p.next(k+2), sCmp) != nil || p.lx[p.next(k+1)].has(sAgg) != nil {
			break
		}
		p.linkf(c.lex, "column %s, %s as well", c.cands[0].column, m.fn)
		m2 := &measureSpec{fn: m.fn, col: &c, distinct: m.distinct, text: m.fn + " " + c.lex.text}
		p.measures = append(p.measures, m2)
		j = p.next(k+1) + 1
	}
	return j
}

// readMeasure reads an aggregate phrase without keeping it. bareStream
// lets a stream name alone mean COUNT(*) ("top pages by clicks").
func (p *parser) readMeasure(i int, record bool) (*measureSpec, int) {
	l := p.lx[i]
	if ms := l.all(sMeasure); len(ms) > 0 {
		m := &measureSpec{measure: &ms[0], text: l.text}
		if record {
			p.linkf(l, "measure %s = %s", ms[0].measure.Name, ms[0].measure.Expr)
		}
		return m, i + 1
	}
	if l.has(sCountQ) != nil {
		j := p.next(i + 1)
		distinct := false
		if p.at(j, sDistinct) != nil {
			distinct, j = true, p.next(j+1)
		}
		if j >= len(p.lx) {
			if distinct {
				return nil, i
			}
			if record {
				p.linkf(l, "COUNT(*)")
			}
			return &measureSpec{fn: "COUNT", star: true, text: l.text}, j
		}
		// "number of buy trades": values before the stream are filters.
		k := j
		for !distinct && k < len(p.lx) && p.lx[k].has(sValue) != nil && p.lx[k].has(sStream) == nil {
			k = p.next(k + 1)
		}
		if !distinct && k < len(p.lx) && p.lx[k].has(sStream) != nil {
			for v := j; v < k; v = p.next(v + 1) {
				if record {
					p.valueFilter(v)
				}
			}
			sl := p.lx[k]
			if record {
				p.mentionStream(sl)
				p.linkf(l, "COUNT(*)")
			}
			return &measureSpec{fn: "COUNT", star: true, countOf: sl, text: l.text + " " + sl.text}, k + 1
		}
		if c, ok := p.colAt(j); ok {
			if record {
				p.linkf(l, "COUNT")
				p.linkColumn(c)
			}
			return &measureSpec{fn: "COUNT", col: &c, distinct: distinct, text: l.text + " " + c.lex.text}, j + 1
		}
		if !distinct { // "count by region", "how many records": records of the stream the rest names
			if record {
				p.linkf(l, "COUNT(*)")
			}
			return &measureSpec{fn: "COUNT", star: true, text: l.text}, i + 1
		}
		return nil, i
	}
	if a := l.has(sAgg); a != nil {
		j := p.next(i + 1)
		distinct := false
		if p.at(j, sDistinct) != nil {
			distinct, j = true, p.next(j+1)
		}
		if j < len(p.lx) {
			if ms := p.lx[j].all(sMeasure); len(ms) > 0 && a.fn == "SUM" { // "total volume"
				if record {
					p.linkf(p.lx[j], "measure %s = %s", ms[0].measure.Name, ms[0].measure.Expr)
				}
				return &measureSpec{measure: &ms[0], text: l.text + " " + p.lx[j].text}, j + 1
			}
		}
		// "lowest AAPL price": values before the column are filters.
		valuesFrom := j
		for j < len(p.lx) && p.lx[j].has(sValue) != nil && p.lx[j].has(sColumn) == nil {
			j = p.next(j + 1)
		}
		valuesTo := j
		// "average trade price": a stream word may sit before the column.
		streamAt := -1
		if j < len(p.lx) && p.lx[j].has(sStream) != nil {
			if _, isCol := p.colAt(p.next(j + 1)); isCol {
				streamAt, j = j, p.next(j+1)
			}
		}
		c, ok := p.colAt(j)
		if !ok {
			return nil, i
		}
		if record {
			for v := valuesFrom; v < valuesTo; v = p.next(v + 1) {
				p.valueFilter(v)
			}
			if streamAt >= 0 {
				p.mentionStream(p.lx[streamAt])
			}
			p.linkf(l, "%s", a.fn)
			p.linkColumn(c)
		}
		return &measureSpec{fn: a.fn, col: &c, distinct: distinct, text: l.text + " " + c.lex.text}, j + 1
	}
	if l.has(sDistinct) != nil { // unique users
		j := p.next(i + 1)
		if c, ok := p.colAt(j); ok {
			if record {
				p.linkf(l, "COUNT(DISTINCT ...)")
				p.linkColumn(c)
			}
			return &measureSpec{fn: "COUNT", col: &c, distinct: true, text: l.text + " " + c.lex.text}, j + 1
		}
	}
	return nil, i
}

func (p *parser) linkColumn(c colRef) {
	var names []string
	for _, s := range c.cands {
		names = append(names, s.stream+"."+s.column)
	}
	p.linkf(c.lex, "column %s", strings.Join(names, " or "))
}

func (p *parser) mentionStream(l *lexeme) {
	s := l.has(sStream)
	if s == nil {
		return
	}
	p.streams = append(p.streams, streamMention{lex: l, name: s.stream, alsoColumn: l.has(sColumn) != nil})
	p.linkf(l, "stream %s", s.stream)
	l.used = true
}

// groupAt reads "by symbol", "per region and tier", "for each merchant".
func (p *parser) groupAt(i int) int {
	l := p.lx[i]
	if l.has(sGroup) == nil && l.has(sEvery) == nil {
		return i
	}
	j := p.next(i + 1)
	c, ok := p.colAt(j)
	if !ok {
		// "average quantity per trade": per record of the stream, no group.
		if l.has(sGroup) != nil && j < len(p.lx) && p.lx[j].has(sStream) != nil && len(p.measures) > 0 {
			p.mentionStream(p.lx[j])
			p.linkf(l, "per record (no grouping)")
			return j + 1
		}
		return i
	}
	p.groups = append(p.groups, c)
	p.linkf(l, "GROUP BY")
	p.linkColumn(c)
	j++
	for {
		k := p.next(j)
		if p.at(k, sAnd) == nil {
			return j
		}
		c, ok := p.colAt(p.next(k + 1))
		if !ok || p.lx[p.next(k+1)].has(sAgg) != nil || p.at(p.next(p.next(k+1)+1), sCmp) != nil {
			return j
		}
		p.groups = append(p.groups, c)
		p.linkColumn(c)
		j = p.next(k+1) + 1
	}
}

// orderBy reads "top 3 symbols by volume", "3 pages with the most clicks",
// "sorted by volume descending".
func (p *parser) orderBy(i int) int {
	l := p.lx[i]
	switch {
	case l.has(sTop) != nil || l.has(sBottom) != nil:
		desc := l.has(sTop) != nil
		j := p.next(i + 1)
		var limit int64
		if n, ok := wholeNumber(p.num(j)); ok && n > 0 {
			limit, j = n, p.next(j+1)
		}
		c, ok := p.colAt(j)
		if !ok {
			return i
		}
		k := p.next(j + 1)
		if p.at(k, sGroup) == nil && p.at(k, sIn) == nil {
			return i
		}
		m, e := p.rankMeasure(p.next(k + 1))
		if m == nil {
			return i
		}
		p.groups = append(p.groups, c)
		p.linkColumn(c)
		p.order = &orderSpec{m: m, desc: desc, limit: limit, text: joinLex(p.lx[i:e])}
		p.linkf(l, "ORDER BY %s %s%s", m.text, direction(desc), limitText(limit))
		return e
	case l.num != "":
		n, ok := wholeNumber(l.num)
		c, isCol := p.colAt(p.next(i + 1))
		if !ok || n <= 0 || !isCol {
			return i
		}
		k := p.next(p.next(i+1) + 1)
		if p.at(k, sWith) == nil {
			return i
		}
		k = p.next(k + 1)
		most, least := p.at(k, sMost), p.at(k, sLeast)
		if most == nil && least == nil {
			return i
		}
		m, e := p.rankMeasure(p.next(k + 1))
		if m == nil {
			return i
		}
		p.groups = append(p.groups, c)
		p.linkColumn(c)
		p.order = &orderSpec{m: m, desc: most != nil, limit: n, text: joinLex(p.lx[i:e])}
		p.linkf(l, "ORDER BY %s %s%s", m.text, direction(most != nil), limitText(n))
		return e
	case l.has(sSort) != nil:
		j := p.next(i + 1)
		o := &orderSpec{desc: false}
		if m, e := p.rankMeasure(j); m != nil {
			o.m, j = m, e
		} else if c, ok := p.colAt(j); ok {
			o.col, j = &c, j+1
			p.linkColumn(c)
		} else {
			return i
		}
		if k := p.next(j); p.at(k, sDesc) != nil {
			o.desc, j = true, k+1
		} else if p.at(k, sAsc) != nil {
			j = k + 1
		}
		o.text = joinLex(p.lx[i:j])
		p.order = o
		p.linkf(l, "ORDER BY %s", direction(o.desc))
		return j
	}
	return i
}

// rankMeasure reads what a ranking is by: an aggregate phrase, or a stream
// name meaning its count ("top pages by clicks").
func (p *parser) rankMeasure(j int) (*measureSpec, int) {
	if j >= len(p.lx) {
		return nil, j
	}
	if m, e := p.readMeasure(j, true); m != nil {
		return m, e
	}
	if p.lx[j].has(sStream) != nil {
		sl := p.lx[j]
		p.mentionStream(sl)
		return &measureSpec{fn: "COUNT", star: true, countOf: sl, text: sl.text}, j + 1
	}
	return nil, j
}

func direction(desc bool) string {
	if desc {
		return "descending"
	}
	return "ascending"
}

func limitText(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", LIMIT %d", n)
}

func joinLex(ls []*lexeme) string {
	var parts []string
	for _, l := range ls {
		parts = append(parts, l.text)
	}
	return strings.Join(parts, " ")
}

// havingAt reads a condition on an aggregate: "with more than 2 trades",
// "with total amount over 50000".
func (p *parser) havingAt(i int) int {
	if p.lx[i].has(sWith) == nil {
		return i
	}
	j := p.next(i + 1)
	if c := p.at(j, sCmp); c != nil { // with more than 2 trades
		v := p.num(p.next(j + 1))
		if v == "" {
			return i
		}
		m, e := p.rankMeasure(p.next(p.next(j+1) + 1))
		if m == nil {
			return i
		}
		p.having = append(p.having, havingSpec{m: m, op: c.op, val: literal{text: v, num: true}, text: joinLex(p.lx[i:e])})
		p.linkf(p.lx[j], "HAVING %s %s %s", m.text, c.op, v)
		return e
	}
	if p.at(j, sAgg) == nil && p.at(j, sCountQ) == nil && p.at(j, sMeasure) == nil && p.at(j, sDistinct) == nil {
		return i
	}
	m, e := p.readMeasure(j, true)
	if m == nil {
		return i
	}
	k := p.next(e)
	c := p.at(k, sCmp)
	v := p.num(p.next(k + 1))
	if c == nil || v == "" {
		return i
	}
	p.having = append(p.having, havingSpec{m: m, op: c.op, val: literal{text: v, num: true}, text: joinLex(p.lx[i : p.next(k+1)+1])})
	p.linkf(p.lx[k], "HAVING %s %s %s", m.text, c.op, v)
	return p.next(k+1) + 1
}

// filterAt reads a condition on a column: "price below 50.5", "side is
// buy", "symbol AAPL", "in the west region", "over 900 shares", "amount
// between 10 and 20", "AAPL and MSFT".
func (p *parser) filterAt(i int) int {
	l := p.lx[i]
	if l.has(sWith) != nil || l.has(sIn) != nil { // "with amount over", "in the west region"
		j := p.next(i + 1)
		if j > i && j < len(p.lx) && !p.lx[j].used {
			if k := p.filterAt(j); k > j {
				return k
			}
		}
		return i
	}
	if l.has(sCmp) != nil && p.num(p.next(i+1)) != "" { // over 900 shares
		k := p.next(p.next(i+1) + 1)
		if c, ok := p.colAt(k); ok && l.has(sLast) == nil {
			p.addFilter(c, l.has(sCmp).op, []literal{{text: p.num(p.next(i + 1)), num: true}}, p.lx[i:k+1])
			return k + 1
		}
		return i
	}
	if l.has(sNot) != nil { // not in USD
		j := p.next(i + 1)
		if p.at(j, sIn) != nil {
			j = p.next(j + 1)
		}
		if j < len(p.lx) && p.lx[j].has(sValue) != nil {
			if k := p.valueFilter(j); k > j {
				p.filters[len(p.filters)-1].op = negate(p.filters[len(p.filters)-1].op)
				return k
			}
		}
		return i
	}
	if l.has(sValue) != nil && l.has(sStream) == nil {
		return p.valueFilter(i)
	}
	c, ok := p.colAt(i)
	if !ok {
		return i
	}
	j := p.next(i + 1)
	not := false
	is := false
	if p.at(j, sIs) != nil {
		is, j = true, p.next(j+1)
	}
	if p.at(j, sNot) != nil {
		not, j = true, p.next(j+1)
	}
	switch {
	case p.at(j, sCmp) != nil && p.at(j, sLast) == nil:
		op := p.at(j, sCmp).op
		v := p.num(p.next(j + 1))
		if v == "" {
			return i
		}
		if not {
			op = negate(op)
		}
		e := p.next(j+1) + 1
		p.addFilter(c, op, []literal{{text: v, num: true}}, p.lx[i:e])
		return e
	case p.at(j, sBetween) != nil:
		lo := p.next(j + 1)
		and := p.next(lo + 1)
		hi := p.next(and + 1)
		if p.num(lo) == "" || p.at(and, sAnd) == nil || p.num(hi) == "" {
			return i
		}
		p.addFilter(c, "between", []literal{{text: p.num(lo), num: true}, {text: p.num(hi), num: true}}, p.lx[i:hi+1])
		return hi + 1
	}
	if j >= len(p.lx) {
		return i
	}
	// An equality: the column's value, a quoted string, or (right after
	// the column or "is") a word the lexicon does not know.
	v := p.lx[j]
	var lit literal
	switch {
	case v.str:
		lit = literal{text: v.text}
	case v.has(sValue) != nil:
		val, found := valueFor(v, c)
		if !found {
			return i
		}
		lit = literal{text: val, exact: true}
	case len(v.senses) == 0 && v.num == "" && (is || j == i+1) && p.stringColumn(c):
		lit = literal{text: v.text}
	case v.num != "" && (is || j == i+1) && p.at(p.next(j+1), sUnit) == nil && p.stringColumn(c):
		lit = literal{text: v.num, num: true}
	default:
		return i
	}
	op := "="
	if not {
		op = "<>"
	}
	vals := []literal{lit}
	e := j + 1
	// "symbol AAPL or MSFT"
	for {
		k := p.next(e)
		if p.at(k, sOr) == nil && p.at(k, sAnd) == nil {
			break
		}
		w := p.next(k + 1)
		if w >= len(p.lx) {
			break
		}
		if val, found := valueFor(p.lx[w], c); found {
			vals = append(vals, literal{text: val, exact: true})
		} else if p.lx[w].str {
			vals = append(vals, literal{text: p.lx[w].text})
		} else {
			break
		}
		e = w + 1
	}
	if len(vals) > 1 {
		op = "in"
		if not {
			op = "not in"
		}
	}
	p.addFilter(c, op, vals, p.lx[i:e])
	return e
}

func negate(op string) string {
	switch op {
	case "=":
		return "<>"
	case "<>":
		return "="
	case ">":
		return "<="
	case ">=":
		return "<"
	case "<":
		return ">="
	case "<=":
		return ">"
	case "in":
		return "not in"
	}
	return op
}

// valueFor returns the catalog's spelling of lexeme v as a value of c.
func valueFor(v *lexeme, c colRef) (string, bool) {
	for _, s := range v.all(sValue) {
		for _, cs := range c.cands {
			if s.stream == cs.stream && s.column == cs.column {
				return s.value, true
			}
		}
	}
	return "", false
}

// valueFilter reads a known value, or a list of them, optionally followed
// by their column: "buy", "AAPL and MSFT", "the west region".
func (p *parser) valueFilter(i int) int {
	l := p.lx[i]
	vs := l.all(sValue)
	if len(vs) == 0 {
		return i
	}
	col := colRef{lex: l}
	for _, s := range vs {
		col.cands = append(col.cands, sense{kind: sColumn, stream: s.stream, column: s.column})
	}
	vals := []literal{{text: vs[0].value, exact: true}}
	e := i + 1
	for {
		k := p.next(e)
		if p.at(k, sOr) == nil && p.at(k, sAnd) == nil {
			break
		}
		w := p.next(k + 1)
		if w >= len(p.lx) {
			break
		}
		val, found := valueFor(p.lx[w], col)
		if !found || slices.ContainsFunc(vals, func(l literal) bool { return l.text == val }) {
			break
		}
		vals = append(vals, literal{text: val, exact: true})
		e = w + 1
	}
	// "the west region": the column named after its value.
	if k := p.next(e); k < len(p.lx) {
		if c, ok := p.colAt(k); ok {
			var narrowed []sense
			for _, cs := range col.cands {
				if c.column(cs.stream) == cs.column {
					narrowed = append(narrowed, cs)
				}
			}
			if len(narrowed) > 0 {
				col.cands = narrowed
				e = k + 1
			}
		}
	}
	op := "="
	if len(vals) > 1 {
		op = "in"
	}
	p.addFilter(col, op, vals, p.lx[i:e])
	for k := i; k < e; k++ {
		p.lx[k].used = true
	}
	return e
}

func (p *parser) addFilter(c colRef, op string, vals []literal, span []*lexeme) {
	text := joinLex(span)
	p.filters = append(p.filters, filterSpec{col: c, op: op, vals: vals, text: text})
	var vs []string
	for _, v := range vals {
		vs = append(vs, v.text)
	}
	p.links = append(p.links, fmt.Sprintf("%q -> WHERE %s %s %s", text, c.cands[0].column, op, strings.Join(vs, ", ")))
}

// mention places a stream or column named alone, and the emit words.
func (p *parser) mention(i int) int {
	l := p.lx[i]
	switch {
	case l.has(sChanges) != nil:
		p.changes = true
		p.linkf(l, "EMIT CHANGES")
		return i + 1
	case l.has(sDesc) != nil && p.order != nil:
		p.order.desc = true
		return i + 1
	case l.has(sAsc) != nil && p.order != nil:
		p.order.desc = false
		return i + 1
	case l.has(sStream) != nil:
		p.mentionStream(l)
		if k := p.next(i + 1); p.at(k, sCountQ) != nil && !p.lx[k].used { // "trade count"
			p.measures = append(p.measures, &measureSpec{fn: "COUNT", star: true, countOf: l, text: l.text + " " + p.lx[k].text})
			p.linkf(p.lx[k], "COUNT(*)")
			return k + 1
		}
		return i + 1
	}
	if c, ok := p.colAt(i); ok {
		// "price volatility", "amount total": an aggregate after its column.
		if k := p.next(i + 1); p.at(k, sAgg) != nil {
			if _, isCol := p.colAt(p.next(k + 1)); !isCol {
				a := p.lx[k].has(sAgg)
				p.measures = append(p.measures, &measureSpec{fn: a.fn, col: &c, text: l.text + " " + p.lx[k].text})
				p.linkColumn(c)
				p.linkf(p.lx[k], "%s", a.fn)
				return k + 1
			}
		}
		p.bare = append(p.bare, c)
		p.linkColumn(c)
		return i + 1
	}
	return i
}

func durText(ms int64) string {
	units := []struct {
		n  string
		ms int64
	}{{"day", 86_400_000}, {"hour", 3_600_000}, {"minute", 60_000}, {"second", 1000}}
	for _, u := range units {
		if ms%u.ms == 0 {
			if ms == u.ms {
				return "1 " + u.n
			}
			return fmt.Sprintf("%d %ss", ms/u.ms, u.n)
		}
	}
	return fmt.Sprintf("%d ms", ms)
}

// stringColumn reports whether every stream's column c may mean is a
// STRING: only those take a word of the question as a value.
func (p *parser) stringColumn(c colRef) bool {
	for _, cs := range c.cands {
		col := p.cat.Stream(cs.stream).Column(cs.column)
		if t, err := assistant.ParseType(col.Type); err != nil || t.Kind != types.KindString {
			return false
		}
	}
	return true
}

// index is the position of lexeme l in the question.
func (p *parser) index(l *lexeme) int {
	for i, x := range p.lx {
		if x == l {
			return i
		}
	}
	return -1
}
