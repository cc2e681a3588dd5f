package parser

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
)

// canonicalCases pin what a statement parses to through its canonical form;
// the printer is checked independently by the round-trip tests and the
// structure tests below, so a wrong tree cannot hide behind it for long.
var canonicalCases = []struct {
	name, sql, want string
}{
	{"star", "select * from trades", "SELECT *\nFROM trades"},
	{"items and aliases",
		`SELECT DISTINCT a, t.*, b AS x, c y, "Mixed Case", 1 + 2 total FROM trades t`,
		"SELECT DISTINCT a, t.*, b AS x, c AS y, \"Mixed Case\", 1 + 2 AS total\nFROM trades AS t"},
	{"keywords as column names",
		"SELECT timestamp, key, value, type, window_start, window_end, date, count, first, last, rows, session, range, buffer FROM t",
		"SELECT timestamp, key, value, type, window_start, window_end, date, count, first, last, rows, session, range, buffer\nFROM t"},
	{"keyword-named aliases after AS", "SELECT a AS key, b AS rows, c AS session FROM t", "SELECT a AS key, b AS rows, c AS session\nFROM t"},
	{"backquoted identifiers", "SELECT `my col` FROM `my table`", "SELECT \"my col\"\nFROM \"my table\""},
	{"reserved word quoted", `SELECT "from", t."select", t.from FROM t`, "SELECT \"from\", t.\"select\", t.from\nFROM t"},
	{"where order limit", "SELECT a FROM t WHERE a > 1 ORDER BY a DESC, b ASC LIMIT 10",
		"SELECT a\nFROM t\nWHERE a > 1\nORDER BY a DESC, b\nLIMIT 10"},
	{"emit changes", "SELECT a FROM t EMIT CHANGES", "SELECT a\nFROM t\nEMIT CHANGES"},
	{"emit final", "SELECT a FROM t emit final", "SELECT a\nFROM t\nEMIT FINAL"},
	{"emit before order by and limit", "SELECT a FROM t EMIT CHANGES ORDER BY a LIMIT 5",
		"SELECT a\nFROM t\nORDER BY a\nLIMIT 5\nEMIT CHANGES"},
	{"emit between order by and limit", "SELECT a FROM t ORDER BY a EMIT FINAL LIMIT 5",
		"SELECT a\nFROM t\nORDER BY a\nLIMIT 5\nEMIT FINAL"},
	{"select with", "SELECT a FROM t EMIT CHANGES WITH ('sink' = 'stdout', batch.size = 100, flag = true, mode = fast, neg = -1.5, d = 5s)",
		"SELECT a\nFROM t\nEMIT CHANGES\nWITH ('sink' = 'stdout', 'batch.size' = '100', 'flag' = 'true', 'mode' = 'fast', 'neg' = '-1.5', 'd' = '5s')"},
	{"primary key items", "SELECT symbol PRIMARY KEY, s AS sym PRIMARY KEY, price FROM trades",
		"SELECT symbol PRIMARY KEY, s AS sym PRIMARY KEY, price\nFROM trades"},
	{"group by window having", "SELECT s, COUNT(*) FROM t GROUP BY s WINDOW TUMBLING(1m) HAVING COUNT(*) > 5",
		"SELECT s, COUNT(*)\nFROM t\nGROUP BY s\nWINDOW TUMBLING(1m)\nHAVING COUNT(*) > 5"},
	{"group by having window", "SELECT s, COUNT(*) FROM t GROUP BY s HAVING COUNT(*) > 5 WINDOW TUMBLING(1m)",
		"SELECT s, COUNT(*)\nFROM t\nGROUP BY s\nWINDOW TUMBLING(1m)\nHAVING COUNT(*) > 5"},
	{"window before group by", "SELECT s, COUNT(*) FROM t WINDOW TUMBLING(1m) GROUP BY s HAVING COUNT(*) > 5",
		"SELECT s, COUNT(*)\nFROM t\nGROUP BY s\nWINDOW TUMBLING(1m)\nHAVING COUNT(*) > 5"},
	{"having window group by", "SELECT s FROM t HAVING COUNT(*) > 5 WINDOW TUMBLING(1m) GROUP BY s",
		"SELECT s\nFROM t\nGROUP BY s\nWINDOW TUMBLING(1m)\nHAVING COUNT(*) > 5"},
	{"everything", "SELECT s FROM t WHERE p > 0 GROUP BY s WINDOW SESSION(30s) HAVING COUNT(*) > 1 ORDER BY s LIMIT 3 EMIT FINAL WITH ('a' = 'b')",
		"SELECT s\nFROM t\nWHERE p > 0\nGROUP BY s\nWINDOW SESSION(30s)\nHAVING COUNT(*) > 1\nORDER BY s\nLIMIT 3\nEMIT FINAL\nWITH ('a' = 'b')"},
	{"uri source", "SELECT * FROM kafka://localhost:9092/trades?group=g t", "SELECT *\nFROM kafka://localhost:9092/trades?group=g AS t"},
	{"file path source", "SELECT * FROM 'data/trades.jsonl'", "SELECT *\nFROM 'data/trades.jsonl'"},
	{"joins", "SELECT * FROM a JOIN b ON a.id = b.id INNER JOIN c ON c.id = a.id LEFT JOIN d ON d.id = a.id LEFT OUTER JOIN e ON true RIGHT JOIN f ON true RIGHT OUTER JOIN g ON true FULL JOIN h ON true FULL OUTER JOIN i ON true",
		"SELECT *\nFROM a\nJOIN b ON a.id = b.id\nJOIN c ON c.id = a.id\nLEFT JOIN d ON d.id = a.id\nLEFT JOIN e ON TRUE\nRIGHT JOIN f ON TRUE\nRIGHT JOIN g ON TRUE\nFULL OUTER JOIN h ON TRUE\nFULL OUTER JOIN i ON TRUE"},
	{"join within", "SELECT o.id FROM orders o INNER JOIN payments p ON o.id = p.order_id WITHIN INTERVAL '5' MINUTES WHERE o.amount > 1",
		"SELECT o.id\nFROM orders AS o\nJOIN payments AS p ON o.id = p.order_id WITHIN INTERVAL '5' MINUTES\nWHERE o.amount > 1"},
	{"join aliases named like keywords", "SELECT * FROM user_sessions session LEFT JOIN user_events events ON session.u = events.u",
		"SELECT *\nFROM user_sessions AS session\nLEFT JOIN user_events AS events ON session.u = events.u"},
	{"create stream as select", "CREATE STREAM out AS SELECT * FROM t", "CREATE STREAM out AS\nSELECT *\nFROM t"},
	{"create table as select with sink props", "create table totals as select s, sum(q) from t group by s emit changes with ('totals.sink' = 'file')",
		"CREATE TABLE totals AS\nSELECT s, sum(q)\nFROM t\nGROUP BY s\nEMIT CHANGES\nWITH ('totals.sink' = 'file')"},
	{"create with props then as", "CREATE STREAM out WITH (topic = 'o') AS SELECT * FROM t", "CREATE STREAM out WITH ('topic' = 'o') AS\nSELECT *\nFROM t"},
	{"create or replace if not exists", "CREATE OR REPLACE STREAM IF NOT EXISTS out AS SELECT * FROM t",
		"CREATE OR REPLACE STREAM IF NOT EXISTS out AS\nSELECT *\nFROM t"},
	{"create source with columns", "CREATE STREAM trades (symbol STRING, price DECIMAL(12,4), qty bigint, note VARCHAR(20), ts TIMESTAMP) WITH ('topic' = 'trades', 'bootstrap.servers' = 'localhost:9092')",
		"CREATE STREAM trades (symbol STRING, price DECIMAL(12, 4), qty BIGINT, note VARCHAR(20), ts TIMESTAMP) WITH ('topic' = 'trades', 'bootstrap.servers' = 'localhost:9092')"},
	{"create source without columns", "CREATE TABLE users WITH (config_file = 'configs/users.yaml')", "CREATE TABLE users WITH ('config_file' = 'configs/users.yaml')"},
	{"create source with empty props", "CREATE STREAM s WITH ()", "CREATE STREAM s WITH ()"},
	{"over with rows window buffer", "SELECT LAG(price, 1) OVER (ROWS WINDOW BUFFER 100 ROWS PARTITION BY symbol ORDER BY ts) prev FROM trades",
		"SELECT LAG(price, 1) OVER (ROWS WINDOW BUFFER 100 ROWS PARTITION BY symbol ORDER BY ts) AS prev\nFROM trades"},
	{"over parts in any order", "SELECT SUM(q) OVER (ORDER BY ts ROWS BETWEEN 50 PRECEDING AND CURRENT ROW PARTITION BY s ROWS WINDOW BUFFER 100 ROWS EMIT CHANGES) FROM t",
		"SELECT SUM(q) OVER (ROWS WINDOW BUFFER 100 ROWS PARTITION BY s ORDER BY ts ROWS BETWEEN 50 PRECEDING AND CURRENT ROW EMIT CHANGES)\nFROM t"},
	{"percentile within group", "SELECT PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY price DESC) AS p95 FROM t",
		"SELECT PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY price DESC) AS p95\nFROM t"},
	{"left and right as functions", "SELECT LEFT(sku, 3), RIGHT(sku, 4) FROM p", "SELECT LEFT(sku, 3), RIGHT(sku, 4)\nFROM p"},
	{"header is a call", "SELECT HEADER('trace-id') AS trace FROM o", "SELECT HEADER('trace-id') AS trace\nFROM o"},
	{"casts", "SELECT CAST(a AS DECIMAL(10,2)), b::int, c::varchar(5)::string FROM t",
		"SELECT CAST(a AS DECIMAL(10, 2)), CAST(b AS INT), CAST(CAST(c AS VARCHAR(5)) AS STRING)\nFROM t"},
	{"extract", "SELECT EXTRACT(year FROM ts), EXTRACT('EPOCH', ts) FROM t", "SELECT EXTRACT(YEAR FROM ts), EXTRACT(EPOCH FROM ts)\nFROM t"},
	{"position in", "SELECT POSITION('b' IN s), position('c', s) FROM t", "SELECT POSITION('b', s), position('c', s)\nFROM t"},
	{"interval values", "SELECT ts - INTERVAL '1' HOUR, ts + 5m FROM t", "SELECT ts - INTERVAL '1' HOUR, ts + 5m\nFROM t"},
	{"equality spellings", "SELECT * FROM t WHERE a == 1 AND b != 2 AND c <> 3", "SELECT *\nFROM t\nWHERE a = 1 AND b <> 2 AND c <> 3"},
	{"doubled unary minus keeps a space", "SELECT - -a, -(-b) FROM t", "SELECT - -a, -(-b)\nFROM t"},
}

