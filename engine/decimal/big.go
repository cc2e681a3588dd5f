package decimal

import (
	"cmp"
	"fmt"
	"math/big"
	"strconv"
)

// Big is an arbitrary-precision decimal, mant*10^-scale with a math/big
// mantissa: the promoted form of a value (a SUM, a literal) whose mantissa
// left int64. Scale may go up to 255. Methods follow math/big: z.Add(x, y)
// sets and returns z; the zero Big is 0. A Big must not be copied by value
// (its big.Int shares memory); use Set.
type Big struct {
	mant  big.Int
	scale uint8
}

// NewBig returns mant*10^-scale as a Big.
func NewBig(mant int64, scale uint8) *Big {
	z := new(Big)
	z.mant.SetInt64(mant)
	z.scale = scale
	return z
}

// bigPows caches 10^k for the scale alignments that happen on every Big add.
var bigPows = func() (t [40]*big.Int) {
	for k := range t {
		t[k] = new(big.Int).SetUint64(1)
		for range k {
			t[k].Mul(t[k], big.NewInt(10))
		}
	}
	return t
}()

// bigPow10 returns 10^k; the result must not be modified.
func bigPow10(k int) *big.Int {
	if k < len(bigPows) {
		return bigPows[k]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil)
}

// quoRound returns n/d rounded half away from zero.
func quoRound(n, d *big.Int) *big.Int {
	var q, r big.Int
	q.QuoRem(n, d, &r)
	if r.Sign() != 0 {
		r.Abs(&r)
		r.Lsh(&r, 1)
		var ad big.Int
		if r.Cmp(ad.Abs(d)) >= 0 {
			if n.Sign() == d.Sign() {
				q.Add(&q, big.NewInt(1))
			} else {
				q.Sub(&q, big.NewInt(1))
			}
		}
	}
	return &q
}

// ParseBig reads the same syntax as Parse with no limit on digits and a scale
// up to 255; errors are *Error values wrapping ErrSyntax or ErrOverflow
// (ErrExponent for an exponent).
func ParseBig(s string) (*Big, error) {
	i := 0
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		i = 1
	}
	digits := make([]byte, 0, len(s))
	if s[:i] == "-" {
		digits = append(digits, '-')
	}
	nd, scale := 0, 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits = append(digits, s[i])
		nd++
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits = append(digits, s[i])
		}
		scale = i - start
		nd += scale
	}
	if i != len(s) || nd == 0 {
		return nil, syntaxError(s, i, nd)
	}
	if scale > 255 {
		return nil, &Error{Input: s, Offset: len(s) - scale + 255, Err: ErrOverflow}
	}
	z := new(Big)
	if _, ok := z.mant.SetString(string(digits), 10); !ok {
		return nil, &Error{Input: s, Offset: 0, Err: ErrSyntax} // unreachable: digits were checked
	}
	z.scale = uint8(scale)
	return z, nil
}

// Set sets z to x.
func (z *Big) Set(x *Big) *Big {
	z.mant.Set(&x.mant)
	z.scale = x.scale
	return z
}

// SetInt64 sets z to mant*10^-scale.
func (z *Big) SetInt64(mant int64, scale uint8) *Big {
	z.mant.SetInt64(mant)
	z.scale = scale
	return z
}

// Scale returns the number of digits after the point.
func (x *Big) Scale() uint8 { return x.scale }

// Sign returns -1, 0 or +1.
func (x *Big) Sign() int { return x.mant.Sign() }

// Mantissa returns a copy of the unscaled value.
func (x *Big) Mantissa() *big.Int { return new(big.Int).Set(&x.mant) }

// aligned returns the mantissas of x and y at scale max(x.scale, y.scale).
// It does not modify x or y.
func aligned(x, y *Big) (xm, ym *big.Int, scale uint8) {
	switch {
	case x.scale == y.scale:
		return &x.mant, &y.mant, x.scale
	case x.scale < y.scale:
		return new(big.Int).Mul(&x.mant, bigPow10(int(y.scale-x.scale))), &y.mant, y.scale
	default:
		return &x.mant, new(big.Int).Mul(&y.mant, bigPow10(int(x.scale-y.scale))), x.scale
	}
}

// Add sets z to x+y at scale max(x.scale, y.scale) and returns z.
func (z *Big) Add(x, y *Big) *Big {
	xm, ym, s := aligned(x, y)
	z.mant.Add(xm, ym)
	z.scale = s
	return z
}

// Sub sets z to x-y at scale max(x.scale, y.scale) and returns z.
func (z *Big) Sub(x, y *Big) *Big {
	xm, ym, s := aligned(x, y)
	z.mant.Sub(xm, ym)
	z.scale = s
	return z
}

