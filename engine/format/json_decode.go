package format

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/types"
)

// maxDepth bounds nesting inside a record; skipping is recursive, and a
// line of a million '[' must be an error, not a stack blow-up.
const maxDepth = 1000

// maxHint bounds how many key positions the decoder remembers.
const maxHint = 256

// JSONDecoder decodes one JSON object per line into rows. It is written by
// hand rather than on encoding/json because it must skip unwanted values
// without building them and fill a reused row without reflection or
// allocation (see BenchmarkDecodeTrades). Build one per source and reuse it.
type JSONDecoder struct {
	cols  []column
	exact map[string]int // field name -> index
	lower map[string]int // ASCII-lowercased field name -> index (first declared wins)
	ascii bool           // every field name is ASCII (else case-insensitive matching scans)
	// hint remembers, per key position, which field the key at that
	// position was in the previous line: lines of one stream mostly share
	// their key order, so one string compare replaces two map lookups.
	hint    []keyHint
	keys    internTable // names of unwanted keys, for hints without allocation
	seen    []uint32    // per field: gen<<1 | exact when set in the current line
	gen     uint32
	scratch []byte
}

type keyHint struct {
	name string
	fi   int // field index, or -1 for a key no field wants
}

// NewJSONDecoder returns a decoder filling row[i] from the top-level key
// named fields[i].Name.
func NewJSONDecoder(fields []Field) *JSONDecoder {
	d := &JSONDecoder{
		cols:  newColumns(fields),
		exact: make(map[string]int, len(fields)),
		lower: make(map[string]int, len(fields)),
		ascii: true,
		seen:  make([]uint32, len(fields)),
	}
	for i, f := range fields {
		if _, dup := d.exact[f.Name]; !dup {
			d.exact[f.Name] = i
		}
		l := asciiLower(f.Name)
		if _, dup := d.lower[l]; !dup {
			d.lower[l] = i
		}
		if !isASCII(f.Name) {
			d.ascii = false
		}
	}
	return d
}

// Decode fills row[:len(fields)] from line. A field absent from the line is
// NULL unless Required. On error the row content is unspecified.
func (d *JSONDecoder) Decode(line []byte, row types.Row) error {
	if len(row) < len(d.cols) {
		return syntaxErr(0, "row has %d values, decoder has %d fields", len(row), len(d.cols))
	}
	row = row[:len(d.cols)]
	for i := range row {
		row[i] = types.Value{}
	}
	d.gen++
	if d.gen >= 1<<31 {
		d.gen = 1
		clear(d.seen)
	}
	genExact, genFold := d.gen<<1|1, d.gen<<1

	b := line
	i := skipWS(b, 0)
	if i >= len(b) {
		return syntaxErr(i, "expected a JSON object, found end of line")
	}
	if b[i] != '{' {
		return syntaxErr(i, "expected a JSON object ('{'), found %s", quoteByte(b[i]))
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for k := 0; ; k++ {
			if i >= len(b) {
				return syntaxErr(i, "expected a key, found end of line")
			}
			if b[i] != '"' {
				return syntaxErr(i, "expected a key string, found %s", quoteByte(b[i]))
			}
			end, esc, _, err := scanString(b, i+1, false)
			if err != nil {
				return err
			}
			key := b[i+1 : end]
			if esc {
				d.scratch = unescape(d.scratch[:0], key)
				key = d.scratch
			}
			i = skipWS(b, end+1)
			if i >= len(b) || b[i] != ':' {
				if i >= len(b) {
					return syntaxErr(i, "expected ':' after key, found end of line")
				}
				return syntaxErr(i, "expected ':' after key, found %s", quoteByte(b[i]))
			}
			i = skipWS(b, i+1)
			if i >= len(b) {
				return syntaxErr(i, "expected a value, found end of line")
			}
			fi, exact := d.lookup(k, key)
			if fi >= 0 {
				st := &d.seen[fi]
				if exact || *st != genExact {
					if exact {
						*st = genExact
					} else {
						*st = genFold
					}
					if i, err = d.value(b, i, &d.cols[fi], &row[fi]); err != nil {
						return err
					}
					goto next
				}
			}
			if i, err = skipValue(b, i, 1); err != nil {
				return err
			}
		next:
			i = skipWS(b, i)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				i++
				break
			}
			if i >= len(b) {
				return syntaxErr(i, "expected ',' or '}', found end of line")
			}
			return syntaxErr(i, "expected ',' or '}', found %s", quoteByte(b[i]))
		}
	}
	if i = skipWS(b, i); i != len(b) {
		return syntaxErr(i, "unexpected %s after the object", quoteByte(b[i]))
	}
	for fi := range d.cols {
		if d.cols[fi].Required && d.seen[fi]>>1 != d.gen {
			return &DecodeError{Offset: len(line), Field: d.cols[fi].Name, Msg: "missing required field " + quoteName(d.cols[fi].Name)}
		}
	}
	return nil
}

