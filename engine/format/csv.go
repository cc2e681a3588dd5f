package format

import (
	"github.com/velostream/velostream/engine/civil"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// CSVDecoder turns CSV records (as encoding/csv returns them) into rows.
// Reading and quoting are left to encoding/csv, which also reports each
// field's line and column (Reader.FieldPos) and the byte offset
// (Reader.InputOffset) that provenance needs; this type only maps columns
// to fields and converts cells.
//
// An empty cell is NULL for every type (CSV cannot tell an empty string
// from a missing value). With no declared type a cell that reads as a
// number becomes one (integer, exact decimal or, with an exponent, float);
// a number with a leading zero ("02134") stays a string, as it is usually
// a code, not a quantity.
type CSVDecoder struct {
	cols []column
	idx  []int // per field: its header column, -1 when the header lacks it
}

// NewCSVDecoder matches fields to header columns by name, exactly first,
// then ignoring case. A field the header lacks decodes as NULL (or, when
// Required, as a "missing required field" error).
func NewCSVDecoder(header []string, fields []Field) *CSVDecoder {
	d := &CSVDecoder{cols: newColumns(fields), idx: make([]int, len(fields))}
	for i, f := range fields {
		d.idx[i] = -1
		for j, h := range header {
			if h == f.Name {
				d.idx[i] = j
				break
			}
		}
		if d.idx[i] >= 0 {
			continue
		}
		for j, h := range header {
			if strings.EqualFold(h, f.Name) {
				d.idx[i] = j
				break
			}
		}
	}
	return d
}

// Decode fills row[:len(fields)] from one record. Errors are *DecodeError
// with Column set (1-based) and Offset inside the cell; a reader that knows
// where the cell starts adds that.
func (d *CSVDecoder) Decode(rec []string, row types.Row) error {
	if len(row) < len(d.cols) {
		return syntaxErr(0, "row has %d values, decoder has %d fields", len(row), len(d.cols))
	}
	for i := range d.cols {
		c := &d.cols[i]
		col := d.idx[i]
		var cell string
		if col >= 0 && col < len(rec) {
			cell = rec[col]
		}
		if cell == "" {
			row[i] = types.Value{}
			if c.Required {
				return &DecodeError{Field: c.Name, Column: col + 1, Msg: "missing required field " + quoteName(c.Name)}
			}
			continue
		}
		switch c.kind {
		case types.KindString:
			// The cell is already an immutable string: keep it (or its
			// interned twin) rather than copying.
			row[i] = types.StringValue(c.intern.getString(cell))
			continue
		case types.KindAny:
			b := unsafeBytes(cell)
			if n, ok := lexWhole(b); ok && !n.lead0 {
				if v, st := n.anyValue(b); st == numOK {
					row[i] = v
					continue
				}
			}
			row[i] = types.StringValue(c.intern.getString(cell))
			continue
		}
		if err := c.text(unsafeBytes(cell), true, 0, &row[i]); err != nil {
			err.Column = col + 1
			return err
		}
	}
	return nil
}

// AppendCSVHeader appends the column names as one CSV record, without the
// line end (the sink adds it).
func AppendCSVHeader(dst []byte, schema types.Schema) []byte {
	for i, c := range schema {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendCSVField(dst, c.Name)
	}
	return dst
}

// AppendCSV appends row as one CSV record (RFC 4180 quoting), without the
// line end. NULL is an empty field and an empty string is "" (readers that
// care can tell them apart). Values are written as AppendJSON writes them,
// except that NaN and infinities keep their names (CSV has no null).
func AppendCSV(dst []byte, row types.Row) []byte {
	for i, v := range row {
		if i > 0 {
			dst = append(dst, ',')
		}
		switch v.K {
		case types.KindNull:
		case types.KindString:
			dst = appendCSVField(dst, v.S)
		case types.KindBool:
			dst = strconv.AppendBool(dst, v.I != 0)
		case types.KindInt, types.KindInterval:
			dst = strconv.AppendInt(dst, v.I, 10)
		case types.KindFloat:
			f := v.Float()
			switch {
			case math.IsNaN(f):
				dst = append(dst, "NaN"...)
			case math.IsInf(f, 1):
				dst = append(dst, "+Inf"...)
			case math.IsInf(f, -1):
				dst = append(dst, "-Inf"...)
			default:
				dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
			}
		case types.KindDecimal:
			if v.S != "" {
				dst = append(dst, v.S...)
			} else {
				dst = decimal.Append(dst, v.I, v.Scale)
			}
		case types.KindTimestamp:
			dst = civil.AppendTimestamp(dst, v.I)
		}
	}
	return dst
}

// appendCSVField quotes s when it holds a comma, quote, line break, leading
// space, or is empty; invalid UTF-8 becomes U+FFFD.
func appendCSVField(dst []byte, s string) []byte {
	quote := s == ""
	valid := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ',' || c == '"' || c == '\n' || c == '\r':
			quote = true
		case c >= utf8.RuneSelf:
			valid = false
		}
	}
	if len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		quote = true
	}
	if !valid && !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if !quote {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for {
		j := strings.IndexByte(s, '"')
		if j < 0 {
			break
		}
		dst = append(dst, s[:j+1]...)
		dst = append(dst, '"')
		s = s[j+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}
