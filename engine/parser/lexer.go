package parser

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/token"
)

// lexer turns SQL text into tokens in one pass, before parsing: the parser
// then looks ahead freely, and annotations (which are comments) come out on
// a side list with their positions so they can be attached to statements.
type lexer struct {
	src       string
	off       int
	line      int
	lineStart int
	toks      []token.Token
	annots    []ast.Annotation
	errs      diag.List
	// swallowed is set when an unterminated string, quoted identifier or
	// comment ran to the end: "found end of input" errors would be noise.
	swallowed bool
}

func lex(src string) *lexer {
	// SQL averages about a token per 3-4 bytes: size for one allocation.
	l := &lexer{src: src, line: 1, toks: make([]token.Token, 0, len(src)/3+16)}
	l.run()
	return l
}

// pos returns the position of off, which must be on the current line.
func (l *lexer) pos(off int) token.Pos {
	return token.Pos{Offset: off, Line: l.line, Col: off - l.lineStart + 1}
}

func (l *lexer) emit(k token.Kind, start token.Pos, val string) {
	raw := l.src[start.Offset:l.off]
	if k != token.STRING && k != token.QIDENT {
		val = raw
	}
	l.toks = append(l.toks, token.Token{Kind: k, Pos: start, End: l.pos(l.off), Raw: raw, Val: val})
}

func (l *lexer) errorf(start token.Pos, end token.Pos, format string, args ...any) {
	l.errs.Addf(start, end, format, args...)
}

// newline records that a '\n' sits at off.
func (l *lexer) newline(off int) {
	l.line++
	l.lineStart = off + 1
}

func (l *lexer) run() {
	src := l.src
	for {
		l.skipSpace()
		if l.off >= len(src) {
			p := l.pos(l.off)
			l.toks = append(l.toks, token.Token{Kind: token.EOF, Pos: p, End: p})
			return
		}
		start := l.pos(l.off)
		c := src[l.off]
		var next byte
		if l.off+1 < len(src) {
			next = src[l.off+1]
		}
		switch {
		case c == '-' && next == '-':
			l.lineComment()
		case c == '/' && next == '*':
			l.blockComment()
		case isDigit(c) || c == '.' && isDigit(next):
			l.number(start)
		case c == '\'':
			l.str(start)
		case c == '"' || c == '`':
			l.quotedIdent(start, c)
		case c < utf8.RuneSelf && token.IsIdentStart(rune(c)):
			l.word(start)
		case c >= utf8.RuneSelf:
			r, _ := utf8.DecodeRuneInString(src[l.off:])
			switch {
			case r != utf8.RuneError && token.IsIdentStart(r):
				l.word(start)
			case r == '‘' || r == '’' || r == '“' || r == '”':
				l.typographicQuote(start, r)
			default:
				l.illegal(start)
			}
		default:
			l.operator(start, c, next)
		}
	}
}

