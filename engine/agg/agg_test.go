package agg

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// Value shorthands for the tables.
func i(n int64) types.Value     { return types.IntValue(n) }
func f(x float64) types.Value   { return types.FloatValue(x) }
func s(x string) types.Value    { return types.StringValue(x) }
func ts(ms int64) types.Value   { return types.TimestampValue(ms) }
func iv(ms int64) types.Value   { return types.IntervalValue(ms) }
func bigd(x string) types.Value { return types.BigDecimalValue(x, scaleOfText(x)) }

var null = types.NullValue()

// d parses a decimal literal into a Value (panics on a bad literal in a
// table, which is a bug in the test).
func d(x string) types.Value {
	m, sc, err := decimal.ParseString(x)
	if err != nil {
		panic(err)
	}
	return types.DecimalValue(m, sc)
}

func scaleOfText(x string) uint8 {
	if p := strings.IndexByte(x, '.'); p >= 0 {
		return uint8(len(x) - p - 1)
	}
	return 0
}

func decT(p, sc uint8) types.Type {
	return types.Type{Kind: types.KindDecimal, Precision: p, Scale: sc}
}

// render prints a Value unambiguously for failure messages and comparisons.
func render(v types.Value) string {
	switch v.K {
	case types.KindDecimal:
		if v.S != "" {
			return "DECIMAL(big " + v.S + ")"
		}
		return "DECIMAL(" + decimal.String(v.I, v.Scale) + ")"
	case types.KindNull:
		return "NULL"
	}
	return v.K.String() + "(" + describe(v) + ")"
}

type aggCase struct {
	name     string
	fn       string
	distinct bool
	arg      *types.Type // nil: ANY
	star     bool        // COUNT(*)
	params   []types.Value
	in       []types.Value
	want     types.Value
	errAt    int // 1-based index of the Update that must fail; 0: none
}

func runCases(t *testing.T, cases []aggCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var args []types.Type
			if !tc.star {
				a := types.Any
				if tc.arg != nil {
					a = *tc.arg
				}
				args = []types.Type{a}
			}
			fn, err := Lookup(tc.fn, tc.distinct, args, tc.params)
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			b := fn.NewBuffer()
			for n, v := range tc.in {
				err := b.Update(v)
				if n+1 == tc.errAt {
					if !errors.Is(err, ErrIncomparable) {
						t.Fatalf("Update #%d (%s) err = %v, want ErrIncomparable", n+1, render(v), err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Update #%d (%s): %v", n+1, render(v), err)
				}
			}
			if tc.errAt != 0 {
				t.Fatalf("no Update failed, want #%d to", tc.errAt)
			}
			got := b.Result()
			if got != tc.want {
				t.Fatalf("Result = %s, want %s", render(got), render(tc.want))
			}
			// Result does not consume the buffer.
			if again := b.Result(); again != got {
				t.Fatalf("second Result = %s, first %s", render(again), render(got))
			}
		})
	}
}

func typ(t types.Type) *types.Type { return &t }

func TestCount(t *testing.T) {
	runCases(t, []aggCase{
		{name: "star", fn: "COUNT", star: true, in: []types.Value{types.BoolValue(true), types.BoolValue(true), types.BoolValue(true)}, want: i(3)},
		{name: "skips NULL", fn: "count", in: []types.Value{i(1), null, s("x"), null}, want: i(2)},
		{name: "empty is 0", fn: "COUNT", want: i(0)},
		{name: "all NULL is 0", fn: "COUNT", in: []types.Value{null, null}, want: i(0)},
		{name: "distinct equal numbers across kinds", fn: "COUNT", distinct: true,
			in:   []types.Value{i(1), d("1.0"), d("1.00"), f(1), i(2), d("2.50"), f(2.5), null, s("a"), s("a"), s("A")},
			want: i(5)}, // 1, 2, 2.5, "a", "A"
		{name: "distinct keeps 2 apart from 2.5", fn: "COUNT", distinct: true, in: []types.Value{i(2), d("2.5"), f(0.1), d("0.1")}, want: i(4)},
		{name: "distinct over timestamps and booleans", fn: "COUNT", distinct: true,
			in: []types.Value{ts(5), ts(5), iv(5), types.BoolValue(true), types.BoolValue(true), i(5)}, want: i(4)},
	})
}

