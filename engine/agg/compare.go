package agg

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// ErrIncomparable is wrapped by Update errors for values that cannot be
// compared or combined (a string after a number, a number in SUM of strings).
var ErrIncomparable = errors.New("incomparable values")

// typeError reports a value an aggregate cannot take; it is built only on the
// error path.
func typeError(fn string, got types.Value, want string) error {
	return fmt.Errorf("%s: cannot take a %s value %s where %s: %w", fn, got.K, describe(got), want, ErrIncomparable)
}

// describe renders a value for an error message (short; strings quoted).
func describe(v types.Value) string {
	switch v.K {
	case types.KindString:
		s := v.S
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return fmt.Sprintf("%q", s)
	case types.KindInt, types.KindTimestamp, types.KindInterval:
		return fmt.Sprint(v.I)
	case types.KindBool:
		return fmt.Sprint(v.I != 0)
	case types.KindFloat:
		return fmt.Sprint(v.Float())
	case types.KindDecimal:
		if v.S != "" {
			return v.S
		}
		return decimal.String(v.I, v.Scale)
	}
	return v.K.String()
}

// numeric reports whether v takes part in arithmetic.
func numeric(k types.Kind) bool {
	return k == types.KindInt || k == types.KindDecimal || k == types.KindFloat
}

// bigOf returns a promoted decimal's value. The text was written by this
// engine (types.BigDecimalValue), but a malformed one is still an error, not
// a panic.
func bigOf(v types.Value) (*decimal.Big, error) {
	b, err := decimal.ParseBig(v.S)
	if err != nil {
		return nil, fmt.Errorf("promoted decimal: %w", err)
	}
	return b, nil
}

// exactBig returns an int or decimal value as a Big.
func exactBig(v types.Value) (*decimal.Big, error) {
	switch {
	case v.K == types.KindInt:
		return decimal.NewBig(v.I, 0), nil
	case v.S != "":
		return bigOf(v)
	default:
		return decimal.NewBig(v.I, v.Scale), nil
	}
}

// toFloat returns the float64 nearest to a numeric value.
func toFloat(v types.Value) float64 {
	switch v.K {
	case types.KindFloat:
		return v.Float()
	case types.KindInt:
		return float64(v.I)
	case types.KindDecimal:
		if v.S != "" {
			if b, err := bigOf(v); err == nil {
				return b.Float64()
			}
			return math.NaN()
		}
		return decimal.ToFloat64(v.I, v.Scale)
	}
	return math.NaN()
}

// toRat returns the exact value of a finite numeric value (floats are exact
// binary fractions); ok is false for NaN and infinities.
func toRat(v types.Value) (*big.Rat, bool) {
	switch v.K {
	case types.KindFloat:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(f), true
	case types.KindInt, types.KindTimestamp, types.KindInterval:
		return new(big.Rat).SetInt64(v.I), true
	case types.KindDecimal:
		b, err := exactBig(v)
		if err != nil {
			return nil, false
		}
		return b.Rat(new(big.Rat)), true
	}
	return nil, false
}

// cmpFloat orders floats with NaN above everything (PostgreSQL's order), so
// MIN/MAX over data with a NaN are deterministic.
func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	}
	return -1
}

// compare orders two non-NULL values exactly. Ints, decimals and floats
// compare by value across kinds (623 = 623.00; a float against a decimal is
// decided exactly, not after rounding the decimal). Strings compare by
// bytes, booleans false < true, timestamps and intervals by value. Other
// pairs are an error wrapping ErrIncomparable.
func compare(fn string, a, b types.Value) (int, error) {
	if a.K == b.K {
		switch a.K {
		case types.KindInt, types.KindTimestamp, types.KindInterval, types.KindBool:
			return cmp.Compare(a.I, b.I), nil
		case types.KindString:
			return strings.Compare(a.S, b.S), nil
		case types.KindFloat:
			return cmpFloat(a.Float(), b.Float()), nil
		case types.KindDecimal:
			if a.S == "" && b.S == "" {
				return decimal.Cmp(a.I, a.Scale, b.I, b.Scale), nil
			}
		}
	}
	if numeric(a.K) && numeric(b.K) {
		return compareNumeric(a, b)
	}
	return 0, fmt.Errorf("%s: cannot compare %s %s with %s %s: %w", fn, a.K, describe(a), b.K, describe(b), ErrIncomparable)
}

// compareNumeric handles the cross-kind numeric pairs.
func compareNumeric(a, b types.Value) (int, error) {
	if a.K == types.KindFloat && b.K == types.KindFloat {
		return cmpFloat(a.Float(), b.Float()), nil
	}
	if a.K == types.KindFloat {
		c, err := compareFloatExact(a.Float(), b)
		return c, err
	}
	if b.K == types.KindFloat {
		c, err := compareFloatExact(b.Float(), a)
		return -c, err
	}
	// Int and decimal: exact.
	if a.S == "" && b.S == "" {
		as, bs := a.Scale, b.Scale
		if a.K == types.KindInt {
			as = 0
		}
		if b.K == types.KindInt {
			bs = 0
		}
		return decimal.Cmp(a.I, as, b.I, bs), nil
	}
	x, err := exactBig(a)
	if err != nil {
		return 0, err
	}
	y, err := exactBig(b)
	if err != nil {
		return 0, err
	}
	return x.Cmp(y), nil
}

// compareFloatExact compares f with an exact (int or decimal) value x.
// Rounding to nearest is monotonic, so when f differs from x's nearest
// float the floats already give the order; only a tie needs exact rationals.
func compareFloatExact(f float64, x types.Value) (int, error) {
	if math.IsNaN(f) {
		return 1, nil
	}
	if math.IsInf(f, 0) {
		if f > 0 {
			return 1, nil
		}
		return -1, nil
	}
	if x.S != "" {
		if _, err := bigOf(x); err != nil {
			return 0, err
		}
	}
	fx := toFloat(x)
	if c := cmpFloat(f, fx); c != 0 {
		return c, nil
	}
	rx, ok := toRat(x)
	if !ok {
		return 0, fmt.Errorf("cannot read %s: %w", describe(x), ErrIncomparable)
	}
	return new(big.Rat).SetFloat64(f).Cmp(rx), nil
}
