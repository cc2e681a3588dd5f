package annotations

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// trades declares the source every test query reads, so output types are
// known without data.
const trades = `CREATE STREAM trades (symbol STRING, exchange STRING, price DOUBLE, quantity BIGINT, lat DOUBLE, lon DOUBLE, ts TIMESTAMP)
WITH ('trades.type' = 'file_source', 'trades.path' = 'trades.jsonl');
`

const windowed = `SELECT symbol, exchange, SUM(quantity) AS volume, AVG(price) AS avg_price, COUNT(*) AS trades, MAX(lat) AS lat, MAX(lon) AS lon
FROM trades GROUP BY symbol, exchange WINDOW TUMBLING(ts, INTERVAL '5' MINUTE) EMIT FINAL;`

const plain = `SELECT symbol, price, quantity, ts FROM trades;`

func bind(t *testing.T, src string) *plan.Query {
	t.Helper()
	script, errs := parser.Parse(src)
	if len(errs) > 0 {
		t.Fatalf("parse: %v", errs)
	}
	q, errs := binder.Bind(script, binder.Options{})
	if len(errs) > 0 {
		t.Fatalf("bind: %v", errs)
	}
	return q
}

// condText renders a condition compactly so tests can compare resolutions.
func condText(c Cond) string {
	switch x := c.(type) {
	case *Compare:
		return "(" + condText(x.L) + " " + x.Op + " " + condText(x.R) + ")"
	case *Logical:
		return "(" + condText(x.L) + " " + x.Op + " " + condText(x.R) + ")"
	case *Arith:
		return "(" + condText(x.L) + " " + x.Op + " " + condText(x.R) + ")"
	case *Neg:
		return "-" + condText(x.X)
	case *Number:
		return x.Text
	case *Ref:
		s := x.Metric.Name
		switch x.Func {
		case Rate:
			s = "rate(" + s + ")"
		case Increase:
			s = "increase(" + s + ")"
		case Quantile:
			s = fmt.Sprintf("quantile(%g, %s)", x.Quantile, s)
		}
		if x.Range > 0 {
			s += "[" + x.Range.String() + "]"
		}
		return s
	}
	return "?"
}