func TestSum(t *testing.T) {
	runCases(t, []aggCase{
		{name: "ints stay int", fn: "SUM", in: []types.Value{i(1), i(2), i(3)}, want: i(6)},
		{name: "empty is NULL", fn: "SUM", want: null},
		{name: "all NULL is NULL", fn: "SUM", in: []types.Value{null, null}, want: null},
		{name: "NULLs skipped", fn: "SUM", in: []types.Value{null, i(4), null}, want: i(4)},
		{name: "int then decimal", fn: "SUM", in: []types.Value{i(623), d("623.41")}, want: d("1246.41")},
		{name: "decimal then int", fn: "SUM", in: []types.Value{d("623.41"), i(623)}, want: d("1246.41")},
		{name: "scales grow", fn: "SUM", in: []types.Value{d("0.1"), d("0.02"), d("0.003")}, want: d("0.123")},
		{name: "exact where floats drift", fn: "SUM", in: []types.Value{d("0.1"), d("0.2"), d("-0.3")}, want: d("0.0")},
		{name: "int overflow promotes, never wraps", fn: "SUM", in: []types.Value{i(math.MaxInt64), i(1)}, want: bigd("9223372036854775808")},
		{name: "negative overflow", fn: "SUM", in: []types.Value{i(math.MinInt64), i(-1)}, want: bigd("-9223372036854775809")},
		{name: "overflow then back fits", fn: "SUM", in: []types.Value{i(math.MaxInt64), i(1), i(-2)}, want: d("9223372036854775806")},
		{name: "decimal overflow", fn: "SUM", in: []types.Value{d("92233720368547758.07"), d("0.01")}, want: bigd("92233720368547758.08")},
		{name: "promoted input", fn: "SUM", in: []types.Value{bigd("100000000000000000000.5"), i(1), d("0.25")}, want: bigd("100000000000000000001.75")},
		{name: "any float makes a float", fn: "SUM", in: []types.Value{i(1), d("0.5"), f(0.25)}, want: f(1.75)},
		{name: "float first", fn: "SUM", in: []types.Value{f(0.5), i(1)}, want: f(1.5)},
		{name: "static DECIMAL(12,4) keeps its scale for int input", fn: "SUM", arg: typ(decT(12, 4)), in: []types.Value{i(1), i(2)}, want: d("3.0000")},
		{name: "static DECIMAL(12,4) with smaller-scale values", fn: "SUM", arg: typ(decT(12, 4)), in: []types.Value{d("1.5")}, want: d("1.5000")},
		{name: "string is an error", fn: "SUM", in: []types.Value{i(1), s("2")}, errAt: 2},
		{name: "timestamp is an error", fn: "SUM", in: []types.Value{ts(1)}, errAt: 1},
		{name: "malformed promoted decimal is an error", fn: "SUM", in: []types.Value{types.BigDecimalValue("12x", 0)}, errAt: 1},
		{name: "distinct", fn: "SUM", distinct: true, in: []types.Value{i(1), i(1), d("2.0"), i(2), null}, want: d("3.0")},
	})
}