func init() {
	for _, c := range canonicalCases {
		seed(c.sql)
	}
	for _, c := range exprCases {
		seed("SELECT "+c.src+" FROM t", c.src)
	}
	for _, c := range durationCases {
		seed("SELECT * FROM t WINDOW TUMBLING("+c.text+")", "SELECT ts + "+c.text+" FROM t")
	}
	for _, c := range windowCases {
		seed("SELECT s, COUNT(*) FROM t GROUP BY s WINDOW " + c.win)
	}
	for _, c := range sourceCases {
		seed("SELECT * FROM " + c.from)
	}
	for _, c := range scriptCases {
		seed(c.src)
	}
}

func TestCanonical(t *testing.T) {
	for _, tt := range canonicalCases {
		t.Run(tt.name, func(t *testing.T) {
			st := mustParseOne(t, tt.sql)
			if got := ast.Format(st); got != tt.want {
				t.Errorf("Format(Parse(%q))\n got: %s\nwant: %s", tt.sql, got, tt.want)
			}
		})
	}
}

var exprCases = []struct{ src, want string }{
	// precedence, lowest to highest
	{"a OR b AND c", "(OR a (AND b c))"},
	{"a AND b OR c", "(OR (AND a b) c)"},
	{"NOT a AND b", "(AND (NOT a) b)"},
	{"NOT a = b", "(NOT (= a b))"},
	{"NOT NOT a", "(NOT (NOT a))"},
	{"a = b || c", "(= a (|| b c))"},
	{"a || b + c", "(|| a (+ b c))"},
	{"a + b * c", "(+ a (* b c))"},
	{"a * b + c", "(+ (* a b) c)"},
	{"a - b - c", "(- (- a b) c)"},
	{"a / b % c", "(% (/ a b) c)"},
	{"-a * b", "(* (neg a) b)"},
	{"+a", "(pos a)"},
	{"-x::int", "(neg (cast x INT[]))"},
	{"(a + b) * c", "(* [(+ a b)] c)"},
	{"a < b", "(< a b)"}, {"a <= b", "(<= a b)"}, {"a > b", "(> a b)"}, {"a >= b", "(>= a b)"},
	{"a = b", "(= a b)"}, {"a == b", "(= a b)"}, {"a != b", "(<> a b)"}, {"a <> b", "(<> a b)"},
	// postfix predicates
	{"a IS NULL", "(is-null a)"},
	{"a IS NOT NULL AND b", "(AND (is-not-null a) b)"},
	{"a IN (1, 2, 3)", "(in a [int:1 int:2 int:3])"},
	{"a NOT IN ('x')", "(not-in a ['x'])"},
	{"a BETWEEN 1 AND 2 AND b", "(AND (between a int:1 int:2) b)"},
	{"a NOT BETWEEN b + 1 AND c * 2", "(not-between a (+ b int:1) (* c int:2))"},
	{"name LIKE 'J%'", "(like name 'J%')"},
	{"name NOT LIKE 'J%' OR x", "(OR (not-like name 'J%') x)"},
	{"a = b IS NULL", "(is-null (= a b))"},
	// literals
	{"42", "int:42"}, {"623.41", "dec:623.41"}, {".5", "dec:.5"}, {"1e6", "float:1e6"},
	{"'it''s'", "'it's'"}, {"TRUE", "TRUE"}, {"false", "FALSE"}, {"NULL", "NULL"},
	{"INTERVAL '5' MINUTE", "interval:300000ms"}, {"5m", "interval:300000ms"}, {"INTERVAL '2 hours'", "interval:7200000ms"},
	// names and calls
	{"t.price", "t.price"}, {`"Price"`, `"Price"`}, {"a.b.c", "a.b.c"}, {"t.from", "t.from"},
	{"COUNT(*)", "COUNT(*)"}, {"COUNT(DISTINCT x)", "COUNT(DISTINCT x)"}, {"count(distinct *)", "count(DISTINCT *)"},
	{"f()", "f()"}, {"f(a, b + 1)", "f(a (+ b int:1))"}, {"HEADER('k')", "HEADER('k')"},
	{"PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY x)", "PERCENTILE_CONT(dec:0.95) within-group(x)"},
	{"SUM(x) > 0", "(> SUM(x) int:0)"},
	{"ROW_NUMBER() OVER (PARTITION BY a, b ORDER BY c DESC)", "ROW_NUMBER() over(partition=a,b order=c desc)"},
	{"AVG(p) OVER (ROWS WINDOW BUFFER 100 ROWS)", "AVG(p) over(buffer=100)"},
	{"SUM(q) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)", "SUM(q) over(frame=rows{Unbounded:true Current:false N:0 Following:false}..{Unbounded:false Current:true N:0 Following:false})"},
	{"SUM(q) OVER (ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING)", "SUM(q) over(frame=rows{Unbounded:false Current:true N:0 Following:false}..{Unbounded:false Current:false N:2 Following:true})"},
	{"SUM(q) OVER (ROWS BETWEEN 9 PRECEDING AND UNBOUNDED FOLLOWING)", "SUM(q) over(frame=rows{Unbounded:false Current:false N:9 Following:false}..{Unbounded:true Current:false N:0 Following:true})"},
	{"SUM(q) OVER (ROWS 5 PRECEDING)", "SUM(q) over(frame=rows{Unbounded:false Current:false N:5 Following:false}..{Unbounded:false Current:true N:0 Following:false})"},
	{"SUM(q) OVER (ROWS UNBOUNDED PRECEDING)", "SUM(q) over(frame=rows{Unbounded:true Current:false N:0 Following:false}..{Unbounded:false Current:true N:0 Following:false})"},
	{"COUNT(*) OVER (ORDER BY d RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)", "COUNT(*) over(order=d frame=range{Unbounded:true Current:false N:0 Following:false}..{Unbounded:false Current:true N:0 Following:false})"},
	{"COUNT(*) OVER (ROWS WINDOW BUFFER 10 ROWS EMIT FINAL)", "COUNT(*) over(buffer=10 emit=2)"},
	// special forms
	{"CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' ELSE 'none' END", "(case (when (> a int:1) 'big') (when (> a int:0) 'small') (else 'none'))"},
	{"CASE status WHEN 'a' THEN 1 END", "(case status (when 'a' int:1))"},
	{"CAST(x AS DECIMAL(10, 2))", "(cast x DECIMAL[10 2])"},
	{"x::varchar(5)::string", "(cast (cast x VARCHAR[5]) STRING[])"},
	{"EXTRACT(EPOCH FROM ts)", "(extract EPOCH ts)"},
	{"EXTRACT(dow FROM now())", "(extract DOW now())"},
	{"EXTRACT('epoch', ts)", "(extract EPOCH ts)"},
	{"cast", "cast"}, {"extract + 1", "(+ extract int:1)"},
	{"SUM(x) > 0;", "(> SUM(x) int:0)"},
}