// lookup finds the field for the k-th key of a line: by the previous
// line's key at that position, then exactly, then ignoring case.
func (d *JSONDecoder) lookup(k int, key []byte) (fi int, exact bool) {
	if k < len(d.hint) {
		if h := &d.hint[k]; h.name == string(key) {
			return h.fi, h.fi < 0 || d.cols[h.fi].Name == h.name
		}
	}
	fi, exact = d.match(key)
	if k < maxHint {
		var name string
		if exact {
			name = d.cols[fi].Name
		} else {
			// Remember the key through the key intern table; when that is
			// full, remembering would allocate per line, so do not.
			if len(key) == 0 || len(key) > internMaxLen {
				return fi, exact
			}
			sl, h := d.keys.find(key)
			if sl == nil {
				return fi, exact
			}
			if name = sl.s; sl.h == 0 {
				name = string(key)
				d.keys.insert(sl, h, name)
			}
		}
		for len(d.hint) <= k {
			d.hint = append(d.hint, keyHint{fi: -1})
		}
		d.hint[k] = keyHint{name: name, fi: fi}
	}
	return fi, exact
}

func (d *JSONDecoder) match(key []byte) (int, bool) {
	if fi, ok := d.exact[string(key)]; ok {
		return fi, true
	}
	if isASCIIBytes(key) && d.ascii {
		if len(key) <= 64 {
			var buf [64]byte
			for i, c := range key {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf[i] = c
			}
			if fi, ok := d.lower[string(buf[:len(key)])]; ok {
				return fi, false
			}
			return -1, false
		}
	}
	for fi := range d.cols {
		if strings.EqualFold(d.cols[fi].Name, string(key)) {
			return fi, false
		}
	}
	return -1, false
}

// value decodes the value at b[i] into dst as column c wants it and
// returns where the value ends.
func (d *JSONDecoder) value(b []byte, i int, c *column, dst *types.Value) (int, error) {
	switch ch := b[i]; {
	case ch == '"':
		end, esc, nonASCII, err := scanString(b, i+1, true)
		if err != nil {
			return 0, err
		}
		t := b[i+1 : end]
		if esc || nonASCII {
			d.scratch = unescape(d.scratch[:0], t)
			t = d.scratch
		}
		if err := c.text(t, false, i+1, dst); err != nil {
			return 0, err
		}
		return end + 1, nil
	case ch == '-' || ch-'0' <= 9:
		var n number
		msg, off := lexNumber(&n, b, i, true)
		if msg != "" {
			return 0, syntaxErr(off, "%s", msg)
		}
		if err := c.number(b, &n, i, dst); err != nil {
			return 0, err
		}
		return n.end, nil
	case ch == 't':
		if !hasLiteral(b, i, "true") {
			return 0, syntaxErr(i, "invalid literal (expected true)")
		}
		if err := c.boolean(true, i, dst); err != nil {
			return 0, err
		}
		return i + 4, nil
	case ch == 'f':
		if !hasLiteral(b, i, "false") {
			return 0, syntaxErr(i, "invalid literal (expected false)")
		}
		if err := c.boolean(false, i, dst); err != nil {
			return 0, err
		}
		return i + 5, nil
	case ch == 'n':
		if !hasLiteral(b, i, "null") {
			return 0, syntaxErr(i, "invalid literal (expected null)")
		}
		*dst = types.Value{}
		return i + 4, nil
	case ch == '{' || ch == '[':
		end, err := skipValue(b, i, 1)
		if err != nil {
			return 0, err
		}
		if err := c.nested(b[i:end], i, dst); err != nil {
			return 0, err
		}
		return end, nil
	}
	return 0, syntaxErr(i, "expected a value, found %s", quoteByte(b[i]))
}

