package decimal

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in    string
		mant  int64
		scale uint8
		err   error
		off   int // offset of an *Error
	}{
		{in: "623.4100", mant: 6234100, scale: 4},
		{in: "0", mant: 0, scale: 0},
		{in: "-0", mant: 0, scale: 0},
		{in: "-0.50", mant: -50, scale: 2},
		{in: "1.50", mant: 150, scale: 2},
		{in: ".5", mant: 5, scale: 1},
		{in: "-.5", mant: -5, scale: 1},
		{in: "+7", mant: 7, scale: 0},
		{in: "1.", mant: 1, scale: 0},
		{in: "000123.000", mant: 123000, scale: 3},
		{in: "0.000000000000000001", mant: 1, scale: 18},
		{in: "999999999999999999", mant: 999999999999999999},
		{in: "9223372036854775807", mant: math.MaxInt64},
		{in: "-9223372036854775808", mant: math.MinInt64},
		{in: "-92233720368547758.08", mant: math.MinInt64, scale: 2},
		{in: "00000000000000000000000001.5", mant: 15, scale: 1}, // leading zeros are not significant
		{in: "9223372036854775808", err: ErrOverflow, off: 0},
		{in: "-9223372036854775809", err: ErrOverflow, off: 0},
		{in: "12345678901234567890", err: ErrOverflow, off: 0},
		{in: "0.0000000000000000001", err: ErrOverflow, off: 20},
		{in: "1.5000000000000000000", err: ErrOverflow, off: 20},
		{in: "", err: ErrSyntax, off: 0},
		{in: "-", err: ErrSyntax, off: 1},
		{in: ".", err: ErrSyntax, off: 1},
		{in: "+-1", err: ErrSyntax, off: 1},
		{in: "12x", err: ErrSyntax, off: 2},
		{in: "1.2.3", err: ErrSyntax, off: 3},
		{in: " 1", err: ErrSyntax, off: 0},
		{in: "1 ", err: ErrSyntax, off: 1},
		{in: "1e5", err: ErrExponent},
		{in: "1.5E-3", err: ErrExponent},
		{in: "e5", err: ErrSyntax, off: 0},
		{in: "NaN", err: ErrSyntax, off: 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			for _, fn := range []struct {
				name string
				f    func(string) (int64, uint8, error)
			}{
				{"string", ParseString},
				{"bytes", func(s string) (int64, uint8, error) { return Parse([]byte(s)) }},
			} {
				m, s, err := fn.f(tt.in)
				if tt.err != nil {
					if !errors.Is(err, tt.err) {
						t.Fatalf("%s: err = %v, want %v", fn.name, err, tt.err)
					}
					var pe *Error
					if tt.err != ErrExponent {
						if !errors.As(err, &pe) || pe.Offset != tt.off {
							t.Fatalf("%s: err = %#v, want *Error at offset %d", fn.name, err, tt.off)
						}
					}
					continue
				}
				if err != nil || m != tt.mant || s != tt.scale {
					t.Fatalf("%s: got (%d, %d, %v), want (%d, %d)", fn.name, m, s, err, tt.mant, tt.scale)
				}
			}
		})
	}
}

func TestExponentIsSyntax(t *testing.T) {
	if !errors.Is(ErrExponent, ErrSyntax) {
		t.Fatal("ErrExponent must wrap ErrSyntax so callers can test for ErrSyntax alone")
	}
}

