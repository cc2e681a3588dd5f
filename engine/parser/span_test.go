package parser

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/token"
)

// spanText lists every node under n as "Type text", in visiting order.
func spanText(src string, n ast.Node) []string {
	var out []string
	ast.Inspect(n, func(n ast.Node) bool {
		out = append(out, fmt.Sprintf("%s %s", strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."), src[n.Pos().Offset:n.End().Offset]))
		return true
	})
	return out
}

var spanCases = []struct {
	src  string
	want []string
}{
	{
		src: "SELECT a.b, COUNT(*) AS n, -x::INT, CASE WHEN y IS NULL THEN 1 END c\nFROM kafka://h/t s JOIN u ON s.k = u.k WITHIN 5m",
		want: []string{
			"SelectStmt SELECT a.b, COUNT(*) AS n, -x::INT, CASE WHEN y IS NULL THEN 1 END c\nFROM kafka://h/t s JOIN u ON s.k = u.k WITHIN 5m",
			"SelectItem a.b", "Ident a.b",
			"SelectItem COUNT(*) AS n", "Call COUNT(*)", "Ident COUNT", "Ident n",
			"SelectItem -x::INT", "Unary -x::INT", "Cast x::INT", "Ident x", "TypeName INT",
			"SelectItem CASE WHEN y IS NULL THEN 1 END c", "Case CASE WHEN y IS NULL THEN 1 END", "IsNull y IS NULL", "Ident y", "Literal 1", "Ident c",
			"Join kafka://h/t s JOIN u ON s.k = u.k WITHIN 5m",
			"SourceRef kafka://h/t s", "Ident kafka://h/t", "Ident s",
			"SourceRef u", "Ident u",
			"Binary s.k = u.k", "Ident s.k", "Ident u.k",
			"Duration 5m",
		},
	},
	{
		src: "SELECT * FROM t\nWHERE z IN (1, 2) AND w NOT BETWEEN 1 AND 2 OR v NOT LIKE 'a%'\nGROUP BY (a) WINDOW SLIDING(ts, INTERVAL '1' MINUTE, 30s) HAVING f(x) OVER (PARTITION BY p) > .5",
		want: []string{
			"SelectStmt SELECT * FROM t\nWHERE z IN (1, 2) AND w NOT BETWEEN 1 AND 2 OR v NOT LIKE 'a%'\nGROUP BY (a) WINDOW SLIDING(ts, INTERVAL '1' MINUTE, 30s) HAVING f(x) OVER (PARTITION BY p) > .5",
			"SelectItem *",
			"SourceRef t", "Ident t",
			"Binary z IN (1, 2) AND w NOT BETWEEN 1 AND 2 OR v NOT LIKE 'a%'",
			"Binary z IN (1, 2) AND w NOT BETWEEN 1 AND 2",
			"In z IN (1, 2)", "Ident z", "Literal 1", "Literal 2",
			"Between w NOT BETWEEN 1 AND 2", "Ident w", "Literal 1", "Literal 2",
			"Like v NOT LIKE 'a%'", "Ident v", "Literal 'a%'",
			"Paren (a)", "Ident a",
			"WindowClause WINDOW SLIDING(ts, INTERVAL '1' MINUTE, 30s)", "Ident ts", "Duration INTERVAL '1' MINUTE", "Duration 30s",
			"Binary f(x) OVER (PARTITION BY p) > .5", "Call f(x) OVER (PARTITION BY p)", "Ident f", "Ident x", "Ident p", "Literal .5",
		},
	},
	{
		src: "CREATE STREAM s (p DECIMAL(10, 2), \"q\" STRING) WITH ('a' = 'b')",
		want: []string{
			"CreateSourceStmt CREATE STREAM s (p DECIMAL(10, 2), \"q\" STRING) WITH ('a' = 'b')",
			"Ident s", "Ident p", "TypeName DECIMAL(10, 2)", "Ident \"q\"", "TypeName STRING",
		},
	},
	{
		src: "CREATE TABLE t AS SELECT EXTRACT(YEAR FROM ts), CAST(a AS INT), INTERVAL '5' MINUTE FROM u;",
		want: []string{
			"CreateAsStmt CREATE TABLE t AS SELECT EXTRACT(YEAR FROM ts), CAST(a AS INT), INTERVAL '5' MINUTE FROM u",
			"Ident t",
			"SelectStmt SELECT EXTRACT(YEAR FROM ts), CAST(a AS INT), INTERVAL '5' MINUTE FROM u",
			"SelectItem EXTRACT(YEAR FROM ts)", "Extract EXTRACT(YEAR FROM ts)", "Ident ts",
			"SelectItem CAST(a AS INT)", "Cast CAST(a AS INT)", "Ident a", "TypeName INT",
			"SelectItem INTERVAL '5' MINUTE", "IntervalLit INTERVAL '5' MINUTE",
			"SourceRef u", "Ident u",
		},
	},
}

func TestSpansExact(t *testing.T) {
	tests := spanCases
	for _, tt := range tests {
		st := mustParseOne(t, tt.src)
		if diff := cmp.Diff(tt.want, spanText(tt.src, st)); diff != "" {
			t.Errorf("spans of %q (-want +got):\n%s", tt.src, diff)
		}
	}
}

func TestSpansOfUnvisitedParts(t *testing.T) {
	src := "SELECT SUM(q) OVER (ORDER BY ts DESC ROWS 5 PRECEDING), EXTRACT(dow FROM ts) FROM t ORDER BY a DESC, b LIMIT 10"
	s := mustSelect(t, src)
	text := func(a, b token.Pos) string { return src[a.Offset:b.Offset] }
	call := s.Items[0].Expr.(*ast.Call)
	if got := text(call.Over.Start, call.Over.Stop); got != "OVER (ORDER BY ts DESC ROWS 5 PRECEDING)" {
		t.Errorf("OVER span %q", got)
	}
	if got := src[call.Over.Frame.Pos.Offset:]; !strings.HasPrefix(got, "ROWS 5") {
		t.Errorf("frame at %q", got)
	}
	if o := call.Over.OrderBy[0]; text(o.Expr.Pos(), o.Stop) != "ts DESC" {
		t.Errorf("over ORDER BY item %q", text(o.Expr.Pos(), o.Stop))
	}
	ex := s.Items[1].Expr.(*ast.Extract)
	if !strings.HasPrefix(src[ex.FieldPos.Offset:], "dow FROM") {
		t.Errorf("extract field at %q", src[ex.FieldPos.Offset:])
	}
	if got := text(s.OrderBy[0].Expr.Pos(), s.OrderBy[0].Stop); got != "a DESC" {
		t.Errorf("ORDER BY item %q", got)
	}
	if got := text(s.OrderBy[1].Expr.Pos(), s.OrderBy[1].Stop); got != "b" {
		t.Errorf("ORDER BY item %q", got)
	}
	if got := text(s.Limit.Start, s.Limit.Stop); got != "LIMIT 10" {
		t.Errorf("LIMIT span %q", got)
	}
}

// checkSpans verifies, for every node, that its span is inside the text,
// that line and column agree with the offset, and (when nested is set, for
// trees without errors) that each child lies within its parent. It is
// linear in the tree so the fuzzers stay fast.
func checkSpans(t testing.TB, src string, root ast.Node, nested bool) {
	t.Helper()
	lines := newLineIndex(src)
	ast.Inspect(root, func(n ast.Node) bool {
		p, e := n.Pos(), n.End()
		if !p.IsValid() || !e.IsValid() || p.Offset > e.Offset || e.Offset > len(src) {
			t.Errorf("%T: bad span %v..%v (offsets %d..%d, len %d) in %q", n, p, e, p.Offset, e.Offset, len(src), src)
			return false
		}
		for _, q := range []token.Pos{p, e} {
			if want := lines.posAt(q.Offset); want != q {
				t.Errorf("%T: position %+v, but offset %d is at %+v in %q", n, q, q.Offset, want, src)
			}
		}
		if nested {
			ast.Inspect(n, func(c ast.Node) bool {
				if c == n {
					return true
				}
				if c.Pos().Offset < p.Offset || c.End().Offset > e.Offset {
					t.Errorf("%T %q is not inside %T %q", c, src[c.Pos().Offset:c.End().Offset], n, src[p.Offset:e.Offset])
				}
				return false // children only; the outer walk reaches the rest
			})
		}
		return true
	})
}

// lineIndex maps offsets to positions in O(log lines).
type lineIndex struct{ starts []int }

func newLineIndex(src string) lineIndex {
	starts := []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return lineIndex{starts}
}

func (l lineIndex) posAt(off int) token.Pos {
	i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off }) - 1
	return token.Pos{Offset: off, Line: i + 1, Col: off - l.starts[i] + 1}
}

