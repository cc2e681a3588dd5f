package ast

import (
	"fmt"
	"strings"
	"testing"
)

// Trees built by hand (as NL->SQL and the Studio do) rather than by the
// parser: the printer must add the parentheses and quotes they need. The
// parser package checks the round trip of parsed trees.

func id(parts ...string) *Ident { return &Ident{Parts: parts} }
func num(s string) *Literal     { return &Literal{Kind: LitInt, Raw: s} }
func bin(op BinaryOp, l, r Expr) *Binary {
	return &Binary{Op: op, L: l, R: r}
}

func TestFormatExprHandBuilt(t *testing.T) {
	tests := []struct {
		name string
		x    Expr
		want string
	}{
		{"lower precedence on the left", bin(OpMul, bin(OpAdd, id("a"), id("b")), id("c")), "(a + b) * c"},
		{"same precedence on the right", bin(OpSub, id("a"), bin(OpSub, id("b"), id("c"))), "a - (b - c)"},
		{"same precedence on the left", bin(OpSub, bin(OpSub, id("a"), id("b")), id("c")), "a - b - c"},
		{"higher precedence needs none", bin(OpAdd, id("a"), bin(OpMul, id("b"), id("c"))), "a + b * c"},
		{"or under and", bin(OpAnd, bin(OpOr, id("a"), id("b")), id("c")), "(a OR b) AND c"},
		{"not over and", &Unary{Op: OpNot, X: bin(OpAnd, id("a"), id("b"))}, "NOT (a AND b)"},
		{"not under comparison", bin(OpEq, &Unary{Op: OpNot, X: id("a")}, id("b")), "(NOT a) = b"},
		{"double negation keeps a space", &Unary{Op: OpNeg, X: &Unary{Op: OpNeg, X: id("a")}}, "- -a"},
		{"negated negative literal", &Unary{Op: OpNeg, X: &Literal{Kind: LitInt, Raw: "-1"}}, "- -1"},
		{"negated sum", &Unary{Op: OpNeg, X: bin(OpAdd, id("a"), id("b"))}, "-(a + b)"},
		{"between bounds", &Between{X: id("x"), Lo: bin(OpAnd, id("a"), id("b")), Hi: bin(OpEq, id("c"), id("d"))}, "x BETWEEN (a AND b) AND (c = d)"},
		{"not between", &Between{X: id("x"), Lo: num("1"), Hi: num("2"), Not: true}, "x NOT BETWEEN 1 AND 2"},
		{"in list", &In{X: bin(OpAdd, id("a"), num("1")), List: []Expr{num("1"), bin(OpOr, id("p"), id("q"))}, Not: true}, "a + 1 NOT IN (1, p OR q)"},
		{"like with concat", &Like{X: id("n"), Pattern: bin(OpConcat, &Literal{Kind: LitString, Raw: "a"}, id("m"))}, "n LIKE 'a' || m"},
		{"is null of or", &IsNull{X: bin(OpOr, id("a"), id("b")), Not: true}, "(a OR b) IS NOT NULL"},
		{"string escapes", &Literal{Kind: LitString, Raw: "it's"}, "'it''s'"},
		{"booleans and null", bin(OpOr, &Literal{Kind: LitBool, Bool: true}, &Literal{Kind: LitNull}), "TRUE OR NULL"},
		{"reserved name quoted", id("from"), `"from"`},
		{"reserved name after dot", id("t", "from"), "t.from"},
		{"reserved qualifier quoted", id("select", "x"), `"select".x`},
		{"odd characters quoted", id("my col"), `"my col"`},
		{"embedded quote doubled", id(`a"b`), `"a""b"`},
		{"quoted flag kept", &Ident{Parts: []string{"Price"}, Quoted: true}, `"Price"`},
		{"keyword-like names stay bare", id("timestamp"), "timestamp"},
		{"call named like a special form", &Call{Name: id("cast"), Args: []Expr{id("x")}}, `"cast"(x)`},
		{"left is a callee", &Call{Name: id("LEFT"), Args: []Expr{id("s"), num("3")}}, "LEFT(s, 3)"},
		{"count star distinct", &Call{Name: id("COUNT"), Star: true, Distinct: true}, "COUNT(DISTINCT *)"},
		{"cast", &Cast{X: id("p"), Type: TypeName{Name: "DECIMAL", Params: []int{10, 2}}}, "CAST(p AS DECIMAL(10, 2))"},
		{"extract odd field", &Extract{Field: "DAY OF WEEK", X: id("ts")}, "EXTRACT('DAY OF WEEK' FROM ts)"},
		{"interval without text", &IntervalLit{Duration{Millis: 300_000}}, "INTERVAL '5' MINUTE"},
		{"interval in ms", &IntervalLit{Duration{Millis: 1500}}, "INTERVAL '1500' MILLISECOND"},
		{"interval in days", &IntervalLit{Duration{Millis: 2 * 86_400_000}}, "INTERVAL '2' DAY"},
		{"interval as written", &IntervalLit{Duration{Millis: 60_000, Text: "1m"}}, "1m"},
		{"over everything", &Call{Name: id("SUM"), Args: []Expr{id("q")}, Over: &OverClause{
			BufferRows: 50, PartitionBy: []Expr{id("s")}, OrderBy: []OrderItem{{Expr: id("ts"), Desc: true}},
			Frame: &Frame{Range: true, Start: FrameBound{Unbounded: true}, EndBound: FrameBound{N: 3, Following: true}},
			Emit:  EmitFinal,
		}}, "SUM(q) OVER (ROWS WINDOW BUFFER 50 ROWS PARTITION BY s ORDER BY ts DESC RANGE BETWEEN UNBOUNDED PRECEDING AND 3 FOLLOWING EMIT FINAL)"},
		{"within group", &Call{Name: id("PERCENTILE_CONT"), Args: []Expr{&Literal{Kind: LitDecimal, Raw: "0.5"}}, WithinGroup: []OrderItem{{Expr: id("x")}}},
			"PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x)"},
		{"case", &Case{Operand: id("s"), Whens: []WhenClause{{Cond: num("1"), Result: id("a")}}, Else: id("b")}, "CASE s WHEN 1 THEN a ELSE b END"},
		{"bad expression prints as NULL", &BadExpr{}, "NULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Format(tt.x); got != tt.want {
				t.Errorf("Format = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestFormatStatementsHandBuilt(t *testing.T) {
	sel := &SelectStmt{
		StmtBase: StmtBase{Annotations: []Annotation{{Name: "metric", Value: "volume"}, {Name: "flag"}, {Name: "multi", Value: "a\nb"}}},
		Items:    []SelectItem{{Star: true, Qualifier: "my t"}, {Expr: id("sym"), Alias: id("window"), PrimaryKey: true}},
		From: &Join{Kind: FullJoin,
			Left:  &SourceRef{Name: id("trades"), URI: "kafka://h:9092/trades?g=1", Alias: id("t")},
			Right: &SourceRef{Name: id("x"), URI: "data/x y.jsonl"},
			On:    &Literal{Kind: LitBool, Bool: true}, Within: &Duration{Millis: 30_000}},
		GroupBy: []Expr{id("sym")},
		Window:  &WindowClause{Kind: Sliding, TimeCol: id("ts"), Size: &Duration{Millis: 600_000}, Advance: &Duration{Millis: 60_000}},
		Limit:   &Limit{N: 7},
		Emit:    EmitChanges,
		With:    []Property{{Key: "a.b", Value: "it's"}},
	}
	want := `-- @metric: volume
-- @flag:
-- @multi: a b
SELECT "my t".*, sym AS "window" PRIMARY KEY
FROM kafka://h:9092/trades?g=1 AS t
FULL OUTER JOIN 'data/x y.jsonl' ON TRUE WITHIN INTERVAL '30' SECOND
GROUP BY sym
WINDOW SLIDING(ts, INTERVAL '10' MINUTE, INTERVAL '1' MINUTE)
LIMIT 7
EMIT CHANGES
WITH ('a.b' = 'it''s')`
	if got := Format(sel); got != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}

	src := &CreateSourceStmt{Kind: Table, OrReplace: true, IfNotExists: true, Name: id("users"),
		Columns: []ColumnDef{{Name: id("id"), Type: TypeName{Name: "BIGINT"}}}}
	if got, want := Format(src), "CREATE OR REPLACE TABLE IF NOT EXISTS users (id BIGINT) WITH ()"; got != want {
		t.Errorf("Format = %s, want %s", got, want)
	}
	cas := &CreateAsStmt{Kind: Stream, Name: id("out"), With: []Property{{Key: "k", Value: "v"}},
		Select: &SelectStmt{Items: []SelectItem{{Star: true}}, From: &SourceRef{Name: id("in")}}}
	if got, want := Format(cas), "CREATE STREAM out WITH ('k' = 'v') AS\nSELECT *\nFROM \"in\""; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	script := &Script{Statements: []Statement{cas, src}, Dangling: []Annotation{{Name: "end", Value: "x"}}}
	got := FormatScript(script)
	if !strings.HasSuffix(got, "WITH ();\n-- @end: x\n") || strings.Count(got, ";\n") != 2 {
		t.Errorf("FormatScript:\n%s", got)
	}
}

func TestInspect(t *testing.T) {
	sel := &SelectStmt{
		Items: []SelectItem{{Expr: &Call{Name: id("f"), Args: []Expr{bin(OpAdd, id("a"), num("1"))},
			Over: &OverClause{PartitionBy: []Expr{id("p")}, OrderBy: []OrderItem{{Expr: id("o")}}}}, Alias: id("x")}},
		From:   &Join{Left: &SourceRef{Name: id("l")}, Right: nil, On: &BadExpr{}}, // a partial tree, as after an error
		Where:  &Case{Whens: []WhenClause{{Cond: id("c"), Result: id("r")}}, Else: id("e")},
		Window: &WindowClause{Size: &Duration{Millis: 1}},
	}
	var seen []string
	Inspect(sel, func(n Node) bool {
		s := strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast.")
		if i, ok := n.(*Ident); ok {
			s += ":" + i.Name()
		}
		seen = append(seen, s)
		return true
	})
	want := "SelectStmt SelectItem Call Ident:f Binary Ident:a Literal Ident:p Ident:o Ident:x Join SourceRef Ident:l BadExpr Case Ident:c Ident:r Ident:e WindowClause Duration"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("visit order\n got %s\nwant %s", got, want)
	}
	// Returning false skips a node's children.
	n := 0
	Inspect(sel, func(x Node) bool {
		n++
		_, isCall := x.(*Call)
		return !isCall
	})
	if n != len(seen)-6 { // f, a+1, a, 1, p, o
		t.Errorf("visited %d nodes with the call's children skipped, want %d", n, len(seen)-6)
	}
	Inspect(nil, func(Node) bool { t.Error("visited nil"); return true })
	var nilSel *SelectStmt
	Inspect(nilSel, func(Node) bool { t.Error("visited a typed nil"); return true })
}