func TestAvg(t *testing.T) {
	runCases(t, []aggCase{
		{name: "ints give scale 4", fn: "AVG", in: []types.Value{i(1), i(2)}, want: d("1.5000")},
		{name: "rounds half away from zero", fn: "AVG", in: []types.Value{i(1), i(2), i(2)}, want: d("1.6667")},
		{name: "negative", fn: "AVG", in: []types.Value{i(-1), i(-2), i(-2)}, want: d("-1.6667")},
		{name: "decimals keep four more digits", fn: "AVG", in: []types.Value{d("623.41"), d("623.42")}, want: d("623.415000")},
		{name: "mixed int and decimal", fn: "AVG", in: []types.Value{i(623), d("623.41"), null}, want: d("623.205000")},
		{name: "static DECIMAL(12,4) gives scale 8", fn: "AVG", arg: typ(decT(12, 4)), in: []types.Value{i(1), i(2)}, want: d("1.50000000")},
		{name: "scale capped at 18", fn: "AVG", in: []types.Value{d("0.000000000000000003"), d("0.000000000000000004")}, want: d("0.000000000000000004")},
		{name: "floats give a float", fn: "AVG", in: []types.Value{f(1), f(2)}, want: f(1.5)},
		{name: "a float among decimals gives a float", fn: "AVG", in: []types.Value{d("1.5"), f(2.5)}, want: f(2)},
		{name: "empty is NULL", fn: "AVG", want: null},
		{name: "exact beyond int64", fn: "AVG", in: []types.Value{i(math.MaxInt64), i(math.MaxInt64)}, want: bigd("9223372036854775807.0000")},
		{name: "bool is an error", fn: "AVG", in: []types.Value{types.BoolValue(true)}, errAt: 1},
		{name: "distinct", fn: "AVG", distinct: true, in: []types.Value{i(1), i(1), i(1), i(4)}, want: d("2.5000")},
	})
}

func TestMinMax(t *testing.T) {
	runCases(t, []aggCase{
		{name: "ints min", fn: "MIN", in: []types.Value{i(3), i(1), i(2)}, want: i(1)},
		{name: "ints max", fn: "MAX", in: []types.Value{i(3), i(1), i(2)}, want: i(3)},
		{name: "mixed exact min", fn: "MIN", in: []types.Value{i(623), d("623.41"), d("622.999")}, want: d("622.999")},
		{name: "mixed exact max", fn: "MAX", in: []types.Value{i(623), d("623.41"), d("622.999")}, want: d("623.41")},
		{name: "equal across kinds keeps the first", fn: "MIN", in: []types.Value{i(623), d("623.00")}, want: i(623)},
		{name: "scales differ", fn: "MAX", in: []types.Value{d("1.5"), d("1.49"), d("1.501")}, want: d("1.501")},
		{name: "float against decimal exactly (min)", fn: "MIN", in: []types.Value{f(0.1), d("0.1")}, want: d("0.1")},
		{name: "float against decimal exactly (max)", fn: "MAX", in: []types.Value{d("0.1"), f(0.1)}, want: f(0.1)},
		{name: "float against a large int", fn: "MAX", in: []types.Value{i(9007199254740993), f(9007199254740992)}, want: i(9007199254740993)},
		{name: "NaN sorts last", fn: "MAX", in: []types.Value{f(1), f(math.NaN()), f(2)}, want: f(math.NaN())},
		{name: "NaN sorts last (min)", fn: "MIN", in: []types.Value{f(math.NaN()), f(2), i(1)}, want: i(1)},
		{name: "promoted decimal", fn: "MAX", in: []types.Value{i(5), bigd("100000000000000000000"), d("99.5")}, want: bigd("100000000000000000000")},
		{name: "promoted decimal min", fn: "MIN", in: []types.Value{bigd("-100000000000000000000"), i(5)}, want: bigd("-100000000000000000000")},
		{name: "strings", fn: "MIN", in: []types.Value{s("b"), s("a"), s("c")}, want: s("a")},
		{name: "strings max", fn: "MAX", in: []types.Value{s("b"), s("a"), s("c")}, want: s("c")},
		{name: "timestamps", fn: "MAX", in: []types.Value{ts(10), ts(30), ts(20)}, want: ts(30)},
		{name: "booleans", fn: "MIN", in: []types.Value{types.BoolValue(true), types.BoolValue(false)}, want: types.BoolValue(false)},
		{name: "NULLs skipped", fn: "MIN", in: []types.Value{null, i(2), null}, want: i(2)},
		{name: "empty is NULL", fn: "MAX", want: null},
		{name: "string then number is an error", fn: "MIN", in: []types.Value{s("a"), i(1)}, errAt: 2},
		{name: "timestamp then int is an error", fn: "MAX", in: []types.Value{ts(1), i(1)}, errAt: 2},
		{name: "malformed promoted decimal", fn: "MAX", in: []types.Value{types.BigDecimalValue("x", 0)}, errAt: 1},
		{name: "distinct is harmless", fn: "MAX", distinct: true, in: []types.Value{i(1), i(1)}, want: i(1)},
	})
}

