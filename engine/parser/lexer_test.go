package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/token"
)

// toks renders the tokens of src as "KIND:raw" (and "=val" when the decoded
// value differs), without the final EOF.
func toks(src string) string {
	l := lex(src)
	var out []string
	for _, t := range l.toks {
		if t.Kind == token.EOF {
			break
		}
		s := fmt.Sprintf("%s:%s", kindName(t.Kind), t.Raw)
		if t.Val != t.Raw {
			s += "=" + t.Val
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func kindName(k token.Kind) string {
	switch k {
	case token.IDENT:
		return "ID"
	case token.QIDENT:
		return "QID"
	case token.STRING:
		return "STR"
	case token.INT, token.DECIMAL, token.FLOAT, token.DURATION, token.URI, token.ILLEGAL:
		return strings.ToUpper(map[token.Kind]string{token.INT: "int", token.DECIMAL: "dec", token.FLOAT: "float",
			token.DURATION: "dur", token.URI: "uri", token.ILLEGAL: "bad"}[k])
	}
	if k.IsKeyword() {
		return "KW"
	}
	return "OP"
}

func TestLexTokens(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"keywords any case", "select Select SELECT from", "KW:select KW:Select KW:SELECT KW:from"},
		{"non-reserved keywords are keywords too", "timestamp key rows session", "ID:timestamp KW:key KW:rows KW:session"},
		{"identifiers", "price _ts t1 café", "ID:price ID:_ts ID:t1 ID:café"},
		{"double-quoted identifier", `"Price" "a""b"`, `QID:"Price"=Price QID:"a""b"=a"b`},
		{"backquoted identifier", "`my col` `a``b`", "QID:`my col`=my col QID:`a``b`=a`b"},
		{"string with escapes", `'it''s' '' 'a'`, `STR:'it''s'=it's STR:''= STR:'a'=a`},
		{"string spans lines", "'a\nb'", "STR:'a\nb'=a\nb"},
		{"integers", "0 42 007", "INT:0 INT:42 INT:007"},
		{"decimals", "623.41 .5 1.", "DEC:623.41 DEC:.5 DEC:1."},
		{"floats", "1e6 2.5E-3 1e+2", "FLOAT:1e6 FLOAT:2.5E-3 FLOAT:1e+2"},
		{"durations", "30s 5m 1h 500ms 1d 1.5h 5M", "DUR:30s DUR:5m DUR:1h DUR:500ms DUR:1d DUR:1.5h DUR:5M"},
		{"number then word is two tokens", "5 m", "INT:5 ID:m"},
		{"URI", "kafka://trades", "URI:kafka://trades"},
		{"URI with host, port, query", "kafka://localhost:9092/trades?group=g,", "URI:kafka://localhost:9092/trades?group=g OP:,"},
		{"file URI", "file:///tmp/x.jsonl)", "URI:file:///tmp/x.jsonl OP:)"},
		{"URI ends at semicolon and space", "s3://b/k; x", "URI:s3://b/k OP:; ID:x"},
		{"operators", "+ - * / % || = == != <> < <= > >= ( ) , . ; ::",
			"OP:+ OP:- OP:* OP:/ OP:% OP:|| OP:= OP:== OP:!= OP:<> OP:< OP:<= OP:> OP:>= OP:( OP:) OP:, OP:. OP:; OP::: "},
		{"operators without spaces", "a>=1||b<>c::int", "ID:a OP:>= INT:1 OP:|| ID:b OP:<> ID:c OP::: ID:int"},
		{"qualified name", "t.price", "ID:t OP:. ID:price"},
		{"line comment", "a -- comment\nb", "ID:a ID:b"},
		{"block comment", "a /* x\n y */ b", "ID:a ID:b"},
		{"minus minus is a comment", "a --b", "ID:a"},
		{"no-break space is whitespace", "a\u00a0b", "ID:a ID:b"},
		{"invalid number", "12abc x", "BAD:12abc ID:x"},
		{"long unit", "5min", "BAD:5min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.TrimSpace(toks(tt.src))
			if got != strings.TrimSpace(tt.want) {
				t.Errorf("lex(%q)\n got %s\nwant %s", tt.src, got, tt.want)
			}
		})
	}
}

