package decimal

// Benchmarks against the decimal libraries we would otherwise use. Run:
//
//	go test ./engine/decimal -run '^$' -bench . -benchmem -count 3
//
// BenchmarkRatio* time ScaledInteger and the references in one loop and
// report how many times faster ScaledInteger is (x_vs_shopspring, x_vs_apd);
// their own ns/op is the time of that whole comparison and means nothing.

import (
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	shop "github.com/shopspring/decimal"
)

const benchValues = 10_000_000

// The inputs are built once per process: 10M shopspring values hold ~600 MB.
var (
	benchMants = sync.OnceValue(func() []int64 { return prices(benchValues) })
	benchShop  = sync.OnceValue(func() []shop.Decimal {
		out := make([]shop.Decimal, benchValues)
		for i, m := range benchMants() {
			out[i] = shop.New(m, -4)
		}
		return out
	})
	benchApd = sync.OnceValue(func() []apd.Decimal {
		out := make([]apd.Decimal, benchValues)
		for i, m := range benchMants() {
			out[i].SetFinite(m, -4)
		}
		return out
	})
)

// perValue reports ns per summed value next to ns/op (one op = 10M values).
func perValue(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchValues, "ns/value")
}

var (
	sinkM   int64
	sinkS   uint8
	sinkB   *Big
	sinkShp shop.Decimal
	sinkApd apd.Decimal
)

func sumScaled(ps []int64) {
	var s Sum
	for _, p := range ps {
		if !s.TryAdd(p, 4) {
			s.Add(p, 4)
		}
	}
	sinkM, sinkS, sinkB = s.Result()
}

func sumShopspring(ps []shop.Decimal) shop.Decimal {
	s := shop.Zero
	for _, p := range ps {
		s = s.Add(p)
	}
	return s
}

var apdCtx = apd.BaseContext.WithPrecision(34)

func sumApd(s *apd.Decimal, ps []apd.Decimal) {
	s.SetInt64(0)
	for i := range ps {
		if _, err := apdCtx.Add(s, s, &ps[i]); err != nil {
			panic(err) // cannot happen at 34 digits; a benchmark bug otherwise
		}
	}
}

// avgScaled: the sum, then one division at scale 4+4 (the agg package's AVG
// scale for a scale-4 input).
func avgScaled(ps []int64) {
	var s Sum
	for _, p := range ps {
		if !s.TryAdd(p, 4) {
			s.Add(p, 4)
		}
	}
	m, sc, _ := s.Result()
	var ok bool
	if sinkM, sinkS, ok = Div(m, sc, int64(len(ps)), 0, 8); !ok {
		panic("AVG overflowed")
	}
}

func avgShopspring(ps []shop.Decimal) {
	sinkShp = sumShopspring(ps).Div(shop.NewFromInt(int64(len(ps))))
}

func avgApd(ps []apd.Decimal) {
	var s apd.Decimal
	sumApd(&s, ps)
	if _, err := apdCtx.Quo(&sinkApd, &s, apd.New(int64(len(ps)), 0)); err != nil {
		panic(err)
	}
}

func BenchmarkSumScaled(b *testing.B) {
	ps := benchMants()
	b.ResetTimer()
	for range b.N {
		sumScaled(ps)
	}
	perValue(b)
}

// BenchmarkSumScaledAdd calls Add alone (not inlined) for every value.
func BenchmarkSumScaledAdd(b *testing.B) {
	ps := benchMants()
	b.ResetTimer()
	for range b.N {
		var s Sum
		for _, p := range ps {
			s.Add(p, 4)
		}
		sinkM, sinkS, sinkB = s.Result()
	}
	perValue(b)
}

// BenchmarkSumInt64 is the floor: a bare int64 sum with no overflow check.
func BenchmarkSumInt64(b *testing.B) {
	ps := benchMants()
	b.ResetTimer()
	for range b.N {
		var s int64
		for _, p := range ps {
			s += p
		}
		sinkM = s
	}
	perValue(b)
}

func BenchmarkSumShopspring(b *testing.B) {
	ps := benchShop()
	b.ResetTimer()
	for range b.N {
		sinkShp = sumShopspring(ps)
	}
	perValue(b)
}

func BenchmarkSumApd(b *testing.B) {
	ps := benchApd()
	b.ResetTimer()
	for range b.N {
		sumApd(&sinkApd, ps)
	}
	perValue(b)
}

func BenchmarkAvgScaled(b *testing.B) {
	ps := benchMants()
	b.ResetTimer()
	for range b.N {
		avgScaled(ps)
	}
	perValue(b)
}

func BenchmarkAvgShopspring(b *testing.B) {
	ps := benchShop()
	b.ResetTimer()
	for range b.N {
		avgShopspring(ps)
	}
	perValue(b)
}

func BenchmarkAvgApd(b *testing.B) {
	ps := benchApd()
	b.ResetTimer()
	for range b.N {
		avgApd(ps)
	}
	perValue(b)
}