// skipSpace skips whitespace, including the Unicode spaces (no-break space)
// that SQL pasted from web pages carries.
func (l *lexer) skipSpace() {
	src := l.src
	for l.off < len(src) {
		c := src[l.off]
		switch c {
		case ' ', '\t', '\r', '\f', '\v':
			l.off++
		case '\n':
			l.newline(l.off)
			l.off++
		default:
			if c < utf8.RuneSelf {
				return
			}
			r, n := utf8.DecodeRuneInString(src[l.off:])
			if !unicode.IsSpace(r) {
				return
			}
			l.off += n
		}
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func (l *lexer) word(start token.Pos) {
	src := l.src
	for l.off < len(src) {
		c := src[l.off]
		if c < utf8.RuneSelf {
			if !token.IsIdentPart(rune(c)) {
				break
			}
			l.off++
			continue
		}
		r, n := utf8.DecodeRuneInString(src[l.off:])
		if r == utf8.RuneError || !token.IsIdentPart(r) {
			break
		}
		l.off += n
	}
	if strings.HasPrefix(src[l.off:], "://") {
		// A URI runs to the next separator; it may hold ':', '/', '?', '=', '.'.
		for l.off < len(src) {
			c := src[l.off]
			if isSpaceByte(c) || c == ',' || c == ')' || c == ';' {
				break
			}
			l.off++
		}
		l.emit(token.URI, start, "")
		return
	}
	l.emit(token.Lookup(src[start.Offset:l.off]), start, "")
}

// durationUnits are the short units a number may carry to form a DURATION token.
var durationUnits = map[string]bool{"ms": true, "s": true, "m": true, "h": true, "d": true}

// longUnits maps unit spellings people try in short durations to the short unit.
var longUnits = map[string]string{
	"sec": "s", "secs": "s", "second": "s", "seconds": "s",
	"min": "m", "mins": "m", "minute": "m", "minutes": "m",
	"hr": "h", "hrs": "h", "hour": "h", "hours": "h",
	"day": "d", "days": "d",
	"msec": "ms", "msecs": "ms", "millis": "ms", "millisecond": "ms", "milliseconds": "ms",
}

func (l *lexer) number(start token.Pos) {
	src := l.src
	kind := token.INT
	for l.off < len(src) && isDigit(src[l.off]) {
		l.off++
	}
	if l.off < len(src) && src[l.off] == '.' {
		kind = token.DECIMAL
		l.off++
		for l.off < len(src) && isDigit(src[l.off]) {
			l.off++
		}
	}
	if l.off < len(src) && (src[l.off] == 'e' || src[l.off] == 'E') {
		j := l.off + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			kind = token.FLOAT
			l.off = j
			for l.off < len(src) && isDigit(src[l.off]) {
				l.off++
			}
		}
	}
	// A letter right after the digits: a short duration (5m) or a mistake.
	numEnd := l.off
	for l.off < len(src) {
		r, n := utf8.DecodeRuneInString(src[l.off:])
		if r == utf8.RuneError || !token.IsIdentPart(r) {
			break
		}
		l.off += n
	}
	if l.off == numEnd {
		l.emit(kind, start, "")
		return
	}
	suffix := strings.ToLower(src[numEnd:l.off])
	if kind != token.FLOAT && durationUnits[suffix] {
		l.emit(token.DURATION, start, "")
		return
	}
	text := src[start.Offset:l.off]
	end := l.pos(l.off)
	if short, ok := longUnits[suffix]; ok && kind != token.FLOAT {
		l.errs.AddHint(start, end, fmt.Sprintf("did you mean %s%s? (short units: ms, s, m, h, d)", src[start.Offset:numEnd], short),
			fmt.Sprintf("invalid duration %q", text))
	} else if suffix == "ns" || suffix == "us" || suffix == "µs" || suffix == "μs" {
		l.errorf(start, end, "invalid duration %q: the finest unit is ms", text)
	} else {
		l.errorf(start, end, "invalid number %q", text)
	}
	l.emit(token.ILLEGAL, start, "")
}

// str scans a '...' string; a doubled quote stands for one quote.
func (l *lexer) str(start token.Pos) {
	src := l.src
	l.off++ // opening quote
	var b *strings.Builder
	segStart := l.off
	for l.off < len(src) {
		c := src[l.off]
		if c == '\n' {
			l.newline(l.off)
		}
		if c != '\'' {
			l.off++
			continue
		}
		if l.off+1 < len(src) && src[l.off+1] == '\'' {
			if b == nil {
				b = &strings.Builder{}
			}
			b.WriteString(src[segStart : l.off+1])
			l.off += 2
			segStart = l.off
			continue
		}
		val := src[segStart:l.off]
		if b != nil {
			b.WriteString(val)
			val = b.String()
		}
		l.off++
		l.emit(token.STRING, start, val)
		return
	}
	l.swallowed = true
	l.errorf(start, l.pos(start.Offset+1), "unterminated string (missing closing ')")
	l.emit(token.ILLEGAL, start, "")
}

// typographicQuote handles ‘text’ and “name”, which word processors and web
// pages put in SQL: it reports them once and reads them as the plain quotes
// they stand for, so the rest of the statement still parses.
func (l *lexer) typographicQuote(start token.Pos, open rune) {
	src := l.src
	single := open == '‘' || open == '’'
	closers := "’‘"
	kind, plain := token.STRING, "'"
	if !single {
		closers, kind, plain = "”“", token.QIDENT, `"`
	}
	l.off += utf8.RuneLen(open)
	body := l.off
	end := strings.IndexAny(src[body:], closers+"\n")
	if end < 0 || src[body+end] == '\n' {
		l.errs.AddHint(start, l.pos(body), "use a plain "+plain, fmt.Sprintf("unexpected character %q", open))
		l.emit(token.ILLEGAL, start, "")
		return
	}
	val := src[body : body+end]
	_, n := utf8.DecodeRuneInString(src[body+end:])
	l.off = body + end + n
	l.errs.AddHint(start, l.pos(l.off), fmt.Sprintf("replace the typographic quotes with %s", plain),
		fmt.Sprintf("expected plain %s quotes, found %s", plain, src[start.Offset:l.off]))
	l.emit(kind, start, val)
}

// quotedIdent scans "..." or `...`; a doubled quote stands for one.
func (l *lexer) quotedIdent(start token.Pos, q byte) {
	src := l.src
	l.off++
	var b strings.Builder
	segStart := l.off
	for l.off < len(src) {
		c := src[l.off]
		if c == '\n' {
			l.newline(l.off)
		}
		if c != q {
			l.off++
			continue
		}
		if l.off+1 < len(src) && src[l.off+1] == q {
			b.WriteString(src[segStart : l.off+1])
			l.off += 2
			segStart = l.off
			continue
		}
		b.WriteString(src[segStart:l.off])
		l.off++
		if b.Len() == 0 {
			l.errorf(start, l.pos(l.off), "empty quoted identifier")
			l.emit(token.ILLEGAL, start, "")
			return
		}
		l.emit(token.QIDENT, start, b.String())
		return
	}
	l.swallowed = true
	l.errorf(start, l.pos(start.Offset+1), "unterminated quoted identifier (missing closing %c)", q)
	l.emit(token.ILLEGAL, start, "")
}

func (l *lexer) blockComment() {
	src := l.src
	start := l.pos(l.off)
	l.off += 2
	for l.off < len(src) {
		c := src[l.off]
		if c == '*' && l.off+1 < len(src) && src[l.off+1] == '/' {
			l.off += 2
			return
		}
		if c == '\n' {
			l.newline(l.off)
		}
		l.off++
	}
	l.swallowed = true
	l.errorf(start, l.pos(start.Offset+2), "unterminated comment (missing */)")
}

// lineComment skips a -- comment and records it as an annotation when its
// text starts with '@': `-- @name: value` or `-- @name value`.
func (l *lexer) lineComment() {
	src := l.src
	begin := l.off
	eol := strings.IndexByte(src[begin:], '\n')
	if eol < 0 {
		eol = len(src)
	} else {
		eol += begin
	}
	l.off = eol
	text := strings.TrimRight(src[begin:eol], "\r")
	end := begin + len(text)
	i := begin + 2
	for i < end && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	if i >= end || src[i] != '@' {
		return
	}
	at := i
	i++
	nameStart := i
	for i < end && src[i] != ':' && src[i] != ' ' && src[i] != '\t' {
		i++
	}
	if i == nameStart {
		l.errorf(l.pos(at), l.pos(at+1), "expected annotation name after @, found %s", describeText(src[i:end]))
		return
	}
	a := ast.Annotation{Name: src[nameStart:i], NamePos: l.pos(nameStart)}
	if i < end && src[i] == ':' {
		i++
	}
	afterName := i
	for i < end && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	valEnd := end
	for valEnd > i && (src[valEnd-1] == ' ' || src[valEnd-1] == '\t') {
		valEnd--
	}
	if i >= valEnd {
		a.ValuePos = l.pos(afterName)
		a.EndPos = a.ValuePos
	} else {
		a.Value = src[i:valEnd]
		a.ValuePos = l.pos(i)
		a.EndPos = l.pos(valEnd)
	}
	l.annots = append(l.annots, a)
}

func describeText(s string) string {
	if s == "" {
		return "end of line"
	}
	return fmt.Sprintf("%q", s)
}

func (l *lexer) operator(start token.Pos, c, next byte) {
	k := token.ILLEGAL
	n := 1
	switch c {
	case '+':
		k = token.PLUS
	case '-':
		k = token.MINUS
	case '*':
		k = token.STAR
	case '/':
		k = token.SLASH
	case '%':
		k = token.PERCENT
	case '(':
		k = token.LPAREN
	case ')':
		k = token.RPAREN
	case ',':
		k = token.COMMA
	case '.':
		k = token.DOT
	case ';':
		k = token.SEMI
	case '|':
		if next == '|' {
			k, n = token.CONCAT, 2
		}
	case '=':
		k = token.EQ
		if next == '=' {
			k, n = token.EQEQ, 2
		}
	case '!':
		if next == '=' {
			k, n = token.NE, 2
		}
	case '<':
		k = token.LT
		if next == '=' {
			k, n = token.LE, 2
		} else if next == '>' {
			k, n = token.NE, 2
		}
	case '>':
		k = token.GT
		if next == '=' {
			k, n = token.GE, 2
		}
	case ':':
		if next == ':' {
			k, n = token.DCOLON, 2
		}
	}
	if k == token.ILLEGAL {
		l.illegal(start)
		return
	}
	l.off += n
	l.emit(k, start, "")
}

// illegal reports a run of characters that start no token, as one error.
func (l *lexer) illegal(start token.Pos) {
	src := l.src
	first, _ := utf8.DecodeRuneInString(src[l.off:])
	for l.off < len(src) {
		r, n := utf8.DecodeRuneInString(src[l.off:])
		if l.off > start.Offset && !isIllegalStart(src[l.off:], r) {
			break
		}
		l.off += n
	}
	text := src[start.Offset:l.off]
	end := l.pos(l.off)
	switch {
	case text == "|":
		l.errs.AddHint(start, end, "did you mean ||?", `unexpected character '|'`)
	case text == "!":
		l.errs.AddHint(start, end, "did you mean != or NOT?", `unexpected character '!'`)
	case text == ":":
		l.errs.AddHint(start, end, "did you mean :: (a cast)?", `unexpected character ':'`)
	case utf8.RuneCountInString(text) == 1 && first != utf8.RuneError:
		l.errorf(start, end, "unexpected character %q", first)
	default:
		l.errorf(start, end, "unexpected characters %q", text)
	}
	l.emit(token.ILLEGAL, start, "")
}

// isIllegalStart reports whether the text at s (whose first rune is r)
// starts no token, so it belongs to the same run of bad characters.
func isIllegalStart(s string, r rune) bool {
	if r == utf8.RuneError {
		return true
	}
	if r < utf8.RuneSelf {
		c := byte(r)
		if isSpaceByte(c) || isDigit(c) || token.IsIdentStart(r) {
			return false
		}
		switch c {
		case '+', '-', '*', '/', '%', '(', ')', ',', '.', ';', '=', '<', '>', '\'', '"', '`':
			return false
		case '|', ':':
			return len(s) < 2 || s[1] != c // only || and :: start tokens
		case '!':
			return len(s) < 2 || s[1] != '='
		}
		return true
	}
	switch r {
	case '‘', '’', '“', '”':
		return false
	}
	return !token.IsIdentStart(r) && !unicode.IsSpace(r)
}