func TestErrorMessage(t *testing.T) {
	_, _, err := ParseString("12x")
	want := `decimal "12x": invalid decimal syntax: unexpected 'x' at offset 2`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct {
		mant  int64
		scale uint8
		want  string
	}{
		{15, 1, "1.5"},
		{-5, 3, "-0.005"},
		{0, 0, "0"},
		{0, 2, "0.00"},
		{150, 2, "1.50"},
		{-150, 2, "-1.50"},
		{7, 0, "7"},
		{100, 2, "1.00"},
		{1, 18, "0.000000000000000001"},
		{math.MaxInt64, 0, "9223372036854775807"},
		{math.MinInt64, 0, "-9223372036854775808"},
		{math.MinInt64, 2, "-92233720368547758.08"},
		{math.MinInt64, 18, "-9.223372036854775808"},
		{math.MinInt64, 19, "-0.9223372036854775808"},
		{math.MaxInt64, 20, "0.09223372036854775807"},
		{6234100, 4, "623.4100"},
	}
	for _, tt := range tests {
		if got := String(tt.mant, tt.scale); got != tt.want {
			t.Errorf("String(%d, %d) = %q, want %q", tt.mant, tt.scale, got, tt.want)
		}
		if got := string(Append([]byte("x="), tt.mant, tt.scale)); got != "x="+tt.want {
			t.Errorf("Append(%d, %d) = %q, want %q", tt.mant, tt.scale, got, "x="+tt.want)
		}
	}
}

func TestAppendNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = Append(buf[:0], -6234100, 4) }); n != 0 {
		t.Fatalf("Append allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _, _ = ParseString("623.4100") }); n != 0 {
		t.Fatalf("ParseString allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _, _ = ParseString("6e3") }); n != 0 {
		t.Fatalf("ParseString with an exponent allocates %v times", n)
	}
}

func TestRescale(t *testing.T) {
	tests := []struct {
		mant     int64
		from, to uint8
		want     int64
		ok       bool
	}{
		{15, 1, 3, 1500, true},
		{1500, 3, 1, 15, true},
		{125, 3, 2, 13, true},   // tie rounds away from zero
		{-125, 3, 2, -13, true}, // ... on both sides
		{124, 3, 2, 12, true},
		{-124, 3, 2, -12, true},
		{149, 2, 0, 1, true},
		{150, 2, 0, 2, true},
		{-150, 2, 0, -2, true},
		{5, 1, 0, 1, true},
		{4, 1, 0, 0, true},
		{-5, 1, 0, -1, true},
		{math.MaxInt64, 0, 1, 0, false},
		{math.MinInt64, 0, 1, 0, false},
		{922337203685477580, 0, 1, 9223372036854775800, true},
		{-922337203685477580, 0, 1, -9223372036854775800, true},
		{922337203685477581, 0, 1, 0, false},
		{1, 0, 18, 1000000000000000000, true},
		{10, 0, 18, 0, false},
		{math.MaxInt64, 18, 0, 9, true},
		{math.MinInt64, 18, 0, -9, true},
		{math.MinInt64, 2, 2, math.MinInt64, true},
		{math.MinInt64, 1, 0, -922337203685477581, true},
		{0, 0, 18, 0, true},
		{1, 0, 19, 0, false}, // scale above MaxScale
		{1, 19, 0, 0, false},
	}
	for _, tt := range tests {
		got, ok := Rescale(tt.mant, tt.from, tt.to)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Rescale(%d, %d, %d) = (%d, %v), want (%d, %v)", tt.mant, tt.from, tt.to, got, ok, tt.want, tt.ok)
		}
	}
}

type binCase struct {
	a      int64
	as     uint8
	b      int64
	bs     uint8
	want   int64
	wantSc uint8
	ok     bool
}

func TestAdd(t *testing.T) {
	tests := []binCase{
		{15, 1, 25, 2, 175, 2, true},
		{-15, 1, 25, 2, -125, 2, true},
		{1, 0, 1, 18, 1000000000000000001, 18, true},
		{math.MaxInt64, 0, 1, 0, 0, 0, false},
		{math.MaxInt64 / 2, 0, math.MaxInt64/2 + 2, 0, 0, 0, false},
		{math.MinInt64, 0, -1, 0, 0, 0, false},
		{math.MinInt64, 0, math.MaxInt64, 0, -1, 0, true},
		{math.MaxInt64, 0, math.MinInt64, 0, -1, 0, true},
		// a*10 overflows while a*10+b fits: computed exactly.
		{922337203685477581, 0, -10, 1, 9223372036854775800, 1, true},
		{922337203685477581, 0, 10, 1, 0, 0, false},
		{1, 0, 1, 19, 0, 0, false},
	}
	for _, tt := range tests {
		got, sc, ok := Add(tt.a, tt.as, tt.b, tt.bs)
		if ok != tt.ok || (ok && (got != tt.want || sc != tt.wantSc)) {
			t.Errorf("Add(%d@%d, %d@%d) = (%d, %d, %v), want (%d, %d, %v)", tt.a, tt.as, tt.b, tt.bs, got, sc, ok, tt.want, tt.wantSc, tt.ok)
		}
	}
}

