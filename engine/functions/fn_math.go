package functions

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// maxExactPower is the largest exponent POWER computes exactly; beyond it
// the result is a DOUBLE anyway for any base other than 0, 1 and -1.
const maxExactPower = 64

func init() {
	x := []param{{"x", aNumeric}}
	same := argType(0)
	register(&spec{name: "ABS", params: x, min: 1, result: same, resultDoc: "type of x", strict: true,
		doc: "the absolute value of x", eval: evalAbs})
	register(&spec{name: "ROUND", params: []param{{"x", aNumeric}, {"digits", aInt}}, min: 1, result: same,
		resultDoc: "type of x", strict: true,
		doc:  "x rounded half away from zero to digits after the point (default 0; negative rounds to tens, hundreds, ...)",
		eval: evalRound})
	register(&spec{name: "FLOOR", params: x, min: 1, result: same, resultDoc: "type of x", strict: true,
		doc: "the largest whole number <= x", eval: evalFloorCeil})
	register(&spec{name: "CEIL", params: x, min: 1, result: same, resultDoc: "type of x", strict: true,
		doc: "the smallest whole number >= x", eval: evalFloorCeil}, "CEILING")
	register(&spec{name: "POWER", params: []param{{"x", aNumeric}, {"y", aNumeric}}, min: 2, result: powerType,
		resultDoc: "DOUBLE (type of x for a BIGINT y, when exact)", strict: true,
		doc:  "x raised to the power y",
		eval: evalPower}, "POW")
	register(&spec{name: "SQRT", params: x, min: 1, fixed: types.Float, strict: true,
		doc: "the square root of x", eval: evalFloatFn})
	register(&spec{name: "LN", params: x, min: 1, fixed: types.Float, strict: true,
		doc: "the natural logarithm of x", eval: evalFloatFn})
	register(&spec{name: "LOG10", params: x, min: 1, fixed: types.Float, strict: true,
		doc: "the base-10 logarithm of x", eval: evalFloatFn})
	register(&spec{name: "EXP", params: x, min: 1, fixed: types.Float, strict: true,
		doc: "e raised to the power x", eval: evalFloatFn})
	register(&spec{name: "MOD", params: []param{{"a", aNumeric}, {"b", aNumeric}}, min: 2, result: modType,
		resultDoc: "type of a % b", strict: true,
		doc:  "the remainder of a / b, with the sign of a (as a % b)",
		eval: evalMod})
	register(&spec{name: "SIGN", params: x, min: 1, result: same, resultDoc: "type of x", strict: true,
		doc: "-1, 0 or 1 by the sign of x", eval: evalSign})
	values := []param{{"value", aAny}}
	register(&spec{name: "GREATEST", params: values, min: 1, variadic: true, result: commonType,
		resultDoc: "common type", coerce: true,
		doc: "the largest of the values, ignoring NULLs", eval: evalGreatestLeast})
	register(&spec{name: "LEAST", params: values, min: 1, variadic: true, result: commonType,
		resultDoc: "common type", coerce: true,
		doc: "the smallest of the values, ignoring NULLs", eval: evalGreatestLeast})
}

func powerType(_ *spec, args []types.Type) (types.Type, error) {
	x, y := args[0].Kind, args[1].Kind
	if (x == types.KindInt || x == types.KindDecimal) && y == types.KindInt {
		return types.Type{Kind: x}, nil
	}
	if x == types.KindAny || y == types.KindAny {
		return types.Any, nil
	}
	return types.Float, nil
}

func modType(_ *spec, args []types.Type) (types.Type, error) {
	return ArithType(ast.OpMod, args[0], args[1])
}

func evalAbs(_ *Func, _ *Env, a []types.Value) (types.Value, error) {
	v := a[0]
	if numSign(v) < 0 {
		return Negate(v)
	}
	if v.K == types.KindFloat {
		return types.FloatValue(math.Abs(v.Float())), nil // -0 and NaN
	}
	return v, nil
}

func evalRound(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	v := a[0]
	d := int64(0)
	if len(a) > 1 {
		var err error
		if d, err = intArg(f, 1, a[1]); err != nil {
			return types.Value{}, err
		}
	}
	// Past +-1000 digits nothing changes (or everything is 0); clamping
	// keeps the arithmetic below in range.
	d = min(max(d, -1000), 1000)
	switch {
	case v.K == types.KindFloat:
		return types.FloatValue(roundFloat(v.Float(), int(d))), nil
	case v.K == types.KindInt:
		if d >= 0 {
			return v, nil
		}
		if m, _, ok := decimal.Round(v.I, 0, int(d)); ok {
			return types.IntValue(m), nil
		}
	case !v.Big():
		if m, s, ok := decimal.Round(v.I, v.Scale, int(d)); ok {
			return types.DecimalValue(m, s), nil
		}
	}
	r, err := roundBig(v, int(d))
	if err != nil || v.K != types.KindInt {
		return r, err
	}
	if !r.Big() {
		return types.IntValue(r.I), nil
	}
	return r, nil
}

