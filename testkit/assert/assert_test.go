package assert

import (
	"strings"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit/internal/yamlx"
	"github.com/velostream/velostream/testkit/schema"
)

var out = types.Schema{
	{Name: "symbol", Type: types.String},
	{Name: "volume", Type: types.Int},
	{Name: "avg_price", Type: types.Type{Kind: types.KindDecimal, Scale: 2}},
	{Name: "window_start", Type: types.Timestamp},
}

func row(sym string, vol int64, price string, ws int64) types.Row {
	r := types.Row{types.StringValue(sym), types.IntValue(vol), {}, types.TimestampValue(ws)}
	if price != "" {
		m, sc, _ := decimal.ParseString(price)
		r[2] = types.DecimalValue(m, sc)
	}
	if vol < 0 {
		r[1] = types.Value{}
	}
	return r
}

// good passes every assertion below; bad fails each.
var good = &Data{
	Output: out,
	Rows: []types.Row{
		row("AAPL", 100, "10.50", 0), row("MSFT", 50, "20.00", 0), row("AAPL", 70, "11.00", 60000),
	},
	Records: 1000, Read: 1000, Elapsed: 45 * time.Millisecond, PeakHeapMB: 12.34,
	Coverage: func(l, r, lk, rk string) (Coverage, error) { return Coverage{LeftRows: 10, Matched: 9}, nil },
}

var bad = &Data{
	Output: out,
	Rows: []types.Row{
		row("AAPL", 100, "10.50", 60000), row("GOOG", -1, "", 0), row("AAPL", 100, "10.50", 60000),
	},
	Records: 1000, Read: 1000, Bad: 20, Elapsed: 1500 * time.Millisecond, PeakHeapMB: 300,
	DeadLetters: []string{`{"reason":"eval","line":3}`},
	Coverage: func(l, r, lk, rk string) (Coverage, error) {
		return Coverage{LeftRows: 10, Matched: 0, Unmatched: []string{`{"customer_id":"CUST001"}`}}, nil
	},
}

