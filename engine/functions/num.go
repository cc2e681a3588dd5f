package functions

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// ErrDivisionByZero is returned (unwrapped, so it costs no allocation) by /,
// %, MOD and interval division when the divisor is zero, for every numeric
// kind: SQL reports it as an error, never as NULL or infinity.
var ErrDivisionByZero = errors.New("division by zero")

// maxBigDigits bounds the size of a promoted decimal. Scalar operations on
// bounded inputs cannot grow a value without limit, but a chain of products
// could; past this size an operation fails instead of spending unbounded
// memory and time. PostgreSQL's numeric allows 131072 digits; 1000 is far
// beyond any price, quantity or sum a stream carries.
const maxBigDigits = 1000

// Numeric kinds widen in this order: an operation on two kinds takes the
// wider one (INT < DECIMAL < FLOAT).
func widerNumeric(a, b types.Kind) types.Kind {
	if a == types.KindFloat || b == types.KindFloat {
		return types.KindFloat
	}
	if a == types.KindDecimal || b == types.KindDecimal {
		return types.KindDecimal
	}
	return types.KindInt
}

// addInt, subInt and mulInt report signed overflow instead of wrapping.
func addInt(a, b int64) (int64, bool) {
	s := a + b
	return s, (s^a)&(s^b) >= 0
}

func subInt(a, b int64) (int64, bool) {
	s := a - b
	return s, (a^b)&(a^s) >= 0
}

func mulInt(a, b int64) (int64, bool) {
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(absU(a), absU(b))
	if hi != 0 {
		return 0, false
	}
	if neg {
		if lo > 1<<63 {
			return 0, false
		}
		return int64(-lo), true // -2^63 wraps to itself, which is right
	}
	if lo > math.MaxInt64 {
		return 0, false
	}
	return int64(lo), true
}

// absU returns |m| as a uint64 (exact for math.MinInt64).
func absU(m int64) uint64 {
	if m < 0 {
		return -uint64(m)
	}
	return uint64(m)
}

// toBig returns a numeric (INT or DECIMAL) value as a decimal.Big. It
// allocates, so only the overflow paths call it.
func toBig(v types.Value) (*decimal.Big, error) {
	switch {
	case v.K == types.KindInt:
		return decimal.NewBig(v.I, 0), nil
	case v.Big():
		b, err := decimal.ParseBig(v.S)
		if err != nil {
			return nil, fmt.Errorf("corrupt promoted decimal %q: %w", v.S, err)
		}
		return b, nil
	default:
		return decimal.NewBig(v.I, v.Scale), nil
	}
}

// fromBig turns a Big result back into a Value: the int64 form when it fits,
// else a promoted decimal. op names the operation for the size error.
func fromBig(x *decimal.Big, op string) (types.Value, error) {
	if x.Scale() > decimal.MaxScale {
		x.Rescale(x, decimal.MaxScale)
	}
	if m, s, ok := x.Int64(); ok {
		return types.DecimalValue(m, s), nil
	}
	text := x.String()
	if len(text) > maxBigDigits {
		return types.Value{}, fmt.Errorf("decimal overflow in %s: the result has more than %d digits", op, maxBigDigits)
	}
	return types.BigDecimalValue(text, x.Scale()), nil
}

// toFloat converts any numeric value to float64 (correctly rounded).
func toFloat(v types.Value) float64 {
	switch {
	case v.K == types.KindFloat:
		return v.Float()
	case v.K == types.KindInt:
		return float64(v.I)
	case v.Big():
		f, _ := strconv.ParseFloat(v.S, 64) // ±Inf beyond the float range
		return f
	default:
		return decimal.ToFloat64(v.I, v.Scale)
	}
}

// decParts returns an INT or small DECIMAL as a (mantissa, scale) pair.
func decParts(v types.Value) (int64, uint8) {
	if v.K == types.KindInt {
		return v.I, 0
	}
	return v.I, v.Scale
}

// isZero reports whether a numeric value is zero.
func isZero(v types.Value) bool {
	switch {
	case v.K == types.KindFloat:
		return v.Float() == 0
	case v.Big():
		return false // a promoted value is never zero: zero fits an int64
	default:
		return v.I == 0
	}
}

// numSign returns -1, 0 or +1 for a numeric value (0 for NaN).
func numSign(v types.Value) int {
	switch {
	case v.K == types.KindFloat:
		f := v.Float()
		switch {
		case f < 0:
			return -1
		case f > 0:
			return 1
		}
		return 0
	case v.Big():
		if v.S[0] == '-' {
			return -1
		}
		return 1
	default:
		switch {
		case v.I < 0:
			return -1
		case v.I > 0:
			return 1
		}
		return 0
	}
}

func cmpF(a, b float64) int {
	// NaN equals NaN and sorts above everything (PostgreSQL's rule).
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpNumeric compares two numeric values of any kinds exactly.
func cmpNumeric(a, b types.Value) int {
	ak, bk := a.K, b.K
	switch {
	case ak == types.KindInt && bk == types.KindInt:
		return cmp.Compare(a.I, b.I)
	case ak == types.KindFloat && bk == types.KindFloat:
		return cmpF(a.Float(), b.Float())
	case ak == types.KindFloat || bk == types.KindFloat:
		// An exact number meets a DOUBLE as its nearest DOUBLE (as in
		// PostgreSQL, Flink and Spark): a DOUBLE read from "623.41" equals
		// the literal 623.41, which an exact comparison of the binary value
		// would deny. The rounding is monotonic, so order stays consistent.
		return cmpF(toFloat(a), toFloat(b))
	case a.Big() || b.Big():
		return cmpBig(a, b)
	default:
		am, as := decParts(a)
		bm, bs := decParts(b)
		return decimal.Cmp(am, as, bm, bs)
	}
}

// cmpBig compares INT/DECIMAL values when one is a promoted decimal (slow
// path: allocates).
func cmpBig(a, b types.Value) int {
	x, err := toBig(a)
	if err != nil {
		return 0
	}
	y, err := toBig(b)
	if err != nil {
		return 0
	}
	return x.Cmp(y)
}
