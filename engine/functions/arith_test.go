package functions

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/types"
)

func TestArith(t *testing.T) {
	const maxI, minI = math.MaxInt64, math.MinInt64
	hour := int64(msPerHour)
	tests := []struct {
		name    string
		op      ast.BinaryOp
		a, b    types.Value
		want    types.Value
		wantErr string
	}{
		// BIGINT
		{"int add", ast.OpAdd, i(2), i(3), i(5), ""},
		{"int sub", ast.OpSub, i(2), i(3), i(-1), ""},
		{"int mul", ast.OpMul, i(-4), i(3), i(-12), ""},
		{"int div truncates", ast.OpDiv, i(7), i(2), i(3), ""},
		{"int div truncates toward zero", ast.OpDiv, i(-7), i(2), i(-3), ""},
		{"int div negative divisor", ast.OpDiv, i(7), i(-2), i(-3), ""},
		{"int mod takes the dividend's sign", ast.OpMod, i(-7), i(3), i(-1), ""},
		{"int mod negative divisor", ast.OpMod, i(7), i(-3), i(1), ""},
		{"int div by zero", ast.OpDiv, i(1), i(0), null, "division by zero"},
		{"int mod by zero", ast.OpMod, i(1), i(0), null, "division by zero"},
		// overflow promotes to an exact decimal
		{"add overflow promotes", ast.OpAdd, i(maxI), i(1), d("9223372036854775808"), ""},
		{"sub overflow promotes", ast.OpSub, i(minI), i(1), d("-9223372036854775809"), ""},
		{"mul overflow promotes", ast.OpMul, i(maxI), i(2), d("18446744073709551614"), ""},
		{"mul overflow negative", ast.OpMul, i(minI), i(-1), d("9223372036854775808"), ""},
		{"mul to min int fits", ast.OpMul, i(-1 << 62), i(2), i(minI), ""},
		{"div min by -1 promotes", ast.OpDiv, i(minI), i(-1), d("9223372036854775808"), ""},
		{"mod min by -1", ast.OpMod, i(minI), i(-1), i(0), ""},
		// DECIMAL
		{"int plus decimal", ast.OpAdd, i(1), d("0.5"), d("1.5"), ""},
		{"decimal scales align", ast.OpAdd, d("1.25"), d("0.5"), d("1.75"), ""},
		{"decimal sub", ast.OpSub, d("623.41"), d("0.41"), d("623.00"), ""},
		{"decimal mul adds scales", ast.OpMul, d("1.5"), d("1.5"), d("2.25"), ""},
		{"decimal mul rounds past scale 18", ast.OpMul, d("0.0000000001"), d("0.0000000015"), dm(0, 18), ""},
		{"decimal mul rounds half up at 18", ast.OpMul, d("0.000000001"), d("0.0000000005"), dm(1, 18), ""},
		{"decimal div min scale 6", ast.OpDiv, i(1), d("3.0"), d("0.333333"), ""},
		{"decimal div rounds half up", ast.OpDiv, d("2.00"), i(3), d("0.666667"), ""},
		{"decimal div negative rounds away", ast.OpDiv, d("-2.00"), i(3), d("-0.666667"), ""},
		{"decimal div keeps larger scale", ast.OpDiv, d("1.00000000"), i(8), d("0.12500000"), ""},
		{"decimal div by zero", ast.OpDiv, d("1.5"), d("0.00"), null, "division by zero"},
		{"decimal mod", ast.OpMod, d("5.5"), i(2), d("1.5"), ""},
		{"decimal mod negative", ast.OpMod, d("-5.5"), i(2), d("-1.5"), ""},
		{"decimal mod by zero", ast.OpMod, i(5), d("0.0"), null, "division by zero"},
		{"decimal add overflow promotes", ast.OpAdd, d("9223372036854775807"), d("1"), d("9223372036854775808"), ""},
		{"decimal mul overflow promotes", ast.OpMul, d("92233720368547758.07"), i(10), d("922337203685477580.70"), ""},
		{"promoted back to int64 form", ast.OpSub, d("9223372036854775808"), i(1), dm(maxI, 0), ""},
		{"promoted div", ast.OpDiv, d("9223372036854775808"), i(2), d("4611686018427387904.000000"), ""},
		{"promoted mod", ast.OpMod, d("9223372036854775808"), i(10), dm(8, 0), ""},
		{"promoted mod negative", ast.OpMod, d("-9223372036854775809"), i(10), dm(-9, 0), ""},
		{"promoted int div truncates", ast.OpDiv, i(minI), i(-1), d("9223372036854775808"), ""},
		{"promoted div by zero", ast.OpDiv, d("9223372036854775808"), i(0), null, "division by zero"},
		{"promoted mul", ast.OpMul, d("9223372036854775808"), d("9223372036854775808"), d("85070591730234615865843651857942052864"), ""},
		{"promoted size limit", ast.OpMul, d("1" + strings.Repeat("0", 600)), d("1" + strings.Repeat("0", 500)), null,
			"decimal overflow in *: the result has more than 1000 digits"},
		// DOUBLE
		{"float add", ast.OpAdd, f(1.5), i(1), f(2.5), ""},
		{"decimal plus float is float", ast.OpAdd, d("0.1"), f(0.2), f(0.30000000000000004), ""},
		{"float div", ast.OpDiv, f(1), f(4), f(0.25), ""},
		{"float div by zero", ast.OpDiv, f(1), f(0), null, "division by zero"},
		{"float mod", ast.OpMod, f(7.5), i(2), f(1.5), ""},
		{"float mod by zero", ast.OpMod, f(7.5), d("0.0"), null, "division by zero"},
		{"float overflow", ast.OpMul, f(1e308), i(10), null, "DOUBLE overflow in *"},
		{"float inf stays inf", ast.OpAdd, f(math.Inf(1)), i(1), f(math.Inf(1)), ""},
		{"promoted plus float", ast.OpAdd, d("9223372036854775808"), f(0.5), f(9223372036854775808.5), ""},
		// NULL
		{"null left", ast.OpAdd, null, i(1), null, ""},
		{"null right", ast.OpDiv, i(1), null, null, ""},
		{"null divisor zero is null first", ast.OpDiv, null, i(0), null, ""},
		{"null concat", ast.OpConcat, null, s("a"), null, ""},
		// ||
		{"concat strings", ast.OpConcat, s("ab"), s("cd"), s("abcd"), ""},
		{"concat number", ast.OpConcat, s("n="), i(42), s("n=42"), ""},
		{"concat decimal keeps scale", ast.OpConcat, d("1.50"), s("x"), s("1.50x"), ""},
		{"concat ints", ast.OpConcat, i(1), i(2), s("12"), ""},
		{"concat timestamp", ast.OpConcat, ts("2024-02-29T10:00:00Z"), s("!"), s("2024-02-29T10:00:00.000Z!"), ""},
		// type errors
		{"string plus int", ast.OpAdd, s("a"), i(1), null, "operator + cannot be applied to STRING and BIGINT"},
		{"string plus string hints", ast.OpAdd, s("a"), s("b"), null, "use || or CONCAT"},
		{"bool times int", ast.OpMul, b(true), i(1), null, "operator * cannot be applied to BOOLEAN and BIGINT"},
		{"comparison is not arithmetic", ast.OpEq, i(1), i(1), null, "operator = is not arithmetic"},
		{"comparison with null is not arithmetic", ast.OpLt, null, i(1), null, "operator < is not arithmetic"},
		// time
		{"ts plus interval crosses leap day", ast.OpAdd, ts("2024-02-28T23:00:00Z"), iv(2 * hour), ts("2024-02-29T01:00:00Z"), ""},
		{"ts minus interval", ast.OpSub, ts("2024-03-01T00:30:00Z"), iv(hour), ts("2024-02-29T23:30:00Z"), ""},
		{"interval plus ts", ast.OpAdd, iv(hour), ts("1969-12-31T23:00:00Z"), ts("1970-01-01T00:00:00Z"), ""},
		{"ts minus ts", ast.OpSub, ts("2024-03-01T00:00:00Z"), ts("2024-02-28T00:00:00Z"), iv(2 * msPerDay), ""},
		{"ts minus later ts is negative", ast.OpSub, ts("1969-12-31T00:00:00Z"), ts("1970-01-01T00:00:00Z"), iv(-msPerDay), ""},
		{"interval plus interval", ast.OpAdd, iv(1500), iv(500), iv(2000), ""},
		{"interval minus interval", ast.OpSub, iv(1500), iv(2000), iv(-500), ""},
		{"interval times int", ast.OpMul, iv(1500), i(3), iv(4500), ""},
		{"int times interval", ast.OpMul, i(3), iv(1500), iv(4500), ""},
		{"interval times decimal rounds", ast.OpMul, iv(1001), d("0.5"), iv(501), ""},
		{"interval times float rounds", ast.OpMul, iv(1001), f(0.5), iv(501), ""},
		{"interval div int rounds", ast.OpDiv, iv(1001), i(2), iv(501), ""},
		{"negative interval div rounds away", ast.OpDiv, iv(-1001), i(2), iv(-501), ""},
		{"interval div decimal", ast.OpDiv, iv(1000), d("0.3"), iv(3333), ""},
		{"interval div zero", ast.OpDiv, iv(1000), i(0), null, "division by zero"},
		{"interval times huge", ast.OpMul, iv(maxI), i(2), null, "interval out of range"},
		{"ts overflow", ast.OpAdd, tsm(maxI), iv(1), null, "timestamp out of range"},
		{"ts plus ts", ast.OpAdd, tsm(0), tsm(0), null, "operator + cannot be applied to TIMESTAMP and TIMESTAMP"},
		{"ts plus int", ast.OpAdd, tsm(0), i(1), null, "operator + cannot be applied to TIMESTAMP and BIGINT"},
		{"interval minus ts", ast.OpSub, iv(1), tsm(0), null, "operator - cannot be applied to INTERVAL and TIMESTAMP"},
		{"interval mod", ast.OpMod, iv(10), i(3), null, "operator % cannot be applied to INTERVAL and BIGINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Arith(tt.op, tt.a, tt.b)
			if !checkErr(t, "Arith", err, tt.wantErr) {
				return
			}
			if !same(got, tt.want) {
				t.Errorf("%s %s %s = %s, want %s", show(tt.a), tt.op, show(tt.b), show(got), show(tt.want))
			}
		})
	}
}

