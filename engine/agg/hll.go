package agg

import (
	"unsafe"

	"github.com/axiomhq/hyperloglog"

	"github.com/velostream/velostream/engine/types"
)

// hllBuffer is APPROX_COUNT_DISTINCT: a HyperLogLog sketch from
// github.com/axiomhq/hyperloglog at precision 14 (16,384 registers, 16 KiB
// when dense, sparse and much smaller for small groups), standard error
// 1.04/sqrt(16384) = 0.81%.
//
// Values are hashed by their DISTINCT key, so 623 and 623.00 count once, as
// COUNT(DISTINCT) would. Numbers get a 64-bit mix of (class, scale,
// mantissa) with no allocation; strings and huge numbers go through the
// library's own hash (metro) over their bytes.
type hllBuffer struct {
	sk *hyperloglog.Sketch
}

func newHLL() Buffer { return &hllBuffer{sk: hyperloglog.New14()} }

func (b *hllBuffer) Update(v types.Value) error {
	if v.K == types.KindNull {
		return nil
	}
	k, ok := keyOf(v, false)
	if !ok {
		return typeError("APPROX_COUNT_DISTINCT", v, "a valid value is expected")
	}
	if k.s != "" || k.class == keyString {
		// The sketch hashes the bytes and keeps nothing, so no copy is needed.
		bs := unsafe.Slice(unsafe.StringData(k.s), len(k.s))
		if k.class != keyString {
			// Keep numbers' digits apart from the same text as a string.
			b.sk.InsertHash(mix64(fnv1a(bs) ^ uint64(k.class)<<8 ^ uint64(k.scale)))
			return nil
		}
		b.sk.Insert(bs)
		return nil
	}
	b.sk.InsertHash(mix64(mix64(uint64(k.i)) ^ (uint64(k.class)<<8 | uint64(k.scale))))
	return nil
}

// fnv1a hashes the digits of a number too large for an int64 (rare). The
// library does not export its own hash; FNV-1a is stable across processes
// and good enough once mix64 finishes it.
func fnv1a(bs []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range bs {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// mix64 is the murmur3/splitmix64 finalizer: a bijection on uint64 whose
// output bits each depend on every input bit, as HyperLogLog's register
// index (top bits) and rank (leading zeros of the rest) need.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func (b *hllBuffer) Result() types.Value {
	return types.IntValue(int64(b.sk.Estimate()))
}
