package functions

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/velostream/velostream/engine/types"
)

// Compare orders two values: c is -1, 0 or +1. ok is false (and c
// meaningless) when either side is NULL. err is set when the kinds cannot be
// compared, or when a string compared with a timestamp is not a timestamp.
// Numbers compare exactly across INT, DECIMAL and DOUBLE; strings by bytes
// (UTF-8 code point order); FALSE < TRUE.
func Compare(a, b types.Value) (c int, ok bool, err error) {
	if a.K == b.K {
		switch a.K {
		case types.KindNull:
			return 0, false, nil
		case types.KindInt, types.KindBool, types.KindTimestamp, types.KindInterval:
			return cmp.Compare(a.I, b.I), true, nil
		case types.KindString:
			return strings.Compare(a.S, b.S), true, nil
		}
	}
	if a.K == types.KindNull || b.K == types.KindNull {
		return 0, false, nil
	}
	if a.K.Numeric() && b.K.Numeric() {
		return cmpNumeric(a, b), true, nil
	}
	switch {
	case a.K == types.KindString && b.K == types.KindTimestamp:
		ms, err := stringAsTimestamp(a.S)
		if err != nil {
			return 0, false, err
		}
		return cmp.Compare(ms, b.I), true, nil
	case a.K == types.KindTimestamp && b.K == types.KindString:
		ms, err := stringAsTimestamp(b.S)
		if err != nil {
			return 0, false, err
		}
		return cmp.Compare(a.I, ms), true, nil
	}
	return 0, false, fmt.Errorf("cannot compare %s with %s", a.K, b.K)
}

func stringAsTimestamp(s string) (int64, error) {
	ms, ok := parseTimestamp(s)
	if !ok {
		return 0, fmt.Errorf("cannot compare %s with TIMESTAMP: it is not an ISO 8601 timestamp", quoteValue(s))
	}
	return ms, nil
}

// Equal reports SQL equality: ok is false when either side is NULL. Values
// of kinds that cannot be compared (and a string that is not a timestamp
// compared with a timestamp) are unequal. 1.5 = 1.50 = 1.5e0.
func Equal(a, b types.Value) (eq bool, ok bool) {
	if a.K == b.K {
		switch a.K {
		case types.KindNull:
			return false, false
		case types.KindInt, types.KindBool, types.KindTimestamp, types.KindInterval:
			return a.I == b.I, true
		case types.KindString:
			return a.S == b.S, true
		}
	}
	c, ok, err := Compare(a, b)
	if err != nil {
		return false, true
	}
	return ok && c == 0, ok
}

// Truthy interprets a condition (WHERE, HAVING, CASE WHEN, AND/OR operands).
// BOOLEAN is itself; NULL is null. A column typed only at run time (ANY) may
// hold other kinds: a number is true when non-zero, and a string is read as a
// boolean literal ('true', 't', 'yes', 'on', '1' and their opposites, any
// case); any other value counts as NULL, so the row does not pass a filter.
func Truthy(v types.Value) (b bool, null bool) {
	switch v.K {
	case types.KindBool:
		return v.I != 0, false
	case types.KindNull:
		return false, true
	case types.KindInt, types.KindDecimal, types.KindFloat:
		if v.K == types.KindFloat && v.Float() != v.Float() {
			return false, true // NaN is neither true nor false
		}
		return !isZero(v), false
	case types.KindString:
		if t, ok := parseBool(v.S); ok {
			return t, false
		}
	}
	return false, true
}