func TestExpressions(t *testing.T) {
	tests := exprCases
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			x := mustExpr(t, tt.src)
			if got := sexpr(x); got != tt.want {
				t.Errorf("ParseExpr(%q)\n got %s\nwant %s", tt.src, got, tt.want)
			}
		})
	}
}

func TestParseExprErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "1:1: expected expression, found end of input"},
		{"a +", "1:4: expected expression, found end of input"},
		{"a b", `1:3: expected end of expression, found "b"`},
		{"f(a, )", `1:6: expected expression, found ")"`},
		{"(a", `1:3: expected ")", found end of input`},
		{"a IS 5", `1:6: expected NULL, found "5"`},
		{"a BETWEEN 1 OR 2", `1:13: expected AND, found "OR"`},
		{"a IN (SELECT 1)", "1:7: subqueries are not supported"},
		{"CASE WHEN a THEN b", "1:19: expected END, found end of input"},
		{"CASE END", `1:6: expected WHEN, found "END"`},
		{"CAST(a INT)", `1:8: expected AS, found "INT"`},
		{"f(x) OVER ROWS", `1:11: expected "(" after OVER, found "ROWS"`},
		{"f(x) OVER (ROWS WINDOW BUFFER 0 ROWS)", "1:31: expected a positive buffer size, found 0"},
		{"f(x) OVER (PARTITION BY a PARTITION BY b)", "1:27: duplicate PARTITION BY in OVER (the first is at 1:12)"},
		{"INTERVAL '5'", `1:10: invalid duration "'5'": missing unit after 5`},
		{"INTERVAL 5", "1:11: expected time unit (MILLISECOND, SECOND, MINUTE, HOUR or DAY), found end of input"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			x, errs := ParseExpr(tt.src)
			if x == nil {
				t.Fatalf("ParseExpr(%q) returned a nil expression", tt.src)
			}
			if len(errs) == 0 {
				t.Fatalf("ParseExpr(%q): no error, want %q", tt.src, tt.want)
			}
			if got := errs[0].Error(); got != tt.want {
				t.Errorf("ParseExpr(%q) first error = %q, want %q\nall: %v", tt.src, got, tt.want, errs)
			}
		})
	}
}

