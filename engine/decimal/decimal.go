// Package decimal is the engine's exact decimal arithmetic ("ScaledInteger").
//
// It takes decimals as (mantissa int64, scale uint8) pairs: the value is
// mantissa * 10^-scale, with scale 0..18. It gives pure functions over such
// pairs (Parse, Append, Rescale, Add, Sub, Mul, Div, Cmp, Round, ...), an
// arbitrary-precision Big for values whose mantissa no longer fits an int64,
// and Sum, an exact accumulator that stays on int64 in the common case and
// spills into a Big instead of wrapping.
//
// Why pairs and not a struct: engine/types stores a decimal in a Value as the
// mantissa in Value.I and the scale in Value.Scale, so the hot paths (SUM,
// comparisons) work on the two fields directly with no conversion and no
// allocation. This package must not import engine/types (types may depend on
// it).
//
// Overflow is always detected (with math/bits or exact bounds), never
// wrapped: functions report it with ok=false or ErrOverflow.
//
// Rounding: every operation that drops digits (Rescale to a smaller scale,
// Mul past scale 18, Div, Round, FromFloat64) rounds half away from zero,
// which is Java's RoundingMode.HALF_UP and what PostgreSQL's numeric, MySQL's
// DECIMAL and Spark's default (HALF_UP) do: 0.125 -> 0.13, -0.125 -> -0.13.
package decimal

import (
	"errors"
	"fmt"
	"math"
)

// MaxScale is the largest scale a (mantissa, scale) pair may have: 10^18 is
// the largest power of ten below math.MaxInt64, so every scale up to 18 can
// hold at least the value 1.
const MaxScale = 18

var (
	// ErrSyntax reports text that is not a decimal literal.
	ErrSyntax = errors.New("invalid decimal syntax")
	// ErrOverflow reports a value whose mantissa does not fit an int64, or a
	// scale above MaxScale.
	ErrOverflow = errors.New("decimal overflow")
	// ErrDivisionByZero is DivChecked's error for a zero divisor; it is kept
	// apart from ErrOverflow because SQL reports the two differently.
	ErrDivisionByZero = errors.New("division by zero")
	// ErrExponent is returned by Parse for "1e5"-style text; it wraps
	// ErrSyntax. It is a fixed value (no allocation) because callers that
	// see it fall back to parsing a float, which can happen on every value
	// of a stream.
	ErrExponent = fmt.Errorf("exponent in a decimal literal: %w", ErrSyntax)
)

// Error is a parse error with the offset of the offending byte.
type Error struct {
	Input  string
	Offset int   // byte offset in Input
	Err    error // ErrSyntax or ErrOverflow
}

func (e *Error) Error() string {
	return fmt.Sprintf("decimal %q: %v at offset %d", e.Input, e.Err, e.Offset)
}

func (e *Error) Unwrap() error { return e.Err }

// pow10 holds 10^0 .. 10^19 (10^19 still fits a uint64).
var pow10 = [20]uint64{
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
	1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000,
	10000000000000000000,
}

// maxMul[k] is the largest |m| with m*10^k in int64. The bound is exact for
// negative m too: the only int64 below -MaxInt64 is MinInt64, which is not a
// multiple of 10.
var maxMul = func() (t [19]int64) {
	for k := range t {
		t[k] = math.MaxInt64 / int64(pow10[k])
	}
	return t
}()

// Pow10 returns 10^k for k in 0..19, and false otherwise.
func Pow10(k int) (uint64, bool) {
	if k < 0 || k >= len(pow10) {
		return 0, false
	}
	return pow10[k], true
}

// ParseString is Parse for a string (no copy).
func ParseString(s string) (mant int64, scale uint8, err error) { return parse(s) }