// roundBig rounds an INT or DECIMAL half away from zero with decimal.Big (the
// overflow path: ROUND(9223372036854775807, -1)).
func roundBig(v types.Value, d int) (types.Value, error) {
	x, err := toBig(v)
	if err != nil {
		return types.Value{}, err
	}
	if d >= int(x.Scale()) {
		return fromBig(x, "ROUND")
	}
	if d >= 0 {
		return fromBig(x.Rescale(x, uint8(d)), "ROUND")
	}
	if -d > maxBigDigits {
		return types.DecimalValue(0, 0), nil
	}
	unit, err := decimal.ParseBig("1" + zeros(-d))
	if err != nil {
		return types.Value{}, err
	}
	q := new(decimal.Big)
	if _, err := q.Div(x, unit, 0); err != nil {
		return types.Value{}, err
	}
	return fromBig(q.Mul(q, unit), "ROUND")
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}

// roundFloat rounds the shortest decimal text of f (what the user wrote and
// sees: 2.675, not the binary 2.67499999...) half away from zero to d digits
// after the point, then reads it back. ROUND(2.675, 2) is 2.68.
func roundFloat(f float64, d int) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	// Fast path: y = f*10^d carries a relative error below 2^-52 from the
	// product and from f's distance to its shortest text, so when y is
	// clearly away from a half the rounding of y is the rounding of the
	// text, and r/10^d (two exact floats, one division) is correctly
	// rounded.
	if d >= 0 && d < len(float64pow10) {
		if y := f * float64pow10[d]; math.Abs(y) < 1<<52 {
			fr := math.Abs(y - math.Trunc(y))
			if math.Abs(fr-0.5) > math.Abs(y)*0x1p-48+0x1p-60 {
				return math.Round(y) / float64pow10[d]
			}
		}
	}
	return roundFloatText(f, d)
}

// roundFloatText is roundFloat on strconv's shortest text, for any d.
func roundFloatText(f float64, d int) float64 {
	var buf [40]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // -d.ddde±XX
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var digits [24]byte
	nd, i := 0, 0
	for ; b[i] != 'e'; i++ {
		if b[i] != '.' {
			digits[nd] = b[i]
			nd++
		}
	}
	exp, _ := strconv.Atoi(string(b[i+1:]))
	// value = 0.d1...dn * 10^(exp+1); keep the first exp+1+d digits.
	keep := exp + 1 + d
	if keep >= nd {
		return f
	}
	if keep < 0 {
		return math.Copysign(0, f)
	}
	up := digits[keep] >= '5'
	out := buf[:0]
	if neg {
		out = append(out, '-')
	}
	// Result digits: digits[:keep] (+1 if up) at exponent exp+1-keep.
	var r [26]byte
	rn := copy(r[1:], digits[:keep]) + 1
	r[0] = '0'
	if up {
		j := rn - 1
		for ; j >= 0 && r[j] == '9'; j-- {
			r[j] = '0'
		}
		r[j]++ // r[0] is '0', so j >= 0
	}
	out = append(out, r[:rn]...)
	out = append(out, 'e')
	out = strconv.AppendInt(out, int64(exp+1-keep), 10)
	g, err := strconv.ParseFloat(string(out), 64)
	if err != nil {
		return f // out of range cannot happen when rounding a finite float's digits
	}
	return g
}

func evalFloorCeil(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	v := a[0]
	floor := f.spec.name == "FLOOR"
	switch {
	case v.K == types.KindInt:
		return v, nil
	case v.K == types.KindFloat:
		if floor {
			return types.FloatValue(math.Floor(v.Float())), nil
		}
		return types.FloatValue(math.Ceil(v.Float())), nil
	case !v.Big():
		if floor {
			return types.DecimalValue(decimal.Floor(v.I, v.Scale), 0), nil
		}
		return types.DecimalValue(decimal.Ceil(v.I, v.Scale), 0), nil
	}
	x, err := toBig(v)
	if err != nil {
		return types.Value{}, err
	}
	r := new(decimal.Big).Rescale(x, 0) // half away from zero: step back when it went the wrong way
	switch c := r.Cmp(x); {
	case floor && c > 0:
		r.AddInt64(-1, 0)
	case !floor && c < 0:
		r.AddInt64(1, 0)
	}
	return fromBig(r, f.Name)
}

