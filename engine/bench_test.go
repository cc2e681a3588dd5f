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