// parseInputs are typical prices as a JSON decoder hands them over.
var parseInputs = func() []string {
	out := make([]string, 1024)
	for i, m := range prices(len(out)) {
		out[i] = String(m, 4)
	}
	out[0] = "623.4100"
	return out
}()

func parseScaled() {
	for _, in := range parseInputs {
		m, s, err := ParseString(in)
		if err != nil {
			panic(err)
		}
		sinkM, sinkS = m, s
	}
}

func parseShopspring() {
	for _, in := range parseInputs {
		d, err := shop.NewFromString(in)
		if err != nil {
			panic(err)
		}
		sinkShp = d
	}
}

func parseApd() {
	for _, in := range parseInputs {
		if _, _, err := sinkApd.SetString(in); err != nil {
			panic(err)
		}
	}
}

// One op parses the 1024 inputs; ns/value is per literal.
func benchParse(b *testing.B, parse func()) {
	for range b.N {
		parse()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(parseInputs)), "ns/value")
}

func BenchmarkParse(b *testing.B)           { benchParse(b, parseScaled) }
func BenchmarkParseShopspring(b *testing.B) { benchParse(b, parseShopspring) }
func BenchmarkParseApd(b *testing.B)        { benchParse(b, parseApd) }

func BenchmarkAppend(b *testing.B) {
	buf := make([]byte, 0, 32)
	ps := benchMants()[:1024]
	for i := range b.N {
		buf = Append(buf[:0], ps[i&1023], 4)
	}
	sinkS = uint8(len(buf))
}

type contender struct {
	name string
	run  func()
}

// ratio times fast and each reference in the same loop (interleaved, so load
// from other processes hits them alike) and reports reference time over fast
// time as "x_vs_<name>". fast runs `reps` times per op so that its much
// shorter runs are not dominated by timer resolution.
func ratio(b *testing.B, fast func(), reps int, refs ...contender) {
	var tf time.Duration
	tr := make([]time.Duration, len(refs))
	for range b.N {
		t0 := time.Now()
		for range reps {
			fast()
		}
		tf += time.Since(t0)
		for i, r := range refs {
			t0 = time.Now()
			r.run()
			tr[i] += time.Since(t0)
		}
	}
	for i, r := range refs {
		b.ReportMetric(float64(tr[i])/(float64(tf)/float64(reps)), "x_vs_"+r.name)
	}
}

func BenchmarkRatioSum(b *testing.B) {
	ps, sh, ap := benchMants(), benchShop(), benchApd()
	b.ResetTimer()
	ratio(b, func() { sumScaled(ps) }, 20,
		contender{"shopspring", func() { sinkShp = sumShopspring(sh) }},
		contender{"apd", func() { sumApd(&sinkApd, ap) }})
}

func BenchmarkRatioAvg(b *testing.B) {
	ps, sh, ap := benchMants(), benchShop(), benchApd()
	b.ResetTimer()
	ratio(b, func() { avgScaled(ps) }, 20,
		contender{"shopspring", func() { avgShopspring(sh) }},
		contender{"apd", func() { avgApd(ap) }})
}

func BenchmarkRatioParse(b *testing.B) {
	ratio(b, parseScaled, 1,
		contender{"shopspring", parseShopspring},
		contender{"apd", parseApd})
}

// TestBenchmarksAgree keeps the benchmarks honest: on a slice of the same
// input, every library computes the same SUM and AVG.
func TestBenchmarksAgree(t *testing.T) {
	ps := prices(100_000)
	var s Sum
	ss := shop.Zero
	var sa apd.Decimal
	for _, p := range ps {
		s.Add(p, 4)
		ss = ss.Add(shop.New(p, -4))
		if _, err := apdCtx.Add(&sa, &sa, apd.New(p, -4)); err != nil {
			t.Fatal(err)
		}
	}
	m, sc, _ := s.Result()
	if got := String(m, sc); got != ss.StringFixed(4) || got != sa.Text('f') {
		t.Fatalf("SUM: scaled %s, shopspring %s, apd %s", got, ss.StringFixed(4), sa.Text('f'))
	}
	am, as, ok := Div(m, sc, int64(len(ps)), 0, 8)
	if !ok {
		t.Fatal("AVG overflowed")
	}
	if want := ss.DivRound(shop.NewFromInt(int64(len(ps))), 8).StringFixed(8); String(am, as) != want {
		t.Fatalf("AVG: scaled %s, shopspring %s", String(am, as), want)
	}
	for _, in := range parseInputs {
		m, sc, err := ParseString(in)
		d, derr := shop.NewFromString(in)
		if err != nil || derr != nil || String(m, sc) != d.StringFixed(int32(sc)) {
			t.Fatalf("Parse(%q) = %s, shopspring %s", in, String(m, sc), d)
		}
	}
}
