package agg

import (
	"cmp"
	"math"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// countBuffer is COUNT(x) and COUNT(*): non-NULL values.
type countBuffer struct{ n int64 }

func (b *countBuffer) Update(v types.Value) error {
	if v.K != types.KindNull {
		b.n++
	}
	return nil
}

func (b *countBuffer) Result() types.Value { return types.IntValue(b.n) }

// sumBuffer is SUM, and the state AVG builds on.
//
// Ints add into an int64 until one overflows or a decimal arrives; from then
// on the exact part lives in a decimal.Sum (whose own fast path is an int64
// at a fixed scale, spilling to a Big). Floats add into a separate float64,
// so that a single float in the input turns the result into a float without
// having rounded the exact part before: result = float(exact) + floats.
type sumBuffer struct {
	n        int64 // non-NULL values
	isum     int64 // exact sum while only ints arrived
	dec      decimal.Sum
	fsum     float64
	exact    bool // the exact part is in dec
	hasFloat bool
	minScale uint8 // scale the static type promises
	forceDec bool  // the static type is DECIMAL: an all-int input still gives a decimal
}

func (b *sumBuffer) Update(v types.Value) error {
	switch v.K {
	case types.KindDecimal:
		if v.S != "" {
			return b.addBig("SUM", v)
		}
		if !b.exact {
			b.toDecimal()
		}
		if !b.dec.TryAdd(v.I, v.Scale) {
			b.dec.Add(v.I, v.Scale)
		}
	case types.KindInt:
		if !b.exact {
			r := b.isum + v.I
			if (r^b.isum)&(r^v.I) >= 0 {
				b.isum = r
				b.n++
				return nil
			}
			b.toDecimal()
		}
		if !b.dec.TryAdd(v.I, 0) {
			b.dec.Add(v.I, 0)
		}
	case types.KindFloat:
		b.fsum += v.Float()
		b.hasFloat = true
	case types.KindNull:
		return nil
	default:
		return typeError("SUM", v, "a number is expected")
	}
	b.n++
	return nil
}

// toDecimal moves the int sum into the decimal accumulator (on overflow or
// the first decimal).
func (b *sumBuffer) toDecimal() {
	b.dec.Add(b.isum, 0)
	b.isum = 0
	b.exact = true
}

func (b *sumBuffer) addBig(fn string, v types.Value) error {
	x, err := bigOf(v)
	if err != nil {
		return typeError(fn, v, "a valid decimal is expected")
	}
	if !b.exact {
		b.toDecimal()
	}
	b.dec.AddBig(x)
	b.n++
	return nil
}

// exactResult returns the exact part: (mant, scale, nil) or (0, scale, big);
// isInt reports a plain int sum.
func (b *sumBuffer) exactResult() (m int64, s uint8, big *decimal.Big, isInt bool) {
	if !b.exact {
		if !b.forceDec {
			return b.isum, 0, nil, true
		}
		if m, ok := decimal.FromInt(b.isum, b.minScale); ok {
			return m, b.minScale, nil, false
		}
		return 0, b.minScale, new(decimal.Big).Rescale(decimal.NewBig(b.isum, 0), b.minScale), false
	}
	m, s, big = b.dec.Result()
	if s < b.minScale {
		if big != nil {
			big.Rescale(big, b.minScale)
		} else if r, ok := decimal.Rescale(m, s, b.minScale); ok {
			m = r
		} else {
			big = new(decimal.Big).Rescale(decimal.NewBig(m, s), b.minScale)
		}
		s = b.minScale
	}
	return m, s, big, false
}

// exactFloat is the exact part rounded to a float.
func (b *sumBuffer) exactFloat() float64 {
	m, s, big, _ := b.exactResult()
	if big != nil {
		return big.Float64()
	}
	return decimal.ToFloat64(m, s)
}

func (b *sumBuffer) Result() types.Value {
	if b.n == 0 {
		return types.NullValue()
	}
	if b.hasFloat {
		return types.FloatValue(b.exactFloat() + b.fsum)
	}
	m, s, big, isInt := b.exactResult()
	switch {
	case isInt:
		return types.IntValue(m)
	case big != nil:
		return bigValue(big)
	}
	return types.DecimalValue(m, s)
}

// bigValue turns a Big into a Value, demoting it when it fits an int64.
func bigValue(x *decimal.Big) types.Value {
	if m, s, ok := x.Int64(); ok {
		return types.DecimalValue(m, s)
	}
	return types.BigDecimalValue(x.String(), x.Scale())
}

// avgBuffer is AVG: SUM's state and a division at the end. The exact result
// has scale avgScale(input scale) (input scale + 4, at most 18), rounded half
// away from zero; with any float input it is a float.
type avgBuffer struct{ sumBuffer }

func (b *avgBuffer) Update(v types.Value) error {
	// Same as sumBuffer.Update, repeated so that the hot path is one direct
	// call with the TryAdd fast path inlined (no extra call level).
	switch v.K {
	case types.KindDecimal:
		if v.S != "" {
			return b.addBig("AVG", v)
		}
		if !b.exact {
			b.toDecimal()
		}
		if !b.dec.TryAdd(v.I, v.Scale) {
			b.dec.Add(v.I, v.Scale)
		}
	case types.KindInt:
		if !b.exact {
			r := b.isum + v.I
			if (r^b.isum)&(r^v.I) >= 0 {
				b.isum = r
				b.n++
				return nil
			}
			b.toDecimal()
		}
		if !b.dec.TryAdd(v.I, 0) {
			b.dec.Add(v.I, 0)
		}
	case types.KindFloat:
		b.fsum += v.Float()
		b.hasFloat = true
	case types.KindNull:
		return nil
	default:
		return typeError("AVG", v, "a number is expected")
	}
	b.n++
	return nil
}

func (b *avgBuffer) Result() types.Value {
	if b.n == 0 {
		return types.NullValue()
	}
	if b.hasFloat {
		return types.FloatValue((b.exactFloat() + b.fsum) / float64(b.n))
	}
	m, s, big, _ := b.exactResult()
	rs := avgScale(s)
	if big == nil {
		if q, qs, ok := decimal.Div(m, s, b.n, 0, rs); ok {
			return types.DecimalValue(q, qs)
		}
		big = decimal.NewBig(m, s)
	}
	q, err := new(decimal.Big).Div(big, decimal.NewBig(b.n, 0), rs)
	if err != nil { // unreachable: n > 0
		return types.NullValue()
	}
	return bigValue(q)
}

// minMaxBuffer is MIN (sign -1) and MAX (sign +1): it keeps the value that
// compares lowest (highest), as it arrived (623 stays an int even after
// 623.00 compared equal).
type minMaxBuffer struct {
	cur  types.Value
	has  bool
	sign int
	name string
}

func (b *minMaxBuffer) Update(v types.Value) error {
	if v.K == types.KindNull {
		return nil
	}
	if !b.has {
		if v.K == types.KindDecimal && v.S != "" {
			if _, err := bigOf(v); err != nil {
				return typeError(b.name, v, "a valid decimal is expected")
			}
		}
		b.cur, b.has = v, true
		return nil
	}
	var c int
	switch {
	case v.K == b.cur.K && (v.K == types.KindInt || v.K == types.KindTimestamp || v.K == types.KindInterval):
		c = cmp.Compare(v.I, b.cur.I)
	case v.K == types.KindDecimal && b.cur.K == types.KindDecimal && v.Scale == b.cur.Scale && v.S == "" && b.cur.S == "":
		c = cmp.Compare(v.I, b.cur.I)
	default:
		var err error
		if c, err = compare(b.name, v, b.cur); err != nil {
			return err
		}
	}
	if c*b.sign > 0 {
		b.cur = v
	}
	return nil
}

func (b *minMaxBuffer) Result() types.Value { return b.cur }

// firstBuffer is FIRST_VALUE: the first non-NULL value in arrival order.
type firstBuffer struct {
	cur types.Value
}

func (b *firstBuffer) Update(v types.Value) error {
	if b.cur.K == types.KindNull {
		b.cur = v
	}
	return nil
}

func (b *firstBuffer) Result() types.Value { return b.cur }

// lastBuffer is LAST_VALUE: the last non-NULL value in arrival order.
type lastBuffer struct {
	cur types.Value
}

func (b *lastBuffer) Update(v types.Value) error {
	if v.K != types.KindNull {
		b.cur = v
	}
	return nil
}

func (b *lastBuffer) Result() types.Value { return b.cur }

// varianceBuffer is VAR_SAMP, VAR_POP, STDDEV_SAMP and STDDEV_POP, computed
// in float64 with Welford's online algorithm, which does not cancel
// catastrophically the way sum-of-squares minus square-of-sum does (prices
// around 1e4 with cent-sized spread would lose every digit).
type varianceBuffer struct {
	n      int64
	mean   float64
	m2     float64
	name   string
	sample bool // divide by n-1 (else n)
	sqrt   bool // standard deviation
}

func (b *varianceBuffer) Update(v types.Value) error {
	var x float64
	switch v.K {
	case types.KindFloat:
		x = v.Float()
	case types.KindInt:
		x = float64(v.I)
	case types.KindDecimal:
		if v.S != "" {
			d, err := bigOf(v)
			if err != nil {
				return typeError(b.name, v, "a valid decimal is expected")
			}
			x = d.Float64()
		} else {
			x = decimal.ToFloat64(v.I, v.Scale)
		}
	case types.KindNull:
		return nil
	default:
		return typeError(b.name, v, "a number is expected")
	}
	b.n++
	d := x - b.mean
	b.mean += d / float64(b.n)
	b.m2 += d * (x - b.mean)
	return nil
}

func (b *varianceBuffer) Result() types.Value {
	div := b.n
	if b.sample {
		div--
	}
	if b.n == 0 || div <= 0 {
		return types.NullValue() // VAR_SAMP of one value is undefined, as in SQL
	}
	r := max(b.m2/float64(div), 0)
	if b.sqrt {
		r = math.Sqrt(r)
	}
	return types.FloatValue(r)
}
