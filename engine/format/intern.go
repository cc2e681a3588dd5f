package format

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// Intern table bounds: symbols, currencies, sides, status codes... are few
// and short, so a per-field table of this size catches them; values past the
// bound (ids, free text) are allocated as usual and the table stops growing,
// so memory stays bounded whatever the data.
const (
	internMaxEntries = 4096
	internMaxLen     = 64
)

type internSlot struct {
	h uint32
	s string
}

// internTable maps byte strings to one shared Go string each, so a repeated
// value costs a hash and a compare instead of an allocation. It is an
// open-addressing table that starts small and doubles up to the bound.
type internTable struct {
	slots []internSlot
	n     int
}

// get returns the shared string equal to b, allocating it the first time.
func (t *internTable) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > internMaxLen {
		return string(b)
	}
	sl, h := t.find(b)
	if sl == nil || sl.h != 0 {
		if sl == nil {
			return string(b)
		}
		return sl.s
	}
	s := string(b)
	t.insert(sl, h, s)
	return s
}

// getString is get for a value that is already a string (a CSV cell): a
// miss on a full table returns s itself, and an insert copies s so the
// table does not pin the whole record s may be a slice of.
func (t *internTable) getString(s string) string {
	if len(s) == 0 || len(s) > internMaxLen {
		return s
	}
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	sl, h := t.find(b)
	if sl == nil {
		return s
	}
	if sl.h != 0 {
		return sl.s
	}
	c := string(b) // a copy: b is a view of s
	t.insert(sl, h, c)
	return c
}

// find returns the slot holding b, or the empty slot where it goes, or nil
// when b is absent and the table is full.
func (t *internTable) find(b []byte) (*internSlot, uint32) {
	h := hashBytes(b) | 1 // 0 marks an empty slot
	if t.slots == nil {
		t.slots = make([]internSlot, 64)
	}
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.h == 0 {
			if t.n >= internMaxEntries {
				return nil, h
			}
			return sl, h
		}
		if sl.h == h && sl.s == string(b) {
			return sl, h
		}
	}
}

func (t *internTable) insert(sl *internSlot, h uint32, s string) {
	sl.h, sl.s = h, s
	t.n++
	if t.n*2 > len(t.slots) && len(t.slots) < 2*internMaxEntries {
		t.grow()
	}
}

func (t *internTable) grow() {
	old := t.slots
	t.slots = make([]internSlot, 2*len(old))
	mask := uint32(len(t.slots) - 1)
	for _, sl := range old {
		if sl.h == 0 {
			continue
		}
		i := sl.h & mask
		for t.slots[i].h != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = sl
	}
}

// hashBytes is a small multiply-mix hash for short strings; eight bytes at
// a time so that a typical symbol costs one or two multiplications.
func hashBytes(b []byte) uint32 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(len(b)) * m
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * m
		h = bits.RotateLeft64(h, 29)
		b = b[8:]
	}
	if len(b) > 0 {
		var w uint64
		if len(b) >= 4 {
			w = uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[len(b)-4:]))<<32
		} else {
			w = uint64(b[0]) | uint64(b[len(b)/2])<<8 | uint64(b[len(b)-1])<<16
		}
		h = (h ^ w) * m
	}
	h ^= h >> 32
	h *= m
	return uint32(h >> 32)
}