func hasLiteral(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// scanString finds the closing quote of a string whose content starts at
// b[i], checking escapes and rejecting raw control characters. Eight bytes
// are tested at a time (SWAR) for a quote, a backslash, a control byte and,
// when the caller wants UTF-8 checked, a non-ASCII byte.
func scanString(b []byte, i int, wantUTF8 bool) (end int, esc, nonASCII bool, err error) {
	var hiMask uint64
	if wantUTF8 {
		hiMask = hi8
	}
	for {
		for i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			q := w ^ (lo8 * '"')
			bs := w ^ (lo8 * '\\')
			m := ((q-lo8)&^q | (bs-lo8)&^bs | (w-lo8*0x20)&^w) & hi8
			m |= w & hiMask
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
			break
		}
		if i >= len(b) {
			return 0, false, false, syntaxErr(i, "unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			return i, esc, nonASCII, nil
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return 0, false, false, syntaxErr(i, "unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return 0, false, false, syntaxErr(i, "invalid \\u escape (expected 4 hex digits)")
				}
				i += 6
			default:
				return 0, false, false, syntaxErr(i, "invalid escape %s", quoteByte(b[i+1]))
			}
		case c < 0x20:
			return 0, false, false, syntaxErr(i, "control character %s in a string (must be escaped)", quoteByte(c))
		default: // non-ASCII
			nonASCII = true
			i++
		}
	}
}

func isHex(c byte) bool {
	return c-'0' <= 9 || (c|0x20)-'a' <= 5
}

func hexVal(c byte) rune {
	if c <= '9' {
		return rune(c - '0')
	}
	return rune(c|0x20) - 'a' + 10
}

// unescape appends the content of a scanned (valid) JSON string with its
// escapes resolved. Like encoding/json, it turns invalid UTF-8 bytes and
// unpaired surrogates into U+FFFD, so rows only ever hold valid UTF-8.
func unescape(dst, t []byte) []byte {
	for i := 0; i < len(t); {
		c := t[i]
		if c < utf8.RuneSelf && c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if c != '\\' {
			r, size := utf8.DecodeRune(t[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, t[i:i+size]...)
			}
			i += size
			continue
		}
		e := t[i+1]
		i += 2
		switch e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hexVal(t[i])<<12 | hexVal(t[i+1])<<8 | hexVal(t[i+2])<<4 | hexVal(t[i+3])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+6 <= len(t) && t[i] == '\\' && t[i+1] == 'u' {
					r2 = hexVal(t[i+2])<<12 | hexVal(t[i+3])<<8 | hexVal(t[i+4])<<4 | hexVal(t[i+5])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
	}
	return dst
}

// skipValue returns the end of the (valid) value at b[i] without building
// it; depth counts the enclosing objects and arrays.
func skipValue(b []byte, i int, depth int) (int, error) {
	if i >= len(b) {
		return 0, syntaxErr(i, "expected a value, found end of line")
	}
	switch ch := b[i]; {
	case ch == '"':
		end, _, _, err := scanString(b, i+1, false)
		if err != nil {
			return 0, err
		}
		return end + 1, nil
	case ch == '-' || ch-'0' <= 9:
		var n number
		msg, off := lexNumber(&n, b, i, true)
		if msg != "" {
			return 0, syntaxErr(off, "%s", msg)
		}
		return n.end, nil
	case ch == 't':
		if hasLiteral(b, i, "true") {
			return i + 4, nil
		}
	case ch == 'f':
		if hasLiteral(b, i, "false") {
			return i + 5, nil
		}
	case ch == 'n':
		if hasLiteral(b, i, "null") {
			return i + 4, nil
		}
	case ch == '{':
		if depth >= maxDepth {
			return 0, syntaxErr(i, "nested too deeply (more than %d levels)", maxDepth)
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, nil
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return 0, expected(b, i, "a key string")
			}
			end, _, _, err := scanString(b, i+1, false)
			if err != nil {
				return 0, err
			}
			i = skipWS(b, end+1)
			if i >= len(b) || b[i] != ':' {
				return 0, expected(b, i, "':' after key")
			}
			if i, err = skipValue(b, skipWS(b, i+1), depth+1); err != nil {
				return 0, err
			}
			i = skipWS(b, i)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				return i + 1, nil
			}
			return 0, expected(b, i, "',' or '}'")
		}
	case ch == '[':
		if depth >= maxDepth {
			return 0, syntaxErr(i, "nested too deeply (more than %d levels)", maxDepth)
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		for {
			var err error
			if i, err = skipValue(b, i, depth+1); err != nil {
				return 0, err
			}
			i = skipWS(b, i)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == ']' {
				return i + 1, nil
			}
			return 0, expected(b, i, "',' or ']'")
		}
	}
	return 0, syntaxErr(i, "expected a value, found %s", quoteByte(b[i]))
}

func expected(b []byte, i int, what string) *DecodeError {
	if i >= len(b) {
		return syntaxErr(i, "expected %s, found end of line", what)
	}
	return syntaxErr(i, "expected %s, found %s", what, quoteByte(b[i]))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isASCIIBytes(b []byte) bool { return isASCII(unsafeString(b)) }

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func quoteName(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\"" }