// evalPower is exact for an INT or DECIMAL base and a whole exponent
// 0..64 when the result fits (a BIGINT, or a DECIMAL with at most 18
// digits after the point); otherwise it is computed in DOUBLE.
func evalPower(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	x, y := a[0], a[1]
	if x.K != types.KindFloat && !x.Big() && y.K != types.KindFloat {
		if n, err := intArg(f, 1, y); err == nil && n >= 0 && n <= maxExactPower {
			if r, ok := powExact(x, int(n)); ok {
				return r, nil
			}
		}
	}
	bx, by := toFloat(x), toFloat(y)
	switch {
	case bx == 0 && by < 0:
		return types.Value{}, errors.New("zero raised to a negative power is undefined")
	case bx < 0 && by != math.Trunc(by):
		return types.Value{}, errors.New("a negative number raised to a non-integer power yields a complex result")
	}
	r := math.Pow(bx, by)
	if math.IsInf(r, 0) && !math.IsInf(bx, 0) && !math.IsInf(by, 0) {
		return types.Value{}, fmt.Errorf("%s result is out of the DOUBLE range", f.Name)
	}
	return types.FloatValue(r), nil
}

// powExact computes x^n by squaring, reporting whether it stayed exact.
func powExact(x types.Value, n int) (types.Value, bool) {
	if x.K == types.KindInt {
		r, b := int64(1), x.I
		for {
			if n&1 == 1 {
				var ok bool
				if r, ok = mulInt(r, b); !ok {
					return types.Value{}, false
				}
			}
			n >>= 1
			if n == 0 {
				return types.IntValue(r), true
			}
			var ok bool
			if b, ok = mulInt(b, b); !ok {
				return types.Value{}, false
			}
		}
	}
	if int(x.Scale)*n > decimal.MaxScale {
		return types.Value{}, false // Mul would round: not exact
	}
	rm, rs := int64(1), uint8(0)
	bm, bs := x.I, x.Scale
	for {
		if n&1 == 1 {
			var ok bool
			if rm, rs, ok = decimal.Mul(rm, rs, bm, bs); !ok {
				return types.Value{}, false
			}
		}
		n >>= 1
		if n == 0 {
			return types.DecimalValue(rm, rs), true
		}
		var ok bool
		if bm, bs, ok = decimal.Mul(bm, bs, bm, bs); !ok {
			return types.Value{}, false
		}
	}
}

func evalFloatFn(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	x := toFloat(a[0])
	var r float64
	switch f.spec.name {
	case "SQRT":
		if x < 0 {
			return types.Value{}, errors.New("cannot take the square root of a negative number")
		}
		r = math.Sqrt(x)
	case "LN", "LOG10":
		switch {
		case x == 0:
			return types.Value{}, errors.New("cannot take the logarithm of zero")
		case x < 0:
			return types.Value{}, errors.New("cannot take the logarithm of a negative number")
		}
		if f.spec.name == "LN" {
			r = math.Log(x)
		} else {
			r = math.Log10(x)
		}
	case "EXP":
		r = math.Exp(x)
		if math.IsInf(r, 0) && !math.IsInf(x, 0) {
			return types.Value{}, fmt.Errorf("%s result is out of the DOUBLE range", f.Name)
		}
	}
	return types.FloatValue(r), nil
}

func evalMod(_ *Func, _ *Env, a []types.Value) (types.Value, error) {
	return Arith(ast.OpMod, a[0], a[1])
}

func evalSign(_ *Func, _ *Env, a []types.Value) (types.Value, error) {
	v := a[0]
	s := int64(numSign(v))
	switch v.K {
	case types.KindInt:
		return types.IntValue(s), nil
	case types.KindFloat:
		if math.IsNaN(v.Float()) {
			return v, nil
		}
		return types.FloatValue(float64(s)), nil
	}
	return types.DecimalValue(s, 0), nil
}

func evalGreatestLeast(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	greatest := f.spec.name == "GREATEST"
	var best types.Value
	for _, v := range a {
		if v.K == types.KindNull {
			continue
		}
		if best.K == types.KindNull {
			best = v
			continue
		}
		c, _, err := Compare(v, best)
		if err != nil {
			return types.Value{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		if (greatest && c > 0) || (!greatest && c < 0) {
			best = v
		}
	}
	return best, nil
}

// float64pow10 holds the powers of ten a float64 represents exactly.
var float64pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}
