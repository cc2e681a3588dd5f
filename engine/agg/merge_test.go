package agg

import (
	"testing"

	"github.com/velostream/velostream/engine/types"
)

// Merging two buffers that saw two halves of the input must give what one
// buffer gives for the whole input (session windows rely on it).
func TestMergeEqualsSingleBuffer(t *testing.T) {
	dec := func(m int64, s uint8) types.Value { return types.DecimalValue(m, s) }
	ints := []types.Value{types.IntValue(5), types.IntValue(-2), types.IntValue(9), {}, types.IntValue(9), types.IntValue(1)}
	mixed := []types.Value{types.IntValue(623), dec(62341, 2), dec(1, 4), {}, types.IntValue(7), dec(-150, 1)}
	big := []types.Value{types.IntValue(1 << 62), types.IntValue(1 << 62), types.IntValue(1 << 62), types.IntValue(3)}
	floats := []types.Value{types.FloatValue(1.5), types.IntValue(2), types.FloatValue(-0.25), dec(125, 2)}
	cases := []struct {
		name     string
		distinct bool
		params   []types.Value
		in       []types.Value
	}{
		{"COUNT", false, nil, ints},
		{"COUNT", true, nil, ints},
		{"SUM", false, nil, ints},
		{"SUM", false, nil, mixed},
		{"SUM", false, nil, big},
		{"SUM", false, nil, floats},
		{"SUM", true, nil, mixed},
		{"AVG", false, nil, mixed},
		{"AVG", false, nil, ints},
		{"MIN", false, nil, mixed},
		{"MAX", false, nil, mixed},
		{"STDDEV_SAMP", false, nil, mixed},
		{"VAR_POP", false, nil, ints},
		{"APPROX_COUNT_DISTINCT", false, nil, ints},
		{"PERCENTILE_CONT", false, []types.Value{types.FloatValue(0.5)}, ints},
		{"MEDIAN", false, nil, mixed},
	}
	for _, c := range cases {
		for split := 0; split <= len(c.in); split++ {
			f, err := Lookup(c.name, c.distinct, []types.Type{types.Any}, c.params)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			whole, a, b := f.NewBuffer(), f.NewBuffer(), f.NewBuffer()
			for i, v := range c.in {
				_ = whole.Update(v)
				if i < split {
					_ = a.Update(v)
				} else {
					_ = b.Update(v)
				}
			}
			if err := a.(Merger).Merge(b); err != nil {
				t.Fatalf("%s split %d: merge: %v", c.name, split, err)
			}
			got, want := a.Result(), whole.Result()
			if !sameResult(got, want) {
				t.Errorf("%s(distinct=%v) split %d: merged %+v, whole %+v", c.name, c.distinct, split, got, want)
			}
		}
	}
}

// sameResult compares results exactly, allowing float rounding of the last bits.
func sameResult(a, b types.Value) bool {
	if a.K == types.KindFloat && b.K == types.KindFloat {
		d := a.Float() - b.Float()
		return d < 1e-9 && d > -1e-9
	}
	if a.K == types.KindDecimal && b.K == types.KindDecimal && a.S == "" && b.S == "" {
		c, _ := compare("test", a, b)
		return c == 0
	}
	return a == b
}

func TestMergeRejectsOtherKinds(t *testing.T) {
	sum, _ := Lookup("SUM", false, []types.Type{types.Int}, nil)
	cnt, _ := Lookup("COUNT", false, []types.Type{types.Int}, nil)
	if err := sum.NewBuffer().(Merger).Merge(cnt.NewBuffer()); err == nil {
		t.Fatal("merging a COUNT into a SUM must fail")
	}
}