func TestFirstLast(t *testing.T) {
	runCases(t, []aggCase{
		{name: "first skips NULL", fn: "FIRST_VALUE", in: []types.Value{null, i(1), s("x"), null}, want: i(1)},
		{name: "last skips NULL", fn: "LAST_VALUE", in: []types.Value{null, i(1), s("x"), null}, want: s("x")},
		{name: "first empty", fn: "FIRST_VALUE", want: null},
		{name: "last empty", fn: "LAST_VALUE", in: []types.Value{null}, want: null},
	})
}

func TestVariance(t *testing.T) {
	data := []types.Value{i(2), i(4), i(4), i(4), i(5), i(5), i(7), i(9)}
	runCases(t, []aggCase{
		{name: "var_pop", fn: "VAR_POP", in: data, want: f(4)},
		{name: "stddev_pop", fn: "STDDEV_POP", in: data, want: f(2)},
		{name: "var_samp", fn: "VAR_SAMP", in: data, want: f(32.0 / 7)},
		{name: "variance is var_samp", fn: "VARIANCE", in: data, want: f(32.0 / 7)},
		{name: "stddev is stddev_samp", fn: "STDDEV", in: data, want: f(math.Sqrt(32.0 / 7))},
		{name: "stddev_samp", fn: "STDDEV_SAMP", in: data, want: f(math.Sqrt(32.0 / 7))},
		{name: "one value: samp is NULL", fn: "VAR_SAMP", in: []types.Value{i(3)}, want: null},
		{name: "one value: pop is 0", fn: "VAR_POP", in: []types.Value{i(3)}, want: f(0)},
		{name: "empty is NULL", fn: "STDDEV_POP", want: null},
		{name: "NULLs skipped", fn: "VAR_POP", in: []types.Value{null, i(1), null, i(3)}, want: f(1)},
		// Welford keeps the digits a sum of squares would lose.
		{name: "stable around 1e9", fn: "VAR_SAMP", in: []types.Value{i(1e9 + 4), i(1e9 + 7), i(1e9 + 13), i(1e9 + 16)}, want: f(30)},
		{name: "decimals and floats mix", fn: "VAR_POP", in: []types.Value{d("1.5"), f(2.5)}, want: f(0.25)},
		{name: "string is an error", fn: "STDDEV", in: []types.Value{s("1")}, errAt: 1},
	})
}

func TestPercentile(t *testing.T) {
	half := []types.Value{d("0.5")}
	runCases(t, []aggCase{
		{name: "median of four interpolates", fn: "PERCENTILE_CONT", params: half, in: []types.Value{i(4), i(1), i(3), i(2)}, want: f(2.5)},
		// p=0.25 over 5 values: rank 0.25*4 = 1 exactly -> the second value.
		{name: "exact rank", fn: "PERCENTILE_CONT", params: []types.Value{d("0.25")}, in: []types.Value{i(50), i(10), i(40), i(20), i(30)}, want: f(20)},
		// p=0.9 over 1..10: rank 8.1 -> 9 + 0.1*(10-9) = 9.1.
		{name: "p90", fn: "PERCENTILE_CONT", params: []types.Value{f(0.9)}, in: ints(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), want: f(9.1)},
		// p=0.95 (a float literal read as 95/100) over 0..20: rank 19 exactly.
		{name: "float p read as its decimal", fn: "PERCENTILE_CONT", params: []types.Value{f(0.95)}, in: ints(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), want: f(19)},
		{name: "p=0 is the minimum", fn: "PERCENTILE_CONT", params: []types.Value{i(0)}, in: ints(3, 1, 2), want: f(1)},
		{name: "p=1 is the maximum", fn: "PERCENTILE_CONT", params: []types.Value{i(1)}, in: ints(3, 1, 2), want: f(3)},
		{name: "decimals interpolate exactly", fn: "PERCENTILE_CONT", params: half, in: []types.Value{d("1.20"), d("1.10")}, want: f(1.15)},
		{name: "mixed kinds", fn: "PERCENTILE_CONT", params: half, in: []types.Value{f(2.5), i(1), d("2.00"), null}, want: f(2)},
		{name: "single value", fn: "PERCENTILE_CONT", params: []types.Value{d("0.3")}, in: ints(7), want: f(7)},
		{name: "empty is NULL", fn: "PERCENTILE_CONT", params: half, want: null},
		{name: "timestamps round half away", fn: "PERCENTILE_CONT", params: half, in: []types.Value{ts(2001), ts(1000)}, want: ts(1501)},
		{name: "intervals", fn: "PERCENTILE_CONT", params: []types.Value{d("0.25")}, in: []types.Value{iv(0), iv(1000)}, want: iv(250)},
		{name: "infinity", fn: "PERCENTILE_CONT", params: half, in: []types.Value{f(1), f(math.Inf(1))}, want: f(math.Inf(1))},
		{name: "median", fn: "MEDIAN", in: ints(3, 1, 2), want: f(2)},
		{name: "median even", fn: "MEDIAN", in: []types.Value{d("623.41"), i(623)}, want: f(623.205)},
		{name: "string is an error", fn: "MEDIAN", in: []types.Value{s("a")}, errAt: 1},
		{name: "timestamp after numbers is an error", fn: "MEDIAN", in: []types.Value{i(1), ts(1)}, errAt: 2},
	})
}

