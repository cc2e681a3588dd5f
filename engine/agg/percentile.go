package agg

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"

	"github.com/velostream/velostream/engine/types"
)

// percentileParam reads PERCENTILE_CONT's p: a constant number in [0, 1]. A
// float is read through its shortest decimal form (0.95 is 95/100, not the
// binary double below it), which is what the user wrote.
func percentileParam(v types.Value) (*big.Rat, error) {
	var p *big.Rat
	switch v.K {
	case types.KindInt, types.KindDecimal:
		r, ok := toRat(v)
		if !ok {
			return nil, fmt.Errorf("percentile %s is not a valid number: %w", describe(v), ErrArguments)
		}
		p = r
	case types.KindFloat:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("percentile %v is not a number in [0, 1]: %w", f, ErrArguments)
		}
		p, _ = new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	case types.KindNull:
		return nil, fmt.Errorf("percentile must not be NULL: %w", ErrArguments)
	default:
		return nil, fmt.Errorf("percentile must be a number in [0, 1], got %s %s: %w", v.K, describe(v), ErrArguments)
	}
	if p.Sign() < 0 || p.Cmp(big.NewRat(1, 1)) > 0 {
		return nil, fmt.Errorf("percentile %s is outside [0, 1]: %w", describe(v), ErrArguments)
	}
	return p, nil
}

// percentileBuffer is PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x) and
// MEDIAN: exact (it keeps every value, no sketch) with linear interpolation
// between the two values around rank p*(n-1), as PostgreSQL does.
//
// Numbers give a DOUBLE (as in PostgreSQL, Spark and Flink), computed from
// the exact values in big.Rat and rounded once, so the median of 1.10 and
// 1.20 is the double nearest 1.15. Timestamps and intervals give the same
// kind, rounded half away from zero to the millisecond.
type percentileBuffer struct {
	name  string
	p     *big.Rat
	vals  []types.Value
	class types.Kind // KindFloat for any number, KindTimestamp, KindInterval; KindNull before the first value
}

func (b *percentileBuffer) Update(v types.Value) error {
	var class types.Kind
	switch v.K {
	case types.KindNull:
		return nil
	case types.KindInt, types.KindFloat:
		class = types.KindFloat
	case types.KindDecimal:
		if v.S != "" {
			if _, err := bigOf(v); err != nil {
				return typeError(b.name, v, "a valid decimal is expected")
			}
		}
		class = types.KindFloat
	case types.KindTimestamp, types.KindInterval:
		class = v.K
	default:
		return typeError(b.name, v, "a number, timestamp or interval is expected")
	}
	if b.class != types.KindNull && b.class != class {
		return typeError(b.name, v, fmt.Sprintf("earlier values were %s", classLabel(b.class)))
	}
	b.class = class
	b.vals = append(b.vals, v)
	return nil
}

func classLabel(k types.Kind) string {
	if k == types.KindFloat {
		return "numbers"
	}
	return k.String() + "s"
}

func (b *percentileBuffer) Result() types.Value {
	n := len(b.vals)
	if n == 0 {
		return types.NullValue()
	}
	// Update admitted one comparable class only, so compare cannot fail.
	slices.SortFunc(b.vals, func(x, y types.Value) int {
		c, _ := compare(b.name, x, y)
		return c
	})
	pos := new(big.Rat).Mul(b.p, new(big.Rat).SetInt64(int64(n-1)))
	k := new(big.Int).Quo(pos.Num(), pos.Denom()) // floor: pos >= 0
	frac := new(big.Rat).Sub(pos, new(big.Rat).SetInt(k))
	lo := b.vals[k.Int64()]
	if frac.Sign() == 0 {
		return b.point(lo)
	}
	hi := b.vals[k.Int64()+1]
	ra, okA := toRat(lo)
	rb, okB := toRat(hi)
	if !okA || !okB {
		// NaN or an infinity: float arithmetic gives the IEEE answer.
		fa, fb := toFloat(lo), toFloat(hi)
		if fa == fb {
			return types.FloatValue(fa)
		}
		f, _ := frac.Float64()
		return types.FloatValue(fa + (fb-fa)*f)
	}
	r := new(big.Rat).Sub(rb, ra)
	r.Mul(r, frac)
	r.Add(r, ra)
	switch b.class {
	case types.KindTimestamp:
		return types.TimestampValue(roundRat(r))
	case types.KindInterval:
		return types.IntervalValue(roundRat(r))
	}
	f, _ := r.Float64()
	return types.FloatValue(f)
}

// point is the result when p falls exactly on a value.
func (b *percentileBuffer) point(v types.Value) types.Value {
	if b.class == types.KindFloat {
		return types.FloatValue(toFloat(v))
	}
	return v
}

// roundRat rounds r to an int64 half away from zero (r lies between two
// int64 values, so it fits).
func roundRat(r *big.Rat) int64 {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	m.Abs(m).Lsh(m, 1)
	if m.Cmp(r.Denom()) >= 0 {
		if r.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}
