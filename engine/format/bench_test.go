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