func TestSpansConsistent(t *testing.T) {
	for _, src := range corpus {
		s, errs := Parse(src)
		for _, st := range s.Statements {
			checkSpans(t, src, st, len(errs) == 0)
		}
	}
}

const annotatedScript = `-- SQL Application: demo
-- @app: trading
-- @metric: a
SELECT 1 FROM t;

-- @metric: b
CREATE STREAM x AS
-- @metric_condition: SUM(x) > 0
SELECT * FROM t
-- @before_semicolon: goes to the next statement
;
SELECT 2 FROM u; -- @after: goes to the next statement too
-- @enabled true
CREATE STREAM src WITH ('a' = 'b');
-- @trailing: x
-- @also_trailing
`

func init() {
	seed(annotatedScript)
	for _, c := range spanCases {
		seed(c.src)
	}
}

func TestAnnotationsAttach(t *testing.T) {
	src := annotatedScript
	s := mustParse(t, src)
	var got [][]string
	for _, st := range s.Statements {
		var names []string
		for _, a := range st.Annots() {
			names = append(names, a.Name+"="+a.Value)
		}
		got = append(got, names)
	}
	want := [][]string{
		{"app=trading", "metric=a"},
		{"metric=b", "metric_condition=SUM(x) > 0"},
		{"before_semicolon=goes to the next statement"},
		{"after=goes to the next statement too", "enabled=true"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations per statement (-want +got):\n%s", diff)
	}
	if c := s.Statements[1].(*ast.CreateAsStmt); len(c.Select.Annotations) != 0 {
		t.Errorf("the inner SELECT got annotations %v; they belong to the CREATE", c.Select.Annotations)
	}
	var dangling []string
	for _, a := range s.Dangling {
		dangling = append(dangling, a.Name+"="+a.Value)
	}
	if diff := cmp.Diff([]string{"trailing=x", "also_trailing="}, dangling); diff != "" {
		t.Errorf("dangling (-want +got):\n%s", diff)
	}
	// Positions are absolute in the script.
	a := s.Statements[1].Annots()[1]
	if a.NamePos.Line != 8 || src[a.ValuePos.Offset:a.EndPos.Offset] != "SUM(x) > 0" {
		t.Errorf("metric_condition at %v, value span %q", a.NamePos, src[a.ValuePos.Offset:a.EndPos.Offset])
	}
	// The statement starts at its first token, not at its annotations.
	if st := s.Statements[0]; st.Pos().Line != 4 || st.Pos().Col != 1 {
		t.Errorf("first statement starts at %v", st.Pos())
	}
}

func TestAnnotationsSeveralStatements(t *testing.T) {
	var b strings.Builder
	for i := range 5 {
		fmt.Fprintf(&b, "-- @job_name: job%d\n-- @metric: m%d\nCREATE STREAM s%d AS SELECT * FROM t%d;\n\n", i, i, i, i)
	}
	src := b.String()
	s := mustParse(t, src)
	if len(s.Statements) != 5 || len(s.Dangling) != 0 {
		t.Fatalf("%d statements, %d dangling", len(s.Statements), len(s.Dangling))
	}
	for i, st := range s.Statements {
		an := st.Annots()
		if len(an) != 2 || an[0].Value != fmt.Sprintf("job%d", i) || an[1].Value != fmt.Sprintf("m%d", i) {
			t.Errorf("statement %d annotations %+v", i, an)
		}
	}
}

func TestAnnotationsOnlyAndFailedStatements(t *testing.T) {
	s, _ := Parse("-- @a: 1\nFOO BAR;\n-- @b: 2\nSELECT x FROM t")
	if len(s.Statements) != 1 {
		t.Fatalf("%d statements", len(s.Statements))
	}
	// The annotation above a statement that could not be parsed at all moves
	// on to the next one rather than vanishing.
	if an := s.Statements[0].Annots(); len(an) != 2 || an[0].Name != "a" || an[1].Name != "b" {
		t.Errorf("annotations %+v", an)
	}
	s = mustParse(t, "-- @only: here\n")
	if len(s.Statements) != 0 || len(s.Dangling) != 1 || s.Dangling[0].Value != "here" {
		t.Errorf("script %+v", s)
	}
}
