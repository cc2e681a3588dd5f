package binder

import (
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

var tradesSchema = types.Schema{
	{Name: "symbol", Type: types.String},
	{Name: "price", Type: types.Type{Kind: types.KindDecimal, Precision: 12, Scale: 4}},
	{Name: "quantity", Type: types.Int},
	{Name: "side", Type: types.String},
	{Name: "ts", Type: types.Timestamp},
}

func bind(t *testing.T, sql string, declared bool) (*plan.Query, []string) {
	t.Helper()
	script, perrs := parser.Parse(sql)
	if len(perrs) > 0 {
		t.Fatalf("parse %q: %v", sql, perrs)
	}
	opts := Options{Sources: map[string]map[string]string{"trades": {"type": "file_source", "path": "trades.jsonl"}}}
	if declared {
		opts.Resolve = func(*plan.Source) (types.Schema, error) { return tradesSchema, nil }
	}
	q, errs := Bind(script, opts)
	var out []string
	for _, d := range errs {
		s := d.Pos.String() + ": " + d.Msg
		if d.Hint != "" {
			s += " [" + d.Hint + "]"
		}
		out = append(out, s)
	}
	return q, out
}

// Each case names the error's position and a part of its message.
func TestBindErrors(t *testing.T) {
	cases := []struct {
		name, sql, want string
	}{
		{"unknown column with hint", "SELECT pricee FROM trades", `1:8: unknown column "pricee" [did you mean "price"?]`},
		{"unknown function with hint", "SELECT UPPR(symbol) FROM trades", `1:8: `},
		{"emit final without window", "SELECT symbol, COUNT(*) FROM trades GROUP BY symbol EMIT FINAL", `1:53: EMIT FINAL needs a windowed query`},
		{"emit final plain select", "SELECT symbol FROM trades EMIT FINAL", `EMIT FINAL needs a windowed query`},
		{"aggregate in where", "SELECT symbol FROM trades WHERE SUM(quantity) > 3", `1:33: aggregate SUM is not allowed in WHERE [filter groups with HAVING instead]`},
		{"column not grouped", "SELECT symbol, price, COUNT(*) FROM trades GROUP BY symbol", `1:16: column "price" must appear in GROUP BY or be used in an aggregate function`},
		{"nested aggregate", "SELECT SUM(COUNT(*)) FROM trades", `1:12: aggregate COUNT cannot be nested inside another aggregate`},
		{"window_start without window", "SELECT window_start, COUNT(*) FROM trades GROUP BY symbol", `window_start is not available here`},
		{"compare string with number", "SELECT symbol FROM trades WHERE symbol > 3", `1:33: `},
		{"where not boolean", "SELECT symbol FROM trades WHERE quantity", `1:33: WHERE needs a boolean, got BIGINT`},
		{"unknown property", "SELECT symbol FROM trades WITH ('trades.pth' = 'x')", `unknown property "trades.pth" [did you mean 'trades.path'?]`},
		{"property for no source", "SELECT symbol FROM trades WITH ('tardes.path' = 'x')", `property "tardes.path" names no source or sink of this query [did you mean 'trades.path'?]`},
		{"unprefixed property", "SELECT symbol FROM trades WITH ('event.time.field' = 'ts')", `property "event.time.field" names no source or sink`},
		{"bad time format", "SELECT symbol FROM trades WITH ('trades.event.time.format' = 'unix')", `unknown event.time.format "unix"`},
		{"bad watermark", "SELECT symbol FROM trades WITH ('trades.watermark.max_out_of_orderness' = 'soon')", `bad watermark.max_out_of_orderness "soon"`},
		{"bad late strategy", "SELECT symbol FROM trades WITH ('trades.late.data.strategy' = 'keep')", `unknown late.data.strategy "keep"`},
		{"star with group by", "SELECT * FROM trades GROUP BY symbol", `1:8: SELECT * cannot be used with GROUP BY or aggregates`},
		{"order by without window", "SELECT symbol FROM trades ORDER BY symbol", `ORDER BY needs a windowed aggregation with EMIT FINAL`},
		{"order by unknown output", "SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 1m) ORDER BY price", `ORDER BY must name an output column`},
		{"sliding advance longer", "SELECT COUNT(*) FROM trades WINDOW SLIDING(ts, 1m, 2m)", `is longer than its size`},
		{"sliding not multiple", "SELECT COUNT(*) FROM trades WINDOW SLIDING(ts, 5m, 2m)", `must be a multiple of its advance`},
		{"two queries", "SELECT symbol FROM trades; SELECT side FROM trades", `1:28: a file runs one query`},
		{"no query", "CREATE STREAM trades (symbol STRING) WITH ('type' = 'file_source', 'path' = 'x')", `no query to run`},
		{"bad decimal type", "CREATE STREAM t (p DECIMAL(30, 2)) WITH ('path' = 'x'); SELECT p FROM t", `bad precision or scale in DECIMAL`},
		{"unknown type", "CREATE STREAM t (p DECIMEL) WITH ('path' = 'x'); SELECT p FROM t", `unknown type DECIMEL [did you mean DECIMAL?]`},
		{"percentile without within group", "SELECT PERCENTILE_CONT(0.5) FROM trades", `needs WITHIN GROUP (ORDER BY one column)`},
		{"percentile out of range", "SELECT PERCENTILE_CONT(1.5) WITHIN GROUP (ORDER BY price) FROM trades", `outside [0, 1]`},
		{"unknown qualifier", "SELECT x.symbol FROM trades t", `unknown source "x"`},
		{"group by position", "SELECT symbol, COUNT(*) FROM trades GROUP BY 3", `GROUP BY position 3 is not in the SELECT list`},
		{"limit zero", "SELECT symbol FROM trades LIMIT 0", `LIMIT must be positive`},
		{"distinct count star", "SELECT COUNT(DISTINCT *) FROM trades", `1:8: `},
		{"cast impossible", "SELECT CAST(ts AS BOOLEAN) FROM trades", `1:8: `},
		{"unbound source", "SELECT a FROM nowhere", `source "nowhere" is not bound to any data`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := bind(t, c.sql, true)
			if len(errs) == 0 {
				t.Fatalf("no error for %q", c.sql)
			}
			for _, e := range errs {
				if strings.Contains(e, c.want) {
					return
				}
			}
			t.Fatalf("errors for %q:\n  %s\nwant one containing %q", c.sql, strings.Join(errs, "\n  "), c.want)
		})
	}
}