func ints(ns ...int64) []types.Value {
	out := make([]types.Value, len(ns))
	for k, n := range ns {
		out[k] = i(n)
	}
	return out
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name     string
		fn       string
		distinct bool
		args     []types.Type
		params   []types.Value
		want     types.Type
		err      error
	}{
		{name: "count star", fn: "COUNT", want: types.Int},
		{name: "case-insensitive", fn: "sUm", args: []types.Type{types.Int}, want: types.Int},
		{name: "sum decimal", fn: "SUM", args: []types.Type{decT(12, 4)}, want: types.Type{Kind: types.KindDecimal, Scale: 4}},
		{name: "sum float", fn: "SUM", args: []types.Type{types.Float}, want: types.Float},
		{name: "sum any", fn: "SUM", args: []types.Type{types.Any}, want: types.Any},
		{name: "avg int", fn: "AVG", args: []types.Type{types.Int}, want: types.Type{Kind: types.KindDecimal, Scale: 4}},
		{name: "avg decimal", fn: "AVG", args: []types.Type{decT(12, 4)}, want: types.Type{Kind: types.KindDecimal, Scale: 8}},
		{name: "avg float", fn: "AVG", args: []types.Type{types.Float}, want: types.Float},
		{name: "min string", fn: "MIN", args: []types.Type{types.String}, want: types.String},
		{name: "max timestamp", fn: "MAX", args: []types.Type{types.Timestamp}, want: types.Timestamp},
		{name: "stddev", fn: "STDDEV", args: []types.Type{types.Int}, want: types.Float},
		{name: "first", fn: "FIRST_VALUE", args: []types.Type{types.String}, want: types.String},
		{name: "approx", fn: "APPROX_COUNT_DISTINCT", args: []types.Type{types.String}, want: types.Int},
		{name: "percentile number", fn: "PERCENTILE_CONT", args: []types.Type{decT(12, 4)}, params: []types.Value{d("0.5")}, want: types.Float},
		{name: "percentile timestamp", fn: "PERCENTILE_CONT", args: []types.Type{types.Timestamp}, params: []types.Value{d("0.5")}, want: types.Timestamp},
		{name: "median", fn: "MEDIAN", args: []types.Type{types.Int}, want: types.Float},
		{name: "count distinct", fn: "COUNT", distinct: true, args: []types.Type{types.String}, want: types.Int},

		{name: "unknown", fn: "SUMM", args: []types.Type{types.Int}, err: ErrUnknown},
		{name: "not an aggregate", fn: "UPPER", args: []types.Type{types.String}, err: ErrUnknown},
		{name: "sum star", fn: "SUM", err: ErrArguments},
		{name: "count distinct star", fn: "COUNT", distinct: true, err: ErrArguments},
		{name: "two arguments", fn: "SUM", args: []types.Type{types.Int, types.Int}, err: ErrArguments},
		{name: "sum of strings", fn: "SUM", args: []types.Type{types.String}, err: ErrArguments},
		{name: "avg of timestamps", fn: "AVG", args: []types.Type{types.Timestamp}, err: ErrArguments},
		{name: "stddev of bools", fn: "STDDEV", args: []types.Type{types.Bool}, err: ErrArguments},
		{name: "distinct first_value", fn: "FIRST_VALUE", distinct: true, args: []types.Type{types.Int}, err: ErrArguments},
		{name: "distinct percentile", fn: "PERCENTILE_CONT", distinct: true, args: []types.Type{types.Int}, params: []types.Value{d("0.5")}, err: ErrArguments},
		{name: "percentile without p", fn: "PERCENTILE_CONT", args: []types.Type{types.Int}, err: ErrArguments},
		{name: "percentile above 1", fn: "PERCENTILE_CONT", args: []types.Type{types.Int}, params: []types.Value{d("1.5")}, err: ErrArguments},
		{name: "percentile below 0", fn: "PERCENTILE_CONT", args: []types.Type{types.Int}, params: []types.Value{f(-0.1)}, err: ErrArguments},
		{name: "percentile NULL", fn: "PERCENTILE_CONT", args: []types.Type{types.Int}, params: []types.Value{null}, err: ErrArguments},
		{name: "percentile NaN", fn: "PERCENTILE_CONT", args: []types.Type{types.Int}, params: []types.Value{f(math.NaN())}, err: ErrArguments},
		{name: "percentile string p", fn: "PERCENTILE_CONT", args: []types.Type{types.Int}, params: []types.Value{s("0.5")}, err: ErrArguments},
		{name: "percentile of strings", fn: "PERCENTILE_CONT", args: []types.Type{types.String}, params: []types.Value{d("0.5")}, err: ErrArguments},
		{name: "median with a parameter", fn: "MEDIAN", args: []types.Type{types.Int}, params: []types.Value{d("0.5")}, err: ErrArguments},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, err := Lookup(tt.fn, tt.distinct, tt.args, tt.params)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fn.ResultType() != tt.want {
				t.Fatalf("ResultType = %s, want %s", fn.ResultType(), tt.want)
			}
			if fn.Name() != strings.ToUpper(tt.fn) || fn.Distinct() != tt.distinct {
				t.Fatalf("Name/Distinct = %s/%v", fn.Name(), fn.Distinct())
			}
		})
	}
}

