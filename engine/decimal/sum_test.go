package decimal

import (
	"math"
	"math/big"
	"testing"
)

// prices returns n deterministic 4-decimal prices between 0.0001 and
// 9999.9999 (an xorshift generator, so the test needs no seed handling).
func prices(n int) []int64 {
	out := make([]int64, n)
	x := uint64(88172645463325252)
	for i := range out {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		out[i] = int64(x%99999999) + 1
	}
	return out
}

func TestSumMillionPrices(t *testing.T) {
	ps := prices(1_000_000)
	var s Sum
	want := new(big.Int)
	for i, p := range ps {
		if i%3 == 0 {
			p = -p // exercise both signs
		}
		s.Add(p, 4)
		want.Add(want, big.NewInt(p))
	}
	m, sc, b := s.Result()
	if b != nil || sc != 4 || big.NewInt(m).Cmp(want) != 0 {
		t.Fatalf("Sum = (%d, %d, %v), want %s at scale 4", m, sc, b, want)
	}
}

// sumCase feeds values and expects the exact decimal text of the result.
func TestSum(t *testing.T) {
	type v struct {
		m int64
		s uint8
	}
	tests := []struct {
		name     string
		in       []v
		want     string
		promoted bool // result needs a Big
	}{
		{"empty", nil, "0", false},
		{"same scale", []v{{150, 2}, {25, 2}}, "1.75", false},
		{"int then decimal", []v{{623, 0}, {62341, 2}}, "1246.41", false},
		{"decimal then int", []v{{62341, 2}, {623, 0}}, "1246.41", false},
		{"growing scales", []v{{1, 0}, {1, 1}, {1, 2}, {1, 18}}, "1.110000000000000001", false},
		{"negative zero", []v{{5, 1}, {-5, 1}}, "0.0", false},
		{"overflow promotes", []v{{math.MaxInt64, 0}, {math.MaxInt64, 0}, {1, 0}}, "18446744073709551615", true},
		{"overflow then back", []v{{math.MaxInt64, 0}, {1, 0}, {-2, 0}}, "9223372036854775806", false},
		{"negative overflow", []v{{math.MinInt64, 0}, {-1, 0}}, "-9223372036854775809", true},
		{"rescale of running sum overflows", []v{{math.MaxInt64, 0}, {1, 1}}, "9223372036854775807.1", true},
		{"small-scale value too big at running scale", []v{{1, 4}, {math.MaxInt64, 0}}, "9223372036854775807.0001", true},
		{"many overflows", []v{{math.MaxInt64, 2}, {math.MaxInt64, 2}, {math.MaxInt64, 2}, {math.MaxInt64, 2}}, "368934881474191032.28", true},
		{"scale past 18 goes to the spill exactly", []v{{1, 0}, {1, 20}}, "1.00000000000000000001", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sum
			want := new(big.Rat)
			for _, x := range tt.in {
				s.Add(x.m, x.s)
				want.Add(want, ratOf(x.m, x.s))
			}
			m, sc, b := s.Result()
			var got string
			if b != nil {
				got = b.String()
			} else {
				got = String(m, sc)
			}
			if got != tt.want || (b != nil) != tt.promoted {
				t.Fatalf("Result = %s (big %v), want %s (big %v)", got, b != nil, tt.want, tt.promoted)
			}
			gotRat, ok := new(big.Rat).SetString(got)
			if !ok || gotRat.Cmp(want) != 0 {
				t.Fatalf("Result %s is not the exact sum %s", got, want.FloatString(25))
			}
		})
	}
}

func TestSumMerge(t *testing.T) {
	var a, b, c Sum
	a.Add(math.MaxInt64, 2)
	a.Add(math.MaxInt64, 2) // a has spilled
	b.Add(5, 4)
	b.Add(math.MaxInt64, 4)
	b.Add(math.MaxInt64, 4)
	c.Merge(&a)
	c.Merge(&b)
	want := new(big.Rat)
	for _, x := range []*big.Rat{ratOf(math.MaxInt64, 2), ratOf(math.MaxInt64, 2), ratOf(5, 4), ratOf(math.MaxInt64, 4), ratOf(math.MaxInt64, 4)} {
		want.Add(want, x)
	}
	_, sc, bg := c.Result()
	if bg == nil || sc != 4 {
		t.Fatalf("Merge result = %v at scale %d, want a Big at scale 4", bg, sc)
	}
	if bg.Rat(new(big.Rat)).Cmp(want) != 0 {
		t.Fatalf("Merge = %s, want %s", bg, want.FloatString(4))
	}
	if !c.Promoted() {
		t.Fatal("Promoted() = false after an overflow")
	}
	c.Reset()
	if m, s, b := c.Result(); m != 0 || s != 0 || b != nil {
		t.Fatal("Reset did not clear the sum")
	}
}

func TestSumAddBig(t *testing.T) {
	var s Sum
	s.Add(15, 1)
	s.AddBig(mustBig(t, "100000000000000000000.125"))
	s.AddBig(mustBig(t, "2.5")) // fits: fast path
	_, sc, b := s.Result()
	if b == nil || b.String() != "100000000000000000004.125" || sc != 3 {
		t.Fatalf("AddBig result = %v scale %d", b, sc)
	}
}

func TestSumAddNoAlloc(t *testing.T) {
	var s Sum
	ps := prices(1000)
	if n := testing.AllocsPerRun(10, func() {
		for _, p := range ps {
			s.Add(p, 4)
		}
	}); n != 0 {
		t.Fatalf("Sum.Add allocates %v times per 1000 values", n)
	}
}