func TestParseResolvesMetricsAndAlerts(t *testing.T) {
	tests := []struct {
		name  string
		sql   string
		check func(t *testing.T, s *Spec)
	}{
		{"brief example with a field: counter sums volume, alert on the field", `
-- @metric: trade_volume
-- @metric_type: counter
-- @metric_labels: symbol
-- @metric_field: volume
-- @alert: volume > 1000000
` + windowed, func(t *testing.T, s *Spec) {
			m := s.Metrics[0]
			if m.Series() != "velo_trade_volume_total" || m.Type != Counter || m.Field != "volume" || m.FieldCol != 2 {
				t.Errorf("metric = %s %v field %s@%d", m.Series(), m.Type, m.Field, m.FieldCol)
			}
			if !reflect.DeepEqual(m.Labels, []string{"symbol"}) || !reflect.DeepEqual(m.LabelCols, []int{0}) {
				t.Errorf("labels = %v %v", m.Labels, m.LabelCols)
			}
			if s.Window != 5*time.Minute {
				t.Errorf("window = %v", s.Window)
			}
			a := s.Alerts[0]
			if got := condText(a.Expr); got != "(trade_volume > 1000000)" {
				t.Errorf("alert = %s", got)
			}
			if a.Name != "TradeVolumeAlert" || a.Severity != "warning" || a.Metric != m {
				t.Errorf("alert = %+v", a)
			}
		}},
		{"counter without a type or field counts rows; default help", `
-- @metric: windows_emitted
` + windowed, func(t *testing.T, s *Spec) {
			m := s.Metrics[0]
			if m.Type != Counter || m.FieldCol != -1 || m.Help != "Output rows of the query" {
				t.Errorf("%+v", m)
			}
		}},
		{"several metrics; alerts attach to the metric before them or name one", `
-- @alert: avg_price > 100 AND rate(trade_count, 10m) > 5
-- @alert_name: Hot
-- @metric: trade_count
-- @metric_labels: symbol, exchange
-- @metric_condition: trades > 0 AND symbol <> 'TEST'
-- @metric: avg_price
-- @metric_type: GAUGE
-- @metric_field: avg_price
-- @metric_labels: exchange , symbol
-- @metric_help: Average price in the window
-- @viz: stat
-- @viz_title: Prices
-- @alert: avg_price < 1
-- @alert_for: 10m
-- @alert_severity: critical
-- @alert_summary: {{ $labels.symbol }} at {{ $value | humanize }}
-- @assert: this belongs to another feature
-- @metric: trade_sizes
-- @metric_type: histogram
-- @metric_field: volume
-- @metric_buckets: exponential(10, 10, 4)
-- @alert: quantile(0.99, trade_sizes) > 5000
` + windowed, func(t *testing.T, s *Spec) {
			if len(s.Metrics) != 3 || len(s.Alerts) != 3 {
				t.Fatalf("%d metrics, %d alerts", len(s.Metrics), len(s.Alerts))
			}
			c, g, h := s.Metrics[0], s.Metrics[1], s.Metrics[2]
			if c.Cond == nil || c.Condition != "trades > 0 AND symbol <> 'TEST'" || c.Help != "Output rows of the query where trades > 0 AND symbol <> 'TEST'" {
				t.Errorf("counter condition %q help %q", c.Condition, c.Help)
			}
			if g.Type != Gauge || g.Series() != "velo_avg_price" || g.Viz != VizStat || g.VizTitle != "Prices" || g.Help != "Average price in the window" {
				t.Errorf("gauge %+v", g)
			}
			if !reflect.DeepEqual(g.Labels, []string{"exchange", "symbol"}) {
				t.Errorf("gauge labels %v", g.Labels)
			}
			if !reflect.DeepEqual(h.Buckets, []float64{10, 100, 1000, 10000}) || h.Series() != "velo_trade_sizes" {
				t.Errorf("histogram %v %s", h.Buckets, h.Series())
			}
			a0, a1, a2 := s.Alerts[0], s.Alerts[1], s.Alerts[2]
			if got := condText(a0.Expr); got != "((avg_price > 100) and (rate(trade_count)[10m0s] > 5))" || a0.Metric != nil || a0.Name != "Hot" {
				t.Errorf("alert 0 = %s %v %s", got, a0.Metric, a0.Name)
			}
			if a1.Metric != g || a1.For != 10*time.Minute || a1.Severity != "critical" || a1.Name != "AvgPriceAlert" || !strings.Contains(a1.Summary, "humanize") {
				t.Errorf("alert 1 = %+v", a1)
			}
			if got := condText(a2.Expr); got != "(quantile(0.99, trade_sizes) > 5000)" {
				t.Errorf("alert 2 = %s", got)
			}
		}},
		{"linear and listed buckets, negative and scientific numbers", `
-- @metric: prices
-- @metric_type: histogram
-- @metric_field: price
-- @metric_buckets: linear(0, 50, 3)
-- @alert: -prices < -1e6 OR prices * 2 >= 1.5e-3
-- @metric: sizes
-- @metric_type: histogram
-- @metric_field: quantity
-- @metric_buckets: -1, 0.5, 1e3
` + plain, func(t *testing.T, s *Spec) {
			if !reflect.DeepEqual(s.Metrics[0].Buckets, []float64{0, 50, 100}) || !reflect.DeepEqual(s.Metrics[1].Buckets, []float64{-1, 0.5, 1000}) {
				t.Errorf("buckets %v %v", s.Metrics[0].Buckets, s.Metrics[1].Buckets)
			}
			if got := condText(s.Alerts[0].Expr); got != "((-prices < -1000000) or ((prices * 2) >= 0.0015))" {
				t.Errorf("alert = %s", got)
			}
			if s.Window != 0 {
				t.Errorf("window = %v", s.Window)
			}
		}},
		{"a counter named _total is not doubled; colons are valid", `
-- @metric: orders_total
-- @metric: svc:orders
` + plain, func(t *testing.T, s *Spec) {
			if s.Metrics[0].Series() != "velo_orders_total" || s.Metrics[0].Base() != "velo_orders" {
				t.Errorf("%s %s", s.Metrics[0].Series(), s.Metrics[0].Base())
			}
		}},
		{"geo viz with lat and lon labels", `
-- @metric: volume_by_place
-- @metric_field: volume
-- @metric_labels: symbol, lat, lon
-- @viz: GEO
` + windowed, func(t *testing.T, s *Spec) {
			if s.Metrics[0].Viz != VizGeo {
				t.Errorf("viz %q", s.Metrics[0].Viz)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, errs := FromQuery(bind(t, trades+tt.sql))
			if len(errs) > 0 {
				t.Fatalf("unexpected errors:\n%s", diag.RenderAll("q.sql", trades+tt.sql, errs))
			}
			tt.check(t, s)
		})
	}
}

// Errors are listed as line:col-endcol: message [hint], with lines counted
// in the text after the trades declaration (which is 2 lines long).
func TestParseErrorsArePositioned(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string
	}{
		{"unknown metric type", `-- @metric: m
-- @metric_type: summary
` + plain, []string{`2:18-25: unknown metric type "summary" [use counter, gauge or histogram]`}},
		{"gauge without field", `-- @metric: last_price
-- @metric_type: gauge
` + plain, []string{`1:13-23: gauge "last_price" needs @metric_field: the column it sets [add ` + "`-- @metric_field: COLUMN`" + ` naming a numeric output column]`}},
		{"histogram without field", `-- @metric: sizes
-- @metric_type: histogram
` + plain, []string{`1:13-18: histogram "sizes" needs @metric_field: the column it observes [add ` + "`-- @metric_field: COLUMN`" + ` naming a numeric output column]`}},
		{"label that is not an output column", `-- @metric: m
-- @metric_labels: symbol,  exchang
` + windowed, []string{`2:29-36: label "exchang" is not an output column [did you mean "exchange"?]`}},
		{"label far from any column", `-- @metric: m
-- @metric_labels: zzzzzz
` + plain, []string{`2:20-26: label "zzzzzz" is not an output column [output columns: symbol, price, quantity, ts]`}},
		{"reserved and unusable labels", `-- @metric: m
-- @metric_labels: symbol, symbol, query
` + `SELECT symbol, price AS query, COUNT(*) FROM trades GROUP BY symbol, price;`, []string{
			`2:28-34: label "symbol" is listed twice`,
			`2:36-41: label "query" is reserved (query names the query; le, quantile, job and instance belong to Prometheus) [give the column another name with AS]`,
		}},
		{"field not numeric", `-- @metric: m
-- @metric_type: gauge
-- @metric_field: symbol
` + plain, []string{`3:19-25: @metric_field "symbol" is STRING: a gauge needs a number [use a numeric column, or CAST it in the SELECT]`}},
		{"field not a column", `-- @metric: m
-- @metric_field: prise
` + plain, []string{`2:19-24: field "prise" is not an output column [did you mean "price"?]`}},
		{"bad metric names", `-- @metric: 9lives
-- @metric: my-metric
-- @metric: query_lag
-- @metric:
` + plain, []string{
			`1:13-19: invalid metric name "9lives" [metric names are letters, digits, _ and :, not starting with a digit]`,
			`2:13-22: invalid metric name "my-metric" [metric names are letters, digits, _ and :, not starting with a digit]`,
			`3:13-22: metric name "query_lag" may not start with "query_" [velo_query_* names the engine's own metrics]`,
			"4:5-11: @metric needs a name [e.g. `-- @metric: trade_volume`]",
		}},
		{"duplicate metric and setting", `-- @metric: m
-- @metric_help: a
-- @metric_help: b
-- @metric: m
` + plain, []string{
			`3:5-16: @metric_help is given twice for this @metric (first at line 4)`,
			`4:13-14: metric "m" is defined twice (also at line 3) [each @metric needs its own name]`,
		}},
		{"bad buckets", `-- @metric: a
-- @metric_type: histogram
-- @metric_field: price
-- @metric_buckets: 1, 5, 3
-- @metric: b
-- @metric_type: histogram
-- @metric_field: price
-- @metric_buckets: 1, x
-- @metric: c
-- @metric_type: histogram
-- @metric_field: price
-- @metric_buckets: exponential(0, 2, 5)
-- @metric: d
-- @metric_field: price
-- @metric_buckets: 1, 2
` + plain, []string{
			`4:27-28: bucket 3 is not above 5 [list bucket bounds in increasing order]`,
			"8:24-25: bad @metric_buckets: \"x\" is not a number [e.g. `-- @metric_buckets: 0.1, 0.5, 1, 5` or exponential(0.001, 2, 16)]",
			`12:21-41: exponential buckets need a positive start and a factor above 1 [start > 0 and factor > 1]`,
			`15:5-25: @metric_buckets on counter "d" [buckets belong to ` + "`@metric_type: histogram`]",
		}},
		{"bad durations", `-- @metric: m
-- @alert: m > 1
-- @alert_for: 5 minutes
-- @alert: m > 2
-- @alert_for: 0s
` + plain, []string{
			`3:16-25: bad @alert_for "5 minutes" [a Prometheus duration such as 30s, 5m, 1h or 1h30m]`,
			`5:16-18: bad @alert_for "0s" [a Prometheus duration such as 30s, 5m, 1h or 1h30m]`,
		}},
		{"alert on an unknown metric", `-- @metric: trade_volume
-- @metric_field: volume
-- @alert: trade_volum > 5
-- @alert: unrelated > 5
` + windowed, []string{
			`3:12-23: alert on unknown metric "trade_volum" [did you mean "trade_volume"?]`,
			`4:12-21: alert on unknown metric "unrelated" [the query's metrics: trade_volume]`,
		}},
		{"alert before any metric naming nothing", `-- @alert: volume > 5
` + windowed, []string{
			`1:12-18: alert on column "volume", which no metric measures [alert conditions read metrics: name one of the query's @metric names, or make the column a @metric_field]`,
		}},
		{"brief example without a field: counter counts rows", `-- @metric: trade_volume
-- @metric_type: counter
-- @metric_labels: symbol
-- @alert: volume > 1000000
` + windowed, []string{
			"4:12-18: alert on column \"volume\", but counter \"trade_volume\" counts rows [add `-- @metric_field: volume` so the counter sums it, or compare the count: trade_volume > N]",
		}},
		{"alert condition errors", `-- @metric: c
-- @metric_labels: symbol
-- @metric: g
-- @metric_type: gauge
-- @metric_field: avg_price
-- @alert: c > 
-- @alert: c + 1
-- @alert: c > g
-- @alert: rate(g) > 1
-- @alert: quantile(2, c) > 1
-- @alert: abs(c) > 1
-- @alert: c > 'x'
-- @alert: 1 > 0
-- @alert: NOT c > 1
` + windowed, []string{
			`6:15-15: @alert: expected expression, found end of input`,
			`7:12-17: @alert condition is a number, not a comparison [compare a metric with a threshold, e.g. trade_volume > 1000000]`,
			`8:14-15: the two sides have different labels (symbol and none), so no series would match [metrics combined in one alert need the same @metric_labels]`,
			`9:17-18: "g" is a gauge [rate reads a counter or a histogram; compare a gauge directly]`,
			`10:21-22: the quantile must be a number between 0 and 1 [e.g. 0.99]`,
			`11:12-15: function abs is not available in alert conditions [use rate(m), increase(m) or quantile(q, m), each with an optional range such as 10m]`,
			`12:16-19: string literal in an alert condition [alert conditions compare numbers]`,
			`13:12-17: this comparison reads no metric [compare a metric of the query with a threshold]`,
			`14:12-21: NOT is not supported in alert conditions [write the opposite comparison (e.g. <= instead of NOT >)]`,
		}},
		{"metric condition errors point into the annotation", `-- @metric: m
-- @metric_condition: volum > 0
-- @metric: n
-- @metric_condition: volume + 1
` + windowed, []string{
			`2:23-28: @metric_condition: unknown column "volum" [did you mean "volume"?]`,
			`4:23-33: @metric_condition is BIGINT, not a condition (BOOLEAN) [write a comparison, e.g. volume > 0]`,
		}},
		{"settings out of place and misspelt", `-- @metric_type: gauge
-- @alert_for: 5m
-- @metric: m
-- @metric_lables: symbol
-- @vizz: line
-- @viz: pie
` + plain, []string{
			"1:5-16: @metric_type comes before any @metric [start the metric with `-- @metric: NAME` on a line before it]",
			"2:5-14: @alert_for does not follow an @alert [put it after the `-- @alert: CONDITION` it belongs to]",
			`4:5-18: unknown annotation @metric_lables [did you mean @metric_labels?]`,
			`5:5-9: unknown annotation @vizz [did you mean @viz?]`,
			`6:10-13: unknown @viz "pie" [use line, bar, gauge, stat, table, heatmap, geo]`,
		}},
		{"alert settings", `-- @metric: m
-- @alert: m > 1
-- @alert_name: bad name
-- @alert: m > 2
-- @alert_summary: {{ $labels.symbol
-- @alert: m > 3
-- @alert_name: Dup
-- @alert: m > 4
-- @alert_name: Dup
` + plain, []string{
			`3:17-25: invalid alert name "bad name" [letters, digits, _ and :, not starting with a digit (Prometheus' rule for alert names)]`,
			`5:20-37: bad @alert_summary: unclosed action [Prometheus templates: {{ $labels.NAME }}, {{ $value }}, {{ $value | humanize }}]`,
			`9:17-20: alert name "Dup" is used twice [give each @alert its own @alert_name]`,
		}},
		{"geo without location labels", `-- @metric: m
-- @metric_labels: symbol
-- @viz: geo
` + plain, []string{`3:10-13: @viz: geo needs the location in the metric's labels [add latitude and longitude (or lat and lon, or geohash) output columns to @metric_labels]`}},
		{"an alert on a broken metric is not reported twice", `-- @metric: m
-- @metric_type: gauge
-- @alert: m > 1
` + plain, []string{
			"1:13-14: gauge \"m\" needs @metric_field: the column it sets [add `-- @metric_field: COLUMN` naming a numeric output column]",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := trades + tt.sql
			_, errs := FromQuery(bind(t, src))
			var got []string
			for _, d := range errs {
				s := fmt.Sprintf("%d:%d-%d: %s", d.Pos.Line-2, d.Pos.Col, d.End.Col, d.Msg)
				if d.End.Line != d.Pos.Line {
					s = fmt.Sprintf("%d:%d-%d:%d: %s", d.Pos.Line-2, d.Pos.Col, d.End.Line-2, d.End.Col, d.Msg)
				}
				if d.Hint != "" {
					s += " [" + d.Hint + "]"
				}
				got = append(got, s)
				// The offset and the line/column must name the same byte.
				if line, col := lineCol(src, d.Pos.Offset); line != d.Pos.Line || col != d.Pos.Col {
					t.Errorf("%s: offset %d is %d:%d", s, d.Pos.Offset, line, col)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func lineCol(src string, off int) (int, int) {
	line, col := 1, 1
	for i := 0; i < off && i < len(src); i++ {
		if src[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// Without annotations of its own, a query has an empty spec and no errors;
// other features' annotations are left alone.
func TestParseIgnoresOtherAnnotations(t *testing.T) {
	s, errs := FromQuery(bind(t, trades+"-- @assert: COUNT(*) > 0\n-- @description: x\n"+plain))
	if len(errs) > 0 || len(s.Metrics) != 0 || len(s.Alerts) != 0 {
		t.Fatalf("spec %+v errs %v", s, errs)
	}
}

// Parse works on an output schema alone (the runner and tests call it
// without a plan).
func TestParseWithSchemaOnly(t *testing.T) {
	script, _ := parser.Parse("-- @metric: m\n-- @metric_type: gauge\n-- @metric_field: v\nSELECT 1")
	out := types.Schema{{Name: "v", Type: types.Float}}
	s, errs := Parse(script.Statements[0].Annots(), out)
	if len(errs) > 0 || s.Metrics[0].FieldCol != 0 {
		t.Fatalf("%+v %v", s, errs)
	}
}

// velo validate binds SELECT * over an undeclared source with an open
// output: names the query may produce are not errors, but everything that
// does not depend on the columns is still checked.
func TestOpenOutputIsNotAnError(t *testing.T) {
	src := "-- @metric: m\n-- @metric_labels: symbol\n-- @metric_field: volume\n-- @metric_condition: volume > 0\n-- @metric_type: gauge\n-- @viz: pie\nSELECT * FROM trades;"
	script, errs := parser.Parse(src)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	q, errs := binder.Bind(script, binder.Options{Validate: true})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	errs = Check(q)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, `unknown @viz "pie"`) {
		t.Fatalf("errors: %v", errs)
	}
}

// Whatever the annotation text, Parse reports problems as diagnostics
// inside the text and never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"@metric: m", "@metric_type: gauge", "@metric_labels: a, ,b", "@metric_buckets: exponential(1,2,3)",
		"@metric_buckets: linear(", "@alert: quantile(0.5, m, 5m) > 1 AND rate(m) < 2", "@alert_for: 1h30m", "@alert_summary: {{ $value"} {
		f.Add("-- @metric: m\n-- " + s + "\n-- @metric_field: x\n")
	}
	out := types.Schema{{Name: "x", Type: types.Float}, {Name: "a", Type: types.String}, {Name: "b", Type: types.Any}}
	f.Fuzz(func(t *testing.T, annots string) {
		src := annots + "\nSELECT x, a, b FROM t"
		script, errs := parser.Parse(src)
		if len(errs) > 0 || len(script.Statements) == 0 {
			return
		}
		_, errs = Parse(script.Statements[0].Annots(), out)
		for _, d := range errs {
			if !d.Pos.IsValid() || d.Pos.Offset < 0 || d.Pos.Offset > len(src) || d.End.Offset < d.Pos.Offset {
				t.Fatalf("diagnostic outside the text: %+v in %q", d, src)
			}
		}
	})
}

// A @viz (and @viz_title) before any @metric chooses the chart of the
// query's own results; an unknown kind is still an error.
func TestQueryLevelViz(t *testing.T) {
	s, errs := FromQuery(bind(t, trades+"-- @viz: bar\n-- @viz_title: Volume by symbol\n"+plain))
	if len(errs) > 0 || s.Viz != VizBar || s.VizTitle != "Volume by symbol" || len(s.Metrics) != 0 {
		t.Fatalf("spec %+v errs %v", s, errs)
	}
	if _, errs := FromQuery(bind(t, trades+"-- @viz: pie\n"+plain)); len(errs) != 1 || !strings.Contains(errs[0].Msg, `unknown @viz "pie"`) {
		t.Fatalf("errs %v", errs)
	}
}
