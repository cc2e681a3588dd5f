package testkit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/velostream/velostream/testkit/report"
	"github.com/velostream/velostream/testkit/schema"
	"github.com/velostream/velostream/testkit/spec"
)

func parseSchema(t *testing.T, name, src string) *schema.Schema {
	t.Helper()
	s, errs := schema.Parse(name+".schema.yaml", src)
	if errs != nil {
		t.Fatal(errs)
	}
	if s.Name == "" {
		s.Name = name
	}
	return s
}

func parseSpec(t *testing.T, src string) *spec.Spec {
	t.Helper()
	s, errs := spec.Parse("q.test.yaml", src)
	if errs != nil {
		t.Fatal(errs)
	}
	return s
}

func run(t *testing.T, opts Options) *report.Report {
	t.Helper()
	if opts.File == "" {
		opts.File = "q.sql"
	}
	tt, err := Prepare(opts)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			t.Fatal(e.Problems.Render())
		}
		t.Fatal(err)
	}
	rep, err := tt.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func finding(rep *report.Report, kind string) *report.Finding {
	for i := range rep.Findings {
		if rep.Findings[i].Kind == kind {
			return &rep.Findings[i]
		}
	}
	return nil
}

func contains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

const customers = `schema:
  name: customers
fields:
  - name: customer_id
    type: string
    constraints:
      sequence: {start: 100, step: 100}
      format: "C-%d"
  - name: tier
    type: string
    constraints: {enum: [gold, silver]}
`

const tradesFmt = `schema:
  name: trades
fields:
  - name: customer_id
    type: string
    constraints:
      %s
  - name: quantity
    type: integer
    constraints: {min: 1, max: 100}
  - name: ts
    type: timestamp
    constraints: {rate: 100}
`

// The product brief's JOIN example: trades keyed CUST001.. against
// customers keyed C-100..: join_coverage fails and the analysis names both
// formats; a references: constraint makes it pass.
func TestJoinCoverageBriefExample(t *testing.T) {
	sql := "SELECT customer_id, SUM(quantity) AS volume FROM trades GROUP BY customer_id WINDOW TUMBLING(ts, 1m)"
	sp := parseSpec(t, `records: 2000
sources:
  customers: {records: 9}
assertions:
  - join_coverage: {left: trades, right: customers, key: customer_id, min_match_rate: 0.8}
`)
	mk := func(constraint string) map[string]*schema.Schema {
		return map[string]*schema.Schema{
			"trades":    parseSchema(t, "trades", strings.Replace(tradesFmt, "%s", constraint, 1)),
			"customers": parseSchema(t, "customers", customers),
		}
	}
	rep := run(t, Options{SQL: sql, Spec: sp, Schemas: mk(`pattern: "CUST[0-9]{3}"`)})
	if rep.Passed || rep.Assertions[0].Summary != "0% match (expected: >= 80%)" {
		t.Fatalf("%+v", rep.Assertions[0])
	}
	if len(rep.Assertions[0].Rows) == 0 || !strings.Contains(string(rep.Assertions[0].Rows[0]), `"customer_id":"CUST`) {
		t.Fatalf("offending rows %s", rep.Assertions[0].Rows)
	}
	f := finding(rep, "join_coverage")
	if f == nil {
		t.Fatalf("no join finding: %+v", rep.Findings)
	}
	text := strings.Join(append([]string{f.Title}, append(f.Details, f.Fix)...), "\n")
	contains(t, "finding", text,
		"The JOIN on trades.customer_id = customers.customer_id matched 0% of trades rows (0 of 2,000)",
		`trades.customer_id contains: [CUST`, `prefix "CUST"`, `format "CUST" + 3 digits`,
		`customers.customer_id contains: [C-100, C-200, C-300]`, `prefix "C-"`, `format "C-" + 3 digits`,
		`overlap: 0 of`, `the key formats differ: "CUST" + 3 digits vs "C-" + 3 digits`,
		"references: {schema: customers, field: customer_id}")

	rep = run(t, Options{SQL: sql, Spec: sp, Schemas: mk("references: {schema: customers, field: customer_id}")})
	if !rep.Passed || rep.Assertions[0].Summary != "100% match (expected: >= 80%)" || finding(rep, "join_coverage") != nil {
		t.Fatalf("with references: %s", report.Text(rep))
	}
}

