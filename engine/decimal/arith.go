package decimal

import (
	"cmp"
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// abs returns |m| as a uint64 (exact for math.MinInt64).
func abs(m int64) uint64 {
	if m < 0 {
		return -uint64(m)
	}
	return uint64(m)
}

// signed turns a magnitude and a sign back into an int64, reporting whether it
// fits (2^63 fits only when negative).
func signed(u uint64, neg bool) (int64, bool) {
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// mulPow10 returns m*10^k, reporting overflow.
func mulPow10(m int64, k uint8) (int64, bool) {
	if k == 0 {
		return m, true
	}
	if int(k) >= len(maxMul) {
		return 0, m == 0
	}
	if t := maxMul[k]; m > t || m < -t {
		return 0, false
	}
	return m * int64(pow10[k]), true
}

// divRound returns m/d rounded half away from zero (d >= 1).
func divRound(m int64, d uint64) int64 {
	u := abs(m)
	q, r := u/d, u%d
	if r >= d-r {
		q++
	}
	// q <= 2^63 and q == 2^63 only for m == MinInt64, d == 1.
	if m < 0 {
		return -int64(q)
	}
	return int64(q)
}

// divRound128 returns (hi,lo)/d rounded half away from zero, and false when
// the quotient does not fit a uint64.
func divRound128(hi, lo, d uint64) (uint64, bool) {
	if hi >= d {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, d)
	if r >= d-r {
		q++
		if q == 0 {
			return 0, false
		}
	}
	return q, true
}

// Rescale changes the scale of mant from `from` to `to`. Up-scaling is exact
// and reports overflow (ok=false); down-scaling rounds half away from zero
// (HALF_UP) and cannot overflow. Scales above MaxScale give ok=false.
func Rescale(mant int64, from, to uint8) (int64, bool) {
	if from > MaxScale || to > MaxScale {
		return 0, false
	}
	switch {
	case to == from:
		return mant, true
	case to > from:
		return mulPow10(mant, to-from)
	default:
		return divRound(mant, pow10[from-to]), true
	}
}

// Add returns a+b at scale max(as, bs). ok is false when the exact sum does
// not fit an int64 or a scale is above MaxScale.
func Add(a int64, as uint8, b int64, bs uint8) (int64, uint8, bool) {
	if as == bs && as <= MaxScale {
		s := a + b
		if (s^a)&(s^b) >= 0 {
			return s, as, true
		}
		return 0, 0, false
	}
	return addSlow(a, as, b, bs, false)
}

// Sub returns a-b at scale max(as, bs); ok as for Add.
func Sub(a int64, as uint8, b int64, bs uint8) (int64, uint8, bool) {
	if as == bs && as <= MaxScale {
		s := a - b
		if (a^b)&(a^s) >= 0 {
			return s, as, true
		}
		return 0, 0, false
	}
	return addSlow(a, as, b, bs, true)
}

// addSlow aligns scales; when aligning overflows, the exact result may still
// fit (a large a*10^k cancelled by b), so it is computed with big.Int.
func addSlow(a int64, as uint8, b int64, bs uint8, sub bool) (int64, uint8, bool) {
	if as > MaxScale || bs > MaxScale {
		return 0, 0, false
	}
	s := max(as, bs)
	x, okx := mulPow10(a, s-as)
	y, oky := mulPow10(b, s-bs)
	if okx && oky {
		if sub {
			r, _, ok := Sub(x, s, y, s)
			return r, s, ok
		}
		r, _, ok := Add(x, s, y, s)
		return r, s, ok
	}
	var bx, by big.Int
	bx.Mul(big.NewInt(a), bigPow10(int(s-as)))
	by.Mul(big.NewInt(b), bigPow10(int(s-bs)))
	if sub {
		bx.Sub(&bx, &by)
	} else {
		bx.Add(&bx, &by)
	}
	if !bx.IsInt64() {
		return 0, 0, false
	}
	return bx.Int64(), s, true
}

// Mul returns a*b at scale as+bs; a scale above 18 is rounded (HALF_UP) down
// to 18. ok is false on overflow or an input scale above MaxScale.
func Mul(a int64, as uint8, b int64, bs uint8) (int64, uint8, bool) {
	if as > MaxScale || bs > MaxScale {
		return 0, 0, false
	}
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(abs(a), abs(b))
	s := as + bs
	var q uint64
	if s > MaxScale {
		d := pow10[s-MaxScale]
		var ok bool
		if q, ok = divRound128(hi, lo, d); !ok {
			return 0, 0, false
		}
		s = MaxScale
	} else {
		if hi != 0 {
			return 0, 0, false
		}
		q = lo
	}
	m, ok := signed(q, neg)
	if !ok {
		return 0, 0, false
	}
	return m, s, true
}

// Div returns a/b at the given scale, rounded half away from zero. ok is
// false on a zero divisor, overflow or a scale above MaxScale; DivChecked
// tells these apart.
func Div(a int64, as uint8, b int64, bs uint8, scale uint8) (int64, uint8, bool) {
	m, s, err := DivChecked(a, as, b, bs, scale)
	return m, s, err == nil
}

// DivChecked is Div with the reason for a failure: ErrDivisionByZero or
// ErrOverflow (both fixed values, so a failing division does not allocate).
func DivChecked(a int64, as uint8, b int64, bs uint8, scale uint8) (int64, uint8, error) {
	if b == 0 {
		return 0, 0, ErrDivisionByZero
	}
	if as > MaxScale || bs > MaxScale || scale > MaxScale {
		return 0, 0, ErrOverflow
	}
	neg := (a < 0) != (b < 0)
	ua, ub := abs(a), abs(b)
	// a*10^-as / (b*10^-bs) = a*10^e / b at scale `scale`, e = bs+scale-as.
	e := int(bs) + int(scale) - int(as)
	var q uint64
	switch {
	case e < 0:
		hi, lo := bits.Mul64(ub, pow10[-e])
		if hi != 0 {
			// The divisor exceeds 2^64 > 2*|a|: the quotient rounds to 0.
			return 0, scale, nil
		}
		q = ua / lo
		if r := ua % lo; r >= lo-r {
			q++
		}
	case e < len(pow10):
		hi, lo := bits.Mul64(ua, pow10[e])
		var ok bool
		if q, ok = divRound128(hi, lo, ub); !ok {
			return 0, 0, ErrOverflow
		}
	default:
		return divBig(a, b, e, scale)
	}
	m, ok := signed(q, neg)
	if !ok {
		return 0, 0, ErrOverflow
	}
	return m, scale, nil
}

// divBig handles a*10^e / b when 10^e exceeds a uint64 (e >= 20, only with
// large result scales).
func divBig(a, b int64, e int, scale uint8) (int64, uint8, error) {
	var n big.Int
	n.Mul(big.NewInt(a), bigPow10(e))
	q := quoRound(&n, big.NewInt(b))
	if !q.IsInt64() {
		return 0, 0, ErrOverflow
	}
	return q.Int64(), scale, nil
}

// Cmp compares a*10^-as with b*10^-bs exactly (it never rescales into an
// int64, so it is right even when rescaling would overflow). It returns -1, 0
// or +1.
func Cmp(a int64, as uint8, b int64, bs uint8) int {
	if as == bs {
		return cmp.Compare(a, b)
	}
	sa, sb := sign(a), sign(b)
	if sa != sb || sa == 0 {
		return cmp.Compare(int64(sa), int64(sb))
	}
	ua, ub := abs(a), abs(b)
	var c int
	if as < bs {
		c = cmpScaled(ua, bs-as, ub)
	} else {
		c = -cmpScaled(ub, as-bs, ua)
	}
	if sa < 0 {
		return -c
	}
	return c
}

// cmpScaled compares x*10^k with y.
func cmpScaled(x uint64, k uint8, y uint64) int {
	if int(k) >= len(pow10) {
		if x == 0 {
			return cmp.Compare(0, y)
		}
		return 1 // x*10^20 > 2^64 > y
	}
	hi, lo := bits.Mul64(x, pow10[k])
	if hi != 0 {
		return 1
	}
	return cmp.Compare(lo, y)
}

func sign(m int64) int {
	switch {
	case m < 0:
		return -1
	case m > 0:
		return 1
	}
	return 0
}

// Neg returns -m; ok is false for math.MinInt64.
func Neg(m int64) (int64, bool) {
	if m == math.MinInt64 {
		return 0, false
	}
	return -m, true
}

// Abs returns |m|; ok is false for math.MinInt64.
func Abs(m int64) (int64, bool) {
	if m < 0 {
		return Neg(m)
	}
	return m, true
}

// Round rounds mant*10^-scale to `digits` digits after the point, half away
// from zero, like SQL ROUND(x, digits). The result scale is digits when
// 0 <= digits < scale, 0 for negative digits (ROUND(1250, -2) is 1300), and
// unchanged when digits >= scale. ok is false on overflow (rounding up past
// int64) or a scale above MaxScale.
func Round(mant int64, scale uint8, digits int) (int64, uint8, bool) {
	if scale > MaxScale {
		return 0, 0, false
	}
	if digits >= int(scale) {
		return mant, scale, true
	}
	if digits >= 0 {
		return divRound(mant, pow10[int(scale)-digits]), uint8(digits), true
	}
	k := int(scale) - digits // total digits to drop, > scale
	if k >= len(pow10) {
		// |mant| < 10^19 <= 10^k/10: the value is below a tenth of the
		// rounding unit, so it rounds to zero.
		return 0, 0, true
	}
	q := divRound(mant, pow10[k])
	m, ok := mulPow10(q, uint8(-digits))
	return m, 0, ok
}

// Floor returns the largest integer <= mant*10^-scale, at scale 0. It cannot
// overflow.
func Floor(mant int64, scale uint8) int64 {
	if scale == 0 {
		return mant
	}
	if scale >= 19 {
		// |mant| < 10^19: the value lies strictly between -1 and 1.
		return min(0, int64(sign(mant)))
	}
	d := int64(pow10[scale])
	q := mant / d
	if mant%d != 0 && mant < 0 {
		q--
	}
	return q
}

// Ceil returns the smallest integer >= mant*10^-scale, at scale 0. It cannot
// overflow.
func Ceil(mant int64, scale uint8) int64 {
	if scale == 0 {
		return mant
	}
	if scale >= 19 {
		return max(0, int64(sign(mant)))
	}
	d := int64(pow10[scale])
	q := mant / d
	if mant%d != 0 && mant > 0 {
		q++
	}
	return q
}

// float64pow10 holds the exactly representable powers of ten.
var float64pow10 = [23]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// ToFloat64 returns the float64 nearest to mant*10^-scale (correctly
// rounded: a single division of two exact floats when |mant| < 2^53, the
// strconv parser otherwise).
func ToFloat64(mant int64, scale uint8) float64 {
	if mant > -1<<53 && mant < 1<<53 && int(scale) < len(float64pow10) {
		return float64(mant) / float64pow10[scale]
	}
	var buf [64]byte
	f, _ := strconv.ParseFloat(string(Append(buf[:0], mant, scale)), 64)
	return f
}

// FromFloat64 converts f to a mantissa at the given scale. It rounds the
// shortest decimal that reads back as f (what strconv.FormatFloat(f, 'g', -1)
// prints, and what a user typed), half away from zero, so 2.675 at scale 2 is
// 268 even though the binary double is slightly below 2.675. ok is false for
// NaN, infinities, overflow and a scale above MaxScale.
func FromFloat64(f float64, scale uint8) (int64, bool) {
	if scale > MaxScale || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	// Fast path: when |f|*10^scale < 2^52, one float's rounding interval is
	// narrower than 10^-scale, so if r*10^-scale reads back as f it is the
	// rounding of f's shortest decimal.
	if x := f * float64pow10[scale]; x > -1<<52 && x < 1<<52 {
		r := math.Round(x)
		if r/float64pow10[scale] == f {
			return int64(r), true
		}
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	return fromExp(b, scale)
}

// fromExp rounds strconv's "-d.ddde±xx" form to the given scale.
func fromExp(b []byte, scale uint8) (int64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var digits [20]byte
	nd := 0
	i := 0
	for ; i < len(b) && b[i] != 'e'; i++ {
		if b[i] != '.' {
			digits[nd] = b[i] - '0' // shortest form has at most 17 digits
			nd++
		}
	}
	exp, _ := strconv.Atoi(string(b[i+1:]))
	// value = 0.d1d2..dn * 10^(exp+1); digits kept after the point at scale:
	// keep = exp+1+scale leading digits.
	keep := exp + 1 + int(scale)
	if keep < 0 {
		return 0, true
	}
	var u uint64
	for j := 0; j < keep; j++ {
		var d uint64
		if j < nd {
			d = uint64(digits[j])
		}
		hi, lo := bits.Mul64(u, 10)
		lo, c := bits.Add64(lo, d, 0)
		if hi != 0 || c != 0 {
			return 0, false
		}
		u = lo
	}
	if keep < nd && digits[keep] >= 5 {
		// Half away from zero: the first dropped digit decides (the shortest
		// form is exact, so >= 5 means >= half).
		u++
		if u == 0 {
			return 0, false
		}
	}
	return signed(u, neg)
}

// FromInt returns i at the given scale (i*10^scale), reporting overflow.
func FromInt(i int64, scale uint8) (int64, bool) {
	if scale > MaxScale {
		return 0, i == 0
	}
	return mulPow10(i, scale)
}

// StripZeros removes trailing fractional zeros: (1500, 3) -> (15, 1). It gives
// the canonical form used for DISTINCT and hashing, where 1.5 and 1.50 are
// the same value.
func StripZeros(mant int64, scale uint8) (int64, uint8) {
	if mant == 0 {
		return 0, 0
	}
	for scale > 0 && mant%10 == 0 {
		mant /= 10
		scale--
	}
	return mant, scale
}