// Parse reads a decimal literal: an optional sign, digits, and optionally a
// point and more digits ("623.4100", "-0.50", ".5", "+7", "1."; the forms of
// SQL's <unsigned numeric literal> without an exponent). Trailing zeros are
// kept in the scale: "1.50" is (150, 2).
//
// Errors: ErrExponent (wrapping ErrSyntax) for an exponent, so the caller can
// fall back to a float; otherwise an *Error wrapping ErrSyntax or ErrOverflow
// with the offset. ErrOverflow means more than 18 digits after the point or a
// mantissa outside int64; a 19-digit mantissa that fits an int64 is accepted,
// so that every pair Append prints (math.MinInt64 included) parses back.
// ParseBig reads what overflows here.
func Parse(b []byte) (mant int64, scale uint8, err error) { return parse(b) }

func parse[T string | []byte](b T) (int64, uint8, error) {
	n := len(b)
	i := 0
	neg := false
	if n > 0 {
		switch b[0] {
		case '-':
			neg = true
			i = 1
		case '+':
			i = 1
		}
	}
	var u uint64
	nd := 0 // significant digits (from the first non-zero one)
	intStart := i
	for ; i < n; i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		if nd > 0 || c != 0 {
			nd++
		}
		u = u*10 + uint64(c)
	}
	digits := i - intStart
	scale := 0
	if i < n && b[i] == '.' {
		i++
		fracStart := i
		for ; i < n; i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			if nd > 0 || c != 0 {
				nd++
			}
			u = u*10 + uint64(c)
		}
		scale = i - fracStart
		digits += scale
	}
	if i != n || digits == 0 {
		return 0, 0, syntaxError(b, i, digits)
	}
	// 19 digits cannot wrap a uint64 (10^19-1 < 2^64), so u is exact here.
	if nd > 19 || scale > MaxScale {
		return 0, 0, &Error{Input: string(b), Offset: overflowOffset(b, scale), Err: ErrOverflow}
	}
	if neg {
		if u > 1<<63 {
			return 0, 0, &Error{Input: string(b), Offset: 0, Err: ErrOverflow}
		}
		return -int64(u), uint8(scale), nil
	}
	if u > math.MaxInt64 {
		return 0, 0, &Error{Input: string(b), Offset: 0, Err: ErrOverflow}
	}
	return int64(u), uint8(scale), nil
}

// syntaxError builds the error for the byte at i (kept out of parse so the
// happy path stays small).
func syntaxError[T string | []byte](b T, i, digits int) error {
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') && digits > 0 {
		return ErrExponent
	}
	if i == len(b) && digits == 0 {
		// "", "-", ".": the missing digit is at the end.
		return &Error{Input: string(b), Offset: i, Err: fmt.Errorf("%w: no digits", ErrSyntax)}
	}
	return &Error{Input: string(b), Offset: i, Err: fmt.Errorf("%w: unexpected %q", ErrSyntax, b[i])}
}

// overflowOffset points at the first fractional digit past MaxScale when the
// scale is what overflowed, else at the start.
func overflowOffset[T string | []byte](b T, scale int) int {
	if scale > MaxScale {
		return len(b) - scale + MaxScale
	}
	return 0
}

// String formats (mant, scale) exactly: String(15, 1) is "1.5",
// String(-5, 3) is "-0.005".
func String(mant int64, scale uint8) string {
	var buf [64]byte
	return string(Append(buf[:0], mant, scale))
}

// Append appends the exact digits of mant*10^-scale to dst, keeping trailing
// zeros ("1.50" for (150, 2)). Any scale is accepted; zero is printed without
// a sign.
func Append(dst []byte, mant int64, scale uint8) []byte {
	u := uint64(mant)
	if mant < 0 {
		u = -u // two's complement: also right for math.MinInt64
		dst = append(dst, '-')
	}
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	digits := d[i:]
	s := int(scale)
	if s == 0 {
		return append(dst, digits...)
	}
	if len(digits) <= s {
		dst = append(dst, '0', '.')
		for z := s - len(digits); z > 0; z-- {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-s]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-s:]...)
}
