package format

import (
	"math"
	"math/bits"
	"strconv"
	"unsafe"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// Exact decimals are kept while they have at most maxDecimalDigits
// significant digits and maxDecimalScale digits after the point (the usual
// DECIMAL(38) bounds); a mantissa past int64 is carried as a big decimal
// (types.BigDecimalValue). An inferred (KindAny) number past these bounds
// becomes a DOUBLE; a declared DECIMAL column reports it as out of range.
const (
	maxDecimalDigits = 38
	maxDecimalScale  = 38
	maxExponent      = 100000 // exponent digits saturate here; larger is out of range anyway
)

var pow10u = [...]uint64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
	1e15, 1e16, 1e17, 1e18, 1e19,
}

var pow10f = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// number is a lexed numeric token. The integer and fraction digits are
// accumulated into mant while the lexer runs, so the common case (at most 19
// significant digits, no exponent) needs no second pass.
type number struct {
	start, end int    // token extent in the input
	mant       uint64 // significant digits of integer and fraction; valid when ndig <= 19
	ndig       int    // digits (a bound: leading zeros count while all digits are <= 19)
	frac       int    // digits after the point
	exp        int    // exponent, 0 when none
	neg        bool
	dot        bool
	hasExp     bool
	lead0      bool // lenient only: "0123" (a leading zero followed by digits)
}

// lexNumber scans a number starting at b[i] into n. Strict follows the
// JSON grammar; lenient (for numbers inside strings and CSV cells) also
// allows a '+' sign, leading zeros, ".5" and "5.". It sets the end of the
// token, or returns a message and the offset of the offending byte.
//
// The digit loops only accumulate: with at most 19 digits in all the
// mantissa is exact and ndig (then the digit count, leading zeros included)
// is a safe bound; past 19 a second pass counts the significant digits.
func lexNumber(n *number, b []byte, i int, strict bool) (msg string, errOff int) {
	*n = number{start: i}
	if i < len(b) && b[i] == '-' {
		n.neg = true
		i++
	} else if !strict && i < len(b) && b[i] == '+' {
		i++
	}
	intStart := i
	if strict {
		if i >= len(b) {
			return "expected a digit, found end of input", i
		}
		if b[i] == '0' {
			if i+1 < len(b) && b[i+1]-'0' <= 9 {
				return "leading zero in a number", i
			}
		} else if b[i]-'0' > 9 {
			return "expected a digit, found " + quoteByte(b[i]), i
		}
	} else if i+1 < len(b) && b[i] == '0' && b[i+1]-'0' <= 9 {
		n.lead0 = true
	}
	var mant uint64
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		mant = mant*10 + uint64(b[i]-'0')
	}
	digits := i - intStart
	if i < len(b) && b[i] == '.' {
		n.dot = true
		i++
		fracStart := i
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			mant = mant*10 + uint64(b[i]-'0')
		}
		n.frac = i - fracStart
		if strict && n.frac == 0 {
			return "expected a digit after the decimal point", i
		}
		digits += n.frac
	}
	if digits == 0 {
		if i < len(b) {
			return "expected a digit, found " + quoteByte(b[i]), i
		}
		return "expected a digit, found end of input", i
	}
	n.mant, n.ndig = mant, digits
	if digits > 19 {
		n.significant(b[intStart:i])
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		n.hasExp = true
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		expStart := i
		e := 0
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			if e < maxExponent {
				e = e*10 + int(b[i]-'0')
			}
		}
		if i == expStart {
			if i < len(b) {
				return "expected a digit in the exponent, found " + quoteByte(b[i]), i
			}
			return "expected a digit in the exponent, found end of input", i
		}
		if eneg {
			e = -e
		}
		n.exp = e
	}
	n.end = i
	return "", 0
}

// significant recounts the digits of t (integer and fraction, with the
// point) without leading zeros, and the mantissa when they are at most 19.
func (n *number) significant(t []byte) {
	var mant uint64
	nd := 0
	for _, c := range t {
		if c == '.' || (nd == 0 && c == '0') {
			continue
		}
		if nd < 19 {
			mant = mant*10 + uint64(c-'0')
		}
		nd++
	}
	n.mant, n.ndig = mant, nd
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return "byte 0x" + strconv.FormatUint(uint64(c), 16)
}