func TestAssertions(t *testing.T) {
	sources := map[string]*schema.Schema{
		"trades":    {Name: "trades", Fields: []*schema.Field{{Name: "customer_id", Type: schema.String}}},
		"customers": {Name: "customers", Fields: []*schema.Field{{Name: "customer_id", Type: schema.String}}},
	}
	cases := []struct {
		annotation string
		pass       string // summary on good
		fail       string // summary on bad
		expected   string
		actual     string
		rows       int
	}{
		{"record_count > 0", "3 (expected: > 0)", "", "", "", 0},
		{"record_count between 1 and 2", "", "3 (expected: between 1 and 2)", "output rows between 1 and 2", "3", 0},
		{"record_count = 3", "3 (expected: = 3)", "", "", "", 0},
		{"schema_contains symbol, volume", "[symbol, volume]", "", "", "", 0},
		{"no_nulls symbol, volume", "[symbol, volume]", "[symbol, volume]: 1 of 3 rows have a NULL (volume NULL in 1)",
			"no NULL in symbol, volume", "1 of 3 rows have a NULL (volume NULL in 1)", 1},
		{"field_values volume > 40", "volume > 40 (all 3 rows)", "volume > 40: 1 of 3 rows fail (1 of them NULL)",
			"every row satisfies volume > 40", "1 of 3 rows fail (1 of them NULL)", 1},
		{"field_in_set symbol: AAPL, MSFT", "symbol in [AAPL, MSFT]", "symbol in [AAPL, MSFT]: 1 of 3 rows outside the set (values seen: GOOG ×1)",
			"symbol in [AAPL, MSFT]", "1 of 3 rows outside the set (values seen: GOOG ×1)", 1},
		{"unique_values symbol, window_start", "[symbol, window_start]: 3 distinct", "[symbol, window_start]: 1 values occur more than once (AAPL/1970-01-01T00:01:00.000Z ×2)",
			"values of symbol, window_start are unique", "1 values occur more than once (AAPL/1970-01-01T00:01:00.000Z ×2)", 2},
		{"aggregate_check SUM(volume) > 200", "SUM(volume) > 200 (SUM(volume) = 220)", "SUM(volume) > 200: SUM(volume) = 200",
			"SUM(volume) > 200", "SUM(volume) = 200", 0},
		{"join_coverage left=trades right=customers key=customer_id >= 80%", "90% match (expected: >= 80%)", "0% match (expected: >= 80%)",
			">= 80% of trades rows find customer_id in customers", "0 of 10 trades rows (0%) matched", 1},
		{"execution_time < 1s", "45ms (expected: < 1000ms)", "1500ms (expected: < 1000ms)", "execution time < 1000ms", "1500ms", 0},
		{"throughput > 10000", "22,222 records/sec (expected: > 10,000)", "667 records/sec (expected: > 10,000)", "throughput > 10,000", "667 records/sec", 0},
		{"memory_usage < 256MB", "12.3 MB (expected: < 256 MB)", "300.0 MB (expected: < 256 MB)", "peak heap < 256 MB", "300.0 MB", 0},
		{"no_duplicates", "whole rows: no duplicates", "whole rows: 1 values occur more than once", "no two rows share whole rows", "", 2},
		{"ordering window_start asc", "window_start ascending", "window_start ascending: row 2 (1970-01-01T00:00:00.000Z) comes after row 1 (1970-01-01T00:01:00.000Z)",
			"rows in ascending order of window_start", "row 2 (1970-01-01T00:00:00.000Z) comes after row 1 (1970-01-01T00:01:00.000Z)", 2},
		{"dlq_count = 0", "0 (expected: = 0)", "20 (expected: = 0)", "failed records = 0", "20", 1},
		{"error_rate < 1%", "0.00% (expected: < 1%)", "2.00% (expected: < 1%)", "failed records / records read < 1%", "2.00% (20 of 1000 records failed)", 1},
	}
	for _, c := range cases {
		t.Run(c.annotation, func(t *testing.T) {
			a, d := ParseAnnotation(c.annotation, Origin{File: "q.sql", Pos: token.Pos{Line: 1, Col: 13, Offset: 12}})
			if d != nil {
				t.Fatal(d)
			}
			if errs := a.Bind(out, sources); errs != nil {
				t.Fatal(errs)
			}
			if c.pass != "" {
				r := a.Check(good)
				if !r.Passed || r.Summary != c.pass {
					t.Errorf("good: passed=%v summary %q, want %q", r.Passed, r.Summary, c.pass)
				}
			}
			if c.fail != "" {
				r := a.Check(bad)
				if r.Passed || !strings.HasPrefix(r.Summary, c.fail) || r.Expected != c.expected || (c.actual != "" && r.Actual != c.actual) || len(r.Rows) != c.rows {
					t.Errorf("bad: passed=%v\nsummary  %q\nwant     %q\nexpected %q (want %q)\nactual   %q (want %q)\nrows %d (want %d)",
						r.Passed, r.Summary, c.fail, r.Expected, c.expected, r.Actual, c.actual, len(r.Rows), c.rows)
				}
			}
		})
	}
}

// Bad assertions are positioned errors: in the SQL for annotations, inside
// the expression when the expression is wrong.
func TestAnnotationErrors(t *testing.T) {
	at := Origin{File: "q.sql", Pos: token.Pos{Line: 2, Col: 13, Offset: 20}}
	cases := []struct {
		text string
		want string
	}{
		{"record_cnt > 0", "2:13: @assert: unknown assertion type \"record_cnt\""},
		{"record_count", "2:13: @assert: record_count needs a comparison"},
		{"record_count >> 0", "2:13: @assert: record_count: \"> 0\" is not a number"},
		{"record_count between 5 and 1", "the low end is above the high end"},
		{"ordering window_start sideways", "ordering: \"sideways\" is not asc or desc"},
		{"field_in_set symbol", "field_in_set needs a column and its allowed values"},
		{"join_coverage lft=x", "join_coverage: unknown argument \"lft\""},
	}
	for _, c := range cases {
		_, d := ParseAnnotation(c.text, at)
		if d == nil || !strings.Contains(d.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.text, d, c.want)
		}
	}
	binds := []struct {
		text string
		want string
	}{
		{"no_nulls symbol, volumne", "2:13: no_nulls: the output has no column \"volumne\""},
		{"field_values volumne > 0", "2:26: unknown column \"volumne\""},
		{"field_values volume + 1", "field_values needs a condition (true or false for each row); this is BIGINT"},
		{"aggregate_check SUMM(volume) > 0", "aggregate_check needs an aggregate over the output"},
		{"aggregate_check SUM(volume) > volume", "unknown column \"volume\""},
		{"join_coverage left=trades right=nope key=customer_id", "join_coverage: \"nope\" is not a source of this test"},
	}
	sources := map[string]*schema.Schema{"trades": {Name: "trades", Fields: []*schema.Field{{Name: "customer_id", Type: schema.String}}}}
	for _, c := range binds {
		a, d := ParseAnnotation(c.text, at)
		if d != nil {
			t.Fatalf("%q: %v", c.text, d)
		}
		errs := a.Bind(out, sources)
		if errs == nil || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.text, errs, c.want)
		}
	}
}

