package token

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is the lexical class of a token. Words that the grammar uses are
// keywords, but most are non-reserved: the parser accepts them as identifiers
// wherever that is unambiguous (see Kind.Reserved), so columns may be called
// `timestamp`, `key`, `value`, `rows` or `session`.
type Kind uint8

const (
	ILLEGAL Kind = iota // a lexical error, already reported by the lexer
	EOF

	IDENT    // price, t
	QIDENT   // "Price", `my col`: quoted identifier, Val holds the unquoted text
	STRING   // 'text': Val holds the text with '' resolved
	INT      // 42
	DECIMAL  // 623.41, .5, 1.
	FLOAT    // 1e6, 2.5E-3
	DURATION // 30s, 5m, 500ms, 1h, 1d
	URI      // kafka://trades, file:///tmp/x.jsonl

	PLUS    // +
	MINUS   // -
	STAR    // *
	SLASH   // /
	PERCENT // %
	CONCAT  // ||
	EQ      // =
	EQEQ    // ==
	NE      // != or <>
	LT      // <
	LE      // <=
	GT      // >
	GE      // >=
	LPAREN  // (
	RPAREN  // )
	COMMA   // ,
	DOT     // .
	SEMI    // ;
	DCOLON  // ::

	keywordBeg
	// Reserved keywords: never a bare identifier (quote them to use as names).
	ALL
	AND
	AS
	BETWEEN
	CASE
	CREATE
	CROSS
	DISTINCT
	ELSE
	EMIT
	END
	FALSE
	FROM
	FULL
	GROUP
	HAVING
	IN
	INNER
	INSERT
	INTERVAL
	IS
	JOIN
	LEFT // also a function name: LEFT(s, n)
	LIKE
	LIMIT
	NOT
	NULL
	ON
	OR
	ORDER
	OUTER
	OVER
	RIGHT // also a function name: RIGHT(s, n)
	SELECT
	THEN
	TRUE
	UNION
	WHEN
	WHERE
	WINDOW
	WITH
	reservedEnd
	// Non-reserved keywords: identifiers everywhere the grammar does not need them.
	ASC
	BUFFER
	BY
	CAST
	CHANGES
	CURRENT
	DESC
	EXISTS
	EXTRACT
	FINAL
	FOLLOWING
	HOPPING
	IF
	INTO
	KEY
	NULLS
	PARTITION
	PRECEDING
	PRIMARY
	RANGE
	REPLACE
	ROW
	ROWS
	SESSION
	SLIDING
	STREAM
	TABLE
	TUMBLING
	UNBOUNDED
	WITHIN
	keywordEnd
)

var kindText = [...]string{
	ILLEGAL:  "ILLEGAL",
	EOF:      "end of input",
	IDENT:    "identifier",
	QIDENT:   "quoted identifier",
	STRING:   "string",
	INT:      "integer",
	DECIMAL:  "decimal",
	FLOAT:    "float",
	DURATION: "duration",
	URI:      "URI",
	PLUS:     "+",
	MINUS:    "-",
	STAR:     "*",
	SLASH:    "/",
	PERCENT:  "%",
	CONCAT:   "||",
	EQ:       "=",
	EQEQ:     "==",
	NE:       "<>",
	LT:       "<",
	LE:       "<=",
	GT:       ">",
	GE:       ">=",
	LPAREN:   "(",
	RPAREN:   ")",
	COMMA:    ",",
	DOT:      ".",
	SEMI:     ";",
	DCOLON:   "::",

	ALL:      "ALL",
	AND:      "AND",
	AS:       "AS",
	BETWEEN:  "BETWEEN",
	CASE:     "CASE",
	CREATE:   "CREATE",
	CROSS:    "CROSS",
	DISTINCT: "DISTINCT",
	ELSE:     "ELSE",
	EMIT:     "EMIT",
	END:      "END",
	FALSE:    "FALSE",
	FROM:     "FROM",
	FULL:     "FULL",
	GROUP:    "GROUP",
	HAVING:   "HAVING",
	IN:       "IN",
	INNER:    "INNER",
	INSERT:   "INSERT",
	INTERVAL: "INTERVAL",
	IS:       "IS",
	JOIN:     "JOIN",
	LEFT:     "LEFT",
	LIKE:     "LIKE",
	LIMIT:    "LIMIT",
	NOT:      "NOT",
	NULL:     "NULL",
	ON:       "ON",
	OR:       "OR",
	ORDER:    "ORDER",
	OUTER:    "OUTER",
	OVER:     "OVER",
	RIGHT:    "RIGHT",
	SELECT:   "SELECT",
	THEN:     "THEN",
	TRUE:     "TRUE",
	UNION:    "UNION",
	WHEN:     "WHEN",
	WHERE:    "WHERE",
	WINDOW:   "WINDOW",
	WITH:     "WITH",

	ASC:       "ASC",
	BUFFER:    "BUFFER",
	BY:        "BY",
	CAST:      "CAST",
	CHANGES:   "CHANGES",
	CURRENT:   "CURRENT",
	DESC:      "DESC",
	EXISTS:    "EXISTS",
	EXTRACT:   "EXTRACT",
	FINAL:     "FINAL",
	FOLLOWING: "FOLLOWING",
	HOPPING:   "HOPPING",
	IF:        "IF",
	INTO:      "INTO",
	KEY:       "KEY",
	NULLS:     "NULLS",
	PARTITION: "PARTITION",
	PRECEDING: "PRECEDING",
	PRIMARY:   "PRIMARY",
	RANGE:     "RANGE",
	REPLACE:   "REPLACE",
	ROW:       "ROW",
	ROWS:      "ROWS",
	SESSION:   "SESSION",
	SLIDING:   "SLIDING",
	STREAM:    "STREAM",
	TABLE:     "TABLE",
	TUMBLING:  "TUMBLING",
	UNBOUNDED: "UNBOUNDED",
	WITHIN:    "WITHIN",
}

