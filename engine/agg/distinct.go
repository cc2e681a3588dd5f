package agg

import (
	"math"
	"math/big"
	"math/bits"
	"strings"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// key is a value's identity for DISTINCT: values that compare equal get the
// same key (623, 623.00 and the float 623.0 are one value; 0.5 the decimal
// and 0.5 the float are one value), values that differ get different keys.
type key struct {
	class keyClass
	scale uint8
	i     int64
	s     string // strings; numbers too large for an int64 (canonical digits)
}

type keyClass uint8

const (
	keyNumber    keyClass = iota + 1 // i at scale, trailing zeros stripped
	keyBigNum                        // s: canonical digits, stripped, scale
	keyFloat                         // i: bits of a float that is no ≤18-digit decimal
	keyString                        // s
	keyBool                          // i
	keyTimestamp                     // i
	keyInterval                      // i
)

// keyOf returns v's DISTINCT key; copy asks for strings to be copied (the key
// is stored). ok is false for a malformed promoted decimal.
func keyOf(v types.Value, copy bool) (key, bool) {
	switch v.K {
	case types.KindInt:
		return key{class: keyNumber, i: v.I}, true
	case types.KindDecimal:
		if v.S == "" {
			m, s := decimal.StripZeros(v.I, v.Scale)
			return key{class: keyNumber, scale: s, i: m}, true
		}
		b, err := bigOf(v)
		if err != nil {
			return key{}, false
		}
		return bigKey(b), true
	case types.KindFloat:
		return floatKey(v.Float()), true
	case types.KindString:
		s := v.S
		if copy {
			s = strings.Clone(s)
		}
		return key{class: keyString, s: s}, true
	case types.KindBool:
		return key{class: keyBool, i: v.I}, true
	case types.KindTimestamp:
		return key{class: keyTimestamp, i: v.I}, true
	case types.KindInterval:
		return key{class: keyInterval, i: v.I}, true
	}
	return key{}, false
}

func bigKey(b *decimal.Big) key {
	b = new(decimal.Big).StripZeros(b)
	if m, s, ok := b.Int64(); ok {
		return key{class: keyNumber, scale: s, i: m}
	}
	return key{class: keyBigNum, scale: b.Scale(), s: b.String()}
}

// pow5 holds 5^0..5^18, for turning a binary fraction into a decimal.
var pow5 = func() (t [19]uint64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 5
	}
	return t
}()

// floatKey maps a float that equals a decimal of at most 18 fractional digits
// to that decimal's key, exactly: f = g/2^k with g an integer and k <= 18 is
// g*5^k / 10^k. Other floats (1/3, NaN, infinities) are keyed by their bits.
func floatKey(f float64) key {
	if math.IsNaN(f) {
		return key{class: keyFloat, i: int64(math.Float64bits(math.NaN()))}
	}
	if math.IsInf(f, 0) {
		return key{class: keyFloat, i: int64(math.Float64bits(f))}
	}
	if f == math.Trunc(f) {
		if f >= -(1<<63) && f < 1<<63 {
			return key{class: keyNumber, i: int64(f)} // -0.0 becomes 0
		}
		// An integer beyond int64: its exact digits.
		n, _ := new(big.Float).SetFloat64(f).Int(nil)
		return key{class: keyBigNum, s: n.String()}
	}
	g, k := f, 0
	for g != math.Trunc(g) && k < decimal.MaxScale {
		g *= 2 // exact
		k++
	}
	if g == math.Trunc(g) && math.Abs(g) < 1<<63 {
		u := uint64(math.Abs(g))
		hi, lo := bits.Mul64(u, pow5[k])
		if hi == 0 && lo <= math.MaxInt64 {
			m := int64(lo)
			if g < 0 {
				m = -m
			}
			return key{class: keyNumber, scale: uint8(k), i: m}
		}
	}
	return key{class: keyFloat, i: int64(math.Float64bits(f))}
}

// distinctBuffer feeds its inner buffer only the first occurrence of each
// value (COUNT(DISTINCT x), SUM(DISTINCT x), ...).
type distinctBuffer struct {
	seen  map[key]struct{}
	inner Buffer
}

func newDistinct(inner Buffer) *distinctBuffer {
	return &distinctBuffer{seen: make(map[key]struct{}), inner: inner}
}

func (b *distinctBuffer) Update(v types.Value) error {
	if v.K == types.KindNull {
		return nil
	}
	k, ok := keyOf(v, false)
	if !ok {
		return typeError("DISTINCT", v, "a valid value is expected")
	}
	if _, dup := b.seen[k]; dup {
		return nil
	}
	if err := b.inner.Update(v); err != nil {
		return err
	}
	if k.class == keyString {
		k.s = strings.Clone(k.s)
	}
	b.seen[k] = struct{}{}
	return nil
}

func (b *distinctBuffer) Result() types.Value { return b.inner.Result() }