func TestSub(t *testing.T) {
	tests := []binCase{
		{15, 1, 25, 2, 125, 2, true},
		{0, 0, 5, 3, -5, 3, true},
		{math.MinInt64, 0, 1, 0, 0, 0, false},
		{0, 0, math.MinInt64, 0, 0, 0, false},
		{-1, 0, math.MinInt64, 0, math.MaxInt64, 0, true},
		{math.MaxInt64, 0, -1, 0, 0, 0, false},
		{922337203685477581, 0, 10, 1, 9223372036854775800, 1, true},
	}
	for _, tt := range tests {
		got, sc, ok := Sub(tt.a, tt.as, tt.b, tt.bs)
		if ok != tt.ok || (ok && (got != tt.want || sc != tt.wantSc)) {
			t.Errorf("Sub(%d@%d, %d@%d) = (%d, %d, %v), want (%d, %d, %v)", tt.a, tt.as, tt.b, tt.bs, got, sc, ok, tt.want, tt.wantSc, tt.ok)
		}
	}
}

func TestMul(t *testing.T) {
	tests := []binCase{
		{15, 1, 25, 2, 375, 3, true},
		{-15, 1, 25, 2, -375, 3, true},
		{-15, 1, -25, 2, 375, 3, true},
		{0, 5, -7, 3, 0, 8, true},
		{3037000499, 0, 3037000499, 0, 9223372030926249001, 0, true},
		{3037000500, 0, 3037000500, 0, 0, 0, false},
		{math.MinInt64, 0, 1, 0, math.MinInt64, 0, true},
		{math.MinInt64, 0, -1, 0, 0, 0, false},
		{1 << 32, 0, -(1 << 31), 0, math.MinInt64, 0, true},
		{1 << 32, 0, 1 << 31, 0, 0, 0, false},
		// Scale 10+10 = 20 rounds to 18: 1.0000000001 * 1.0000000005 =
		// 1.00000000060000000005; the dropped "05" is below half: down.
		{10000000001, 10, 10000000005, 10, 1000000000600000000, 18, true},
		// 5e-10 * 1e-10 = 5e-20 = 0.05e-18: rounds to 0.
		{5, 10, 1, 10, 0, 18, true},
		// 0.000000005 * 0.0000000001 = 5e-19 = 0.5e-18: a tie, away from zero.
		{5, 9, 1, 10, 1, 18, true},
		{-5, 9, 1, 10, -1, 18, true},
		{4, 9, 1, 10, 0, 18, true},
		// Overflow only visible after the 128-bit product.
		{math.MaxInt64, 18, math.MaxInt64, 18, 0, 0, false},
		{math.MaxInt64, 18, 10, 1, math.MaxInt64, 18, true},
		{1, 19, 1, 0, 0, 0, false},
	}
	for _, tt := range tests {
		got, sc, ok := Mul(tt.a, tt.as, tt.b, tt.bs)
		if ok != tt.ok || (ok && (got != tt.want || sc != tt.wantSc)) {
			t.Errorf("Mul(%d@%d, %d@%d) = (%d, %d, %v), want (%d, %d, %v)", tt.a, tt.as, tt.b, tt.bs, got, sc, ok, tt.want, tt.wantSc, tt.ok)
		}
	}
}

