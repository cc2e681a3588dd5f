package functions

import (
	"math"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// Value builders for tables.

var null = types.Value{}

func i(n int64) types.Value            { return types.IntValue(n) }
func f(x float64) types.Value          { return types.FloatValue(x) }
func s(x string) types.Value           { return types.StringValue(x) }
func b(x bool) types.Value             { return types.BoolValue(x) }
func iv(ms int64) types.Value          { return types.IntervalValue(ms) }
func tsm(ms int64) types.Value         { return types.TimestampValue(ms) }
func dm(m int64, sc uint8) types.Value { return types.DecimalValue(m, sc) }

// d parses exact decimal text: small values in the int64 form, larger ones
// promoted (the canonical digits decimal.Big prints).
func d(text string) types.Value {
	if m, sc, err := decimal.ParseString(text); err == nil {
		return types.DecimalValue(m, sc)
	}
	x, err := decimal.ParseBig(text)
	if err != nil {
		panic(err)
	}
	return types.BigDecimalValue(x.String(), x.Scale())
}

// ts parses ISO 8601 text (the tests of parseTimestamp pin that parser
// against the time package).
func ts(text string) types.Value {
	ms, ok := parseTimestamp(text)
	if !ok {
		panic("bad timestamp in test: " + text)
	}
	return types.TimestampValue(ms)
}

// same reports whether two values are identical: kind, scale and
// representation (1.5 and 1.50 differ here on purpose; NaN equals NaN).
func same(a, b types.Value) bool {
	if a.K != b.K {
		return false
	}
	if a.K == types.KindFloat {
		x, y := a.Float(), b.Float()
		return x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y)
	}
	return a.Scale == b.Scale && a.I == b.I && a.S == b.S
}

// show renders a value with its kind for failure messages.
func show(v types.Value) string {
	if v.K == types.KindNull {
		return "NULL"
	}
	t := textOf(v)
	if v.K == types.KindString {
		t = quoteValue(t)
	}
	if v.Big() {
		t += "(big)"
	}
	return v.K.String() + " " + t
}

func checkErr(t *testing.T, what string, err error, wantErr string) bool {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Errorf("%s: unexpected error: %v", what, err)
			return false
		}
		return true
	}
	if err == nil {
		t.Errorf("%s: got no error, want one containing %q", what, wantErr)
		return false
	}
	if !strings.Contains(err.Error(), wantErr) {
		t.Errorf("%s: error %q does not contain %q", what, err, wantErr)
	}
	return false
}
