package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/memory"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/types"
)

// The benchmark query: 1,000,000 trades, 50 symbols, one-minute
// tumbling windows.
const benchQuery = `SELECT symbol, COUNT(*), SUM(quantity), AVG(price), MIN(price), MAX(price)
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)`

const benchRecords = 1_000_000

var (
	tradesOnce sync.Once
	tradesPath string
	tradesErr  error
)

// tradesFile writes (once per test binary) 1M trade lines like
// {"symbol":"SYM07","price":182.3400,"quantity":120,"side":"BUY","ts":...}
// with event times 3.6 ms apart (about 280 trades/s per symbol): one hour of
// trading, so sixty windows open and close while the input is read.
func tradesFile(b *testing.B) string {
	tradesOnce.Do(func() {
		// One file per machine, reused across runs (it is deterministic):
		// written next to the temp dir's other files, not one per run.
		tradesPath = filepath.Join(os.TempDir(), "velo-bench-trades-1m-v1.jsonl")
		if st, err := os.Stat(tradesPath); err == nil && st.Size() > 0 {
			return
		}
		tmp := tradesPath + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			tradesErr = err
			return
		}
		w := bufio.NewWriterSize(f, 1<<20)
		writeTrades(w, benchRecords)
		if err := w.Flush(); err != nil {
			tradesErr = err
		}
		if err := f.Close(); err != nil {
			tradesErr = err
		}
		if tradesErr == nil {
			tradesErr = os.Rename(tmp, tradesPath)
		}
	})
	if tradesErr != nil {
		b.Fatal(tradesErr)
	}
	return tradesPath
}

// writeTrades writes n deterministic trade lines.
func writeTrades(w io.Writer, n int) {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := int64(1_704_067_200_000)
	for i := 0; i < n; i++ {
		sym := rng.IntN(50)
		price := 10000 + rng.IntN(9_000_000) // 1.0000 .. 901.0000 in 4 decimals
		side := "BUY"
		if rng.IntN(2) == 1 {
			side = "SELL"
		}
		fmt.Fprintf(w, `{"symbol":"SYM%02d","price":%d.%04d,"quantity":%d,"side":"%s","ts":%d}`+"\n",
			sym, price/10000, price%10000, 1+rng.IntN(500), side, t0+int64(i)*36/10)
	}
}

type countEmitter struct{ n int64 }

func (c *countEmitter) Emit(types.Row, int64) error { c.n++; return nil }
func (c *countEmitter) Flush(context.Context) error { return nil }
func (c *countEmitter) Close() error                { return nil }

// discardSink takes encoded rows and drops them (the cost of encoding stays
// in the measurement, the cost of a file or terminal does not).
type discardSink struct{ bytes int64 }

func (d *discardSink) Write(_ context.Context, recs []connectors.OutRecord) error {
	for _, r := range recs {
		d.bytes += int64(len(r.Value))
	}
	return nil
}
func (d *discardSink) Flush(context.Context) error { return nil }
func (d *discardSink) Close() error                { return nil }

func compileBench(b *testing.B, sql, path string) *Query {
	q, errs := Compile(sql, Options{Sources: map[string]map[string]string{
		"trades": {"type": "file_source", "path": path, "format": "json"},
	}})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	return q
}