func TestDiv(t *testing.T) {
	tests := []struct {
		a         int64
		as        uint8
		b         int64
		bs        uint8
		scale     uint8
		want      int64
		err       error
		checkBig  bool // also compare with big.Rat rounding
		wantScale uint8
	}{
		{a: 1, b: 3, scale: 4, want: 3333},
		{a: 2, b: 3, scale: 4, want: 6667},
		{a: -2, b: 3, scale: 4, want: -6667},
		{a: 1, b: 8, scale: 2, want: 13},   // 0.125 tie -> away
		{a: -1, b: 8, scale: 2, want: -13}, // -0.125 -> -0.13
		{a: 1, b: -8, scale: 2, want: -13},
		{a: 15, as: 1, b: 5, bs: 1, scale: 0, want: 3},
		{a: 623410, as: 3, b: 3, scale: 8, want: 20780333333},
		{a: 1, b: 0, scale: 2, err: ErrDivisionByZero},
		{a: 0, b: 0, scale: 2, err: ErrDivisionByZero},
		{a: math.MaxInt64, b: 1, scale: 1, err: ErrOverflow},
		{a: math.MinInt64, b: 1, scale: 0, want: math.MinInt64},
		{a: math.MinInt64, b: -1, scale: 0, err: ErrOverflow},
		{a: math.MaxInt64, b: 2, scale: 0, want: 4611686018427387904}, // .5 rounds up
		// e < 0: divisor scaled up past 2^64 rounds to zero.
		{a: 1, as: 18, b: math.MaxInt64, bs: 0, scale: 0, want: 0},
		{a: math.MaxInt64, as: 18, b: 1, bs: 0, scale: 0, want: 9},
		// e >= 20: big path.
		{a: 1, as: 0, b: 3, bs: 18, scale: 18, err: ErrOverflow},
		{a: 1, as: 0, b: 3000000000000000000, bs: 18, scale: 18, want: 333333333333333333},
		{a: 1, b: 1, scale: 19, err: ErrOverflow},
	}
	for _, tt := range tests {
		got, sc, err := DivChecked(tt.a, tt.as, tt.b, tt.bs, tt.scale)
		if err != tt.err || (err == nil && (got != tt.want || sc != tt.scale)) {
			t.Errorf("DivChecked(%d@%d, %d@%d, %d) = (%d, %d, %v), want (%d, %v)", tt.a, tt.as, tt.b, tt.bs, tt.scale, got, sc, err, tt.want, tt.err)
		}
		_, _, ok := Div(tt.a, tt.as, tt.b, tt.bs, tt.scale)
		if ok != (tt.err == nil) {
			t.Errorf("Div(%d@%d, %d@%d, %d) ok = %v", tt.a, tt.as, tt.b, tt.bs, tt.scale, ok)
		}
	}
}

// ratOf is the exact value of a pair.
func ratOf(m int64, s uint8) *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(m), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil))
}

// roundRat rounds r to scale s half away from zero, as a big.Int mantissa.
func roundRat(r *big.Rat, s uint8) *big.Int {
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)))
	n, d := x.Num(), x.Denom()
	q, rem := new(big.Int).QuoRem(n, d, new(big.Int))
	rem.Abs(rem).Lsh(rem, 1)
	if rem.Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// TestArithAgainstBig checks Add, Sub, Mul, Div and Cmp against math/big on a