var durationCases = []struct {
	text   string
	millis int64
}{
	{"INTERVAL '5' MINUTE", 300_000},
	{"INTERVAL '5' MINUTES", 300_000},
	{"interval '5' minute", 300_000},
	{"INTERVAL '1' MILLISECOND", 1},
	{"INTERVAL '250' MILLISECONDS", 250},
	{"INTERVAL '30' SECOND", 30_000},
	{"INTERVAL '30' SECONDS", 30_000},
	{"INTERVAL '2' HOUR", 7_200_000},
	{"INTERVAL '2' HOURS", 7_200_000},
	{"INTERVAL '1' DAY", 86_400_000},
	{"INTERVAL '3' DAYS", 259_200_000},
	{"INTERVAL '1.5' HOUR", 5_400_000},
	{"INTERVAL '5 minutes'", 300_000},
	{"INTERVAL '1 minute'", 60_000},
	{"INTERVAL '5m'", 300_000},
	{"INTERVAL 5 MINUTE", 300_000},
	{"INTERVAL 10 SECONDS", 10_000},
	{"'1 minute'", 60_000},
	{"'30 seconds'", 30_000},
	{"'5m'", 300_000},
	{"'500ms'", 500},
	{"'1h30m'", 5_400_000},
	{"'1 hour 30 minutes'", 5_400_000},
	{"' 2 Hours '", 7_200_000},
	{"5m", 300_000},
	{"30s", 30_000},
	{"1h", 3_600_000},
	{"500ms", 500},
	{"1d", 86_400_000},
	{"1.5h", 5_400_000},
	{"5 MINUTES", 300_000},
}

