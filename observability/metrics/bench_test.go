package metrics

import (
	"fmt"
	"testing"

	"github.com/velostream/velostream/engine/types"
)

// benchRows are 1024 output rows over 100 symbols and 4 exchanges, so every
// series exists after the first pass: the steady state of a running query.
func benchRows() []types.Row {
	rows := make([]types.Row, 1024)
	for i := range rows {
		rows[i] = row(str(fmt.Sprintf("SYM%03d", i%100)), str(fmt.Sprintf("X%d", i%4)), flt(100+float64(i%50)), num(int64(i%500)))
	}
	return rows
}

// BenchmarkUpdate reports the cost per output row of the updater for
// several metric shapes (ns/op is per row).
func BenchmarkUpdate(b *testing.B) {
	cases := []struct{ name, annots string }{
		{"counter_no_labels", "-- @metric: rows\n"},
		{"counter_field_2_labels", "-- @metric: shares\n-- @metric_labels: symbol, exchange\n-- @metric_field: quantity\n"},
		{"gauge_1_label", "-- @metric: last_price\n-- @metric_type: gauge\n-- @metric_field: price\n-- @metric_labels: symbol\n"},
		{"histogram_1_label", "-- @metric: size\n-- @metric_type: histogram\n-- @metric_field: quantity\n-- @metric_labels: symbol\n"},
		{"condition_counter", "-- @metric: big\n-- @metric_labels: symbol\n-- @metric_condition: quantity >= 100 AND price > 120\n"},
		{"all_four", projection[:len(projection)-len("SELECT symbol, exchange, price, quantity FROM trades;")]},
	}
	rows := benchRows()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m := newMetrics(b, compile(b, decl+c.annots+"SELECT symbol, exchange, price, quantity FROM trades;"), Options{})
			em := m.Emitter()
			for _, r := range rows {
				em.Emit(r, 0)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				em.Emit(rows[i&1023], 0)
			}
		})
	}
}