// deterministic spread of mantissas and scales, including the int64 edges.
func TestArithAgainstBig(t *testing.T) {
	mants := []int64{0, 1, -1, 5, -5, 7, 125, -125, 999999999999999999, -999999999999999999,
		math.MaxInt64, math.MinInt64, math.MaxInt64 / 10, math.MinInt64 / 10, 6234100, -6234100,
		3037000499, 1 << 62, -(1 << 62), 922337203685477580, 123456789012345678}
	scales := []uint8{0, 1, 2, 4, 9, 17, 18}
	for _, a := range mants {
		for _, as := range scales {
			for _, b := range mants {
				for _, bs := range scales {
					ra, rb := ratOf(a, as), ratOf(b, bs)
					s := max(as, bs)
					check := func(op string, got int64, gotSc uint8, ok bool, exact *big.Rat, wantSc uint8) {
						t.Helper()
						want := roundRat(exact, wantSc)
						fits := want.IsInt64()
						if ok != fits || (ok && (got != want.Int64() || gotSc != wantSc)) {
							t.Fatalf("%s(%d@%d, %d@%d) = (%d, %d, %v), want %v@%d (fits %v)", op, a, as, b, bs, got, gotSc, ok, want, wantSc, fits)
						}
					}
					m, sc, ok := Add(a, as, b, bs)
					check("Add", m, sc, ok, new(big.Rat).Add(ra, rb), s)
					m, sc, ok = Sub(a, as, b, bs)
					check("Sub", m, sc, ok, new(big.Rat).Sub(ra, rb), s)
					m, sc, ok = Mul(a, as, b, bs)
					check("Mul", m, sc, ok, new(big.Rat).Mul(ra, rb), min(as+bs, 18))
					if b != 0 {
						for _, ds := range []uint8{0, 4, 18} {
							m, sc, ok = Div(a, as, b, bs, ds)
							check("Div", m, sc, ok, new(big.Rat).Quo(ra, rb), ds)
						}
					}
					if got, want := Cmp(a, as, b, bs), ra.Cmp(rb); got != want {
						t.Fatalf("Cmp(%d@%d, %d@%d) = %d, want %d", a, as, b, bs, got, want)
					}
				}
			}
		}
	}
}

func TestCmp(t *testing.T) {
	tests := []struct {
		a    int64
		as   uint8
		b    int64
		bs   uint8
		want int
	}{
		{15, 1, 150, 2, 0},
		{15, 1, 151, 2, -1},
		{-15, 1, -151, 2, 1},
		{0, 0, 0, 18, 0},
		{math.MaxInt64, 0, math.MaxInt64, 18, 1}, // rescaling the right side would overflow
		{math.MinInt64, 0, math.MinInt64, 18, -1},
		{1, 0, math.MaxInt64, 18, -1}, // 1 < 9.22...
		{10, 0, math.MaxInt64, 18, 1},
		{-1, 0, 1, 18, -1},
		{1, 19, 0, 0, 1}, // out-of-range scale does not panic
		{0, 25, 0, 0, 0},
	}
	for _, tt := range tests {
		if got := Cmp(tt.a, tt.as, tt.b, tt.bs); got != tt.want {
			t.Errorf("Cmp(%d@%d, %d@%d) = %d, want %d", tt.a, tt.as, tt.b, tt.bs, got, tt.want)
		}
		if got := Cmp(tt.b, tt.bs, tt.a, tt.as); got != -tt.want {
			t.Errorf("Cmp(%d@%d, %d@%d) = %d, want %d", tt.b, tt.bs, tt.a, tt.as, got, -tt.want)
		}
	}
}

func TestNegAbs(t *testing.T) {
	tests := []struct {
		in, neg, abs int64
		ok           bool
	}{
		{5, -5, 5, true},
		{-5, 5, 5, true},
		{0, 0, 0, true},
		{math.MaxInt64, -math.MaxInt64, math.MaxInt64, true},
		{math.MinInt64, 0, 0, false},
	}
	for _, tt := range tests {
		n, ok := Neg(tt.in)
		if ok != tt.ok || (ok && n != tt.neg) {
			t.Errorf("Neg(%d) = (%d, %v)", tt.in, n, ok)
		}
		a, ok := Abs(tt.in)
		if ok != tt.ok || (ok && a != tt.abs) {
			t.Errorf("Abs(%d) = (%d, %v)", tt.in, a, ok)
		}
	}
}