func TestDurations(t *testing.T) {
	tests := durationCases
	for _, tt := range tests {
		sql := "SELECT * FROM t WINDOW TUMBLING(" + tt.text + ")"
		t.Run(tt.text, func(t *testing.T) {
			w := mustSelect(t, sql).Window
			if w == nil || w.Size == nil {
				t.Fatalf("no window size in %q", sql)
			}
			if w.Size.Millis != tt.millis {
				t.Errorf("%s = %d ms, want %d", tt.text, w.Size.Millis, tt.millis)
			}
			if w.Size.Text != tt.text {
				t.Errorf("Text = %q, want %q", w.Size.Text, tt.text)
			}
		})
	}
}

func TestDurationErrors(t *testing.T) {
	tests := []struct {
		dur, want string
		col       int // of the error; the duration starts at 33
	}{
		{"0s", "expected a positive duration, found 0s", 33},
		{"INTERVAL '0' SECOND", "expected a positive duration, found INTERVAL '0' SECOND", 33},
		{"INTERVAL '-5' MINUTE", "expected a positive duration, found INTERVAL '-5' MINUTE", 33},
		{"'-5 minutes'", "expected a positive duration, found '-5 minutes'", 33},
		{"-5m", "expected a positive duration, found - 5m", 33},
		{"'5 parsecs'", `invalid duration "'5 parsecs'": unknown unit "parsecs"`, 33},
		{"'soon'", `invalid duration "'soon'": expected a number, found "soon"`, 33},
		{"''", `invalid duration "''": empty duration`, 33},
		{"5", `expected duration, found "5"`, 33},
		{"INTERVAL '0.0001' SECOND", `invalid duration "'0.0001'": not a whole number of milliseconds`, 42},
		{"INTERVAL '99999999999999999' DAY", `invalid duration "'99999999999999999'": too long`, 42},
		{"INTERVAL 'x' DAY", `invalid duration "'x'": "x" is not a number`, 42},
		{"INTERVAL", `expected interval value, found ")"`, 41},
	}
	for _, tt := range tests {
		sql := "SELECT * FROM t WINDOW TUMBLING(" + tt.dur + ")"
		t.Run(tt.dur, func(t *testing.T) {
			_, errs := Parse(sql)
			if len(errs) == 0 {
				t.Fatalf("Parse(%q): no error", sql)
			}
			if errs[0].Msg != tt.want {
				t.Errorf("Parse(%q) = %q, want %q", sql, errs[0].Msg, tt.want)
			}
			if errs[0].Pos.Col != tt.col {
				t.Errorf("error at %v, want column %d", errs[0].Pos, tt.col)
			}
		})
	}
}

var windowCases = []struct {
	win           string
	kind          ast.WindowKind
	timeCol       string
	size, advance int64
}{
	{"TUMBLING(5m)", ast.Tumbling, "", 300_000, 0},
	{"TUMBLING(ts, INTERVAL '1' MINUTE)", ast.Tumbling, "ts", 60_000, 0},
	{"TUMBLING (market_data.trade_time, INTERVAL '5' MINUTE)", ast.Tumbling, "market_data.trade_time", 300_000, 0},
	{"TUMBLING(INTERVAL '1' MINUTE, ts)", ast.Tumbling, "ts", 60_000, 0},
	{"SLIDING(10m, 2m)", ast.Sliding, "", 600_000, 120_000},
	{"SLIDING(INTERVAL '10' MINUTE, INTERVAL '2' MINUTE)", ast.Sliding, "", 600_000, 120_000},
	{"SLIDING(ts, 10m, 2m)", ast.Sliding, "ts", 600_000, 120_000},
	{"HOPPING(1h, 15m)", ast.Sliding, "", 3_600_000, 900_000},
	{"SESSION(30s)", ast.Session, "", 30_000, 0},
	{"SESSION(event_time, '30 seconds')", ast.Session, "event_time", 30_000, 0},
	{"session(INTERVAL '30' SECOND)", ast.Session, "", 30_000, 0},
}

func TestWindows(t *testing.T) {
	tests := windowCases
	for _, tt := range tests {
		sql := "SELECT s, COUNT(*) FROM t GROUP BY s WINDOW " + tt.win
		t.Run(tt.win, func(t *testing.T) {
			w := mustSelect(t, sql).Window
			if w == nil {
				t.Fatal("no window")
			}
			col := ""
			if w.TimeCol != nil {
				col = sexpr(w.TimeCol)
			}
			var adv int64
			if w.Advance != nil {
				adv = w.Advance.Millis
			}
			if w.Kind != tt.kind || col != tt.timeCol || w.Size == nil || w.Size.Millis != tt.size || adv != tt.advance {
				t.Errorf("WINDOW %s = {%v col=%q size=%v adv=%d}, want {%v col=%q size=%d adv=%d}",
					tt.win, w.Kind, col, w.Size, adv, tt.kind, tt.timeCol, tt.size, tt.advance)
			}
		})
	}
}