// unsafeString views b as a string for calls that do not keep it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// numStatus says why a number does not convert.
type numStatus uint8

const (
	numOK       numStatus = iota
	numRange              // too large (or too precise) for the target
	numFraction           // not an integer where one is required
	numTiny               // from big only: nonzero but rounds to zero at any scale a column holds
)

// int64 returns the number as an exact integer.
func (n *number) int64(b []byte) (int64, numStatus) {
	if n.ndig > 19 {
		x, st := n.big(b)
		if st == numTiny {
			return 0, numFraction
		} else if st != numOK {
			return 0, st
		}
		x.StripZeros(x)
		if x.Scale() > 0 {
			return 0, numFraction
		}
		if m, _, ok := x.Int64(); ok {
			return m, numOK
		}
		return 0, numRange
	}
	m := n.mant
	if e := n.exp - n.frac; e > 0 {
		if m != 0 {
			if e > 19 {
				return 0, numRange
			}
			hi, lo := bits.Mul64(m, pow10u[e])
			if hi != 0 {
				return 0, numRange
			}
			m = lo
		}
	} else if e < 0 {
		if -e > 19 {
			if m != 0 {
				return 0, numFraction
			}
		} else {
			p := pow10u[-e]
			if m%p != 0 {
				return 0, numFraction
			}
			m /= p
		}
	}
	return signed(m, n.neg)
}

func signed(m uint64, neg bool) (int64, numStatus) {
	if neg {
		if m > 1<<63 {
			return 0, numRange
		}
		return -int64(m), numOK
	}
	if m > math.MaxInt64 {
		return 0, numRange
	}
	return int64(m), numOK
}

// float returns the nearest float64.
func (n *number) float(b []byte) (float64, numStatus) {
	if n.ndig <= 15 {
		// Clinger's fast path: the mantissa and the power of ten are exact
		// doubles, so one multiplication or division rounds correctly.
		e := n.exp - n.frac
		if e >= -22 && e <= 22 {
			f := float64(n.mant)
			if e >= 0 {
				f *= pow10f[e]
			} else {
				f /= pow10f[-e]
			}
			if n.neg {
				f = -f
			}
			return f, numOK
		}
	}
	f, err := strconv.ParseFloat(unsafeString(b[n.start:n.end]), 64)
	if err != nil {
		return 0, numRange
	}
	return f, numOK
}

// scaled returns the number as a mantissa at scale s, rounding half away
// from zero (HALF_UP, as decimal.Rescale does) when the number has more
// fractional digits. It fails when the result needs more than int64.
func (n *number) scaled(b []byte, s int) (int64, numStatus) {
	if n.ndig <= 18 && !n.hasExp && n.frac <= decimal.MaxScale && s <= decimal.MaxScale {
		m, ok := decimal.Rescale(negIf(int64(n.mant), n.neg), uint8(n.frac), uint8(s))
		if !ok {
			return 0, numRange
		}
		return m, numOK
	}
	x, st := n.big(b)
	if st == numTiny {
		return 0, numOK
	} else if st != numOK {
		return 0, st
	}
	x.Rescale(x, uint8(s))
	if m, _, ok := x.Int64(); ok {
		return m, numOK
	}
	return 0, numRange
}

// decimal returns the number as an exact decimal: at scale s with
// precision p when p > 0 (DECIMAL(p,s)), else at its own scale.
func (n *number) decimal(b []byte, p, s int) (types.Value, numStatus) {
	if n.ndig <= 18 && !n.hasExp && n.frac <= decimal.MaxScale {
		if p == 0 {
			return types.DecimalValue(negIf(int64(n.mant), n.neg), uint8(n.frac)), numOK
		}
		if s <= decimal.MaxScale {
			if m, ok := decimal.Rescale(negIf(int64(n.mant), n.neg), uint8(n.frac), uint8(s)); ok {
				if p < 19 && absU(m) >= pow10u[p] {
					return types.Value{}, numRange
				}
				return types.DecimalValue(m, uint8(s)), numOK
			}
		}
	}
	x, st := n.big(b)
	if st == numTiny && p > 0 {
		st = numOK // x is zero: rounded to s below
	}
	if st != numOK {
		return types.Value{}, numRange
	}
	if p == 0 {
		if x.Scale() > maxDecimalScale {
			x.StripZeros(x)
		}
		if x.Scale() > maxDecimalScale || digitCount(x) > maxDecimalDigits {
			return types.Value{}, numRange
		}
	} else {
		x.Rescale(x, uint8(s))
		if digitCount(x) > p { // integer digits (count - s) must not exceed p - s
			return types.Value{}, numRange
		}
	}
	if m, sc, ok := x.Int64(); ok {
		return types.DecimalValue(m, sc), numOK
	}
	return types.BigDecimalValue(x.String(), x.Scale()), numOK
}