func TestBindPlans(t *testing.T) {
	cases := []struct {
		name, sql string
		check     func(t *testing.T, q *plan.Query)
	}{
		{"projection pushdown decodes only used columns", "SELECT symbol FROM trades WHERE price > 10", func(t *testing.T, q *plan.Query) {
			if got := q.Sources[0].Columns.Names(); strings.Join(got, ",") != "symbol,price" {
				t.Fatalf("columns %v", got)
			}
		}},
		{"windowed defaults to final and appends bounds", "SELECT symbol, COUNT(*) FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 1m)", func(t *testing.T, q *plan.Query) {
			if q.Emit != ast.EmitFinal {
				t.Fatalf("emit %v", q.Emit)
			}
			if got := strings.Join(q.Output.Names(), ","); got != "symbol,count,window_start,window_end" {
				t.Fatalf("output %s", got)
			}
			if tc := q.Sources[0].TimeCol; q.Sources[0].Columns[tc].Name != "ts" {
				t.Fatalf("time column %d", tc)
			}
		}},
		{"unwindowed defaults to changes", "SELECT symbol, SUM(quantity) FROM trades GROUP BY symbol", func(t *testing.T, q *plan.Query) {
			if q.Emit != ast.EmitChanges || q.Output.Names()[1] != "sum_quantity" {
				t.Fatalf("emit %v output %v", q.Emit, q.Output.Names())
			}
		}},
		{"group by alias", "SELECT UPPER(side) AS s, COUNT(*) AS n FROM trades GROUP BY s", func(t *testing.T, q *plan.Query) {
			a := q.Root.(*plan.Aggregate)
			if len(a.Keys) != 1 || !strings.Contains(a.Keys[0].String(), "UPPER") {
				t.Fatalf("keys %v", a.Keys)
			}
		}},
		{"duplicate names get suffixes", "SELECT COUNT(*), COUNT(*) FROM trades", func(t *testing.T, q *plan.Query) {
			if got := strings.Join(q.Output.Names(), ","); got != "count,count_2" {
				t.Fatalf("output %s", got)
			}
		}},
		{"same aggregate computed once", "SELECT SUM(quantity) AS a, SUM(quantity) * 2 AS b FROM trades", func(t *testing.T, q *plan.Query) {
			if n := len(q.Root.(*plan.Aggregate).Aggs); n != 1 {
				t.Fatalf("%d aggregates", n)
			}
		}},
		{"create stream as binds the sink", "CREATE STREAM out AS SELECT symbol FROM trades WITH ('out.type' = 'file_sink', 'out.path' = 'o.jsonl', 'out.format' = 'csv')", func(t *testing.T, q *plan.Query) {
			if q.Sink.Type != "file_sink" || q.Sink.Props["path"] != "o.jsonl" || q.Sink.Format != "csv" {
				t.Fatalf("sink %+v", q.Sink)
			}
		}},
		{"types of decimals", "SELECT price * quantity AS notional FROM trades", func(t *testing.T, q *plan.Query) {
			if k := q.Output[0].Type.Kind; k != types.KindDecimal {
				t.Fatalf("notional is %v", k)
			}
		}},
		{"kafka uri source", "SELECT symbol FROM kafka://localhost:9092/orders?group=g", func(t *testing.T, q *plan.Query) {
			p := q.Sources[0].Props
			if q.Sources[0].Type != "kafka_source" || p["topic"] != "orders" || p["bootstrap.servers"] != "localhost:9092" || p["group.id"] != "g" {
				t.Fatalf("source %+v", q.Sources[0])
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, errs := bind(t, c.sql, true)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			c.check(t, q)
		})
	}
}

// An undeclared source without data has an open schema: any column binds,
// typed ANY, and only referenced columns are read.
func TestOpenSchema(t *testing.T) {
	q, errs := bind(t, "SELECT a, b + 1 AS c FROM trades WHERE d > 0", false)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := strings.Join(q.Sources[0].Columns.Names(), ","); got != "a,b,d" {
		t.Fatalf("columns %s", got)
	}
}

func TestParseDuration(t *testing.T) {
	cases := map[string]int64{"5s": 5000, "500ms": 500, "5m": 300000, "1h": 3600000, "1d": 86400000,
		"5 seconds": 5000, "1 minute": 60000, "2 HOURS": 7200000, "1m30s": 90000, "250": 250}
	for in, want := range cases {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "5 fortnights", "x5s"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}