// String returns the keyword or operator as written in SQL, or a short name
// of the class ("identifier", "end of input").
func (k Kind) String() string {
	if int(k) < len(kindText) && kindText[k] != "" {
		return kindText[k]
	}
	return "token"
}

// IsKeyword reports whether k is a keyword, reserved or not.
func (k Kind) IsKeyword() bool { return k > keywordBeg && k < keywordEnd && k != reservedEnd }

// Reserved reports whether k is a reserved keyword, which cannot be a bare
// identifier. The set is small on purpose: only words that start clauses or
// are operators, where taking them as names would make `SELECT FROM t` parse
// as a column called FROM.
func (k Kind) Reserved() bool { return k > keywordBeg && k < reservedEnd }

var keywords = func() map[string]Kind {
	m := make(map[string]Kind, int(keywordEnd-keywordBeg))
	for k := keywordBeg + 1; k < keywordEnd; k++ {
		if k != reservedEnd {
			m[kindText[k]] = k
		}
	}
	return m
}()

// Lookup returns the keyword kind of word (any case), or IDENT.
func Lookup(word string) Kind {
	if len(word) < 2 || len(word) > 9 {
		return IDENT // no keyword is shorter or longer: skip the upper-casing
	}
	var buf [9]byte
	for i := 0; i < len(word); i++ {
		c := word[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	if k, ok := keywords[string(buf[:len(word)])]; ok { // no allocation: map index by converted bytes
		return k
	}
	return IDENT
}

// Keywords returns every keyword's text, for "did you mean" suggestions.
func Keywords() []string {
	out := make([]string, 0, len(keywords))
	for k := keywordBeg + 1; k < keywordEnd; k++ {
		if k != reservedEnd {
			out = append(out, kindText[k])
		}
	}
	return out
}

// IsIdentStart reports whether r may start a bare identifier.
func IsIdentStart(r rune) bool {
	return r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || (r >= utf8.RuneSelf && unicode.IsLetter(r))
}

// IsIdentPart reports whether r may continue a bare identifier.
func IsIdentPart(r rune) bool {
	return IsIdentStart(r) || ('0' <= r && r <= '9') || (r >= utf8.RuneSelf && unicode.IsDigit(r))
}

// IsBareWord reports whether s lexes as a single identifier or keyword (so a
// printer may write it without quotes, provided it is not reserved there).
func IsBareWord(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == utf8.RuneError {
			return false
		}
		if i == 0 && !IsIdentStart(r) || i > 0 && !IsIdentPart(r) {
			return false
		}
	}
	return true
}

// Token is one lexical token: its kind, its span, the source text (Raw) and,
// for strings and quoted identifiers, the decoded value (Val; for other
// tokens Val equals Raw).
type Token struct {
	Kind     Kind
	Pos, End Pos
	Raw      string
	Val      string
}

// Upper returns the token's text upper-cased (for keywords and type names).
func (t *Token) Upper() string { return strings.ToUpper(t.Raw) }
