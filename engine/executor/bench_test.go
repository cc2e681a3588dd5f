package executor

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/planner"
	"github.com/velostream/velostream/engine/types"
)

// BenchmarkAggregateOperator measures the windowed aggregation operator on
// already-decoded rows, without sources, decoding or output: the issue's
// benchmark query over 1M trades of 50 symbols in one hour of event time.
func BenchmarkAggregateOperator(b *testing.B) {
	script, errs := parser.Parse(`SELECT symbol, COUNT(*), SUM(quantity), AVG(price), MIN(price), MAX(price)
		FROM trades GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)`)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	decl := types.Schema{{Name: "symbol", Type: types.String}, {Name: "price", Type: types.Decimal}, {Name: "quantity", Type: types.Int}, {Name: "ts", Type: types.Int}}
	q, errs := binder.Bind(script, binder.Options{Sources: map[string]map[string]string{"trades": {"type": "file_source", "path": "-"}},
		Resolve: func(*plan.Source) (types.Schema, error) { return decl, nil }})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	q = planner.Plan(q)
	cols := q.Sources[0].Columns
	const n = 1_000_000
	flat := make([]types.Value, n*len(cols))
	rows := make([]types.Row, n)
	times := make([]int64, n)
	syms := make([]string, 50)
	for i := range syms {
		syms[i] = fmt.Sprintf("SYM%02d", i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range rows {
		row := flat[i*len(cols) : (i+1)*len(cols)]
		t := int64(1_704_067_200_000) + int64(i)*36/10
		for c, col := range cols {
			switch col.Name {
			case "symbol":
				row[c] = types.StringValue(syms[rng.IntN(50)])
			case "price":
				row[c] = types.DecimalValue(int64(10000+rng.IntN(9_000_000)), 4)
			case "quantity":
				row[c] = types.IntValue(int64(1 + rng.IntN(500)))
			case "ts":
				row[c] = types.IntValue(t)
			}
		}
		rows[i], times[i] = row, t
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stats := &Stats{}
		out := &outputOp{em: FuncEmitter{F: func(types.Row, int64) error { return nil }}, stats: stats}
		op := newAggOp(q.Root.(*plan.Aggregate), out, nopFailer{}, stats, envForBench())
		var r rec
		for j, row := range rows {
			r = rec{row: row, t: times[j]}
			if err := op.push(&r); err != nil {
				b.Fatal(err)
			}
			if err := op.advance(times[j]); err != nil {
				b.Fatal(err)
			}
		}
		if err := op.finish(); err != nil {
			b.Fatal(err)
		}
		if stats.Emitted.Load() != 60*50 && stats.Emitted.Load() != 61*50 {
			b.Fatalf("emitted %d rows", stats.Emitted.Load())
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

type nopFailer struct{}

func (nopFailer) fail(*rec, string, error) {}
func (nopFailer) late(*rec)                {}

func envForBench() functions.Env { return functions.Env{} }
