package format

import (
	"strconv"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/types"
)

// column is a Field with what decoding it needs at run time: the resolved
// kind, the decimal bounds and the field's intern table.
type column struct {
	Field
	kind   types.Kind
	p, s   int // DECIMAL precision and scale; p == 0 keeps each value's scale
	intern internTable
}

func newColumns(fields []Field) []column {
	cols := make([]column, len(fields))
	for i, f := range fields {
		cols[i] = column{Field: f, kind: effectiveKind(f.Type), p: int(f.Type.Precision), s: int(f.Type.Scale)}
	}
	return cols
}

func (c *column) err(off int, format string, args ...any) *DecodeError {
	return fieldErr(off, c.Name, format, args...)
}

func (c *column) numErr(off int, b []byte, n *number, st numStatus) *DecodeError {
	txt := describeText(b[n.start:n.end])
	if st == numFraction {
		return c.err(off, "value %s is not a whole number (%s)", txt, c.Type)
	}
	return c.err(off, "value %s out of range for %s", txt, c.Type)
}

// number stores a lexed number (b[n.start:n.end]) as the column's type.
// off is where the value starts, for errors.
func (c *column) number(b []byte, n *number, off int, dst *types.Value) *DecodeError {
	var st numStatus
	switch c.kind {
	case types.KindAny:
		var v types.Value
		if v, st = n.anyValue(b); st == numOK {
			*dst = v
			return nil
		}
	case types.KindInt:
		var i int64
		if i, st = n.int64(b); st == numOK {
			*dst = types.IntValue(i)
			return nil
		}
	case types.KindFloat:
		var f float64
		if f, st = n.float(b); st == numOK {
			*dst = types.FloatValue(f)
			return nil
		}
	case types.KindDecimal:
		var v types.Value
		if v, st = n.decimal(b, c.p, c.s); st == numOK {
			*dst = v
			return nil
		}
	case types.KindString:
		*dst = types.StringValue(c.intern.get(b[n.start:n.end]))
		return nil
	case types.KindTimestamp:
		scale := 0
		switch c.TimeFormat {
		case TimeISO8601:
			return c.err(off, "expected an ISO 8601 timestamp string, found number %s", describeText(b[n.start:n.end]))
		case TimeEpochSeconds:
			scale = 3
		}
		var ms int64
		if ms, st = n.scaled(b, scale); st == numOK {
			*dst = types.TimestampValue(ms)
			return nil
		}
	case types.KindInterval:
		var ms int64
		if ms, st = n.scaled(b, 0); st == numOK {
			*dst = types.IntervalValue(ms)
			return nil
		}
	case types.KindBool:
		return c.err(off, "expected true or false, found number %s", describeText(b[n.start:n.end]))
	default:
		return c.err(off, "cannot decode into %s", c.Type)
	}
	return c.numErr(off, b, n, st)
}

// text stores a string value (an unescaped JSON string, or a CSV cell when
// cell is true). A CSV cell with no declared type is inferred: a number
// when it reads as one, else a string; a JSON string stays a string.
// off is where the text starts in the record, for errors.
func (c *column) text(t []byte, cell bool, off int, dst *types.Value) *DecodeError {
	switch c.kind {
	case types.KindAny:
		if cell {
			if n, ok := lexWhole(t); ok && !n.lead0 {
				if v, st := n.anyValue(t); st == numOK {
					*dst = v
					return nil
				}
			}
		}
		*dst = types.StringValue(c.intern.get(t))
		return nil
	case types.KindString:
		*dst = types.StringValue(c.intern.get(t))
		return nil
	case types.KindBool:
		switch {
		case asciiEqualFold(t, "true"):
			*dst = types.BoolValue(true)
		case asciiEqualFold(t, "false"):
			*dst = types.BoolValue(false)
		default:
			return c.err(off, "expected true or false, found %s", describeText(t))
		}
		return nil
	case types.KindTimestamp:
		return c.timestampText(t, off, dst)
	case types.KindInt, types.KindFloat, types.KindDecimal, types.KindInterval:
		lo, hi := trimSpace(t)
		var n number
		msg, eoff := lexNumber(&n, t[:hi], lo, false)
		if msg == "" && n.end != hi {
			msg, eoff = "unexpected "+quoteByte(t[n.end])+" after the number", n.end
		}
		if msg != "" {
			return c.err(off+eoff, "expected a number, found %s", describeText(t))
		}
		return c.number(t, &n, off+lo, dst)
	}
	return c.err(off, "cannot decode into %s", c.Type)
}

func (c *column) timestampText(t []byte, off int, dst *types.Value) *DecodeError {
	switch c.TimeFormat {
	case TimeEpochMillis, TimeEpochSeconds:
		lo, hi := trimSpace(t)
		var n number
		msg, _ := lexNumber(&n, t[:hi], lo, false)
		if msg != "" || n.end != hi {
			return c.err(off, "expected %s, found %s", c.TimeFormat, describeText(t))
		}
		return c.number(t, &n, off+lo, dst)
	}
	ms, msg, eoff := parseISO(t)
	if msg == "" {
		*dst = types.TimestampValue(ms)
		return nil
	}
	if c.TimeFormat == TimeAuto {
		// Epoch millis written as a string ("1700000000123") are common
		// enough in producers' output to accept when no format was given.
		if n, ok := lexWhole(t); ok {
			return c.number(t, &n, off, dst)
		}
	}
	return c.err(off+eoff, "%s in %s", msg, describeText(t))
}

// boolean stores a JSON true/false.
func (c *column) boolean(v bool, off int, dst *types.Value) *DecodeError {
	switch c.kind {
	case types.KindAny, types.KindBool:
		*dst = types.BoolValue(v)
	case types.KindString:
		if v {
			*dst = types.StringValue("true")
		} else {
			*dst = types.StringValue("false")
		}
	default:
		return c.err(off, "expected %s, found %t", c.Type, v)
	}
	return nil
}

// nested stores a JSON object or array (raw text) as a string.
func (c *column) nested(raw []byte, off int, dst *types.Value) *DecodeError {
	switch c.kind {
	case types.KindAny, types.KindString:
		*dst = types.StringValue(c.intern.get(raw))
		return nil
	}
	what := "an object"
	if raw[0] == '[' {
		what = "an array"
	}
	return c.err(off, "expected %s, found %s", c.Type, what)
}

// lexWhole reads all of t (spaces around allowed) as a lenient number.
func lexWhole(t []byte) (number, bool) {
	lo, hi := trimSpace(t)
	if lo == hi {
		return number{}, false
	}
	var n number
	msg, _ := lexNumber(&n, t[:hi], lo, false)
	return n, msg == "" && n.end == hi
}

func trimSpace(t []byte) (lo, hi int) {
	lo, hi = 0, len(t)
	for lo < hi && (t[lo] == ' ' || t[lo] == '\t') {
		lo++
	}
	for hi > lo && (t[hi-1] == ' ' || t[hi-1] == '\t') {
		hi--
	}
	return lo, hi
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// describeText quotes a value for an error message, cut to a readable length.
func describeText(t []byte) string {
	const max = 40
	if len(t) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(t[cut]) {
			cut--
		}
		return strconv.Quote(string(t[:cut])) + "..."
	}
	return strconv.Quote(string(t))
}