// AddInt64 adds mant*10^-scale to z.
func (z *Big) AddInt64(mant int64, scale uint8) *Big {
	var y Big
	y.mant.SetInt64(mant)
	y.scale = scale
	return z.Add(z, &y)
}

// Neg sets z to -x.
func (z *Big) Neg(x *Big) *Big {
	z.mant.Neg(&x.mant)
	z.scale = x.scale
	return z
}

// Mul sets z to x*y at scale x.scale+y.scale (rounded half away from zero to
// 255 if it would exceed it).
func (z *Big) Mul(x, y *Big) *Big {
	s := int(x.scale) + int(y.scale)
	z.mant.Mul(&x.mant, &y.mant)
	if s > 255 {
		z.mant.Set(quoRound(&z.mant, bigPow10(s-255)))
		s = 255
	}
	z.scale = uint8(s)
	return z
}

// Cmp compares x and y exactly: -1, 0 or +1.
func (x *Big) Cmp(y *Big) int {
	if x.Sign() != y.Sign() {
		return cmp.Compare(int64(x.Sign()), int64(y.Sign()))
	}
	xm, ym, _ := aligned(x, y)
	return xm.Cmp(ym)
}

// Rescale sets z to x at the given scale: exact when growing, rounded half
// away from zero when shrinking.
func (z *Big) Rescale(x *Big, scale uint8) *Big {
	switch {
	case scale > x.scale:
		z.mant.Mul(&x.mant, bigPow10(int(scale-x.scale)))
	case scale < x.scale:
		z.mant.Set(quoRound(&x.mant, bigPow10(int(x.scale-scale))))
	default:
		z.mant.Set(&x.mant)
	}
	z.scale = scale
	return z
}

// Div sets z to x/y at the given scale, rounded half away from zero. It
// returns ErrDivisionByZero when y is zero (z is then unchanged).
func (z *Big) Div(x, y *Big, scale uint8) (*Big, error) {
	if y.Sign() == 0 {
		return z, ErrDivisionByZero
	}
	// x*10^-xs / (y*10^-ys) at scale s = x*10^(ys+s-xs) / y.
	e := int(y.scale) + int(scale) - int(x.scale)
	n := new(big.Int).Set(&x.mant)
	d := &y.mant
	if e >= 0 {
		n.Mul(n, bigPow10(e))
	} else {
		d = new(big.Int).Mul(d, bigPow10(-e))
	}
	z.mant.Set(quoRound(n, d))
	z.scale = scale
	return z, nil
}

// FitsInt64 reports whether x is representable as an int64 mantissa at its
// own scale (scale <= MaxScale).
func (x *Big) FitsInt64() bool { return x.scale <= MaxScale && x.mant.IsInt64() }

// Int64 returns x as a (mantissa, scale) pair when FitsInt64.
func (x *Big) Int64() (mant int64, scale uint8, ok bool) {
	if !x.FitsInt64() {
		return 0, 0, false
	}
	return x.mant.Int64(), x.scale, true
}

// Append appends x's exact digits (trailing zeros kept, like Append).
func (x *Big) Append(dst []byte) []byte {
	if m, s, ok := x.Int64(); ok {
		return Append(dst, m, s)
	}
	digits := x.mant.Text(10)
	if digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	s := int(x.scale)
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

// String returns x's exact digits: the canonical text that
// types.BigDecimalValue stores.
func (x *Big) String() string { return string(x.Append(nil)) }

// Format lets fmt print a Big with %v and %s.
func (x *Big) Format(f fmt.State, verb rune) { _, _ = f.Write(x.Append(nil)) }

// Float64 returns the float64 nearest to x.
func (x *Big) Float64() float64 {
	f, _ := strconv.ParseFloat(x.String(), 64) // ±Inf beyond the float range
	return f
}

// Rat sets r to x's exact value and returns r.
func (x *Big) Rat(r *big.Rat) *big.Rat {
	return r.SetFrac(&x.mant, bigPow10(int(x.scale)))
}

// StripZeros sets z to x without trailing fractional zeros (the canonical
// form for equality and hashing).
func (z *Big) StripZeros(x *Big) *Big {
	z.Set(x)
	if z.mant.Sign() == 0 {
		z.scale = 0
		return z
	}
	var q, r big.Int
	ten := big.NewInt(10)
	for z.scale > 0 {
		q.QuoRem(&z.mant, ten, &r)
		if r.Sign() != 0 {
			break
		}
		z.mant.Set(&q)
		z.scale--
	}
	return z
}
