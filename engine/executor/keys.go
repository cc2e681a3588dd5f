package executor

import (
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/types"
)

// Keys of joins and window-function partitions. A key of one string or one
// integer is looked up by the value itself; other keys by encodeKey's
// encoding, under which values that compare equal (1 and 1.0) encode alike.
// An integral decimal (1.0) therefore takes the integer path too.

// mkey is a key kept in a keyMap.
type mkey struct {
	kind uint8 // keyEnc, keyStr or keyInt
	s    string
	i    int64
}

const (
	keyEnc uint8 = iota
	keyStr
	keyInt
)

// keyEval computes a key from a row.
type keyEval struct {
	exprs []expr.Expr
	cols  []int // the column each key reads when it is a plain column, else -1
	vals  types.Row
	buf   []byte
	kind  uint8
	iv    int64
}

func newKeyEval(exprs []expr.Expr) keyEval {
	k := keyEval{exprs: exprs, cols: make([]int, len(exprs)), vals: make(types.Row, len(exprs))}
	for i, e := range exprs {
		k.cols[i] = colIndex(e)
	}
	return k
}

// eval computes the key of row; null reports a NULL part (which a join
// matches with nothing). Evaluation errors are left in ctx.
func (k *keyEval) eval(ctx *expr.Ctx, row types.Row) (null bool) {
	for i, e := range k.exprs {
		if c := k.cols[i]; c >= 0 {
			k.vals[i] = row[c]
		} else {
			k.vals[i] = e.Eval(ctx, row)
		}
		if k.vals[i].K == types.KindNull {
			null = true
		}
	}
	if len(k.vals) == 1 {
		switch v := k.vals[0]; v.K {
		case types.KindString:
			k.kind = keyStr
			return null
		case types.KindInt:
			k.kind, k.iv = keyInt, v.I
			return null
		case types.KindDecimal:
			if m, ok := integral(v); ok {
				k.kind, k.iv = keyInt, m
				return null
			}
		}
	}
	k.kind = keyEnc
	k.buf = encodeKey(k.buf[:0], k.vals)
	return null
}

// integral returns a decimal's value when it is a whole number.
func integral(v types.Value) (int64, bool) {
	if v.Big() {
		return 0, false
	}
	m, s := v.I, v.Scale
	for s > 0 && m%10 == 0 {
		m /= 10
		s--
	}
	return m, s == 0
}

// stored returns the current key, to keep.
func (k *keyEval) stored() mkey {
	switch k.kind {
	case keyStr:
		return mkey{kind: keyStr, s: k.vals[0].S}
	case keyInt:
		return mkey{kind: keyInt, i: k.iv}
	}
	return mkey{kind: keyEnc, s: string(k.buf)}
}

// keyMap maps keys to values.
type keyMap[V any] struct {
	str  map[string]V
	ints map[int64]V
	enc  map[string]V
}

func newKeyMap[V any]() keyMap[V] {
	return keyMap[V]{str: map[string]V{}, ints: map[int64]V{}, enc: map[string]V{}}
}

// get looks up the key k currently holds (without allocating).
func (m *keyMap[V]) get(k *keyEval) (V, bool) {
	var v V
	var ok bool
	switch k.kind {
	case keyStr:
		v, ok = m.str[k.vals[0].S]
	case keyInt:
		v, ok = m.ints[k.iv]
	default:
		v, ok = m.enc[string(k.buf)]
	}
	return v, ok
}

func (m *keyMap[V]) getKey(k mkey) (V, bool) {
	var v V
	var ok bool
	switch k.kind {
	case keyStr:
		v, ok = m.str[k.s]
	case keyInt:
		v, ok = m.ints[k.i]
	default:
		v, ok = m.enc[k.s]
	}
	return v, ok
}

func (m *keyMap[V]) set(k mkey, v V) {
	switch k.kind {
	case keyStr:
		m.str[k.s] = v
	case keyInt:
		m.ints[k.i] = v
	default:
		m.enc[k.s] = v
	}
}

func (m *keyMap[V]) del(k mkey) {
	switch k.kind {
	case keyStr:
		delete(m.str, k.s)
	case keyInt:
		delete(m.ints, k.i)
	default:
		delete(m.enc, k.s)
	}
}

// each calls f for every value.
func (m *keyMap[V]) each(f func(V)) {
	for _, v := range m.str {
		f(v)
	}
	for _, v := range m.ints {
		f(v)
	}
	for _, v := range m.enc {
		f(v)
	}
}
