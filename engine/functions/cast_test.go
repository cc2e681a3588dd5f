package functions

import (
	"math"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/types"
)

func decT(p, s uint8) types.Type { return types.Type{Kind: types.KindDecimal, Precision: p, Scale: s} }

func TestCast(t *testing.T) {
	day := int64(msPerDay)
	tests := []struct {
		in      types.Value
		to      types.Type
		want    types.Value
		wantErr string
	}{
		// to BIGINT
		{s("42"), types.Int, i(42), ""},
		{s(" -7 "), types.Int, i(-7), ""},
		{s("+7"), types.Int, i(7), ""},
		{s("12.5"), types.Int, null, "cannot cast '12.5' to BIGINT"},
		{s("9223372036854775808"), types.Int, null, "cannot cast '9223372036854775808' to BIGINT"},
		{s(""), types.Int, null, "cannot cast '' to BIGINT"},
		{f(2.5), types.Int, i(3), ""},
		{f(-2.5), types.Int, i(-3), ""},
		{f(1e19), types.Int, null, "cannot cast 1e+19 to BIGINT"},
		{f(math.NaN()), types.Int, null, "cannot cast NaN to BIGINT"},
		{d("2.5"), types.Int, i(3), ""},
		{d("-2.49"), types.Int, i(-2), ""},
		{d("9223372036854775807.4"), types.Int, i(math.MaxInt64), ""},
		{d("9223372036854775807.5"), types.Int, null, "cannot cast 9223372036854775807.5 to BIGINT"},
		{b(true), types.Int, i(1), ""},
		{tsm(-5), types.Int, i(-5), ""},
		{iv(7), types.Int, i(7), ""},
		// to DECIMAL
		{s("623.41"), types.Decimal, dm(62341, 2), ""},
		{s(".5"), types.Decimal, dm(5, 1), ""},
		{s("1e3"), types.Decimal, d("1000"), ""},
		{s("1.5E-3"), types.Decimal, d("0.0015"), ""},
		{s("-2.50e+1"), types.Decimal, d("-25.0"), ""},
		{s("12345678901234567890.5"), types.Decimal, d("12345678901234567890.5"), ""},
		{s("0.1234567890123456789"), types.Decimal, d("0.123456789012345679"), ""},
		{s("-0.0000000000000000005"), types.Decimal, dm(-1, 18), ""},
		{s("1e-30"), types.Decimal, dm(0, 18), ""},
		{s("0e5"), types.Decimal, dm(0, 0), ""},
		{s("1e2000"), types.Decimal, null, "cannot cast '1e2000' to DECIMAL"},
		{s("NaN"), types.Decimal, null, "cannot cast 'NaN' to DECIMAL"},
		{s("abc"), decT(12, 4), null, "cannot cast 'abc' to DECIMAL(12,4)"},
		{s("1.2.3"), types.Decimal, null, "cannot cast '1.2.3' to DECIMAL"},
		{s("623.415"), decT(10, 2), dm(62342, 2), ""},
		{s("-623.415"), decT(10, 2), dm(-62342, 2), ""},
		{s("123456.7"), decT(5, 2), null, "cannot cast '123456.7' to DECIMAL(5,2): it needs 6 digits before the point and DECIMAL(5,2) allows 3"},
		{i(99), decT(4, 2), dm(9900, 2), ""},
		{i(100), decT(4, 2), null, "cannot cast 100 to DECIMAL(4,2)"},
		{d("1.005"), decT(4, 2), dm(101, 2), ""},
		{d("99.995"), decT(4, 2), null, "cannot cast 99.995 to DECIMAL(4,2)"},
		{d("0.000"), decT(1, 0), dm(0, 0), ""},
		{d("12345678901234567890123.456"), decT(38, 2), d("12345678901234567890123.46"), ""},
		{i(math.MaxInt64), decT(38, 10), d("9223372036854775807.0000000000"), ""},
		{f(0.1), types.Decimal, d("0.1"), ""},
		{f(2.675), decT(5, 2), dm(268, 2), ""},
		{f(1e20), types.Decimal, d("100000000000000000000"), ""},
		{f(1e20), decT(30, 2), d("100000000000000000000.00"), ""},
		{f(math.Inf(1)), types.Decimal, null, "cannot cast Infinity to DECIMAL"},
		{b(true), types.Decimal, null, "cannot cast true to DECIMAL"},
		{tsm(0), types.Decimal, null, "cannot cast 1970-01-01T00:00:00.000Z to DECIMAL"},
		{i(1), decT(40, 2), null, "DECIMAL precision 40 is above the maximum 38"},
		{i(1), decT(3, 5), null, "DECIMAL scale 5 is larger than its precision 3"},
		{i(1), decT(30, 20), null, "DECIMAL scale 20 is above the maximum 18"},
		// to DOUBLE
		{s("1e3"), types.Float, f(1000), ""},
		{s(" 623.41 "), types.Float, f(623.41), ""},
		{s("NaN"), types.Float, f(math.NaN()), ""},
		{s("-Infinity"), types.Float, f(math.Inf(-1)), ""},
		{s("0x10"), types.Float, null, "cannot cast '0x10' to DOUBLE"},
		{s("1_000"), types.Float, null, "cannot cast '1_000' to DOUBLE"},
		{s("1e400"), types.Float, null, "cannot cast '1e400' to DOUBLE"},
		{d("623.41"), types.Float, f(623.41), ""},
		{d("9223372036854775808"), types.Float, f(9223372036854775808), ""},
		{i(3), types.Float, f(3), ""},
		{b(true), types.Float, null, "cannot cast true to DOUBLE"},
		// to BOOLEAN
		{s("yes"), types.Bool, b(true), ""},
		{s("0"), types.Bool, b(false), ""},
		{s("False"), types.Bool, b(false), ""},
		{s("maybe"), types.Bool, null, "cannot cast 'maybe' to BOOLEAN"},
		{i(2), types.Bool, b(true), ""},
		{i(0), types.Bool, b(false), ""},
		{f(1), types.Bool, null, "cannot cast 1 to BOOLEAN"},
		// to STRING
		{i(-5), types.String, s("-5"), ""},
		{f(0.1), types.String, s("0.1"), ""},
		{f(3), types.String, s("3"), ""},
		{f(1e21), types.String, s("1e+21"), ""},
		{f(1e15), types.String, s("1e+15"), ""},
		{f(123456789012345), types.String, s("123456789012345"), ""},
		{f(1e-5), types.String, s("1e-05"), ""},
		{f(0.0001), types.String, s("0.0001"), ""},
		{f(math.NaN()), types.String, s("NaN"), ""},
		{f(math.Inf(1)), types.String, s("Infinity"), ""},
		{d("1.50"), types.String, s("1.50"), ""},
		{d("-0.05"), types.String, s("-0.05"), ""},
		{d("-9223372036854775809.5"), types.String, s("-9223372036854775809.5"), ""},
		{b(false), types.String, s("false"), ""},
		{tsm(0), types.String, s("1970-01-01T00:00:00.000Z"), ""},
		{tsm(-1), types.String, s("1969-12-31T23:59:59.999Z"), ""},
		{ts("2024-02-29T13:05:09.007Z"), types.String, s("2024-02-29T13:05:09.007Z"), ""},
		{iv(90061005), types.String, s("1 day 01:01:01.005"), ""},
		{iv(-1500), types.String, s("-00:00:01.500"), ""},
		{iv(300000), types.String, s("00:05:00"), ""},
		{iv(2 * day), types.String, s("2 days 00:00:00"), ""},
		{s("héllo"), types.String, s("héllo"), ""},
		// to TIMESTAMP
		{s("2024-02-29T13:05:09.123Z"), types.Timestamp, tsm(1709211909123), ""},
		{s("2023-02-29"), types.Timestamp, null, "cannot cast '2023-02-29' to TIMESTAMP"},
		{i(0), types.Timestamp, tsm(0), ""},
		{d("1.6"), types.Timestamp, tsm(2), ""},
		{f(-1.5), types.Timestamp, tsm(-2), ""},
		{b(true), types.Timestamp, null, "cannot cast true to TIMESTAMP"},
		{iv(1000), types.Timestamp, null, "cannot cast 00:00:01 to TIMESTAMP"},
		// to INTERVAL
		{s("1h30m"), types.Interval, iv(5400000), ""},
		{s("250ms"), types.Interval, iv(250), ""},
		{s("1 day 01:01:01.005"), types.Interval, iv(90061005), ""},
		{s("-00:00:01.500"), types.Interval, iv(-1500), ""},
		{s("2 days"), types.Interval, iv(2 * day), ""},
		{s("36:00:00"), types.Interval, iv(36 * msPerHour), ""},
		{s("00:61:00"), types.Interval, null, "cannot cast '00:61:00' to INTERVAL"},
		{s("soon"), types.Interval, null, "cannot cast 'soon' to INTERVAL"},
		{i(5), types.Interval, iv(5), ""},
		{tsm(5), types.Interval, null, "cannot cast 1970-01-01T00:00:00.005Z to INTERVAL"},
		// NULL and ANY
		{null, types.Int, null, ""},
		{null, decT(5, 2), null, ""},
		{s("x"), types.Any, s("x"), ""},
		{i(1), types.Null, null, "cannot cast to NULL"},
		// long values are shortened in messages
		{s(strings.Repeat("x", 100)), types.Int, null, "cannot cast '" + strings.Repeat("x", 64) + "'... to BIGINT"},
	}
	for _, tt := range tests {
		got, err := Cast(tt.in, tt.to)
		what := "CAST(" + show(tt.in) + " AS " + tt.to.String() + ")"
		if !checkErr(t, what, err, tt.wantErr) {
			continue
		}
		if !same(got, tt.want) {
			t.Errorf("%s = %s, want %s", what, show(got), show(tt.want))
		}
	}
}