// anyValue maps a number with no declared type: integers to BIGINT (past
// int64 a big DECIMAL, past 38 digits a DOUBLE), fractions to exact DECIMAL
// (past 38 significant digits or 38 fraction digits a DOUBLE), exponents to
// DOUBLE.
func (n *number) anyValue(b []byte) (types.Value, numStatus) {
	if !n.hasExp {
		if !n.dot {
			if n.ndig <= 19 {
				if i, st := signed(n.mant, n.neg); st == numOK {
					return types.IntValue(i), numOK
				}
			}
		} else if n.ndig <= 18 && n.frac <= decimal.MaxScale {
			return types.DecimalValue(negIf(int64(n.mant), n.neg), uint8(n.frac)), numOK
		}
		if n.ndig <= maxDecimalDigits {
			if v, st := n.decimal(b, 0, 0); st == numOK {
				return v, numOK
			}
		}
	}
	f, st := n.float(b)
	if st != numOK {
		return types.Value{}, st
	}
	return types.FloatValue(f), numOK
}

func negIf(m int64, neg bool) int64 {
	if neg {
		return -m
	}
	return m
}

func absU(m int64) uint64 {
	if m < 0 {
		return uint64(-m)
	}
	return uint64(m)
}

// big returns the number as a decimal.Big: the slow path for values past
// int64, exponents and more than 18 fraction digits. An exponent is applied
// by moving the point in the text, since decimal.ParseBig takes none.
func (n *number) big(b []byte) (*decimal.Big, numStatus) {
	t := b[n.start:n.end]
	if n.hasExp {
		var buf [64]byte
		txt := buf[:0]
		if n.neg {
			txt = append(txt, '-')
		}
		digitStart := len(txt)
		for _, c := range t {
			if c == 'e' || c == 'E' {
				break
			}
			if c-'0' <= 9 {
				txt = append(txt, c)
			}
		}
		nd := len(txt) - digitStart
		scale := n.frac - n.exp
		switch {
		case scale <= 0:
			if nd-scale > 400 { // a big integer no column can hold
				return nil, numRange
			}
			for ; scale < 0; scale++ {
				txt = append(txt, '0')
			}
		case scale > 255:
			// Below 10^-200 or so: zero at every scale a column can have,
			// but not exactly zero (numTiny) unless every digit is.
			if n.mant == 0 { // exactly zero: no significant digit
				return new(decimal.Big), numOK
			}
			return new(decimal.Big), numTiny
		default:
			// Insert the point scale digits from the end, padding with zeros.
			for nd < scale {
				txt = append(txt, 0)
				copy(txt[digitStart+1:], txt[digitStart:])
				txt[digitStart] = '0'
				nd++
			}
			txt = append(txt, 0)
			at := len(txt) - 1 - scale
			copy(txt[at+1:], txt[at:])
			txt[at] = '.'
		}
		t = txt
	}
	x, err := decimal.ParseBig(string(t))
	if err != nil {
		return nil, numRange // the lexer already checked the syntax: only the scale can be too large
	}
	return x, numOK
}

// digitCount is the number of digits of x's mantissa (0 for zero).
func digitCount(x *decimal.Big) int {
	if x.Sign() == 0 {
		return 0
	}
	var buf [64]byte
	n, lead := 0, true
	for _, c := range x.Append(buf[:0]) {
		if c-'0' > 9 || (lead && c == '0') { // sign, point, the zeros of "0.05"
			continue
		}
		lead = false
		n++
	}
	return n
}

// unsafeBytes views s as bytes for reads only.
func unsafeBytes(s string) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
