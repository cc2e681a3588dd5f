package functions

import (
	"math"
	"testing"

	"github.com/velostream/velostream/engine/types"
)

func TestCompare(t *testing.T) {
	nan := f(math.NaN())
	tests := []struct {
		name    string
		a, b    types.Value
		want    int
		null    bool
		wantErr string
	}{
		{"ints", i(1), i(2), -1, false, ""},
		{"int equals decimal with scale", i(623), d("623.00"), 0, false, ""},
		{"decimal scales", d("1.5"), d("1.50"), 0, false, ""},
		{"decimal order", d("-0.01"), d("0.001"), -1, false, ""},
		{"int vs decimal fraction", i(2), d("1.99"), 1, false, ""},
		{"int vs float", i(3), f(2.5), 1, false, ""},
		{"decimal vs float from same text", d("623.41"), f(623.41), 0, false, ""},
		{"decimal vs float order", d("623.42"), f(623.41), 1, false, ""},
		{"float vs decimal order", f(-0.5), d("-0.25"), -1, false, ""},
		{"int vs float equal", i(1 << 40), f(1 << 40), 0, false, ""},
		{"big vs int", d("9223372036854775808"), i(math.MaxInt64), 1, false, ""},
		{"big vs negative big", d("-9223372036854775809"), d("9223372036854775808"), -1, false, ""},
		{"big vs decimal", d("9223372036854775808.5"), d("1.5"), 1, false, ""},
		{"big vs float", d("9223372036854775808"), f(1e19), -1, false, ""},
		{"float vs big", f(1e19), d("9223372036854775808"), 1, false, ""},
		{"NaN equals NaN", nan, nan, 0, false, ""},
		{"NaN above infinity", nan, f(math.Inf(1)), 1, false, ""},
		{"NaN above int", i(math.MaxInt64), nan, -1, false, ""},
		{"negative zero equals zero", f(math.Copysign(0, -1)), i(0), 0, false, ""},
		{"strings by bytes", s("B"), s("a"), -1, false, ""},
		{"utf8 code point order", s("z"), s("é"), -1, false, ""},
		{"prefix first", s("ab"), s("abc"), -1, false, ""},
		{"booleans", b(false), b(true), -1, false, ""},
		{"timestamps", ts("1969-12-31T23:59:59.999Z"), ts("1970-01-01T00:00:00Z"), -1, false, ""},
		{"intervals", iv(-1), iv(0), -1, false, ""},
		{"string vs timestamp parsed", s("2024-02-29T12:00:00+01:00"), ts("2024-02-29T11:00:00Z"), 0, false, ""},
		{"timestamp vs string", ts("2024-02-29T11:00:00Z"), s("2024-02-29"), 1, false, ""},
		{"bad timestamp string", s("yesterday"), ts("2024-02-29T11:00:00Z"), 0, false, "cannot compare 'yesterday' with TIMESTAMP"},
		{"null left", null, i(1), 0, true, ""},
		{"null right", s("a"), null, 0, true, ""},
		{"null both", null, null, 0, true, ""},
		{"null with incomparable", null, b(true), 0, true, ""},
		{"string vs int", s("1"), i(1), 0, false, "cannot compare STRING with BIGINT"},
		{"bool vs int", b(true), i(1), 0, false, "cannot compare BOOLEAN with BIGINT"},
		{"timestamp vs interval", tsm(0), iv(0), 0, false, "cannot compare TIMESTAMP with INTERVAL"},
		{"timestamp vs int", tsm(0), i(0), 0, false, "cannot compare TIMESTAMP with BIGINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok, err := Compare(tt.a, tt.b)
			if !checkErr(t, "Compare", err, tt.wantErr) {
				return
			}
			if ok == tt.null {
				t.Fatalf("Compare(%s, %s): ok = %v, want %v", show(tt.a), show(tt.b), ok, !tt.null)
			}
			if ok && c != tt.want {
				t.Errorf("Compare(%s, %s) = %d, want %d", show(tt.a), show(tt.b), c, tt.want)
			}
			if ok {
				// Antisymmetry.
				c2, _, _ := Compare(tt.b, tt.a)
				if c2 != -c {
					t.Errorf("Compare(%s, %s) = %d but reversed gives %d", show(tt.a), show(tt.b), c, c2)
				}
			}
		})
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b   types.Value
		eq, ok bool
	}{
		{i(623), d("623.00"), true, true},
		{d("1.5"), f(1.5), true, true},
		{s("a"), s("a"), true, true},
		{s("a"), s("A"), false, true},
		{b(true), b(true), true, true},
		{d("9223372036854775808"), d("9223372036854775808.000"), true, true},
		{s("1"), i(1), false, true}, // incomparable kinds are unequal
		{s("not a time"), tsm(0), false, true},
		{s("1970-01-01"), tsm(0), true, true},
		{null, i(1), false, false},
		{i(1), null, false, false},
	}
	for _, tt := range tests {
		eq, ok := Equal(tt.a, tt.b)
		if eq != tt.eq || ok != tt.ok {
			t.Errorf("Equal(%s, %s) = %v, %v; want %v, %v", show(tt.a), show(tt.b), eq, ok, tt.eq, tt.ok)
		}
	}
}

func TestTruthy(t *testing.T) {
	tests := []struct {
		in         types.Value
		want, null bool
	}{
		{b(true), true, false},
		{b(false), false, false},
		{null, false, true},
		{i(0), false, false},
		{i(-3), true, false},
		{d("0.00"), false, false},
		{d("0.01"), true, false},
		{f(0), false, false},
		{f(math.NaN()), false, true},
		{s("TRUE"), true, false},
		{s(" off "), false, false},
		{s("maybe"), false, true},
		{tsm(0), false, true},
	}
	for _, tt := range tests {
		got, null := Truthy(tt.in)
		if got != tt.want || null != tt.null {
			t.Errorf("Truthy(%s) = %v, null %v; want %v, null %v", show(tt.in), got, null, tt.want, tt.null)
		}
	}
}

func TestComparableTypes(t *testing.T) {
	tests := []struct {
		a, b    types.Type
		wantErr string
	}{
		{types.Int, decT(10, 2), ""},
		{types.Float, types.Int, ""},
		{types.String, types.Timestamp, ""},
		{types.Any, types.Bool, ""},
		{types.Null, types.Interval, ""},
		{types.Bool, types.Bool, ""},
		{types.String, types.Int, "cannot compare STRING with BIGINT"},
		{types.Timestamp, types.Interval, "cannot compare TIMESTAMP with INTERVAL"},
		{types.Bool, types.Int, "cannot compare BOOLEAN with BIGINT"},
	}
	for _, tt := range tests {
		checkErr(t, tt.a.String()+" vs "+tt.b.String(), ComparableTypes(tt.a, tt.b), tt.wantErr)
	}
}

// TestComparableTypesMatchesCompare checks the static rule against Compare
// for every pair of kinds.
func TestComparableTypesMatchesCompare(t *testing.T) {
	samples := map[types.Kind]types.Value{
		types.KindBool: b(true), types.KindInt: i(7), types.KindFloat: f(2.5), types.KindDecimal: d("1.25"),
		types.KindString: s("1970-01-01"), types.KindTimestamp: tsm(1000), types.KindInterval: iv(60000),
	}
	for ak, av := range samples {
		for bk, bv := range samples {
			_, _, err := Compare(av, bv)
			static := ComparableTypes(types.Type{Kind: ak}, types.Type{Kind: bk})
			if (err == nil) != (static == nil) {
				t.Errorf("%s vs %s: Compare err %v, ComparableTypes err %v", ak, bk, err, static)
			}
		}
	}
}
