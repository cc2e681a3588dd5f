package metrics

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/connectors"
	_ "github.com/velostream/velostream/engine/connectors/file"
	"github.com/velostream/velostream/engine/connectors/memory"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/planner"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/observability"
	"github.com/velostream/velostream/observability/annotations"
)

const decl = `CREATE STREAM trades (symbol STRING, exchange STRING, price DOUBLE, quantity BIGINT, note STRING, ts TIMESTAMP)
WITH ('trades.type' = 'file_source', 'trades.path' = 'trades.jsonl');
`

// compile binds and plans src (declarations included, so no data is read).
func compile(t testing.TB, src string) *plan.Query {
	t.Helper()
	script, errs := parser.Parse(src)
	if len(errs) > 0 {
		t.Fatalf("parse: %v", errs)
	}
	q, errs := binder.Bind(script, binder.Options{})
	if len(errs) > 0 {
		t.Fatalf("bind: %v", errs)
	}
	return planner.Plan(q)
}

func newMetrics(t testing.TB, q *plan.Query, opts Options) *Metrics {
	t.Helper()
	spec, errs := annotations.FromQuery(q)
	if len(errs) > 0 {
		t.Fatalf("annotations: %v", errs)
	}
	opts.NoRuntimeCollectors = true
	if opts.Query == "" {
		opts.Query = "trades"
	}
	m, err := New(spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func row(vals ...types.Value) types.Row { return vals }

var (
	str = types.StringValue
	num = types.IntValue
	flt = types.FloatValue
	nul = types.NullValue()
)

const projection = `
-- @metric: shares
-- @metric_labels: symbol, exchange
-- @metric_field: quantity
-- @metric: big_trades
-- @metric_labels: symbol
-- @metric_condition: quantity >= 100
-- @metric: last_price
-- @metric_type: gauge
-- @metric_field: price
-- @metric_labels: symbol
-- @metric_help: Last traded price
-- @metric: trade_size
-- @metric_type: histogram
-- @metric_field: quantity
-- @metric_buckets: 10, 100
SELECT symbol, exchange, price, quantity FROM trades;`

func TestUpdaterServesAnnotatedMetrics(t *testing.T) {
	m := newMetrics(t, compile(t, decl+projection), Options{})
	rows := []types.Row{
		row(str("AAPL"), str("XNAS"), flt(190.5), num(100)),
		row(str("AAPL"), str("XNAS"), flt(191), num(50)),
		row(str("MSFT"), nul, flt(410.25), num(300)),
		row(str(""), str("XNYS"), flt(1), num(5)),
	}
	for _, r := range rows {
		if err := m.Emitter().Emit(r, 0); err != nil {
			t.Fatal(err)
		}
	}
	want := `
# HELP velo_big_trades_total Output rows of the query where quantity >= 100
# TYPE velo_big_trades_total counter
velo_big_trades_total{query="trades",symbol="AAPL"} 1
velo_big_trades_total{query="trades",symbol="MSFT"} 1
# HELP velo_last_price Last traded price
# TYPE velo_last_price gauge
velo_last_price{query="trades",symbol="AAPL"} 191
velo_last_price{query="trades",symbol="MSFT"} 410.25
velo_last_price{query="trades",symbol="unknown"} 1
# HELP velo_shares_total Sum of quantity over the query's output rows
# TYPE velo_shares_total counter
velo_shares_total{exchange="XNAS",query="trades",symbol="AAPL"} 150
velo_shares_total{exchange="XNYS",query="trades",symbol="unknown"} 5
velo_shares_total{exchange="unknown",query="trades",symbol="MSFT"} 300
# HELP velo_trade_size Distribution of quantity over the query's output rows
# TYPE velo_trade_size histogram
velo_trade_size_bucket{query="trades",le="10"} 1
velo_trade_size_bucket{query="trades",le="100"} 3
velo_trade_size_bucket{query="trades",le="+Inf"} 4
velo_trade_size_sum{query="trades"} 455
velo_trade_size_count{query="trades"} 4
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"velo_big_trades_total", "velo_last_price", "velo_shares_total", "velo_trade_size"); err != nil {
		t.Error(err)
	}
}

func TestSeriesCapDropsAndCounts(t *testing.T) {
	m := newMetrics(t, compile(t, decl+"-- @metric: trades_seen\n-- @metric_labels: symbol\nSELECT symbol FROM trades;"), Options{MaxSeries: 2})
	for _, s := range []string{"A", "B", "C", "A", "D", "B"} {
		m.Emitter().Emit(row(str(s)), 0)
	}
	want := `
# HELP velo_metric_series_dropped_total Metric updates dropped because they would have created a label set past the metric's series cap.
# TYPE velo_metric_series_dropped_total counter
velo_metric_series_dropped_total{metric="trades_seen",query="trades"} 2
# HELP velo_trades_seen_total Output rows of the query
# TYPE velo_trades_seen_total counter
velo_trades_seen_total{query="trades",symbol="A"} 2
velo_trades_seen_total{query="trades",symbol="B"} 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "velo_trades_seen_total", observability.SeriesDropped); err != nil {
		t.Error(err)
	}
}

func TestRowsAMetricCannotUseAreCounted(t *testing.T) {
	// note is a string column read as ANY through CAST-free SQL: a value
	// that is not a number reaches the updater at run time.
	src := decl + `
-- @metric: size
-- @metric_field: q
-- @metric: ratio
-- @metric_type: gauge
-- @metric_field: p
-- @metric_condition: 10 / quantity > 1
SELECT quantity - 100 AS q, price AS p, quantity FROM trades;`
	m := newMetrics(t, compile(t, src), Options{})
	for _, r := range []types.Row{
		row(num(50), flt(1), num(5)),             // size +50; ratio set to 1
		row(num(-20), flt(math.Inf(1)), num(2)),  // negative increment; infinite gauge
		row(nul, flt(2), num(0)),                 // NULL field; division by zero in the condition
		row(num(1), types.NullValue(), num(100)), // size +1; condition false
	} {
		m.Emitter().Emit(r, 0)
	}
	want := `
# HELP velo_metric_rows_skipped_total Output rows a metric could not use, by reason.
# TYPE velo_metric_rows_skipped_total counter
velo_metric_rows_skipped_total{metric="ratio",query="trades",reason="condition_error"} 1
velo_metric_rows_skipped_total{metric="ratio",query="trades",reason="not_finite"} 1
velo_metric_rows_skipped_total{metric="size",query="trades",reason="negative"} 1
velo_metric_rows_skipped_total{metric="size",query="trades",reason="null_field"} 1
# HELP velo_ratio Latest p of the query's output rows where 10 / quantity > 1
# TYPE velo_ratio gauge
velo_ratio{query="trades"} 1
# HELP velo_size_total Sum of q over the query's output rows
# TYPE velo_size_total counter
velo_size_total{query="trades"} 51
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "velo_size_total", "velo_ratio", observability.RowsSkipped); err != nil {
		t.Error(err)
	}
}

func TestLabelValues(t *testing.T) {
	tests := []struct {
		v    types.Value
		want string
	}{
		{str("AAPL"), "AAPL"},
		{nul, "unknown"},
		{str(""), "unknown"},
		{str("a\xffb"), "a\uFFFDb"},
		{num(-42), "-42"},
		{flt(1.5), "1.5"},
		{types.DecimalValue(12345, 2), "123.45"},
		{types.BoolValue(true), "true"},
		{types.TimestampValue(0), "1970-01-01T00:00:00.000Z"},
	}
	for _, tt := range tests {
		if got := string(appendLabel(nil, tt.v)); got != tt.want {
			t.Errorf("appendLabel(%+v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		v      types.Value
		want   float64
		reason string
	}{
		{num(3), 3, ""},
		{flt(2.5), 2.5, ""},
		{types.DecimalValue(-12345, 3), -12.345, ""},
		{types.BigDecimalValue("123456789012345678901.5", 1), 123456789012345678901.5, ""},
		{nul, 0, reasonNull},
		{str("12"), 0, reasonNotNumeric},
		{types.TimestampValue(5), 0, reasonNotNumeric},
	}
	for _, tt := range tests {
		got, reason := number(tt.v)
		if got != tt.want || reason != tt.reason {
			t.Errorf("number(%+v) = %v %q, want %v %q", tt.v, got, reason, tt.want, tt.reason)
		}
	}
}

// lagSource is a source that reports consumer lag, as a Kafka source does.
type lagSource struct {
	connectors.Source
	lag map[int32]int64
}

func (s lagSource) Lag() map[int32]int64 { return s.lag }

func TestEngineSeriesReadStats(t *testing.T) {
	now := time.UnixMilli(1_700_000_100_000)
	m := newMetrics(t, compile(t, decl+"SELECT symbol FROM trades;"), Options{Now: func() time.Time { return now }})
	s := m.Stats()
	// Before any record: no watermark, so no lag series.
	s.Watermark.Store(math.MinInt64)
	if n, err := testutil.GatherAndCount(m.Registry(), observability.WatermarkLag); err != nil || n != 0 {
		t.Fatalf("lag series before the first record: %d %v", n, err)
	}
	s.Read.Add(10)
	s.Emitted.Add(7)
	s.Filtered.Add(1)
	s.Late.Add(2)
	s.DeadLettered.Add(3)
	s.Bad.Add(4)
	s.OpenWindows.Store(5)
	s.Watermark.Store(1_700_000_000_000)
	s.LatencyNanos(2_000_000) // 2ms
	m.AddLagger("trades", "trades", lagSource{lag: map[int32]int64{0: 12, 1: 0}})
	want := `
# HELP velo_query_consumer_lag Records not yet read, per source partition.
# TYPE velo_query_consumer_lag gauge
velo_query_consumer_lag{partition="0",query="trades",source="trades",topic="trades"} 12
velo_query_consumer_lag{partition="1",query="trades",source="trades",topic="trades"} 0
# HELP velo_query_open_windows Window and group states held in memory.
# TYPE velo_query_open_windows gauge
velo_query_open_windows{query="trades"} 5
# HELP velo_query_processing_latency_seconds Time to process one batch of input records, in seconds.
# TYPE velo_query_processing_latency_seconds histogram
velo_query_processing_latency_seconds_bucket{query="trades",le="1e-05"} 0
velo_query_processing_latency_seconds_bucket{query="trades",le="4e-05"} 0
velo_query_processing_latency_seconds_bucket{query="trades",le="0.00016"} 0
velo_query_processing_latency_seconds_bucket{query="trades",le="0.00064"} 0
velo_query_processing_latency_seconds_bucket{query="trades",le="0.00256"} 1
velo_query_processing_latency_seconds_bucket{query="trades",le="0.01024"} 1
velo_query_processing_latency_seconds_bucket{query="trades",le="0.04096"} 1
velo_query_processing_latency_seconds_bucket{query="trades",le="0.16384"} 1
velo_query_processing_latency_seconds_bucket{query="trades",le="0.65536"} 1
velo_query_processing_latency_seconds_bucket{query="trades",le="2.62144"} 1
velo_query_processing_latency_seconds_bucket{query="trades",le="+Inf"} 1
velo_query_processing_latency_seconds_sum{query="trades"} 0.002
velo_query_processing_latency_seconds_count{query="trades"} 1
# HELP velo_query_records_bad_total Records that could not be decoded or processed.
# TYPE velo_query_records_bad_total counter
velo_query_records_bad_total{query="trades"} 4
# HELP velo_query_records_dead_lettered_total Records written to a dead-letter sink.
# TYPE velo_query_records_dead_lettered_total counter
velo_query_records_dead_lettered_total{query="trades"} 3
# HELP velo_query_records_emitted_total Result rows the query emitted.
# TYPE velo_query_records_emitted_total counter
velo_query_records_emitted_total{query="trades"} 7
# HELP velo_query_records_filtered_total Records removed by WHERE.
# TYPE velo_query_records_filtered_total counter
velo_query_records_filtered_total{query="trades"} 1
# HELP velo_query_records_late_total Records that arrived after every window they belong to had closed.
# TYPE velo_query_records_late_total counter
velo_query_records_late_total{query="trades"} 2
# HELP velo_query_records_read_total Records read from the query's sources, good and bad.
# TYPE velo_query_records_read_total counter
velo_query_records_read_total{query="trades"} 10
# HELP velo_query_watermark_lag_seconds Wall-clock time minus the query's event-time watermark, in seconds.
# TYPE velo_query_watermark_lag_seconds gauge
velo_query_watermark_lag_seconds{query="trades"} 100
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		observability.ConsumerLag, observability.OpenWindows, observability.ProcessingLatency, observability.RecordsBad,
		observability.RecordsDeadLettered, observability.RecordsEmitted, observability.RecordsFiltered, observability.RecordsLate,
		observability.RecordsRead, observability.WatermarkLag); err != nil {
		t.Error(err)
	}
	// At the end of a bounded input the watermark jumps to MaxInt64.
	s.Watermark.Store(math.MaxInt64)
	if n, err := testutil.GatherAndCount(m.Registry(), observability.WatermarkLag); err != nil || n != 0 {
		t.Fatalf("lag series at end of input: %d %v", n, err)
	}
}