// BenchmarkWindowJSON: JSON lines -> decode -> tumbling GROUP BY -> rows.
func BenchmarkWindowJSON(b *testing.B) {
	path := tradesFile(b)
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		q := compileBench(b, benchQuery, path)
		em := &countEmitter{}
		done := watchHeap(&peak)
		if _, err := q.Run(context.Background(), executor.Options{Emitter: em}); err != nil {
			b.Fatal(err)
		}
		done()
		if em.n == 0 {
			b.Fatal("no rows")
		}
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkWindowChangesJSON: the same query with EMIT CHANGES, every
// result row encoded as JSON.
func BenchmarkWindowChangesJSON(b *testing.B) {
	path := tradesFile(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := compileBench(b, benchQuery+" EMIT CHANGES", path)
		sink := &discardSink{}
		em := executor.NewSinkEmitter(context.Background(), sink, q.Plan.Output, "json", "")
		if _, err := q.Run(context.Background(), executor.Options{Emitter: em}); err != nil {
			b.Fatal(err)
		}
		if sink.bytes == 0 {
			b.Fatal("no output")
		}
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkWindowDecoded: already-decoded rows -> tumbling GROUP BY.
func BenchmarkWindowDecoded(b *testing.B) {
	path := tradesFile(b)
	q := compileBench(b, benchQuery, path)
	rows := decodeAll(b, q, path)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := compileBench(b, benchQuery, path)
		src := memory.NewSource("trades", q.Plan.Sources[0].Columns, rows, 4096)
		em := &countEmitter{}
		if _, err := q.Run(context.Background(), executor.Options{Emitter: em, Sources: map[string]connectors.Source{"trades": src}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}

// decodeAll reads the file through the query's own source into rows.
func decodeAll(b *testing.B, q *Query, path string) []types.Row {
	ps := q.Plan.Sources[0]
	src, err := connectors.OpenSource(context.Background(), ps.Type, connectors.Config{Name: ps.Name, Props: ps.Props, Schema: ps.DecodeSchema()})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	// Rows live in one flat backing array, as a decoder lays out a batch:
	// the benchmark measures the operators, not a million separate heap
	// objects scattered over memory.
	width := len(ps.Columns)
	flat := make([]types.Value, 0, benchRecords*width)
	for {
		batch, err := src.Read(context.Background())
		if err != nil {
			break
		}
		for _, r := range batch.Records {
			flat = append(flat, r.Row...)
		}
	}
	rows := make([]types.Row, 0, benchRecords)
	for i := 0; i+width <= len(flat); i += width {
		rows = append(rows, flat[i:i+width:i+width])
	}
	if len(rows) != benchRecords {
		b.Fatalf("decoded %d rows", len(rows))
	}
	return rows
}

// watchHeap samples the live heap every 10 ms until the returned func is
// called, keeping the largest value seen in *peak.
func watchHeap(peak *uint64) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > *peak {
				*peak = ms.HeapInuse
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(stop); <-done }
}

// Joins and window functions.

// The stream-table join benchmark: 1,000,000 trades of 100,000
// customers, enriched with the customer's tier, then counted per tier in
// one-minute windows.
const tableJoinQuery = `CREATE TABLE customers WITH ('key.field' = 'id');
SELECT c.tier, COUNT(*) AS trades, SUM(t.quantity) AS volume, AVG(t.price) AS avg_price
FROM trades t JOIN customers c ON t.customer_id = c.id
GROUP BY c.tier
WINDOW TUMBLING(t.ts, INTERVAL '1' MINUTE)`

var tableJoinSchemas = map[string]types.Schema{
	"trades": {{Name: "symbol", Type: types.String}, {Name: "customer_id", Type: types.String},
		{Name: "price", Type: types.Type{Kind: types.KindDecimal, Precision: 12, Scale: 4}}, {Name: "quantity", Type: types.Int}, {Name: "ts", Type: types.Int}},
	"customers": {{Name: "id", Type: types.String}, {Name: "name", Type: types.String}, {Name: "tier", Type: types.String}},
}

const benchCustomers = 100_000

// tableJoinRows builds decoded trades and customers in the query's read
// layouts. Customer ids are shared strings, as a decoder's interning makes
// repeated values.
func tableJoinRows(q *Query) (trades, customers []types.Row) {
	ids := make([]string, benchCustomers)
	for i := range ids {
		ids[i] = fmt.Sprintf("CUST%06d", i)
	}
	syms := make([]string, 50)
	for i := range syms {
		syms[i] = fmt.Sprintf("SYM%02d", i)
	}
	tiers := []string{"bronze", "silver", "gold", "platinum"}
	cc := sourceCols(q, "customers")
	customers = make([]types.Row, benchCustomers)
	for i := range customers {
		customers[i] = rowOf(cc, map[string]types.Value{"id": types.StringValue(ids[i]),
			"name": types.StringValue("name " + ids[i]), "tier": types.StringValue(tiers[i%len(tiers)])})
	}
	tc := sourceCols(q, "trades")
	flat := make([]types.Value, benchRecords*len(tc))
	trades = make([]types.Row, benchRecords)
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := int64(1_704_067_200_000)
	for i := range trades {
		row := flat[i*len(tc) : (i+1)*len(tc) : (i+1)*len(tc)]
		for c, col := range tc {
			switch col.Name {
			case "symbol":
				row[c] = types.StringValue(syms[rng.IntN(50)])
			case "customer_id":
				row[c] = types.StringValue(ids[rng.IntN(benchCustomers)])
			case "price":
				row[c] = types.DecimalValue(int64(10000+rng.IntN(9_000_000)), 4)
			case "quantity":
				row[c] = types.IntValue(int64(1 + rng.IntN(500)))
			case "ts":
				row[c] = types.IntValue(t0 + int64(i)*36/10)
			}
		}
		trades[i] = row
	}
	return trades, customers
}

// BenchmarkStreamTableJoinDecoded: decoded trades -> join with a 100,000-row
// customer table (loaded first) -> tumbling aggregation by tier. Run with
// -cpu 1 for the one-core figure; records/s counts trades.
func BenchmarkStreamTableJoinDecoded(b *testing.B) {
	q := compileWith(b, tableJoinQuery, tableJoinSchemas)
	trades, customers := tableJoinRows(q)
	b.ResetTimer()
	var peak uint64
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		q := compileWith(b, tableJoinQuery, tableJoinSchemas)
		em := &countEmitter{}
		srcs := map[string]connectors.Source{
			"trades":    memory.NewSource("trades", sourceCols(q, "trades"), trades, 4096),
			"customers": memory.NewSource("customers", sourceCols(q, "customers"), customers, 4096),
		}
		done := watchHeap(&peak)
		if _, err := q.Run(context.Background(), executor.Options{Emitter: em, Sources: srcs}); err != nil {
			b.Fatal(err)
		}
		done()
		if em.n != 61*4 && em.n != 60*4 {
			b.Fatalf("%d rows", em.n)
		}
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(benchRecords*b.N)/(cpuTime()-cpu0).Seconds(), "records/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// cpuTime is the CPU time the process has used (user and system): on a
// shared machine, records per CPU second is steadier than per wall second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The interval join: orders and payments, a payment matching an
// order when it comes within the hour after it.
const intervalJoinQuery = `SELECT o.id, o.amount, p.paid
FROM orders o JOIN payments p
  ON o.id = p.order_id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '1' HOUR`

var intervalJoinSchemas = map[string]types.Schema{
	"orders":   {{Name: "id", Type: types.Int}, {Name: "amount", Type: types.Int}, {Name: "ts", Type: types.Int}},
	"payments": {{Name: "order_id", Type: types.Int}, {Name: "paid", Type: types.Int}, {Name: "ts", Type: types.Int}},
}

// genSource makes n rows on demand, one batch at a time, so that memory
// measured during a run is the engine's, not the input's.
type genSource struct {
	schema types.Schema
	n, i   int
	fill   func(i int, row types.Row)
	vals   []types.Value
	recs   []connectors.Record
}

func (g *genSource) Schema() types.Schema { return g.schema }
func (g *genSource) Read(ctx context.Context) (connectors.Batch, error) {
	if g.i >= g.n {
		return connectors.Batch{}, connectors.ErrEndOfInput
	}
	const size = 4096
	w := len(g.schema)
	if g.vals == nil {
		g.vals = make([]types.Value, size*w)
	}
	g.recs = g.recs[:0]
	for k := 0; k < size && g.i < g.n; k++ {
		row := g.vals[k*w : (k+1)*w : (k+1)*w]
		g.fill(g.i, row)
		g.recs = append(g.recs, connectors.Record{Row: row, Prov: connectors.Provenance{Line: int64(g.i + 1)}})
		g.i++
	}
	return connectors.Batch{Records: g.recs}, nil
}
func (g *genSource) Ack(context.Context, []connectors.Provenance) error { return nil }
func (g *genSource) Close() error                                       { return nil }

// intervalJoinSources generates n orders spacingMs apart and n payments,
// each 30 minutes after its order; one payment in four names an order from
// 2.5 hours earlier instead, and matches nothing.
func intervalJoinSources(q *Query, n int, spacingMs int64) map[string]connectors.Source {
	t0 := int64(1_704_067_200_000)
	oc, pc := sourceCols(q, "orders"), sourceCols(q, "payments")
	idx := func(cols types.Schema, name string) int { return cols.Index(name) }
	oid, oamt, ots := idx(oc, "id"), idx(oc, "amount"), idx(oc, "ts")
	pid, ppaid, pts := idx(pc, "order_id"), idx(pc, "paid"), idx(pc, "ts")
	back := int(9_000_000 / spacingMs)
	return map[string]connectors.Source{
		"orders": &genSource{schema: oc, n: n, fill: func(i int, row types.Row) {
			row[oid], row[oamt], row[ots] = types.IntValue(int64(i)), types.IntValue(int64(i%1000)), types.IntValue(t0+int64(i)*spacingMs)
		}},
		"payments": &genSource{schema: pc, n: n, fill: func(i int, row types.Row) {
			id := i
			if redirected(i, back) {
				id = i - back
			}
			row[pid], row[ppaid], row[pts] = types.IntValue(int64(id)), types.IntValue(int64(i%1000)), types.IntValue(t0+int64(i)*spacingMs+1_800_000)
		}},
	}
}

// redirected reports whether payment i names an order 2.5 hours before
// its own (one in four, by a multiplicative hash), which it cannot match.
func redirected(i, back int) bool { return (uint32(i)*2654435761)>>30 == 0 && i >= back }

// intervalJoinMatches counts the payments that match their order: every
// payment not redirected (30 minutes after its order, within the hour).
func intervalJoinMatches(n int, spacingMs int64) int64 {
	back := int(9_000_000 / spacingMs)
	var m int64
	for i := 0; i < n; i++ {
		if !redirected(i, back) {
			m++
		}
	}
	return m
}

// BenchmarkIntervalJoin: two streams of N rows, 100 ms apart (an hour holds
// 36,000 rows of each), joined within one hour. records/s counts the rows of
// both streams; peak-heap-MB and peak-join-rows must not grow with N.
func BenchmarkIntervalJoin(b *testing.B) {
	for _, n := range []int{500_000, 1_000_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			var peak uint64
			var peakRows int64
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				q := compileWith(b, intervalJoinQuery, intervalJoinSchemas)
				stats := &executor.Stats{}
				em := &countEmitter{}
				runtime.GC()
				done := watchHeap(&peak)
				stop := watchGauge(&stats.JoinRows, &peakRows)
				if _, err := q.Run(context.Background(), executor.Options{Emitter: em, Sources: intervalJoinSources(q, n, 100), Stats: stats}); err != nil {
					b.Fatal(err)
				}
				stop()
				done()
				if want := intervalJoinMatches(n, 100); em.n != want {
					b.Fatalf("%d matches for %d orders, want %d", em.n, n, want)
				}
			}
			b.ReportMetric(float64(2*n*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(2*n*b.N)/(cpuTime()-cpu0).Seconds(), "records/cpu-s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(peakRows), "peak-join-rows")
		})
	}
}

// watchGauge samples g every millisecond until the returned func is called,
// keeping the largest value in *peak.
func watchGauge(g interface{ Load() int64 }, peak *int64) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := g.Load(); v > *peak {
				*peak = v
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(stop); <-done }
}

// BenchmarkWindowFunctionsDecoded: decoded trades -> LAG and a ten-row
// moving average per symbol, in event-time order, one output row per trade.
func BenchmarkWindowFunctionsDecoded(b *testing.B) {
	const sql = `SELECT symbol, price,
       LAG(price) OVER (PARTITION BY symbol ORDER BY ts) AS prev,
       AVG(price) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS avg10
FROM trades`
	path := tradesFile(b)
	q := compileBench(b, sql, path)
	rows := decodeAll(b, q, path)
	b.ResetTimer()
	cpu0 := cpuTime()
	var peak uint64
	for i := 0; i < b.N; i++ {
		q := compileBench(b, sql, path)
		src := memory.NewSource("trades", q.Plan.Sources[0].Columns, rows, 4096)
		em := &countEmitter{}
		done := watchHeap(&peak)
		if _, err := q.Run(context.Background(), executor.Options{Emitter: em, Sources: map[string]connectors.Source{"trades": src}}); err != nil {
			b.Fatal(err)
		}
		done()
		if em.n != benchRecords {
			b.Fatalf("%d rows", em.n)
		}
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(benchRecords*b.N)/(cpuTime()-cpu0).Seconds(), "records/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