func TestRoundFloorCeil(t *testing.T) {
	tests := []struct {
		mant    int64
		scale   uint8
		digits  int
		round   int64
		roundSc uint8
		roundOK bool
		floor   int64
		ceil    int64
	}{
		{12345, 4, 2, 123, 2, true, 1, 2},     // 1.2345
		{12350, 4, 2, 124, 2, true, 1, 2},     // 1.2350: tie -> 1.24
		{-12350, 4, 2, -124, 2, true, -2, -1}, // -1.2350 -> -1.24
		{-12345, 4, 0, -1, 0, true, -2, -1},
		{15, 1, 0, 2, 0, true, 1, 2},
		{-15, 1, 0, -2, 0, true, -2, -1},
		{15, 1, 5, 15, 1, true, 1, 2}, // more digits than the scale: unchanged
		{125000, 2, -2, 1300, 0, true, 1250, 1250},
		{-125000, 2, -2, -1300, 0, true, -1250, -1250},
		{124999, 2, -2, 1200, 0, true, 1249, 1250},
		{7, 0, -1, 10, 0, true, 7, 7},
		{4, 0, -1, 0, 0, true, 4, 4},
		{math.MaxInt64, 0, -1, 0, 0, false, math.MaxInt64, math.MaxInt64}, // rounds past int64
		{math.MaxInt64, 0, -18, 9000000000000000000, 0, true, math.MaxInt64, math.MaxInt64},
		{math.MaxInt64, 0, -19, 0, 0, false, math.MaxInt64, math.MaxInt64}, // 10^19
		{math.MaxInt64, 0, -25, 0, 0, true, math.MaxInt64, math.MaxInt64},
		{math.MinInt64, 18, 0, -9, 0, true, -10, -9},
		{0, 3, 1, 0, 1, true, 0, 0},
		{1, 18, 17, 0, 17, true, 0, 1},
		{5, 18, 17, 1, 17, true, 0, 1},
		{-5, 18, 17, -1, 17, true, -1, 0},
	}
	for _, tt := range tests {
		m, s, ok := Round(tt.mant, tt.scale, tt.digits)
		if ok != tt.roundOK || (ok && (m != tt.round || s != tt.roundSc)) {
			t.Errorf("Round(%d@%d, %d) = (%d, %d, %v), want (%d, %d, %v)", tt.mant, tt.scale, tt.digits, m, s, ok, tt.round, tt.roundSc, tt.roundOK)
		}
		if got := Floor(tt.mant, tt.scale); got != tt.floor {
			t.Errorf("Floor(%d@%d) = %d, want %d", tt.mant, tt.scale, got, tt.floor)
		}
		if got := Ceil(tt.mant, tt.scale); got != tt.ceil {
			t.Errorf("Ceil(%d@%d) = %d, want %d", tt.mant, tt.scale, got, tt.ceil)
		}
	}
	// Scales past 18 never panic.
	if Floor(-1, 20) != -1 || Ceil(1, 20) != 1 || Floor(1, 19) != 0 || Ceil(-1, 19) != 0 {
		t.Error("Floor/Ceil wrong for scales past 18")
	}
	if _, _, ok := Round(1, 19, 0); ok {
		t.Error("Round accepted scale 19")
	}
}

func TestToFloat64(t *testing.T) {
	tests := []struct {
		mant  int64
		scale uint8
		want  float64
	}{
		{6234100, 4, 623.41},
		{1, 1, 0.1},
		{-15, 1, -1.5},
		{0, 5, 0},
		{math.MaxInt64, 0, 9223372036854775807},
		{math.MinInt64, 18, -9.223372036854775808},
		{9007199254740993, 0, 9007199254740992}, // 2^53+1: nearest even
		{1, 18, 1e-18},
		{123456789012345678, 18, 0.123456789012345678},
	}
	for _, tt := range tests {
		if got := ToFloat64(tt.mant, tt.scale); got != tt.want {
			t.Errorf("ToFloat64(%d, %d) = %v, want %v", tt.mant, tt.scale, got, tt.want)
		}
		want, _ := strconv.ParseFloat(String(tt.mant, tt.scale), 64)
		if got := ToFloat64(tt.mant, tt.scale); got != want {
			t.Errorf("ToFloat64(%d, %d) = %v, strconv says %v", tt.mant, tt.scale, got, want)
		}
	}
}

