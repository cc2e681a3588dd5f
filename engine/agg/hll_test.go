package agg

import (
	"math"
	"strconv"
	"testing"

	"github.com/velostream/velostream/engine/types"
)

// relErrBound is three standard errors of a precision-14 HyperLogLog
// (1.04/sqrt(2^14) = 0.81%): the inputs are fixed, so the test is
// deterministic, and a hash or register bug lands far outside it.
const relErrBound = 3 * 1.04 / 128

func approxCount(t *testing.T, feed func(b Buffer)) int64 {
	t.Helper()
	fn, err := Lookup("APPROX_COUNT_DISTINCT", false, []types.Type{types.Any}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := fn.NewBuffer()
	feed(b)
	r := b.Result()
	if r.K != types.KindInt {
		t.Fatalf("result kind %s", r.K)
	}
	return r.I
}

func checkEstimate(t *testing.T, what string, got int64, want float64) {
	t.Helper()
	if rel := math.Abs(float64(got)-want) / want; rel > relErrBound {
		t.Errorf("%s: estimate %d for %v distinct values: error %.2f%% > %.2f%%", what, got, want, 100*rel, 100*relErrBound)
	} else {
		t.Logf("%s: estimate %d for %v distinct (error %.3f%%)", what, got, want, 100*rel)
	}
}

func TestApproxCountDistinctMillion(t *testing.T) {
	const n = 1_000_000
	got := approxCount(t, func(b Buffer) {
		for k := range int64(n) {
			if err := b.Update(types.IntValue(k * 7919)); err != nil { // a stride, not 0..n
				t.Fatal(err)
			}
		}
	})
	checkEstimate(t, "ints", got, n)

	got = approxCount(t, func(b Buffer) {
		for k := range n {
			_ = b.Update(types.StringValue("user-" + strconv.Itoa(k)))
		}
	})
	checkEstimate(t, "strings", got, n)

	got = approxCount(t, func(b Buffer) {
		for k := range int64(n) {
			_ = b.Update(types.DecimalValue(k, 4)) // 0.0000 .. 99.9999
		}
	})
	checkEstimate(t, "decimals", got, n)
}

func TestApproxCountDistinctDuplicates(t *testing.T) {
	// 10,000 distinct numbers, each arriving 5 times in different forms
	// (623, 623.0, 623.00, 623.0 as a float) and NULLs in between.
	got := approxCount(t, func(b Buffer) {
		for rep := range 5 {
			for k := range int64(10_000) {
				var v types.Value
				switch rep {
				case 0:
					v = types.IntValue(k)
				case 1:
					v = types.DecimalValue(k*10, 1)
				case 2:
					v = types.DecimalValue(k*100, 2)
				case 3:
					v = types.FloatValue(float64(k))
				default:
					v = types.NullValue()
				}
				if err := b.Update(v); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	checkEstimate(t, "repeated forms", got, 10_000)
	if got := approxCount(t, func(Buffer) {}); got != 0 {
		t.Errorf("empty: estimate %d, want 0", got)
	}
	if got := approxCount(t, func(b Buffer) { _ = b.Update(types.StringValue("a")); _ = b.Update(types.StringValue("a")) }); got != 1 {
		t.Errorf("one value twice: estimate %d, want 1", got)
	}
}

func TestMix64IsBijectiveOnSamples(t *testing.T) {
	seen := make(map[uint64]uint64, 1<<16)
	for x := range uint64(1 << 16) {
		h := mix64(x)
		if prev, dup := seen[h]; dup {
			t.Fatalf("mix64(%d) == mix64(%d)", x, prev)
		}
		seen[h] = x
	}
}
