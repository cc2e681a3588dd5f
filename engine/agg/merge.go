package agg

import (
	"fmt"
	"math"

	"github.com/velostream/velostream/engine/types"
)

// Merger is implemented by buffers whose state can absorb another buffer of
// the same aggregate: session windows merge two sessions when a record
// bridges them. Every buffer of this package implements it.
type Merger interface {
	// Merge folds o (a buffer made by the same Func) into the receiver.
	Merge(o Buffer) error
}

func mismatch(a, b Buffer) error {
	return fmt.Errorf("cannot merge aggregate state %T into %T", b, a)
}

func (b *countBuffer) Merge(o Buffer) error {
	x, ok := o.(*countBuffer)
	if !ok {
		return mismatch(b, o)
	}
	b.n += x.n
	return nil
}

func (b *sumBuffer) Merge(o Buffer) error {
	x, ok := o.(*sumBuffer)
	if !ok {
		if a, isAvg := o.(*avgBuffer); isAvg {
			x = &a.sumBuffer
		} else {
			return mismatch(b, o)
		}
	}
	return b.mergeSum(x)
}

func (b *sumBuffer) mergeSum(x *sumBuffer) error {
	if x.n == 0 {
		return nil
	}
	if x.hasFloat {
		b.fsum += x.fsum
		b.hasFloat = true
	}
	if !b.exact && !x.exact {
		r := b.isum + x.isum
		if (r^b.isum)&(r^x.isum) >= 0 {
			b.isum = r
			b.n += x.n
			return nil
		}
	}
	if !b.exact {
		b.toDecimal()
	}
	if !x.exact {
		b.dec.Add(x.isum, 0)
	} else {
		m, s, big := x.dec.Result()
		if big != nil {
			b.dec.AddBig(big)
		} else {
			b.dec.Add(m, s)
		}
	}
	b.n += x.n
	return nil
}

func (b *avgBuffer) Merge(o Buffer) error {
	x, ok := o.(*avgBuffer)
	if !ok {
		return mismatch(b, o)
	}
	return b.sumBuffer.mergeSum(&x.sumBuffer)
}

func (b *minMaxBuffer) Merge(o Buffer) error {
	x, ok := o.(*minMaxBuffer)
	if !ok {
		return mismatch(b, o)
	}
	if !x.has {
		return nil
	}
	return b.Update(x.cur)
}

// FIRST_VALUE and LAST_VALUE follow arrival order; merged sessions keep the
// receiver's first value and the other's last one when it has one.
func (b *firstBuffer) Merge(o Buffer) error {
	x, ok := o.(*firstBuffer)
	if !ok {
		return mismatch(b, o)
	}
	return b.Update(x.cur)
}

func (b *lastBuffer) Merge(o Buffer) error {
	x, ok := o.(*lastBuffer)
	if !ok {
		return mismatch(b, o)
	}
	return b.Update(x.cur)
}

// Merge combines two Welford states (Chan, Golub and LeVeque's parallel
// formula), which is as stable as the online update.
func (b *varianceBuffer) Merge(o Buffer) error {
	x, ok := o.(*varianceBuffer)
	if !ok {
		return mismatch(b, o)
	}
	if x.n == 0 {
		return nil
	}
	if b.n == 0 {
		b.n, b.mean, b.m2 = x.n, x.mean, x.m2
		return nil
	}
	n := b.n + x.n
	d := x.mean - b.mean
	b.mean += d * float64(x.n) / float64(n)
	b.m2 += x.m2 + d*d*float64(b.n)*float64(x.n)/float64(n)
	b.n = n
	return nil
}

func (b *distinctBuffer) Merge(o Buffer) error {
	x, ok := o.(*distinctBuffer)
	if !ok {
		return mismatch(b, o)
	}
	for k := range x.seen {
		if _, dup := b.seen[k]; dup {
			continue
		}
		if err := b.inner.Update(valueOfKey(k)); err != nil {
			return err
		}
		b.seen[k] = struct{}{}
	}
	return nil
}

// valueOfKey rebuilds a value equal (under SQL comparison) to the one that
// produced k.
func valueOfKey(k key) types.Value {
	switch k.class {
	case keyNumber:
		if k.scale == 0 {
			return types.IntValue(k.i)
		}
		return types.DecimalValue(k.i, k.scale)
	case keyBigNum:
		return types.BigDecimalValue(k.s, k.scale)
	case keyFloat:
		return types.FloatValue(math.Float64frombits(uint64(k.i)))
	case keyString:
		return types.StringValue(k.s)
	case keyBool:
		return types.BoolValue(k.i != 0)
	case keyTimestamp:
		return types.TimestampValue(k.i)
	case keyInterval:
		return types.IntervalValue(k.i)
	}
	return types.Value{}
}

func (b *hllBuffer) Merge(o Buffer) error {
	x, ok := o.(*hllBuffer)
	if !ok {
		return mismatch(b, o)
	}
	return b.sk.Merge(x.sk)
}

func (b *percentileBuffer) Merge(o Buffer) error {
	x, ok := o.(*percentileBuffer)
	if !ok {
		return mismatch(b, o)
	}
	for _, v := range x.vals {
		if err := b.Update(v); err != nil {
			return err
		}
	}
	return nil
}