func TestFromFloat64(t *testing.T) {
	tests := []struct {
		f     float64
		scale uint8
		want  int64
		ok    bool
	}{
		{623.41, 4, 6234100, true},
		{2.675, 2, 268, true}, // the typed decimal rounds, not the binary 2.67499999...
		{-2.675, 2, -268, true},
		{0.125, 2, 13, true},
		{-0.125, 2, -13, true},
		{0.1, 18, 100000000000000000, true},
		{1e-20, 18, 0, true},
		{5e-19, 18, 1, true},
		{1.5, 0, 2, true},
		{-0.0, 3, 0, true},
		{9.2e18, 0, 9200000000000000000, true},
		{9.3e18, 0, 0, false},
		{1e300, 0, 0, false},
		// -2^63 exactly, but its shortest decimal -9223372036854776000 is what
		// gets rounded, and that is out of range.
		{-9.223372036854775808e18, 0, 0, false},
		{-9.223372036854775e18, 0, -9223372036854775000, true},
		{math.NaN(), 2, 0, false},
		{math.Inf(1), 2, 0, false},
		{math.Inf(-1), 2, 0, false},
		{1, 19, 0, false},
		{123456.789, 13, 1234567890000000000, true},
		{123456.789, 14, 0, false},
	}
	for _, tt := range tests {
		got, ok := FromFloat64(tt.f, tt.scale)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("FromFloat64(%v, %d) = (%d, %v), want (%d, %v)", tt.f, tt.scale, got, ok, tt.want, tt.ok)
		}
	}
}

// TestFromFloat64FastPath checks the fast path against the shortest-decimal
// path on a deterministic spread of floats.
func TestFromFloat64FastPath(t *testing.T) {
	x := uint64(0x9E3779B97F4A7C15)
	for i := 0; i < 200000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		var f float64
		switch i % 3 {
		case 0:
			f = float64(int64(x%2000000000)-1000000000) / 1e4 // prices
		case 1:
			f = math.Float64frombits(x&^(0x7FF<<52) | uint64(1023+int(x>>60)-8)<<52) // spread exponents
		default:
			f = float64(int64(x>>11)) / float64(uint64(1)<<(x%60))
		}
		for _, s := range []uint8{0, 2, 4, 9, 18} {
			got, ok := FromFloat64(f, s)
			want, wok := fromExp(strconv.AppendFloat(nil, f, 'e', -1, 64), s)
			if ok != wok || got != want {
				t.Fatalf("FromFloat64(%v, %d) = (%d, %v), shortest path says (%d, %v)", f, s, got, ok, want, wok)
			}
		}
	}
}

func TestFromInt(t *testing.T) {
	tests := []struct {
		i     int64
		scale uint8
		want  int64
		ok    bool
	}{
		{5, 2, 500, true},
		{-5, 2, -500, true},
		{0, 18, 0, true},
		{10, 18, 0, false},
		{math.MaxInt64, 0, math.MaxInt64, true},
		{math.MinInt64, 1, 0, false},
		{0, 30, 0, true},
		{1, 30, 0, false},
	}
	for _, tt := range tests {
		got, ok := FromInt(tt.i, tt.scale)
		if ok != tt.ok || got != tt.want {
			t.Errorf("FromInt(%d, %d) = (%d, %v), want (%d, %v)", tt.i, tt.scale, got, ok, tt.want, tt.ok)
		}
	}
}

func TestStripZeros(t *testing.T) {
	tests := []struct {
		mant  int64
		scale uint8
		wantM int64
		wantS uint8
	}{
		{1500, 3, 15, 1},
		{0, 5, 0, 0},
		{100, 0, 100, 0},
		{-1000, 3, -1, 0},
		{123, 2, 123, 2},
	}
	for _, tt := range tests {
		m, s := StripZeros(tt.mant, tt.scale)
		if m != tt.wantM || s != tt.wantS {
			t.Errorf("StripZeros(%d, %d) = (%d, %d), want (%d, %d)", tt.mant, tt.scale, m, s, tt.wantM, tt.wantS)
		}
	}
}

func TestPow10(t *testing.T) {
	if p, ok := Pow10(19); !ok || p != 10000000000000000000 {
		t.Errorf("Pow10(19) = %d, %v", p, ok)
	}
	if _, ok := Pow10(20); ok {
		t.Error("Pow10(20) should not fit")
	}
	if _, ok := Pow10(-1); ok {
		t.Error("Pow10(-1) accepted")
	}
}