func TestLookupErrorText(t *testing.T) {
	_, err := Lookup("percentile_cont", false, []types.Type{types.Int}, []types.Value{d("1.5")})
	want := "PERCENTILE_CONT: percentile 1.5 is outside [0, 1]: invalid aggregate arguments"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestUpdateErrorText(t *testing.T) {
	fn, _ := Lookup("MIN", false, []types.Type{types.Any}, nil)
	b := fn.NewBuffer()
	_ = b.Update(s("abc"))
	err := b.Update(d("1.5"))
	want := `MIN: cannot compare DECIMAL 1.5 with STRING "abc": incomparable values`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestNames(t *testing.T) {
	names := Names()
	want := []string{"APPROX_COUNT_DISTINCT", "AVG", "COUNT", "FIRST_VALUE", "LAST_VALUE", "MAX", "MEDIAN", "MIN",
		"PERCENTILE_CONT", "STDDEV", "STDDEV_POP", "STDDEV_SAMP", "SUM", "VARIANCE", "VAR_POP", "VAR_SAMP"}
	if !slices.Equal(names, want) {
		t.Fatalf("Names = %v", names)
	}
	for _, n := range names {
		if !IsAggregate(strings.ToLower(n)) {
			t.Errorf("IsAggregate(%q) = false", strings.ToLower(n))
		}
	}
	if IsAggregate("UPPER") || IsAggregate("") {
		t.Error("IsAggregate accepts non-aggregates")
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b types.Value
		want int
		err  bool
	}{
		{a: i(1), b: d("1.00"), want: 0},
		{a: i(1), b: d("1.01"), want: -1},
		{a: d("-0.5"), b: i(0), want: -1},
		{a: f(0.5), b: d("0.5"), want: 0},
		{a: f(0.1), b: d("0.1"), want: 1},  // the double 0.1 is 0.1000000000000000055...
		{a: f(0.3), b: d("0.3"), want: -1}, // 0.29999999999999998889...
		{a: f(math.Inf(-1)), b: i(math.MinInt64), want: -1},
		{a: f(math.Inf(1)), b: bigd("1" + strings.Repeat("0", 400)), want: 1},
		{a: f(1e20), b: bigd("100000000000000000000"), want: 0},
		{a: bigd("100000000000000000000.1"), b: f(1e20), want: 1},
		{a: i(math.MaxInt64), b: f(9223372036854775807), want: -1}, // the float is 2^63
		{a: bigd("100000000000000000000"), b: d("9999999999999999.99"), want: 1},
		{a: s("a"), b: s("b"), want: -1},
		{a: ts(2), b: ts(1), want: 1},
		{a: s("1"), b: i(1), err: true},
		{a: ts(1), b: iv(1), err: true},
		{a: types.BoolValue(true), b: i(1), err: true},
		{a: types.BigDecimalValue("bad", 0), b: i(1), err: true},
		{a: f(1), b: types.BigDecimalValue("bad", 0), err: true},
	}
	for _, tt := range tests {
		got, err := compare("T", tt.a, tt.b)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("compare(%s, %s) = %d, %v; want %d (error %v)", render(tt.a), render(tt.b), got, err, tt.want, tt.err)
		}
		if tt.err {
			continue
		}
		if back, _ := compare("T", tt.b, tt.a); back != -tt.want {
			t.Errorf("compare(%s, %s) = %d, want %d", render(tt.b), render(tt.a), back, -tt.want)
		}
	}
}

func TestKeys(t *testing.T) {
	same := [][]types.Value{
		{i(623), d("623.00"), f(623), bigd("623.000")},
		{d("0.5"), f(0.5), d("0.50000")},
		{i(0), d("-0.00"), f(math.Copysign(0, -1))},
		{f(1e20), bigd("100000000000000000000.000")},
		{f(0.1), f(0.1)},
		{f(math.NaN()), f(-math.NaN())},
		{s("x"), s("x")},
	}
	for _, group := range same {
		k0, _ := keyOf(group[0], false)
		for _, v := range group[1:] {
			if k, _ := keyOf(v, false); k != k0 {
				t.Errorf("key(%s) = %+v, key(%s) = %+v: want equal", render(group[0]), k0, render(v), k)
			}
		}
	}
	different := [][2]types.Value{
		{f(0.1), d("0.1")},
		{i(1), s("1")},
		{ts(1), i(1)},
		{ts(1), iv(1)},
		{d("2.5"), d("25")},
		{f(math.Inf(1)), f(math.Inf(-1))},
		{bigd("100000000000000000000.5"), bigd("100000000000000000005")},
	}
	for _, p := range different {
		a, _ := keyOf(p[0], false)
		b, _ := keyOf(p[1], false)
		if a == b {
			t.Errorf("key(%s) == key(%s) = %+v: want different", render(p[0]), render(p[1]), a)
		}
	}
}

// TestNoAllocs pins the hot paths at zero allocations per Update.
func TestNoAllocs(t *testing.T) {
	inputs := map[string][]types.Value{
		"ints":     ints(5, 3, 9, -2, 7),
		"decimals": {d("623.4100"), d("623.4200"), d("1.0000"), d("-5.5000")},
		"floats":   {f(1.5), f(-2), f(3.25)},
		"mixed":    {i(623), d("623.41"), i(1), d("0.5")},
	}
	for _, name := range []string{"COUNT", "SUM", "AVG", "MIN", "MAX", "STDDEV", "VAR_POP", "FIRST_VALUE", "LAST_VALUE"} {
		fn, err := Lookup(name, false, []types.Type{types.Any}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for in, vals := range inputs {
			b := fn.NewBuffer()
			if n := testing.AllocsPerRun(100, func() {
				for _, v := range vals {
					if err := b.Update(v); err != nil {
						t.Fatal(err)
					}
				}
			}); n != 0 {
				t.Errorf("%s over %s: %v allocations per run", name, in, n)
			}
		}
	}
}