func TestWhereRemovesEveryRow(t *testing.T) {
	s := parseSchema(t, "trades", `fields:
  - name: symbol
    type: string
    constraints: {enum: [AAPL, MSFT]}
  - name: price
    type: decimal
    scale: 2
    constraints: {min: 1, max: 500}
`)
	sql := "-- @assert: record_count > 0\nSELECT symbol, price FROM trades WHERE symbol <> 'X' AND price > 5000"
	rep := run(t, Options{SQL: sql, Records: 1000, Schemas: map[string]*schema.Schema{"trades": s}})
	if rep.Passed {
		t.Fatal("passed")
	}
	f := finding(rep, "where_filter")
	if f == nil {
		t.Fatalf("no finding: %s", report.Text(rep))
	}
	text := strings.Join(append([]string{f.Title}, append(f.Details, f.Fix)...), "\n")
	contains(t, "finding", text, "The WHERE clause removed every one of the 1,000 trades records",
		"symbol <> 'X' kept 1,000 of 1,000 records", "price > 5000 kept 0 of 1,000 records  <- eliminated them",
		"price ranged from 1.", "to 499.", "change the condition price > 5000")
}

func TestWindowThatNeverClosesAndLateRecords(t *testing.T) {
	s := parseSchema(t, "trades", `fields:
  - name: symbol
    type: string
    constraints: {enum: [AAPL]}
  - name: ts
    type: timestamp
    constraints: {rate: 100, jitter: 2s}
`)
	// One hour windows over ten seconds of event time: nothing closes
	// until the input ends.
	inOrder := parseSchema(t, "trades", `fields:
  - name: symbol
    type: string
    constraints: {enum: [AAPL]}
  - name: ts
    type: timestamp
    constraints: {rate: 100}
`)
	sql := "SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 1h) EMIT FINAL"
	rep := run(t, Options{SQL: sql, Records: 1000, Schemas: map[string]*schema.Schema{"trades": inOrder}})
	f := finding(rep, "window_never_closes")
	if f == nil {
		t.Fatalf("no finding: %s", report.Text(rep))
	}
	contains(t, "finding", strings.Join(append(f.Details, f.Title, f.Fix), "\n"),
		"No window closed while data flowed", "watermark reached 2024-01-01T00:00:09.990Z (latest event time 2024-01-01T00:00:09.990Z minus 0ms allowed out-of-orderness)",
		"the first window ends at 2024-01-01T01:00:00.000Z")
	// Ten-second windows close as data flows, and the 2s jitter makes
	// records late against a watermark that waits 0ms.
	sql = "SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 1s) EMIT FINAL"
	rep = run(t, Options{SQL: sql, Records: 1000, Schemas: map[string]*schema.Schema{"trades": s}})
	if finding(rep, "window_never_closes") != nil {
		t.Fatalf("windows do close: %s", report.Text(rep))
	}
	f = finding(rep, "late_records")
	if f == nil || rep.Engine.Late == 0 {
		t.Fatalf("no late finding: %s", report.Text(rep))
	}
	contains(t, "finding", strings.Join(append(f.Details, f.Fix), "\n"),
		"trades.ts is generated up to 2000ms out of order (jitter), more than the 0ms the watermark waits",
		"'trades.watermark.max_out_of_orderness' = '2000ms'")
}

func TestNullsInOutput(t *testing.T) {
	s := parseSchema(t, "trades", `fields:
  - name: symbol
    type: string
    constraints: {enum: [AAPL]}
  - name: quantity
    type: integer
    constraints: {min: 1, max: 10, null_probability: 0.3}
`)
	sql := "-- @assert: no_nulls symbol, qty\nSELECT symbol, quantity * 2 AS qty FROM trades"
	rep := run(t, Options{SQL: sql, Records: 500, Schemas: map[string]*schema.Schema{"trades": s}})
	if rep.Passed || len(rep.Assertions[0].Rows) != 5 {
		t.Fatalf("%s", report.Text(rep))
	}
	f := finding(rep, "output_nulls")
	if f == nil {
		t.Fatalf("no finding: %s", report.Text(rep))
	}
	contains(t, "finding", strings.Join(append(f.Details, f.Title, f.Fix), "\n"),
		"Output column qty is NULL in", "it is computed as (quantity * 2) from trades",
		"input trades.quantity is NULL in", "(the schema sets null_probability 0.3)", "e.g. trades#", "COALESCE(quantity, ...)")
}

