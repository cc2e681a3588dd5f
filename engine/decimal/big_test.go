package decimal

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"testing"
)

func mustBig(t *testing.T, s string) *Big {
	t.Helper()
	b, err := ParseBig(s)
	if err != nil {
		t.Fatalf("ParseBig(%q): %v", s, err)
	}
	return b
}

func TestParseBig(t *testing.T) {
	tests := []struct {
		in   string
		want string
		sc   uint8
		err  error
	}{
		{in: "123456789012345678901234567890.12345", want: "123456789012345678901234567890.12345", sc: 5},
		{in: "-0.000000000000000000000001", want: "-0.000000000000000000000001", sc: 24},
		{in: "+1.50", want: "1.50", sc: 2},
		{in: ".5", want: "0.5", sc: 1},
		{in: "-0", want: "0", sc: 0},
		{in: "1.", want: "1", sc: 0},
		{in: "", err: ErrSyntax},
		{in: "-", err: ErrSyntax},
		{in: "1e9", err: ErrExponent},
		{in: "1-2", err: ErrSyntax},
		{in: "0." + string(make([]byte, 0)) + repeat('1', 256), err: ErrOverflow},
	}
	for _, tt := range tests {
		b, err := ParseBig(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ParseBig(%q) err = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || b.String() != tt.want || b.Scale() != tt.sc {
			t.Errorf("ParseBig(%q) = %v (scale %d), %v; want %s (scale %d)", tt.in, b, b.Scale(), err, tt.want, tt.sc)
		}
	}
}

func repeat(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

func TestBigArith(t *testing.T) {
	x := mustBig(t, "99999999999999999999.99")
	y := mustBig(t, "0.001")
	if got := new(Big).Add(x, y).String(); got != "99999999999999999999.991" {
		t.Errorf("Add = %s", got)
	}
	if got := new(Big).Sub(y, x).String(); got != "-99999999999999999999.989" {
		t.Errorf("Sub = %s", got)
	}
	if got := new(Big).Mul(x, y).String(); got != "99999999999999999.99999" {
		t.Errorf("Mul = %s", got)
	}
	if got := new(Big).Neg(x).String(); got != "-99999999999999999999.99" {
		t.Errorf("Neg = %s", got)
	}
	if x.Cmp(y) != 1 || y.Cmp(x) != -1 || x.Cmp(mustBig(t, "99999999999999999999.990")) != 0 {
		t.Error("Cmp wrong")
	}
	if mustBig(t, "-1").Cmp(mustBig(t, "0.5")) != -1 || mustBig(t, "0").Cmp(mustBig(t, "-0.00")) != 0 {
		t.Error("Cmp wrong on signs")
	}
	q, err := new(Big).Div(mustBig(t, "10"), mustBig(t, "3"), 4)
	if err != nil || q.String() != "3.3333" {
		t.Errorf("Div = %v, %v", q, err)
	}
	q, err = new(Big).Div(mustBig(t, "-1"), mustBig(t, "8"), 2)
	if err != nil || q.String() != "-0.13" {
		t.Errorf("Div tie = %v, %v", q, err)
	}
	q, err = new(Big).Div(mustBig(t, "1.000"), mustBig(t, "0.3"), 0)
	if err != nil || q.String() != "3" {
		t.Errorf("Div with a larger dividend scale = %v, %v", q, err)
	}
	if _, err := new(Big).Div(x, new(Big), 2); !errors.Is(err, ErrDivisionByZero) {
		t.Errorf("Div by zero err = %v", err)
	}
	if got := new(Big).Rescale(mustBig(t, "1.25"), 1).String(); got != "1.3" {
		t.Errorf("Rescale down = %s", got)
	}
	if got := new(Big).Rescale(mustBig(t, "-1.25"), 1).String(); got != "-1.3" {
		t.Errorf("Rescale down negative = %s", got)
	}
	if got := new(Big).Rescale(mustBig(t, "1.25"), 4).String(); got != "1.2500" {
		t.Errorf("Rescale up = %s", got)
	}
	if got := new(Big).StripZeros(mustBig(t, "100.2500")).String(); got != "100.25" {
		t.Errorf("StripZeros = %s", got)
	}
	if got := new(Big).StripZeros(mustBig(t, "0.000")); got.String() != "0" || got.Scale() != 0 {
		t.Errorf("StripZeros(0.000) = %s", got)
	}
	if got := x.Float64(); got != 1e20 {
		t.Errorf("Float64 = %v", got)
	}
	r := x.Rat(new(big.Rat))
	if r.RatString() != "9999999999999999999999/100" {
		t.Errorf("Rat = %s", r.RatString())
	}
	if got := fmt.Sprint(x); got != "99999999999999999999.99" {
		t.Errorf("fmt = %s", got)
	}
}

func TestBigFitsInt64(t *testing.T) {
	tests := []struct {
		in   string
		fits bool
		mant int64
		sc   uint8
	}{
		{"9223372036854775807", true, math.MaxInt64, 0},
		{"-9223372036854775808", true, math.MinInt64, 0},
		{"9223372036854775808", false, 0, 0},
		{"-92233720368547758.08", true, math.MinInt64, 2},
		{"0.0000000000000000001", false, 0, 0}, // scale 19
		{"1.50", true, 150, 2},
	}
	for _, tt := range tests {
		b := mustBig(t, tt.in)
		if b.FitsInt64() != tt.fits {
			t.Errorf("FitsInt64(%s) = %v", tt.in, !tt.fits)
		}
		m, s, ok := b.Int64()
		if ok != tt.fits || m != tt.mant || s != tt.sc {
			t.Errorf("Int64(%s) = (%d, %d, %v)", tt.in, m, s, ok)
		}
	}
	if NewBig(math.MinInt64, 3).String() != "-9223372036854775.808" {
		t.Error("NewBig(MinInt64, 3) prints wrong")
	}
}