func TestCastType(t *testing.T) {
	tests := []struct {
		from, to types.Type
		wantErr  string
	}{
		{types.Int, decT(10, 2), ""},
		{types.String, types.Timestamp, ""},
		{types.String, types.Interval, ""},
		{types.Bool, types.String, ""},
		{types.Timestamp, types.Int, ""},
		{types.Any, types.Timestamp, ""},
		{types.Null, types.Bool, ""},
		{decT(10, 2), decT(5, 1), ""},
		{types.Float, types.Timestamp, ""},
		{types.Bool, types.Timestamp, "cannot cast BOOLEAN to TIMESTAMP"},
		{types.Timestamp, types.Float, "cannot cast TIMESTAMP to DOUBLE"},
		{types.Interval, types.Decimal, "cannot cast INTERVAL to DECIMAL"},
		{types.Float, types.Bool, "cannot cast DOUBLE to BOOLEAN"},
		{types.Timestamp, types.Interval, "cannot cast TIMESTAMP to INTERVAL"},
		{types.Int, decT(3, 4), "DECIMAL scale 4 is larger than its precision 3"},
		{types.Int, types.Null, "cannot cast to NULL"},
	}
	for _, tt := range tests {
		checkErr(t, tt.from.String()+" -> "+tt.to.String(), CastType(tt.from, tt.to), tt.wantErr)
	}
}

