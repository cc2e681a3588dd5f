package format

import (
	"fmt"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/types"
)

// tradeLines returns n trade lines over 50 symbols, as the engine's
// reference workload writes them.
func tradeLines(n int) [][]byte {
	sides := []string{"BUY", "SELL"}
	lines := make([][]byte, n)
	for i := range lines {
		lines[i] = fmt.Appendf(nil, `{"symbol":"SYM%02d","price":%d.%04d,"quantity":%d,"side":"%s","ts":%d}`,
			i%50, 100+i%200, i%10000, 1+i%500, sides[i%2], 1700000000000+int64(i))
	}
	return lines
}

var tradeFields = []Field{
	{Name: "symbol", Type: types.String},
	{Name: "price", Type: types.Type{Kind: types.KindDecimal, Precision: 18, Scale: 4}},
	{Name: "quantity", Type: types.Int},
	{Name: "side", Type: types.String},
	{Name: "ts", Type: types.Timestamp, TimeFormat: TimeEpochMillis},
}

func BenchmarkDecodeTrades(b *testing.B) {
	for _, tc := range []struct {
		name   string
		fields []Field
	}{
		{"declared", tradeFields},
		{"inferred", []Field{{Name: "symbol"}, {Name: "price"}, {Name: "quantity"}, {Name: "side"}, {Name: "ts"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lines := tradeLines(1 << 16)
			d := NewJSONDecoder(tc.fields)
			row := make(types.Row, len(tc.fields))
			var bytes int64
			for _, l := range lines {
				bytes += int64(len(l))
			}
			b.SetBytes(bytes / int64(len(lines)))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if err := d.Decode(lines[i&(len(lines)-1)], row); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lines/s")
		})
	}
}

// outputRows returns a 6-column result schema and n rows for it, like a
// windowed aggregate writes.
func outputRows(n int) (types.Schema, []types.Row) {
	schema := types.Schema{
		{Name: "symbol", Type: types.String}, {Name: "window_start", Type: types.Timestamp},
		{Name: "trades", Type: types.Int}, {Name: "volume", Type: types.Int},
		{Name: "avg_price", Type: types.Decimal}, {Name: "vwap", Type: types.Float},
	}
	rows := make([]types.Row, n)
	for i := range rows {
		rows[i] = types.Row{
			types.StringValue(fmt.Sprintf("SYM%02d", i%50)), types.TimestampValue(1700000000000 + int64(i)*60000),
			types.IntValue(int64(100 + i)), types.IntValue(int64(12000 + 7*i)),
			types.DecimalValue(int64(1823400+i), 4), types.FloatValue(182.3456789 + float64(i)),
		}
	}
	return schema, rows
}

func BenchmarkAppendJSON(b *testing.B) {
	schema, rows := outputRows(1024)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		buf = AppendJSON(buf[:0], schema, rows[i&1023])
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
	b.SetBytes(int64(len(buf)))
}

func BenchmarkAppendCSV(b *testing.B) {
	_, rows := outputRows(1024)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		buf = AppendCSV(buf[:0], rows[i&1023])
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
}

func BenchmarkCSVDecodeTrades(b *testing.B) {
	header := []string{"symbol", "price", "quantity", "side", "ts"}
	recs := make([][]string, 1024)
	for i := range recs {
		recs[i] = []string{fmt.Sprintf("SYM%02d", i%50), fmt.Sprintf("%d.%04d", 100+i%200, i), fmt.Sprint(1 + i%500), "BUY", fmt.Sprint(1700000000000 + i)}
	}
	d := NewCSVDecoder(header, tradeFields)
	row := make(types.Row, len(tradeFields))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.Decode(recs[i&1023], row); err != nil {
			b.Fatal(err)
		}
	}
}
