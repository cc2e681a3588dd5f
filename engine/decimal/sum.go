package decimal

// Sum adds (mantissa, scale) values exactly. The zero Sum is 0 at scale 0.
//
// Fast path: a running int64 at a fixed scale; a value at the running scale
// costs one add and one overflow test, and Add is small enough to inline.
// A value with a larger scale rescales the running sum once (the column's
// scale is usually fixed, so this happens at most a few times); a value with
// a smaller scale is rescaled up on its way in.
//
// On overflow the running int64 is spilled into a Big and the fast path
// starts again from the new value, so a sum that overflowed once keeps its
// speed and never wraps or loses a digit. The result scale is the largest
// scale added.
type Sum struct {
	mant  int64
	scale uint8
	spill *Big // overflowed partial sums; nil until the first overflow
}

// TryAdd is Add's fast path alone, small enough to inline into a caller's
// loop: it adds a value at the running scale when that does not overflow and
// reports whether it did. On false nothing changed and the caller calls Add.
// (Add itself cannot inline: the call to its slow path alone exceeds the
// compiler's inlining budget.)
func (s *Sum) TryAdd(mant int64, scale uint8) bool {
	r := s.mant + mant
	ok := scale == s.scale && (r^s.mant)&(r^mant) >= 0
	if ok {
		s.mant = r
	}
	return ok
}

// Add adds mant*10^-scale.
func (s *Sum) Add(mant int64, scale uint8) {
	r := s.mant + mant
	if scale == s.scale && (r^s.mant)&(r^mant) >= 0 {
		s.mant = r
		return
	}
	s.addSlow(mant, scale)
}

func (s *Sum) addSlow(mant int64, scale uint8) {
	if scale > MaxScale {
		// Not a valid pair scale; still exact through the spill.
		s.spillValue(mant, scale)
		return
	}
	if scale > s.scale {
		if m, ok := Rescale(s.mant, s.scale, scale); ok {
			s.mant = m
		} else {
			s.spillRunning()
			s.mant = 0
		}
		s.scale = scale
	} else if scale < s.scale {
		m, ok := Rescale(mant, scale, s.scale)
		if !ok {
			// Too large at the running scale: exact in the spill.
			s.spillValue(mant, scale)
			return
		}
		mant = m
	}
	r := s.mant + mant
	if (r^s.mant)&(r^mant) < 0 {
		// Overflow: keep the old running sum in the spill, restart from mant.
		s.spillRunning()
		r = mant
	}
	s.mant = r
}

// spillRunning moves the running int64 into the spill.
func (s *Sum) spillRunning() {
	s.spillValue(s.mant, s.scale)
	s.mant = 0
}

func (s *Sum) spillValue(mant int64, scale uint8) {
	if s.spill == nil {
		s.spill = NewBig(mant, scale)
		return
	}
	s.spill.AddInt64(mant, scale)
}

// AddBig adds a promoted value.
func (s *Sum) AddBig(x *Big) {
	if m, sc, ok := x.Int64(); ok {
		s.Add(m, sc)
		return
	}
	if s.spill == nil {
		s.spill = new(Big).Set(x)
	} else {
		s.spill.Add(s.spill, x)
	}
	if x.scale > s.scale && x.scale <= MaxScale {
		// Keep the result scale the largest added scale.
		if m, ok := Rescale(s.mant, s.scale, x.scale); ok {
			s.mant, s.scale = m, x.scale
		} else {
			s.spillRunning()
			s.scale = x.scale
		}
	}
}

// Result returns the exact sum: (mant, scale, nil) when it fits an int64,
// else (0, scale, big) with big holding the value.
func (s *Sum) Result() (mant int64, scale uint8, big *Big) {
	if s.spill == nil {
		return s.mant, s.scale, nil
	}
	t := new(Big).Set(s.spill)
	t.AddInt64(s.mant, s.scale)
	if t.scale < s.scale {
		t.Rescale(t, s.scale)
	}
	if m, sc, ok := t.Int64(); ok {
		return m, sc, nil
	}
	return 0, t.scale, t
}

// Merge adds other's sum into s (combining partial aggregates).
func (s *Sum) Merge(other *Sum) {
	if other.spill != nil {
		s.AddBig(other.spill)
	}
	s.Add(other.mant, other.scale)
}

// Promoted reports whether the sum has overflowed int64 at some point (its
// result may still fit, if later values brought it back).
func (s *Sum) Promoted() bool { return s.spill != nil }

// Reset sets s to zero at scale 0, keeping nothing.
func (s *Sum) Reset() { *s = Sum{} }
