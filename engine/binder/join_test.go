package binder

import (
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// joinSchemas are the sources the join and window-function tests read.
var joinSchemas = map[string]types.Schema{
	"trades": {
		{Name: "symbol", Type: types.String}, {Name: "customer_id", Type: types.String},
		{Name: "price", Type: types.Decimal}, {Name: "quantity", Type: types.Int}, {Name: "ts", Type: types.Timestamp},
	},
	"customers": {{Name: "id", Type: types.String}, {Name: "name", Type: types.String}, {Name: "tier", Type: types.String}},
	"products":  {{Name: "sku", Type: types.String}, {Name: "title", Type: types.String}},
	"orders":    {{Name: "id", Type: types.Int}, {Name: "amount", Type: types.Int}, {Name: "ts", Type: types.Timestamp}, {Name: "other", Type: types.Timestamp}},
	"payments":  {{Name: "order_id", Type: types.Int}, {Name: "paid", Type: types.Int}, {Name: "ts", Type: types.Timestamp}},
}

// joinDecls declare customers and products as tables keyed by id and sku.
const joinDecls = `CREATE TABLE customers WITH ('key.field' = 'id');
CREATE TABLE products WITH ('key.field' = 'sku');
`

func bindJoin(t *testing.T, sql string) (*plan.Query, []string) {
	t.Helper()
	script, perrs := parser.Parse(sql)
	if len(perrs) > 0 {
		t.Fatalf("parse %q: %v", sql, perrs)
	}
	srcs := map[string]map[string]string{}
	for name := range joinSchemas {
		srcs[name] = map[string]string{"type": "file_source", "path": name + ".jsonl"}
	}
	q, errs := Bind(script, Options{Sources: srcs, Resolve: func(s *plan.Source) (types.Schema, error) {
		return joinSchemas[s.Name], nil
	}})
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

// Each case names where the error is and part of its message.
func TestBindJoinAndWindowErrors(t *testing.T) {
	cases := []struct {
		name, sql, want string
	}{
		{"non-equi stream-table", joinDecls + "SELECT t.symbol FROM trades t JOIN customers c ON t.customer_id > c.id",
			`3:51: join condition t.customer_id > c.id is not an equality between the two sides`},
		{"equality with a constant", joinDecls + "SELECT t.symbol FROM trades t JOIN customers c ON t.customer_id = c.id AND c.tier = 'gold'",
			`3:76: join condition c.tier = 'gold' does not compare the two sides of the join [join conditions compare the two sides; filter rows with WHERE instead]`},
		{"both sides on one side of =", joinDecls + "SELECT t.symbol FROM trades t JOIN customers c ON t.customer_id || c.name = c.id",
			`mixes columns of both sides on one side of =`},
		{"within on stream-table", joinDecls + "SELECT t.symbol FROM trades t JOIN customers c ON t.customer_id = c.id WITHIN INTERVAL '5' MINUTE",
			`3:79: WITHIN bounds a join of two streams; it cannot be used with table "customers"`},
		{"two streams without a time bound", "SELECT o.id FROM orders o JOIN payments p ON o.id = p.order_id",
			`1:18: a join of two streams needs a time bound`},
		{"comparison of non-time columns", "SELECT o.id FROM orders o JOIN payments p ON o.id = p.order_id AND o.amount > p.paid WITHIN 5m",
			`1:68: join condition o.amount > p.paid is not an equality between the two sides`},
		{"only a lower bound", "SELECT o.id FROM orders o JOIN payments p ON o.id = p.order_id AND p.ts >= o.ts",
			`1:68: the time condition of a join of two streams needs a lower and an upper bound`},
		{"empty interval", "SELECT o.id FROM orders o JOIN payments p ON o.id = p.order_id AND p.ts BETWEEN o.ts + INTERVAL '2' HOUR AND o.ts",
			`the time condition can never hold`},
		{"within and a time condition", "SELECT o.id FROM orders o JOIN payments p ON o.id = p.order_id AND p.ts BETWEEN o.ts AND o.ts + 1h WITHIN 5m",
			`this join has both WITHIN and a time condition in ON`},
		{"time condition on another column", "SELECT o.id FROM orders o JOIN payments p ON o.id = p.order_id AND p.ts BETWEEN o.other AND o.other + 1h WITH ('orders.event.time.field' = 'ts')",
			`the join's time condition uses other, but the event time of "orders" is ts`},
		{"only a time condition", "SELECT o.id FROM orders o JOIN payments p ON p.ts BETWEEN o.ts AND o.ts + 1h",
			`a join needs at least one equality between its two sides`},
		{"table without a key", "CREATE TABLE customers WITH ('type' = 'file_source');\nSELECT t.symbol FROM trades t JOIN customers c ON t.customer_id = c.id",
			`table "customers" has no key: a table keeps the latest row per key [name its key column: WITH ('customers.key.field' = 'id')]`},
		{"key.field not a column", "CREATE TABLE customers WITH ('key.field' = 'cid');\nSELECT t.symbol FROM trades t JOIN customers c ON t.customer_id = c.id",
			`table "customers": key.field "cid" is not a column`},
		{"two tables", joinDecls + "SELECT c.name FROM customers c JOIN products p ON c.id = p.sku",
			`a join of two tables is not supported`},
		{"full join with a table", joinDecls + "SELECT t.symbol FROM trades t FULL JOIN customers c ON t.customer_id = c.id",
			`FULL OUTER JOIN with table "customers" on the right is not supported`},
		{"left join with the table on the left", joinDecls + "SELECT t.symbol FROM customers c LEFT JOIN trades t ON t.customer_id = c.id",
			`LEFT JOIN with table "customers" on the left is not supported [put the stream on the left`},
		{"same alias twice", "SELECT a.id FROM orders a JOIN payments a ON a.id = a.order_id WITHIN 5m",
			`"a" appears twice in FROM`},
		{"ambiguous column", "SELECT ts FROM orders o JOIN payments p ON o.id = p.order_id WITHIN 5m",
			`column "ts" is ambiguous [qualify it: o.ts or p.ts]`},
		{"window time column of a table", joinDecls + "SELECT COUNT(*) FROM trades t JOIN customers c ON t.customer_id = c.id WINDOW TUMBLING(c.name, 1m)",
			`the window's time column c.name belongs to table "customers"`},
		{"window time column after a join of streams", "SELECT COUNT(*) AS n FROM orders o JOIN payments p ON o.id = p.order_id WITHIN 5m WINDOW TUMBLING(o.ts, 1h)",
			`after a join of two streams, windows use the joined rows' event time`},
		{"unknown window function", "SELECT NTILE(4) OVER (ORDER BY ts) FROM trades",
			`1:8: NTILE is not a window function`},
		{"misspelt window function", "SELECT ROW_NUMBR() OVER (ORDER BY ts) FROM trades",
			`ROW_NUMBR is not a window function [did you mean ROW_NUMBER?]`},
		{"rank without order by", "SELECT RANK() OVER (PARTITION BY symbol) FROM trades",
			`1:8: RANK needs ORDER BY in its OVER (...)`},
		{"lag offset not constant", "SELECT LAG(price, quantity) OVER (ORDER BY ts) FROM trades",
			`1:19: LAG offset must be a constant non-negative integer`},
		{"lag offset outside buffer", "SELECT LAG(price, 5) OVER (ROWS WINDOW BUFFER 5 ROWS) FROM trades",
			`LAG offset 5 reaches outside ROWS WINDOW BUFFER 5 ROWS`},
		{"lead without argument", "SELECT LEAD() OVER (ORDER BY ts) FROM trades",
			`LEAD takes one to three arguments`},
		{"order by not the event time", "SELECT LAG(price) OVER (ORDER BY price) FROM trades WITH ('trades.event.time.field' = 'ts')",
			`ORDER BY in OVER uses price, but the event time of "trades" is ts`},
		{"order by desc", "SELECT LAG(price) OVER (ORDER BY ts DESC) FROM trades",
			`ORDER BY ... DESC cannot be used in OVER on a stream`},
		{"order by two columns", "SELECT LAG(price) OVER (ORDER BY ts, price) FROM trades",
			`ORDER BY in OVER takes one column, the event time`},
		{"range frame", "SELECT SUM(price) OVER (ORDER BY ts RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) FROM trades",
			`RANGE frames are not supported`},
		{"unbounded following", "SELECT SUM(price) OVER (ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM trades",
			`UNBOUNDED FOLLOWING cannot be used on a stream`},
		{"frame starts after it ends", "SELECT SUM(price) OVER (ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM trades",
			`the frame starts after it ends`},
		{"buffer and frame", "SELECT SUM(price) OVER (ROWS WINDOW BUFFER 5 ROWS ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM trades",
			`OVER has both ROWS WINDOW BUFFER and a ROWS frame`},
		{"over with group by", "SELECT symbol, COUNT(*), LAG(symbol) OVER (ORDER BY ts) FROM trades GROUP BY symbol",
			`window function LAG(...) OVER cannot be combined with GROUP BY or aggregates in one query`},
		{"over in where", "SELECT symbol FROM trades WHERE ROW_NUMBER() OVER (ORDER BY ts) > 1",
			`1:33: window function ROW_NUMBER(...) OVER is not allowed in WHERE`},
		{"nested window functions", "SELECT LAG(ROW_NUMBER() OVER (ORDER BY ts)) OVER (ORDER BY ts) FROM trades",
			`window functions cannot be nested`},
		{"emit final in over", "SELECT LAG(price) OVER (ORDER BY ts EMIT FINAL) FROM trades",
			`EMIT FINAL cannot be used in OVER (...)`},
		{"order by after a join of streams", "SELECT LAG(p.paid) OVER (ORDER BY p.ts) FROM orders o JOIN payments p ON o.id = p.order_id WITHIN 5m",
			`ORDER BY in OVER after a join of two streams`},
		{"derived table without a key", "CREATE TABLE spend AS SELECT order_id, paid FROM payments;\nSELECT o.id FROM orders o JOIN spend s ON o.id = s.order_id",
			`table "spend" needs a key`},
		{"derived table without its group key", "CREATE TABLE spend AS SELECT SUM(paid) AS total FROM payments GROUP BY order_id;\nSELECT o.id FROM orders o JOIN spend s ON o.id = s.total",
			`table "spend" must select each GROUP BY key`},
		{"derived table with a sink", "CREATE TABLE spend AS SELECT order_id, SUM(paid) AS total FROM payments GROUP BY order_id WITH ('spend.type' = 'file_sink', 'spend.path' = 'x');\nSELECT o.id FROM orders o JOIN spend s ON o.id = s.order_id",
			`table "spend" is kept in memory for the final query: it writes to no sink`},
		{"unused declaration with a typo", "CREATE STREAM other WITH ('other.pth' = 'x.jsonl');\nSELECT id FROM orders",
			`1:27: unknown property "other.pth" [did you mean 'path'?]`},
		{"derived stream before the query", "CREATE STREAM big AS SELECT id FROM orders;\nSELECT id FROM big",
			`2:1: a file runs one query: this is a second one`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := bindJoin(t, c.sql)
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

func TestBindJoinPlans(t *testing.T) {
	cases := []struct {
		name, sql string
		check     func(t *testing.T, q *plan.Query)
	}{
		{"stream-table join reads the key and the deletion marker", joinDecls +
			"SELECT t.symbol, c.tier FROM trades t LEFT JOIN customers c ON t.customer_id = c.id",
			func(t *testing.T, q *plan.Query) {
				j := q.Root.Children()[0].(*plan.Join)
				c := j.Right.(*plan.Scan).Source
				if j.Table != 1 || j.Kind != ast.LeftJoin || len(c.KeyCols) != 1 || c.Columns[c.KeyCols[0]].Name != "id" {
					t.Fatalf("join %s, key %v of %v", j.Explain(), c.KeyCols, c.Columns.Names())
				}
				if c.DeletedCol < 0 || c.Columns[c.DeletedCol].Name != "_deleted" {
					t.Fatalf("deleted column %d of %v", c.DeletedCol, c.Columns.Names())
				}
				// The joined row is trades' columns then customers'.
				if got := strings.Join(j.Out.Names(), ","); got != "symbol,customer_id,tier,id,_deleted" {
					t.Fatalf("joined row %s", got)
				}
			}},
		{"composite keys follow the table's key order", "CREATE TABLE customers WITH ('key.field' = 'id, tier');\n" +
			"SELECT t.symbol FROM trades t JOIN customers c ON t.symbol = c.tier AND t.customer_id = c.id",
			func(t *testing.T, q *plan.Query) {
				j := q.Root.Children()[0].(*plan.Join)
				if j.LeftKeys[0].String() != "customer_id" || j.RightKeys[0].String() != "id" {
					t.Fatalf("keys %v = %v", j.LeftKeys, j.RightKeys)
				}
			}},
		{"interval join bounds and event times", "SELECT o.id, p.paid FROM orders o JOIN payments p ON o.id = p.order_id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '1' HOUR",
			func(t *testing.T, q *plan.Query) {
				j := q.Root.Children()[0].(*plan.Join)
				if j.Table != 0 || j.Lo != 0 || j.Hi != 3_600_000 {
					t.Fatalf("join %s", j.Explain())
				}
				for _, s := range q.Sources {
					if s.TimeCol < 0 || s.Columns[s.TimeCol].Name != "ts" {
						t.Fatalf("%s: time column %d", s.Name, s.TimeCol)
					}
				}
			}},
		{"comparisons with strict bounds", "SELECT o.id FROM orders o JOIN payments p ON o.id = p.order_id AND o.ts < p.ts AND p.ts - INTERVAL '10' MINUTE <= o.ts",
			func(t *testing.T, q *plan.Query) {
				j := q.Root.Children()[0].(*plan.Join)
				if j.Lo != 1 || j.Hi != 600_000 {
					t.Fatalf("join %s", j.Explain())
				}
			}},
		{"within is symmetric", "SELECT o.id FROM orders o FULL JOIN payments p ON o.id = p.order_id WITHIN INTERVAL '5' MINUTE",
			func(t *testing.T, q *plan.Query) {
				j := q.Root.Children()[0].(*plan.Join)
				if j.Lo != -300_000 || j.Hi != 300_000 || j.Kind != ast.FullJoin {
					t.Fatalf("join %s", j.Explain())
				}
			}},
		{"window functions share one node, grouped by partition", "SELECT symbol, LAG(price) OVER (PARTITION BY symbol ORDER BY ts) AS a, " +
			"ROW_NUMBER() OVER (ORDER BY ts) AS b, SUM(price) OVER (PARTITION BY symbol ROWS 2 PRECEDING) AS c FROM trades",
			func(t *testing.T, q *plan.Query) {
				o := q.Root.Children()[0].(*plan.Over)
				if !o.Ordered || len(o.Partitions) != 2 || len(o.Partitions[0].Funcs) != 2 || len(o.Partitions[1].Funcs) != 1 {
					t.Fatalf("over %s", o.Explain())
				}
				if f := o.Partitions[0].Funcs[1]; f.Start != -2 || f.End != 0 || f.UnboundedStart {
					t.Fatalf("frame [%d, %d] unbounded=%v", f.Start, f.End, f.UnboundedStart)
				}
				// a is the first function, c the second of the first
				// partition, b the one of the second: after the input's columns.
				p := q.Root.(*plan.Project)
				w := len(o.Input.Schema())
				idx := func(i int) int { return colIdx(t, p.Exprs[i]) }
				if idx(1) != w || idx(3) != w+1 || idx(2) != w+2 {
					t.Fatalf("function columns %d %d %d, input width %d", idx(1), idx(2), idx(3), w)
				}
				if s := q.Sources[0]; s.Columns[s.TimeCol].Name != "ts" {
					t.Fatalf("time column %d", s.TimeCol)
				}
			}},
		{"buffer rows is a frame of the last n rows", "SELECT AVG(price) OVER (PARTITION BY symbol ROWS WINDOW BUFFER 10 ROWS) FROM trades",
			func(t *testing.T, q *plan.Query) {
				f := q.Root.Children()[0].(*plan.Over).Partitions[0].Funcs[0]
				if f.Start != -9 || f.End != 0 || q.Root.Children()[0].(*plan.Over).Ordered {
					t.Fatalf("frame [%d, %d]", f.Start, f.End)
				}
			}},
		{"derived table keyed by its group key", "CREATE TABLE spend AS SELECT order_id, SUM(paid) AS total FROM payments GROUP BY order_id;\n" +
			"SELECT o.id, s.total FROM orders o JOIN spend s ON o.id = s.order_id",
			func(t *testing.T, q *plan.Query) {
				j := q.Root.Children()[0].(*plan.Join)
				s := j.Right.(*plan.Scan).Source
				if s.Query == nil || len(s.KeyCols) != 1 || s.KeyCols[0] != 0 {
					t.Fatalf("derived %+v", s)
				}
				var names []string
				for _, src := range q.Sources {
					names = append(names, src.Name)
				}
				if strings.Join(names, ",") != "orders,payments" {
					t.Fatalf("sources %v", names)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, errs := bindJoin(t, c.sql)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			c.check(t, q)
		})
	}
}

func colIdx(t *testing.T, e expr.Expr) int {
	t.Helper()
	c, ok := e.(*expr.Col)
	if !ok {
		t.Fatalf("%s is not a column reference", e)
	}
	return c.Idx
}