var sourceCases = []struct {
	from, uri, name, alias string
}{
	{"trades", "", "trades", ""},
	{"trades t", "", "trades", "t"},
	{"trades AS t", "", "trades", "t"},
	{"kafka://trades", "kafka://trades", "trades", ""},
	{"kafka://localhost:9092/trades?group=g AS t", "kafka://localhost:9092/trades?group=g", "trades", "t"},
	{"file:///tmp/x.jsonl", "file:///tmp/x.jsonl", "x", ""},
	{"'data/trades.jsonl'", "data/trades.jsonl", "trades", ""},
	{"'file:trades.jsonl' tr", "file:trades.jsonl", "trades", "tr"},
	{"'trades.csv'", "trades.csv", "trades", ""},
	{"kafka://my.topic.v2", "kafka://my.topic.v2", "my.topic.v2", ""},
	{"kafka://user@broker:9092", "kafka://user@broker:9092", "broker", ""},
}

func TestSources(t *testing.T) {
	tests := sourceCases
	for _, tt := range tests {
		sql := "SELECT * FROM " + tt.from
		t.Run(tt.from, func(t *testing.T) {
			ref, ok := mustSelect(t, sql).From.(*ast.SourceRef)
			if !ok {
				t.Fatalf("From is not a SourceRef")
			}
			alias := ""
			if ref.Alias != nil {
				alias = ref.Alias.Name()
			}
			if ref.URI != tt.uri || ref.Name.Name() != tt.name || alias != tt.alias {
				t.Errorf("FROM %s = {uri=%q name=%q alias=%q}, want {%q %q %q}", tt.from, ref.URI, ref.Name.Name(), alias, tt.uri, tt.name, tt.alias)
			}
		})
	}
}

func TestJoinsAreLeftDeep(t *testing.T) {
	sel := mustSelect(t, "SELECT * FROM a x JOIN b y ON x.k = y.k LEFT JOIN c ON c.k = x.k WITHIN 5m")
	outer, ok := sel.From.(*ast.Join)
	if !ok || outer.Kind != ast.LeftJoin || outer.Within == nil || outer.Within.Millis != 300_000 {
		t.Fatalf("outer join = %#v", sel.From)
	}
	inner, ok := outer.Left.(*ast.Join)
	if !ok || inner.Kind != ast.InnerJoin || inner.Within != nil {
		t.Fatalf("inner join = %#v", outer.Left)
	}
	if r := outer.Right.(*ast.SourceRef); r.Name.Name() != "c" {
		t.Errorf("outer right = %s", r.Name.Name())
	}
	if l := inner.Left.(*ast.SourceRef); l.Name.Name() != "a" || l.Alias.Name() != "x" {
		t.Errorf("inner left = %s %v", l.Name.Name(), l.Alias)
	}
	if got := sexpr(inner.On); got != "(= x.k y.k)" {
		t.Errorf("inner ON = %s", got)
	}
}

func TestStatementFields(t *testing.T) {
	t.Run("create as", func(t *testing.T) {
		st := mustParseOne(t, "CREATE OR REPLACE TABLE IF NOT EXISTS totals WITH ('a' = 'b') AS SELECT s FROM t WITH ('c' = 'd')")
		c, ok := st.(*ast.CreateAsStmt)
		if !ok {
			t.Fatalf("got %T", st)
		}
		if c.Kind != ast.Table || !c.OrReplace || !c.IfNotExists || c.Name.Name() != "totals" {
			t.Errorf("head = %+v", c)
		}
		want := []ast.Property{{Key: "a", Value: "b"}}
		if diff := cmp.Diff(want, c.With, ignorePos); diff != "" || !c.WithPos.IsValid() {
			t.Errorf("With (-want +got):\n%s (WithPos %v)", diff, c.WithPos)
		}
		if diff := cmp.Diff([]ast.Property{{Key: "c", Value: "d"}}, c.Select.With, ignorePos); diff != "" {
			t.Errorf("Select.With (-want +got):\n%s", diff)
		}
	})
	t.Run("create source", func(t *testing.T) {
		st := mustParseOne(t, "CREATE STREAM trades (price DECIMAL(12, 4), sym VARCHAR(8), n INT) WITH ('topic' = 'trades', retries = 3, enabled = TRUE, group.id = my.group)")
		c, ok := st.(*ast.CreateSourceStmt)
		if !ok {
			t.Fatalf("got %T", st)
		}
		if c.Kind != ast.Stream || c.OrReplace || c.IfNotExists {
			t.Errorf("head = %+v", c)
		}
		var cols []string
		for _, col := range c.Columns {
			cols = append(cols, col.Name.Name()+" "+col.Type.Name)
		}
		if got := strings.Join(cols, ","); got != "price DECIMAL,sym VARCHAR,n INT" {
			t.Errorf("columns = %s", got)
		}
		if p := c.Columns[0].Type.Params; len(p) != 2 || p[0] != 12 || p[1] != 4 {
			t.Errorf("DECIMAL params = %v", p)
		}
		want := []ast.Property{{Key: "topic", Value: "trades"}, {Key: "retries", Value: "3"}, {Key: "enabled", Value: "TRUE"}, {Key: "group.id", Value: "my.group"}}
		if diff := cmp.Diff(want, c.With, ignorePos); diff != "" {
			t.Errorf("With (-want +got):\n%s", diff)
		}
	})
	t.Run("select positions of EMIT and WITH", func(t *testing.T) {
		src := "SELECT a FROM t EMIT CHANGES WITH ('a' = 'b')"
		s := mustSelect(t, src)
		if s.Emit != ast.EmitChanges || s.EmitPos.Offset != strings.Index(src, "EMIT") {
			t.Errorf("Emit %v at %v", s.Emit, s.EmitPos)
		}
		if s.WithPos.Offset != strings.Index(src, "WITH") {
			t.Errorf("WithPos %v", s.WithPos)
		}
		p := s.With[0]
		if p.KeyPos.Offset != strings.Index(src, "'a'") || p.ValuePos.Offset != strings.Index(src, "'b'") || p.EndPos.Offset != strings.Index(src, "'b'")+3 {
			t.Errorf("property positions %v %v %v", p.KeyPos, p.ValuePos, p.EndPos)
		}
	})
	t.Run("primary key and distinct", func(t *testing.T) {
		s := mustSelect(t, "SELECT DISTINCT sym PRIMARY KEY, price FROM t")
		if !s.Distinct || !s.Items[0].PrimaryKey || s.Items[1].PrimaryKey {
			t.Errorf("distinct=%v pk=%v,%v", s.Distinct, s.Items[0].PrimaryKey, s.Items[1].PrimaryKey)
		}
	})
	t.Run("limit", func(t *testing.T) {
		s := mustSelect(t, "SELECT a FROM t LIMIT 9223372036854775807")
		if s.Limit == nil || s.Limit.N != 9223372036854775807 {
			t.Errorf("limit = %+v", s.Limit)
		}
	})
}