// TestCastTypeMatchesCast checks that the static matrix admits exactly the
// kind pairs for which some value casts at run time.
func TestCastTypeMatchesCast(t *testing.T) {
	samples := map[types.Kind][]types.Value{
		types.KindBool:      {b(true)},
		types.KindInt:       {i(1)},
		types.KindFloat:     {f(1)},
		types.KindDecimal:   {d("1.0")},
		types.KindString:    {s("1"), s("true"), s("1970-01-01"), s("1s")},
		types.KindTimestamp: {tsm(1)},
		types.KindInterval:  {iv(1)},
	}
	for from, vals := range samples {
		for to := range samples {
			static := CastType(types.Type{Kind: from}, types.Type{Kind: to}) == nil
			runtime := false
			for _, v := range vals {
				if _, err := Cast(v, types.Type{Kind: to}); err == nil {
					runtime = true
				}
			}
			if static != runtime {
				t.Errorf("%s -> %s: CastType allows %v, Cast succeeds %v", from, to, static, runtime)
			}
		}
	}
}

// FuzzCastString casts arbitrary text to every type. It must never panic,
// every failure must name the value and the type, and every success must
// round-trip through the text form.
func FuzzCastString(f *testing.F) {
	for _, seed := range []string{
		"42", "-0", "623.41", "1e5", "-1.5E-3", ".5", "1.", "12345678901234567890.123", "0.0000000000000000005",
		"NaN", "inf", "true", "off", "2024-02-29T13:05:09.123+02:00", "2024-02-29", "+12345-01-01T00:00:00Z",
		"1 day 02:03:04.005", "1h30m", "-00:00:01.5", "", " ", "abc", "9223372036854775808", "1e999",
	} {
		f.Add(seed)
	}
	targets := []types.Type{types.Bool, types.Int, types.Float, types.Decimal, decT(10, 2), decT(38, 18), decT(1, 0),
		types.String, types.Timestamp, types.Interval}
	f.Fuzz(func(t *testing.T, in string) {
		for _, to := range targets {
			v, err := Cast(s(in), to)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "cannot cast ") || !strings.Contains(err.Error(), to.String()) {
					t.Fatalf("CAST(%q AS %s): error %q does not name the value and type", in, to, err)
				}
				continue
			}
			if v.K != to.Kind {
				t.Fatalf("CAST(%q AS %s) gave a %s", in, to, v.K)
			}
			// The text form must read back as the same value.
			back, err := Cast(types.StringValue(textOf(v)), to)
			if err != nil {
				t.Fatalf("CAST(%q AS %s) = %s, which does not cast back: %v", in, to, textOf(v), err)
			}
			if eq, _ := Equal(back, v); !eq && !(v.K == types.KindFloat && math.IsNaN(v.Float())) {
				t.Fatalf("CAST(%q AS %s) = %s, but its text casts back to %s", in, to, show(v), show(back))
			}
			if to.Kind == types.KindDecimal && to.Precision > 0 {
				if v.Scale != to.Scale {
					t.Fatalf("CAST(%q AS %s) has scale %d", in, to, v.Scale)
				}
				digits := 0
				for _, c := range textOf(v) {
					if c >= '0' && c <= '9' {
						digits++
					}
				}
				if strings.HasPrefix(strings.TrimPrefix(textOf(v), "-"), "0") {
					digits-- // the leading zero of 0.xx is not a significant digit
				}
				if digits > int(to.Precision) {
					t.Fatalf("CAST(%q AS %s) = %s has more than %d digits", in, to, textOf(v), to.Precision)
				}
			}
		}
	})
}