func TestArithDivisionByZeroIsSentinel(t *testing.T) {
	for _, pair := range [][2]types.Value{{i(1), i(0)}, {d("1.5"), i(0)}, {f(1), f(0)}, {d("9223372036854775808"), d("0.0")}} {
		for _, op := range []ast.BinaryOp{ast.OpDiv, ast.OpMod} {
			if _, err := Arith(op, pair[0], pair[1]); !errors.Is(err, ErrDivisionByZero) {
				t.Errorf("%s %s %s: err = %v, want ErrDivisionByZero", show(pair[0]), op, show(pair[1]), err)
			}
		}
	}
}

func TestArithType(t *testing.T) {
	dec := types.Type{Kind: types.KindDecimal, Precision: 10, Scale: 2}
	tests := []struct {
		op      ast.BinaryOp
		a, b    types.Type
		want    types.Type
		wantErr string
	}{
		{ast.OpAdd, types.Int, types.Int, types.Int, ""},
		{ast.OpDiv, types.Int, types.Int, types.Int, ""},
		{ast.OpAdd, types.Int, dec, types.Decimal, ""},
		{ast.OpMul, dec, dec, types.Decimal, ""},
		{ast.OpSub, dec, types.Float, types.Float, ""},
		{ast.OpMod, types.Float, types.Int, types.Float, ""},
		{ast.OpAdd, types.Timestamp, types.Interval, types.Timestamp, ""},
		{ast.OpAdd, types.Interval, types.Timestamp, types.Timestamp, ""},
		{ast.OpSub, types.Timestamp, types.Interval, types.Timestamp, ""},
		{ast.OpSub, types.Timestamp, types.Timestamp, types.Interval, ""},
		{ast.OpAdd, types.Interval, types.Interval, types.Interval, ""},
		{ast.OpMul, types.Interval, types.Int, types.Interval, ""},
		{ast.OpMul, types.Float, types.Interval, types.Interval, ""},
		{ast.OpDiv, types.Interval, dec, types.Interval, ""},
		{ast.OpAdd, types.Any, types.Int, types.Any, ""},
		{ast.OpAdd, types.Timestamp, types.Any, types.Any, ""},
		{ast.OpAdd, types.Null, types.Int, types.Int, ""},
		{ast.OpDiv, dec, types.Null, types.Decimal, ""},
		{ast.OpAdd, types.Null, types.Null, types.Null, ""},
		{ast.OpSub, types.Timestamp, types.Null, types.Timestamp, ""},
		{ast.OpSub, types.Null, types.Timestamp, types.Interval, ""},
		{ast.OpMul, types.Null, types.Interval, types.Interval, ""},
		{ast.OpConcat, types.String, types.Int, types.String, ""},
		{ast.OpConcat, types.Null, types.Bool, types.String, ""},
		{ast.OpAdd, types.String, types.Int, types.Type{}, "operator + cannot be applied to STRING and BIGINT"},
		{ast.OpAdd, types.String, types.String, types.Type{}, "use || or CONCAT"},
		{ast.OpAdd, types.Bool, types.Any, types.Type{}, "operator + cannot be applied to BOOLEAN and ANY"},
		{ast.OpMul, types.Timestamp, types.Int, types.Type{}, "operator * cannot be applied to TIMESTAMP and BIGINT"},
		{ast.OpMod, types.Interval, types.Int, types.Type{}, "operator % cannot be applied to INTERVAL and BIGINT"},
		{ast.OpMod, types.Null, types.Interval, types.Type{}, "operator % cannot be applied to INTERVAL and NULL"},
		{ast.OpMul, types.Timestamp, types.Null, types.Type{}, "operator * cannot be applied to TIMESTAMP and NULL"},
		{ast.OpAdd, types.Timestamp, types.Timestamp, types.Type{}, "operator + cannot be applied to TIMESTAMP and TIMESTAMP"},
		{ast.OpEq, types.Int, types.Int, types.Type{}, "not arithmetic"},
	}
	for _, tt := range tests {
		got, err := ArithType(tt.op, tt.a, tt.b)
		what := tt.a.String() + " " + tt.op.String() + " " + tt.b.String()
		if !checkErr(t, what, err, tt.wantErr) {
			continue
		}
		if got != tt.want {
			t.Errorf("%s: type %s, want %s", what, got, tt.want)
		}
	}
}