var scriptCases = []struct {
	name string
	src  string
	n    int
}{
	{"empty", "", 0},
	{"only semicolons", ";;;", 0},
	{"only comments", "-- x\n/* y */", 0},
	{"trailing semicolon optional", "SELECT a FROM t", 1},
	{"trailing semicolon", "SELECT a FROM t;", 1},
	{"empty statements between", ";SELECT a FROM t;;; SELECT b FROM u;", 2},
	{"three kinds", "CREATE STREAM s WITH ('a'='b'); CREATE STREAM o AS SELECT * FROM s; SELECT * FROM o", 3},
}

func TestScripts(t *testing.T) {
	tests := scriptCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := mustParse(t, tt.src); len(s.Statements) != tt.n {
				t.Errorf("%d statements, want %d", len(s.Statements), tt.n)
			}
		})
	}
}

func TestRecoveryFindsLaterErrors(t *testing.T) {
	src := "SELEC a FORM t WHER x > 1 GROUP BYY x WINDOW TUMBLNG(5m);\nSELECT * FROM t LIMT 5;\nSELECT b FROM u"
	s, errs := Parse(src)
	var lines []string
	for _, e := range errs {
		lines = append(lines, e.Error()+" | "+e.Hint)
	}
	want := []string{
		`1:1: expected SELECT, found "SELEC" | did you mean SELECT?`,
		`1:9: expected FROM, found "FORM" | did you mean FROM?`,
		`1:16: expected WHERE, GROUP BY, WINDOW, HAVING, ORDER BY, LIMIT, EMIT, WITH or ";", found "WHER" | did you mean WHERE?`,
		`1:33: expected BY, found "BYY" | did you mean BY?`,
		`1:46: expected TUMBLING, SLIDING, HOPPING or SESSION, found "TUMBLNG" | did you mean TUMBLING?`,
		`2:17: expected WHERE, GROUP BY, WINDOW, HAVING, ORDER BY, LIMIT, EMIT, WITH or ";", found "LIMT" | did you mean LIMIT?`,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	// Recovery keeps the tree: each typo is taken as the keyword it resembles.
	if len(s.Statements) != 3 {
		t.Fatalf("%d statements, want 3", len(s.Statements))
	}
	got := ast.Format(s.Statements[0])
	if want := "SELECT a\nFROM t\nWHERE x > 1\nGROUP BY x\nWINDOW TUMBLING(5m)"; got != want {
		t.Errorf("recovered tree:\n%s\nwant:\n%s", got, want)
	}
	if l := s.Statements[1].(*ast.SelectStmt).Limit; l == nil || l.N != 5 {
		t.Errorf("second statement limit = %+v", l)
	}
}

func TestErrorCapPerStatement(t *testing.T) {
	bad := "SELECT a" + strings.Repeat(" ?", 15) + " FROM t"
	src := bad + ";\n" + bad + ";\nSELECT FROM u"
	_, errs := Parse(src)
	perLine := map[int]int{}
	for _, e := range errs {
		perLine[e.Pos.Line]++
	}
	if perLine[1] != maxErrorsPerStatement || perLine[2] != maxErrorsPerStatement || perLine[3] != 1 {
		t.Errorf("errors per statement = %v, want %d, %d, 1", perLine, maxErrorsPerStatement, maxErrorsPerStatement)
	}
	if !sortedByPos(errs) {
		t.Errorf("errors not sorted: %v", errs)
	}
}

func sortedByPos(errs diag.List) bool {
	for i := 1; i < len(errs); i++ {
		if errs[i].Pos.Offset < errs[i-1].Pos.Offset {
			return false
		}
	}
	return true
}

func TestDeepNesting(t *testing.T) {
	for name, src := range map[string]string{
		"parens":      "SELECT " + strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000) + " FROM t",
		"open parens": "SELECT " + strings.Repeat("(", 100_000),
		"nots":        "SELECT " + strings.Repeat("NOT ", 100_000) + "a FROM t",
		"minuses":     "SELECT " + strings.Repeat("- ", 100_000) + "a FROM t",
		"calls":       "SELECT " + strings.Repeat("f(", 100_000) + "1" + strings.Repeat(")", 100_000) + " FROM t",
		"cases":       "SELECT " + strings.Repeat("CASE WHEN ", 100_000) + "a FROM t",
	} {
		t.Run(name, func(t *testing.T) {
			_, errs := Parse(src)
			if len(errs) == 0 || !strings.Contains(errs[0].Msg, "nested too deeply") {
				t.Fatalf("errors = %v, want a nesting error first", errs)
			}
		})
	}
	// Just under the limit is fine.
	ok := "SELECT " + strings.Repeat("(", maxDepth-2) + "1" + strings.Repeat(")", maxDepth-2) + " FROM t"
	mustParse(t, ok)
}

