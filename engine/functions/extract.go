package functions

import (
	"fmt"
	cal "github.com/velostream/velostream/engine/civil"
	"strings"

	"github.com/velostream/velostream/engine/types"
)

// extractFields lists EXTRACT's fields in the order error messages name them.
var extractFields = []string{"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "DOW", "DOY", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "EPOCH"}

func extractFieldError(field string) error {
	return fmt.Errorf("EXTRACT field %s is not one of %s", quoteValue(field), strings.Join(extractFields, ", "))
}

// ExtractType is the static type of EXTRACT(field FROM x): BIGINT, except
// EPOCH, which is an exact DECIMAL number of seconds with milliseconds.
func ExtractType(field string, t types.Type) (types.Type, error) {
	f := strings.ToUpper(field)
	known := false
	for _, k := range extractFields {
		known = known || k == f
	}
	if !known {
		return types.Type{}, extractFieldError(field)
	}
	switch t.Kind {
	case types.KindTimestamp, types.KindString, types.KindNull, types.KindAny:
	case types.KindInterval:
		if !intervalField(f) {
			return types.Type{}, fmt.Errorf("EXTRACT %s needs a TIMESTAMP, not an INTERVAL (an interval has DAY, HOUR, MINUTE, SECOND, MILLISECOND and EPOCH)", f)
		}
	default:
		return types.Type{}, fmt.Errorf("EXTRACT expects a TIMESTAMP or INTERVAL, got %s", t)
	}
	if f == "EPOCH" {
		return types.Type{Kind: types.KindDecimal, Precision: 0, Scale: 3}, nil
	}
	return types.Int, nil
}

func intervalField(f string) bool {
	switch f {
	case "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "EPOCH":
		return true
	}
	return false
}

// Extract returns a field of a timestamp (UTC) or interval:
//
//	YEAR, QUARTER (1-4), MONTH (1-12), WEEK (ISO 8601 week, 1-53), DAY (1-31),
//	DOW (0 = Sunday .. 6 = Saturday, as PostgreSQL), DOY (1-366),
//	HOUR (0-23), MINUTE (0-59), SECOND (0-59, whole seconds),
//	MILLISECOND (0-999, the milliseconds within the second),
//	EPOCH (seconds since 1970-01-01 as DECIMAL with 3 digits: exact).
//
// Of an interval: DAY (whole days), HOUR (0-23), MINUTE, SECOND,
// MILLISECOND of the remainder, each with the interval's sign, and EPOCH
// (total seconds). A string is read as an ISO 8601 timestamp. NULL gives
// NULL. The field name is case-insensitive.
func Extract(field string, v types.Value) (types.Value, error) {
	f := field
	if !isUpperASCII(f) {
		f = strings.ToUpper(f)
	}
	switch v.K {
	case types.KindNull:
		if _, err := ExtractType(f, types.Null); err != nil {
			return types.Value{}, err
		}
		return v, nil
	case types.KindString:
		ms, ok := parseTimestamp(v.S)
		if !ok {
			return types.Value{}, fmt.Errorf("EXTRACT %s: %s is not an ISO 8601 timestamp", f, quoteValue(v.S))
		}
		v = types.TimestampValue(ms)
	case types.KindInterval:
		return extractInterval(f, v.I)
	case types.KindTimestamp:
	default:
		return types.Value{}, fmt.Errorf("EXTRACT expects a TIMESTAMP or INTERVAL, got %s", v.K)
	}
	if f == "EPOCH" {
		return types.DecimalValue(v.I, 3), nil
	}
	c := toCivil(v.I)
	var r int64
	switch f {
	case "YEAR":
		r = c.year
	case "QUARTER":
		r = (c.month-1)/3 + 1
	case "MONTH":
		r = c.month
	case "WEEK":
		r = c.isoWeek()
	case "DAY":
		r = c.day
	case "DOW":
		r = c.weekday()
	case "DOY":
		r = c.yearDay()
	case "HOUR":
		r = c.hour
	case "MINUTE":
		r = c.minute
	case "SECOND":
		r = c.second
	case "MILLISECOND":
		r = c.milli
	default:
		return types.Value{}, extractFieldError(field)
	}
	return types.IntValue(r), nil
}

func extractInterval(f string, ms int64) (types.Value, error) {
	if f == "EPOCH" {
		return types.DecimalValue(ms, 3), nil
	}
	// Go's / and % truncate toward zero, so every part keeps the sign.
	var r int64
	switch f {
	case "DAY":
		r = ms / msPerDay
	case "HOUR":
		r = ms % msPerDay / msPerHour
	case "MINUTE":
		r = ms % msPerHour / msPerMinute
	case "SECOND":
		r = ms % msPerMinute / msPerSecond
	case "MILLISECOND":
		r = ms % msPerSecond
	default:
		if _, err := ExtractType(f, types.Interval); err != nil {
			return types.Value{}, err
		}
	}
	return types.IntValue(r), nil
}

func isUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' || c >= 0x80 {
			return false
		}
	}
	return true
}

// truncUnits are DATE_TRUNC's units, in the order error messages name them.
var truncUnits = []string{"millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year"}

// dateTrunc truncates a UTC timestamp to the start of its unit. Weeks start
// on Monday (ISO 8601, as PostgreSQL).
func dateTrunc(unit string, ms int64) (int64, error) {
	var n, size int64 // the result is n*size
	switch strings.ToLower(unit) {
	case "millisecond", "milliseconds":
		return ms, nil
	case "second", "seconds":
		n, size = floorDiv(ms, msPerSecond), msPerSecond
	case "minute", "minutes":
		n, size = floorDiv(ms, msPerMinute), msPerMinute
	case "hour", "hours":
		n, size = floorDiv(ms, msPerHour), msPerHour
	case "day", "days":
		n, size = floorDiv(ms, msPerDay), msPerDay
	case "week", "weeks":
		c := toCivil(ms)
		n, size = c.days-floorMod(c.weekday()+6, 7), msPerDay
	case "month", "months":
		c := toCivil(ms)
		n, size = cal.DaysFromDate(c.year, c.month, 1), msPerDay
	case "quarter", "quarters":
		c := toCivil(ms)
		n, size = cal.DaysFromDate(c.year, (c.month-1)/3*3+1, 1), msPerDay
	case "year", "years":
		c := toCivil(ms)
		n, size = cal.DaysFromDate(c.year, 1, 1), msPerDay
	default:
		return 0, fmt.Errorf("DATE_TRUNC unit %s is not one of %s", quoteValue(unit), strings.Join(truncUnits, ", "))
	}
	r, ok := mulInt(n, size)
	if !ok {
		return 0, errTimestampRange
	}
	return r, nil
}