// TestArithTypeMatchesArith checks that for every pair of concrete kinds the
// static rule and the run-time rule agree on success and on the result kind
// (overflow promotion aside, which these small values do not trigger).
func TestArithTypeMatchesArith(t *testing.T) {
	samples := map[types.Kind]types.Value{
		types.KindBool: b(true), types.KindInt: i(7), types.KindFloat: f(2.5), types.KindDecimal: d("1.25"),
		types.KindString: s("x"), types.KindTimestamp: tsm(1000), types.KindInterval: iv(60000),
	}
	for ak, av := range samples {
		for bk, bv := range samples {
			for op := ast.OpAdd; op <= ast.OpConcat; op++ {
				st, serr := ArithType(op, types.Type{Kind: ak}, types.Type{Kind: bk})
				v, rerr := Arith(op, av, bv)
				if (serr == nil) != (rerr == nil) {
					t.Errorf("%s %s %s: static err %v, run-time err %v", ak, op, bk, serr, rerr)
					continue
				}
				if serr == nil && st.Kind != v.K {
					t.Errorf("%s %s %s: static %s, run-time %s", ak, op, bk, st, v.K)
				}
			}
		}
	}
}

func TestNegate(t *testing.T) {
	tests := []struct {
		in, want types.Value
		wantErr  string
	}{
		{i(5), i(-5), ""},
		{i(math.MinInt64), d("9223372036854775808"), ""},
		{d("-1.5"), d("1.5"), ""},
		{dm(math.MinInt64, 2), d("92233720368547758.08"), ""},
		{d("9223372036854775808"), d("-9223372036854775808"), ""},
		{d("-9223372036854775809"), d("9223372036854775809"), ""},
		{f(0), f(math.Copysign(0, -1)), ""},
		{f(2.5), f(-2.5), ""},
		{iv(1000), iv(-1000), ""},
		{null, null, ""},
		{iv(math.MinInt64), null, "interval out of range"},
		{s("a"), null, "operator - cannot be applied to STRING"},
		{tsm(0), null, "operator - cannot be applied to TIMESTAMP"},
	}
	for _, tt := range tests {
		got, err := Negate(tt.in)
		if !checkErr(t, "Negate "+show(tt.in), err, tt.wantErr) {
			continue
		}
		if !same(got, tt.want) {
			t.Errorf("-%s = %s, want %s", show(tt.in), show(got), show(tt.want))
		}
	}
}