// The spec's forms (short and Velostream's long one) read to the same
// assertions as the annotations.
func TestFromYAML(t *testing.T) {
	src := `- record_count: {greater_than: 0}
- record_count: "between 1 and 10"
- type: record_count
  operator: less_than
  expected: 5
- no_nulls: [symbol, volume]
- field_values: {field: volume, greater_than: 10}
- field_values: {condition: "volume > 10 AND symbol <> 'X'"}
- field_in_set: {field: symbol, values: [AAPL, MSFT]}
- aggregate_check: {expression: "SUM(volume)", greater_than: 0}
- join_coverage: {left: trades, right: customers, key: customer_id, min_match_rate: 0.8}
- execution_time: {max_ms: 1000}
- throughput: {min_records_per_second: 100000}
- memory_usage: {max_mb: 256}
- ordering: {field: window_start, direction: descending}
- dlq_count: {max: 0}
- error_rate: {max_rate: 0.01}
- no_duplicates: [symbol, window_start]
- unique_values: symbol
- schema_contains: symbol, volume
`
	want := []string{"record_count > 0", "record_count between 1 and 10", "record_count < 5", "no_nulls [symbol volume]",
		"field_values volume > 10", "field_values volume > 10 AND symbol <> 'X'", "field_in_set symbol [AAPL MSFT]", "aggregate_check SUM(volume) > 0",
		"join_coverage trades customers customer_id >= 80%", "execution_time <= 1000ms", "throughput >= 100,000", "memory_usage <= 256 MB",
		"ordering window_start desc", "dlq_count <= 0", "error_rate <= 1%", "no_duplicates [symbol window_start]", "unique_values [symbol]", "schema_contains [symbol volume]"}
	d := yamlx.Parse("s.yaml", src)
	items := d.List(d.Root, "assertions")
	if len(items) != len(want) {
		t.Fatalf("%d items", len(items))
	}
	for i, n := range items {
		a := FromYAML(d, n)
		if a == nil {
			t.Fatalf("item %d: %s", i, d.Render())
		}
		if got := describe(a); got != want[i] {
			t.Errorf("item %d: %q, want %q", i, got, want[i])
		}
	}
	bad := []struct{ src, want string }{
		{"- record_count: {greater: 0}", "s.yaml:1:18: record_count: unknown key \"greater\""},
		{"- recordcount: 1", "s.yaml:1:3: unknown assertion type \"recordcount\""},
		{"- record_count: {}", "record_count needs a comparison"},
		{"- type: record_count\n  operator: bigger\n  expected: 1", "s.yaml:2:13: unknown operator \"bigger\""},
		{"- field_in_set: {field: symbol}", "field_in_set needs field and values"},
	}
	for _, c := range bad {
		d := yamlx.Parse("s.yaml", c.src)
		for _, n := range d.List(d.Root, "assertions") {
			FromYAML(d, n)
		}
		if got := d.Render(); !strings.Contains(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.src, got, c.want)
		}
	}
}

func describe(a *Assertion) string {
	s := a.Type
	switch {
	case a.Type == JoinCoverage:
		s += " " + a.Left + " " + a.Right + " " + a.Key + " " + a.Cmp.String()
	case a.Type == FieldInSet:
		s += " " + a.Field + " [" + strings.Join(a.Values, " ") + "]"
	case a.Type == Ordering:
		s += " " + a.Field + map[bool]string{true: " desc", false: " asc"}[a.Desc]
	case a.Expr != "":
		s += " " + a.Expr
		if a.Cmp != nil {
			s += " " + a.Cmp.String()
		}
	case a.Cmp != nil:
		s += " " + a.Cmp.String()
	default:
		s += " [" + strings.Join(a.Fields, " ") + "]"
	}
	return s
}
