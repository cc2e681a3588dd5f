package format

import (
	"encoding/binary"
	"github.com/velostream/velostream/engine/civil"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// AppendJSON appends row as one JSON object, keys in schema order. Decimals
// are JSON numbers with their exact digits (182.3400 stays 182.3400, big
// decimals too); timestamps are RFC 3339 UTC strings with milliseconds;
// intervals are milliseconds; floats are the shortest text that reads back
// to the same float, NaN and infinities null; strings are escaped, with
// invalid UTF-8 replaced by U+FFFD. A row shorter than schema gives null
// for the missing values.
func AppendJSON(dst []byte, schema types.Schema, row types.Row) []byte {
	dst = append(dst, '{')
	for i := range schema {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, schema[i].Name)
		dst = append(dst, ':')
		if i < len(row) {
			dst = AppendJSONValue(dst, row[i])
		} else {
			dst = append(dst, "null"...)
		}
	}
	return append(dst, '}')
}

// AppendJSONValue appends one value as JSON (see AppendJSON).
func AppendJSONValue(dst []byte, v types.Value) []byte {
	switch v.K {
	case types.KindBool:
		if v.I != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case types.KindInt, types.KindInterval:
		return strconv.AppendInt(dst, v.I, 10)
	case types.KindFloat:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(dst, "null"...)
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	case types.KindDecimal:
		if v.S != "" {
			return append(dst, v.S...)
		}
		return decimal.Append(dst, v.I, v.Scale)
	case types.KindString:
		return appendJSONString(dst, v.S)
	case types.KindTimestamp:
		dst = append(dst, '"')
		dst = civil.AppendTimestamp(dst, v.I)
		return append(dst, '"')
	}
	return append(dst, "null"...)
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the bytes a JSON string may hold as they are.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s quoted. Most strings (keys, symbols) are short
// plain ASCII: one table-driven pass finds that and one append copies them.
func appendJSONString(dst []byte, s string) []byte {
	i := 0
	for i < len(s) && jsonSafe[s[i]] {
		i++
	}
	dst = append(dst, '"')
	if i == len(s) {
		dst = append(dst, s...)
		return append(dst, '"')
	}
	return appendJSONStringSlow(dst, s, i)
}

// appendJSONStringSlow escapes s from i on (s[:i] needs no escaping). Runs
// of plain ASCII are found eight bytes at a time and copied in one append.
func appendJSONStringSlow(dst []byte, s string, i int) []byte {
	start := 0
	for i < len(s) {
		if i+8 <= len(s) {
			w := binary.LittleEndian.Uint64(unsafeBytes(s[i : i+8]))
			q := w ^ (lo8 * '"')
			bs := w ^ (lo8 * '\\')
			m := ((q-lo8)&^q | (bs-lo8)&^bs | (w-lo8*0x20)&^w | w) & hi8
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but end lines in JavaScript;
		// escaping them keeps the output safe to embed, as encoding/json does.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
