package agg

// Run:
//
//	go test ./engine/agg -run '^$' -bench . -benchmem -count 3
//
// BenchmarkUpdate/<AGG>/<input>: one Update through the Buffer interface
// (ns/op, allocs/op). BenchmarkCombined: COUNT+SUM+AVG+MIN+MAX over 10M
// DECIMAL(12,4) prices in one group; BenchmarkGroupBy5: the same five
// aggregates over 10M rows spread over 64 groups (the executor's shape:
// look the group's buffers up, feed each its argument). Both report
// records/s on one core.

import (
	"sync"
	"testing"

	"github.com/velostream/velostream/engine/types"
)

const benchRows = 10_000_000

// benchPrices are 4-decimal prices (xorshift, deterministic); 320 MB, built
// once per process.
var benchPrices = sync.OnceValue(func() []types.Value {
	out := make([]types.Value, benchRows)
	x := uint64(88172645463325252)
	for k := range out {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		out[k] = types.DecimalValue(int64(x%99999999)+1, 4)
	}
	return out
})

// benchGroups assigns each row one of 64 groups.
var benchGroups = sync.OnceValue(func() []uint8 {
	out := make([]uint8, benchRows)
	x := uint64(2463534242)
	for k := range out {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		out[k] = uint8(x & 63)
	}
	return out
})

func benchInputs() map[string][]types.Value {
	ps := benchPrices()[:1024]
	in := map[string][]types.Value{"decimal": ps}
	ints := make([]types.Value, 1024)
	floats := make([]types.Value, 1024)
	mixed := make([]types.Value, 1024)
	strs := make([]types.Value, 1024)
	for k, p := range ps {
		ints[k] = types.IntValue(p.I)
		floats[k] = types.FloatValue(float64(p.I) / 1e4)
		if k%2 == 0 {
			mixed[k] = types.IntValue(p.I / 10000)
		} else {
			mixed[k] = p
		}
		strs[k] = types.StringValue(describe(p))
	}
	in["int"], in["float"], in["mixed_int_decimal"], in["string"] = ints, floats, mixed, strs
	return in
}

var sinkV types.Value

func BenchmarkUpdate(b *testing.B) {
	inputs := benchInputs()
	cases := []struct {
		fn       string
		distinct bool
		params   []types.Value
		inputs   []string
	}{
		{fn: "COUNT", inputs: []string{"decimal"}},
		{fn: "SUM", inputs: []string{"int", "decimal", "float", "mixed_int_decimal"}},
		{fn: "AVG", inputs: []string{"int", "decimal", "float", "mixed_int_decimal"}},
		{fn: "MIN", inputs: []string{"int", "decimal", "float", "mixed_int_decimal", "string"}},
		{fn: "MAX", inputs: []string{"int", "decimal", "float", "mixed_int_decimal", "string"}},
		{fn: "STDDEV", inputs: []string{"decimal"}},
		{fn: "VAR_POP", inputs: []string{"decimal"}},
		{fn: "FIRST_VALUE", inputs: []string{"decimal"}},
		{fn: "LAST_VALUE", inputs: []string{"decimal"}},
		{fn: "COUNT", distinct: true, inputs: []string{"decimal", "string"}},
		{fn: "APPROX_COUNT_DISTINCT", inputs: []string{"decimal", "string"}},
		{fn: "MEDIAN", inputs: []string{"decimal"}},
	}
	for _, c := range cases {
		name := c.fn
		if c.distinct {
			name += "_DISTINCT"
		}
		fn, err := Lookup(c.fn, c.distinct, []types.Type{types.Any}, c.params)
		if err != nil {
			b.Fatal(err)
		}
		for _, in := range c.inputs {
			vals := inputs[in]
			b.Run(name+"/"+in, func(b *testing.B) {
				buf := fn.NewBuffer()
				b.ReportAllocs()
				for k := range b.N {
					if err := buf.Update(vals[k&1023]); err != nil {
						b.Fatal(err)
					}
				}
				sinkV = buf.Result()
			})
		}
	}
}

func newFive(b *testing.B) []Buffer {
	var bufs []Buffer
	for _, name := range []string{"COUNT", "SUM", "AVG", "MIN", "MAX"} {
		fn, err := Lookup(name, false, []types.Type{{Kind: types.KindDecimal, Precision: 12, Scale: 4}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		bufs = append(bufs, fn.NewBuffer())
	}
	return bufs
}

func reportRecords(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRows, "ns/record")
	b.ReportMetric(float64(b.N)*benchRows/b.Elapsed().Seconds()/1e6, "Mrecords/s")
}

func BenchmarkCombined(b *testing.B) {
	ps := benchPrices()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		bufs := newFive(b)
		count, sum, avg, mn, mx := bufs[0], bufs[1], bufs[2], bufs[3], bufs[4]
		star := types.BoolValue(true)
		for _, p := range ps {
			_ = count.Update(star)
			if err := sum.Update(p); err != nil {
				b.Fatal(err)
			}
			_ = avg.Update(p)
			_ = mn.Update(p)
			_ = mx.Update(p)
		}
		for _, buf := range bufs {
			sinkV = buf.Result()
		}
	}
	reportRecords(b)
}

func BenchmarkGroupBy5(b *testing.B) {
	ps, gs := benchPrices(), benchGroups()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var groups [64][]Buffer
		for g := range groups {
			groups[g] = newFive(b)
		}
		star := types.BoolValue(true)
		for k, p := range ps {
			bufs := groups[gs[k]]
			_ = bufs[0].Update(star)
			if err := bufs[1].Update(p); err != nil {
				b.Fatal(err)
			}
			_ = bufs[2].Update(p)
			_ = bufs[3].Update(p)
			_ = bufs[4].Update(p)
		}
		for _, bufs := range groups {
			for _, buf := range bufs {
				sinkV = buf.Result()
			}
		}
	}
	reportRecords(b)
}