func TestLexPositions(t *testing.T) {
	src := "SELECT a,\n  'x\ny' b\n\t/* c */ 5m"
	l := lex(src)
	want := []struct {
		raw             string
		line, col, eoff int
		eline, ecol     int
	}{
		{"SELECT", 1, 1, 6, 1, 7},
		{"a", 1, 8, 8, 1, 9},
		{",", 1, 9, 9, 1, 10},
		{"'x\ny'", 2, 3, 17, 3, 3},
		{"b", 3, 4, 19, 3, 5},
		{"5m", 4, 10, 31, 4, 12},
	}
	if len(l.toks) != len(want)+1 {
		t.Fatalf("got %d tokens, want %d", len(l.toks), len(want)+1)
	}
	for i, w := range want {
		tk := l.toks[i]
		if tk.Raw != w.raw || tk.Pos.Line != w.line || tk.Pos.Col != w.col ||
			tk.End.Offset != w.eoff || tk.End.Line != w.eline || tk.End.Col != w.ecol {
			t.Errorf("token %d = %q at %v..%v (offset %d), want %q at %d:%d..%d:%d (offset %d)",
				i, tk.Raw, tk.Pos, tk.End, tk.End.Offset, w.raw, w.line, w.col, w.eline, w.ecol, w.eoff)
		}
		if src[tk.Pos.Offset:tk.End.Offset] != tk.Raw {
			t.Errorf("token %d: offsets cover %q, raw is %q", i, src[tk.Pos.Offset:tk.End.Offset], tk.Raw)
		}
	}
	eof := l.toks[len(l.toks)-1]
	if eof.Kind != token.EOF || eof.Pos.Offset != len(src) {
		t.Errorf("last token = %v at %d, want EOF at %d", eof.Kind, eof.Pos.Offset, len(src))
	}
}

func TestLexErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // "line:col: message"
	}{
		{"unterminated string at its quote", "SELECT\n  'abc", "2:3: unterminated string (missing closing ')"},
		{"unterminated block comment", "a /* b", "1:3: unterminated comment (missing */)"},
		{"unterminated quoted identifier", `a "b`, `1:3: unterminated quoted identifier (missing closing ")`},
		{"empty quoted identifier", `""`, "1:1: empty quoted identifier"},
		{"stray character", "a ? b", "1:3: unexpected character '?'"},
		{"run of stray characters is one error", "a ?#$ b", `1:3: unexpected characters "?#$"`},
		{"single bar", "a | b", "1:3: unexpected character '|'"},
		{"bad number", "x 12abc", `1:3: invalid number "12abc"`},
		{"long duration unit", "5min", `1:1: invalid duration "5min"`},
		{"too fine a unit", "5ns", `1:1: invalid duration "5ns": the finest unit is ms`},
		{"annotation without name", "-- @: x", "1:4: expected annotation name after @, found \": x\""},
		{"invalid UTF-8", "a \xff b", `1:3: unexpected characters "\xff"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := lex(tt.src)
			if len(l.errs) != 1 {
				t.Fatalf("lex(%q): %d errors %v, want 1", tt.src, len(l.errs), l.errs)
			}
			if got := l.errs[0].Error(); got != tt.want {
				t.Errorf("lex(%q) error = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestLexAnnotations(t *testing.T) {
	src := "-- @metric: trade_volume\n--@job_name:  my-job  \n-- @enabled true\n-- @flag\n-- @empty:\n-- not an annotation @x\n-- @url: http://x:1/y"
	l := lex(src)
	if len(l.errs) != 0 {
		t.Fatalf("errors: %v", l.errs)
	}
	type ann struct {
		Name, Value        string
		Name0, Val0, End0  int // offsets
		NameCol, ValCol    int
		NameLine, EndLine_ int
	}
	var got []ann
	for _, a := range l.annots {
		got = append(got, ann{a.Name, a.Value, a.NamePos.Offset, a.ValuePos.Offset, a.EndPos.Offset, a.NamePos.Col, a.ValuePos.Col, a.NamePos.Line, a.EndPos.Line})
	}
	wantNames := []struct{ name, value string }{
		{"metric", "trade_volume"}, {"job_name", "my-job"}, {"enabled", "true"}, {"flag", ""}, {"empty", ""}, {"url", "http://x:1/y"},
	}
	if len(got) != len(wantNames) {
		t.Fatalf("got %d annotations %+v, want %d", len(got), got, len(wantNames))
	}
	for i, w := range wantNames {
		g := got[i]
		if g.Name != w.name || g.Value != w.value {
			t.Errorf("annotation %d = %q:%q, want %q:%q", i, g.Name, g.Value, w.name, w.value)
		}
		if src[g.Name0:g.Name0+len(g.Name)] != g.Name {
			t.Errorf("annotation %d: NamePos points at %q", i, src[g.Name0:])
		}
		if src[g.Val0:g.End0] != g.Value {
			t.Errorf("annotation %d: ValuePos..EndPos covers %q, want %q", i, src[g.Val0:g.End0], g.Value)
		}
		if wantLine := []int{1, 2, 3, 4, 5, 7}[i]; g.NameLine != wantLine || g.EndLine_ != g.NameLine {
			t.Errorf("annotation %d on line %d..%d, want %d", i, g.NameLine, g.EndLine_, wantLine)
		}
	}
	if got[0].NameCol != 5 || got[0].ValCol != 13 {
		t.Errorf("first annotation columns name=%d value=%d, want 5 and 13", got[0].NameCol, got[0].ValCol)
	}
	// An empty value sits right after the name (and colon).
	if a := l.annots[4]; a.ValuePos != a.EndPos || a.ValuePos.Offset != a.NamePos.Offset+len("empty:") {
		t.Errorf("empty annotation value at %v..%v", a.ValuePos, a.EndPos)
	}
}