func TestLongFlatExpressions(t *testing.T) {
	// Long left-deep chains are built by loops, not recursion: no limit applies.
	src := "SELECT 1" + strings.Repeat(" + 1", 50_000) + " FROM t"
	s := mustParse(t, src)
	if out := ast.FormatScript(s); len(out) < 200_000 {
		t.Errorf("formatted length %d", len(out))
	}
}

// docExamples are pasted as written in Velostream's documentation, layout
// and all: users copy them, so they must parse.
var docExamples = []string{
	"SELECT trader_id, symbol, COUNT(*) OVER (\n        ROWS WINDOW BUFFER 1000 ROWS\n        PARTITION BY trader_id\n        EMIT CHANGES\n    ) as running_count\nFROM market_data",
	"SELECT trader_id, symbol, COUNT(*) as trade_count, AVG(price) as avg_price\nFROM market_data\nWHERE price > 0\nGROUP BY trader_id, symbol\n    WINDOW TUMBLING(INTERVAL '1' MINUTE)\nHAVING COUNT (*) > 5",
	"SELECT DATE_FORMAT(_timestamp, '%Y-%m-%d %H:00:00') as hour, COUNT(*) as hourly_orders,\n    SUM(COUNT(*)) OVER (ORDER BY DATE_FORMAT(_timestamp, '%Y-%m-%d %H:00:00') ROWS UNBOUNDED PRECEDING) as cumulative_orders\nFROM orders\nGROUP BY DATE_FORMAT(_timestamp, '%Y-%m-%d %H:00:00')\nWINDOW TUMBLING(1h);",
	"SELECT event_id, EXTRACT(EPOCH FROM NOW()) - EXTRACT(EPOCH FROM event_time) as age_seconds FROM events",
	"CREATE STREAM input_stream WITH (\n    topic = 'input-topic',\n    bootstrap.servers = 'localhost:9092',\n    value.deserializer = 'json'\n);\nCREATE STREAM high_throughput_stream WITH (\n    topic = 'high-volume-topic',\n    'batch.size' = '65536'\n);",
	"SELECT click.user_id, purchase.amount, purchase.timestamp - click.timestamp as time_to_purchase_ms\nFROM user_clicks click\nINNER JOIN user_purchases purchase ON click.user_id = purchase.user_id\nWITHIN INTERVAL '30' MINUTES\nWHERE click.page_url LIKE '%product%';",
	"-- SQL Application: Development Analytics\n-- @observability.metrics.enabled: true\n\n-- @job_name: debug-stream\n-- WITH (observability.profiling.enabled = 'dev')\nCREATE STREAM debug AS SELECT * FROM stream2 EMIT CHANGES;",
	"SELECT symbol PRIMARY KEY, COUNT(*) as cnt FROM trades GROUP BY symbol WINDOW TUMBLING(INTERVAL '1' MINUTE)",
	"SELECT symbol, price, timestamp, LAG(price, 1) OVER (\n    ROWS WINDOW BUFFER 100 ROWS\n    PARTITION BY symbol\n    ORDER BY timestamp\n    ) as prev_price, AVG (price) OVER (\n    ROWS WINDOW BUFFER 100 ROWS\n    PARTITION BY symbol\n    ORDER BY timestamp\n    ) as moving_avg\nFROM trades",
	"SELECT * FROM orders WHERE status IN ('pending', 'processing', 'shipped')",
	"SELECT COUNT(CASE WHEN status = 'active' THEN 1 END) as active_count, SUM(CASE WHEN priority = 'high' THEN amount ELSE 0 END) as high_total FROM orders",
	"SELECT p.trader_id, m.symbol, COUNT(*) as trade_count\nFROM market_data m\nJOIN positions p ON m.symbol = p.symbol\nGROUP BY p.trader_id, m.symbol\nWINDOW TUMBLING (m.event_time, INTERVAL '1' HOUR);",
}

func init() { seed(docExamples...) }

func TestDocExamples(t *testing.T) {
	for _, src := range docExamples {
		if s := mustParse(t, src); len(s.Statements) == 0 {
			t.Errorf("no statement in %q", src)
		}
	}
}