// Instrument runs a real query through the executor: the rows reach the
// query's own file sink (opened by Instrument) and the metrics, and the
// engine series count what the executor counted.
func TestInstrumentTeesTheQuerysSink(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.jsonl")
	src := decl + `
-- @metric: volume
-- @metric_labels: symbol
-- @metric_field: quantity
CREATE STREAM big AS SELECT symbol, quantity FROM trades WHERE quantity > 1
WITH ('big.type' = 'file_sink', 'big.path' = '` + out + `');`
	q := compile(t, src)
	m := newMetrics(t, q, Options{})
	schema := types.Schema{{Name: "symbol", Type: types.String}, {Name: "quantity", Type: types.Int}}
	rows := []types.Row{row(str("A"), num(5)), row(str("B"), num(1)), row(str("A"), num(7)), row(str("B"), num(3))}
	// A source that reports lag (as Kafka's does) is picked up.
	srcs := map[string]connectors.Source{"trades": lagSource{memory.NewSource("trades", schema, rows, 2), map[int32]int64{3: 9}}}
	ctx := context.Background()
	opts, err := m.Instrument(ctx, q, executor.Options{Sources: srcs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := executor.Run(ctx, q, opts); err != nil {
		t.Fatal(err)
	}
	if err := opts.Emitter.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "\n"); got != 3 {
		t.Errorf("sink has %d rows, want 3:\n%s", got, b)
	}
	want := `
# HELP velo_volume_total Sum of quantity over the query's output rows
# TYPE velo_volume_total counter
velo_volume_total{query="trades",symbol="A"} 12
velo_volume_total{query="trades",symbol="B"} 3
# HELP velo_query_records_read_total Records read from the query's sources, good and bad.
# TYPE velo_query_records_read_total counter
velo_query_records_read_total{query="trades"} 4
# HELP velo_query_records_emitted_total Result rows the query emitted.
# TYPE velo_query_records_emitted_total counter
velo_query_records_emitted_total{query="trades"} 3
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "velo_volume_total", observability.RecordsRead, observability.RecordsEmitted); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(m.Registry(), observability.ProcessingLatency); err != nil || n != 1 {
		t.Errorf("latency histogram: %d series, %v", n, err)
	}
	if n, err := testutil.GatherAndCount(m.Registry(), observability.ConsumerLag); err != nil || n != 1 {
		t.Errorf("consumer lag: %d series, %v", n, err)
	}
}

func TestListenServesMetrics(t *testing.T) {
	m := newMetrics(t, compile(t, decl+"-- @metric: seen\nSELECT symbol FROM trades;"), Options{})
	m.Emitter().Emit(row(str("A")), 0)
	srv, err := Listen("127.0.0.1:0", m.Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `velo_seen_total{query="trades"} 1`) {
		t.Fatalf("status %d body:\n%s", resp.StatusCode, body)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(srv.URL()); err == nil {
		t.Fatal("server still answers after Close")
	}
}

func TestNewRejectsSpecsThatCannotRun(t *testing.T) {
	for _, m := range []*annotations.Metric{
		{Name: "a", Labels: []string{"x"}, LabelCols: []int{-1}, FieldCol: -1},
		{Name: "b", Type: annotations.Gauge, Field: "x", FieldCol: -1},
		{Name: "c", Condition: "x > 1", FieldCol: -1},
	} {
		if _, err := New(&annotations.Spec{Metrics: []*annotations.Metric{m}}, Options{NoRuntimeCollectors: true}); err == nil {
			t.Errorf("%s: no error", m.Name)
		}
	}
}

func TestNewRejectsNameClashes(t *testing.T) {
	// Two metrics whose series collide cannot come from annotations (it
	// reports them), but a hand-built spec must get an error, not a panic.
	a := &annotations.Metric{Name: "x", Type: annotations.Gauge, Help: "h", FieldCol: 0}
	b := &annotations.Metric{Name: "x", Type: annotations.Gauge, Help: "h", FieldCol: 0}
	if _, err := New(&annotations.Spec{Metrics: []*annotations.Metric{a, b}}, Options{NoRuntimeCollectors: true}); err == nil {
		t.Fatal("no error for two metrics named velo_x")
	}
}

// Prometheus scrapes while the query's goroutine emits: run with -race.
func TestScrapeWhileEmitting(t *testing.T) {
	m := newMetrics(t, compile(t, decl+projection), Options{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20000; i++ {
			m.Emitter().Emit(row(str(fmt.Sprintf("S%d", i%50)), str("X"), flt(float64(i)), num(int64(i%200))), 0)
			m.Stats().Read.Add(1)
		}
	}()
	for scraping := true; scraping; {
		select {
		case <-done:
			scraping = false
		default:
		}
		if _, err := m.Registry().Gather(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := testutil.GatherAndCount(m.Registry(), "velo_shares_total"); err != nil || n != 50 {
		t.Fatalf("%d series, %v", n, err)
	}
}

// lagSource is an in-memory source that also reports consumer lag.
type lagMemSource struct{ *memory.Source }

func (lagMemSource) Lag() map[int32]int64 { return map[int32]int64{0: 7, 2: 1} }
func (lagMemSource) Reconnects() int64    { return 3 }

// A source the run opens that implements connectors.Lagger reports its lag
// per partition, whether the executor opened it or was handed it.
func TestInstrumentReportsConsumerLagOfSourcesTheRunOpens(t *testing.T) {
	q := compile(t, decl+"SELECT symbol FROM trades")
	m := newMetrics(t, q, Options{})
	src := lagMemSource{memory.NewSource("trades", q.Sources[0].Columns, []types.Row{{types.StringValue("A")}}, 10)}
	opts, err := m.Instrument(context.Background(), q, executor.Options{Emitter: &executor.Collector{}, Sources: map[string]connectors.Source{"trades": src}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := executor.Run(context.Background(), q, opts); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP velo_query_consumer_lag Records not yet read, per source partition.
# TYPE velo_query_consumer_lag gauge
velo_query_consumer_lag{partition="0",query="trades",source="trades",topic=""} 7
velo_query_consumer_lag{partition="2",query="trades",source="trades",topic=""} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "velo_query_consumer_lag"); err != nil {
		t.Fatal(err)
	}
	retries := `
# HELP velo_query_connection_retries_total Failed attempts to reach a source's cluster (it grows while a broker is down).
# TYPE velo_query_connection_retries_total counter
velo_query_connection_retries_total{query="trades",source="trades"} 3
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(retries), "velo_query_connection_retries_total"); err != nil {
		t.Fatal(err)
	}
}