// Without assertions the defaults run, and the report says so.
func TestDefaultsAndDeterminism(t *testing.T) {
	sql := "SELECT symbol, SUM(price) AS total FROM trades WHERE price > 100 GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)"
	a := run(t, Options{SQL: sql, Seed: 7, HasSeed: true})
	if !a.Passed || !a.Defaults || len(a.Assertions) != 3 {
		t.Fatalf("%s", report.Text(a))
	}
	got := []string{}
	for _, x := range a.Assertions {
		got = append(got, x.Type)
	}
	if strings.Join(got, ",") != "record_count,no_nulls,execution_time" || a.Assertions[1].Summary != "[symbol]" {
		t.Fatalf("defaults %v %q", got, a.Assertions[1].Summary)
	}
	b := run(t, Options{SQL: sql, Seed: 7, HasSeed: true})
	c := run(t, Options{SQL: sql, Seed: 8, HasSeed: true})
	if a.Assertions[0].Summary != b.Assertions[0].Summary || a.Engine.Filtered != b.Engine.Filtered {
		t.Fatal("same seed, different runs")
	}
	if a.Engine.Filtered == c.Engine.Filtered {
		t.Fatal("another seed filtered exactly as many rows")
	}
	// The inferred price range straddles the literal: some rows pass.
	if a.Engine.Filtered == 0 || a.Engine.Filtered == a.Engine.Read {
		t.Fatalf("filtered %d of %d", a.Engine.Filtered, a.Engine.Read)
	}
}

func TestInference(t *testing.T) {
	sql := `SELECT t.symbol, SUM(t.quantity) AS volume, AVG(t.price) AS avg_price, UPPER(t.venue) AS venue
FROM trades t
WHERE t.side = 'BUY' AND t.price > 10.5 AND t.active
GROUP BY t.symbol, t.venue
WINDOW TUMBLING(t.ts, 5m)`
	tt, err := Prepare(Options{File: "q.sql", SQL: sql})
	if err != nil {
		t.Fatal(err)
	}
	got := schema.Format(tt.InferredSchemas()["trades"])
	contains(t, "schema", got,
		"  - name: ts\n    type: timestamp\n    constraints:\n      start: \"2024-01-01T00:00:00Z\"\n      rate: 3.333\n",
		"  - name: symbol\n    type: string\n    constraints:\n      enum: [symbol_1, symbol_2, symbol_3, symbol_4, symbol_5]\n",
		"  - name: quantity\n    type: integer\n",
		"  - name: price\n    type: decimal\n    precision: 18\n    scale: 2\n    constraints:\n      min: 0.00\n      max: 21.00\n",
		"  - name: venue\n    type: string\n",
		"  - name: side\n    type: string\n    constraints:\n      enum: [BUY, OTHER]\n",
		"  - name: active\n    type: boolean\n")
	// What --print-schema prints is a schema file that reads back.
	if _, errs := schema.Parse("x", got); errs != nil {
		t.Fatal(errs)
	}
}

// Problems with the inputs are positioned errors, and nothing runs.
func TestPrepareErrors(t *testing.T) {
	s := parseSchema(t, "trades", "fields:\n  - name: price\n    type: integer\n")
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"sql syntax", Options{SQL: "SELEC x FROM t"}, "q.sql:1:1:"},
		{"column not in schema", Options{SQL: "SELECT prise FROM trades", Schemas: map[string]*schema.Schema{"trades": s}}, `q.sql:1:8: unknown column "prise"`},
		{"bad annotation", Options{SQL: "-- @assert: record_count >> 1\nSELECT price FROM trades", Schemas: map[string]*schema.Schema{"trades": s}}, "q.sql:1:13: @assert: record_count"},
		{"annotation column", Options{SQL: "-- @assert: no_nulls pricee\nSELECT price FROM trades", Schemas: map[string]*schema.Schema{"trades": s}}, `q.sql:1:13: no_nulls: the output has no column "pricee"`},
		{"annotation expression", Options{SQL: "-- @assert: field_values pricee > 1\nSELECT price FROM trades", Schemas: map[string]*schema.Schema{"trades": s}}, `q.sql:1:26: unknown column "pricee"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.File = "q.sql"
			_, err := Prepare(c.opts)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %v", err)
			}
			if got := e.Problems.Render(); !strings.Contains(got, c.want) {
				t.Fatalf("got\n%s\nwant %q", got, c.want)
			}
		})
	}
}
