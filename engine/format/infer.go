package format

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/velostream/velostream/engine/types"
)

// bom is the UTF-8 byte order mark some tools (spreadsheets) put first.
const bom = "\uFEFF"

// InferSchema derives a schema from sample lines. format is "json" (one
// object per line) or "csv" (the first line is the header).
//
// JSON: the columns are the top-level keys in first-seen order; each gets
// the widest type seen: BIGINT, then DECIMAL when any value had a fraction,
// then DOUBLE when any had an exponent (or was too large for a decimal);
// strings, booleans and nested values are STRING and BOOLEAN, and a column
// mixing strings, booleans and numbers is STRING; a column that was only
// ever null is ANY. Lines that are not valid JSON objects are left out of
// the sample (the source reports them when it decodes them); it is an error
// only when no line is usable.
//
// CSV: the header names the columns; cells are typed as CSVDecoder infers
// them, empty cells count as null; records that do not parse or have the
// wrong number of fields are left out.
func InferSchema(format string, lines [][]byte) (types.Schema, error) {
	switch strings.ToLower(format) {
	case "json":
		return inferJSON(lines)
	case "csv":
		return InferCSVSchema(lines, ',')
	}
	return nil, fmt.Errorf("infer schema: unknown format %q (want json or csv)", format)
}

type inferred struct {
	names []string
	kinds []types.Kind
	index map[string]int
}

func (s *inferred) add(name string, k types.Kind) {
	i, ok := s.index[name]
	if !ok {
		i = len(s.names)
		s.index[name] = i
		s.names = append(s.names, name)
		s.kinds = append(s.kinds, types.KindNull)
	}
	s.kinds[i] = widen(s.kinds[i], k)
}

func (s *inferred) schema() types.Schema {
	out := make(types.Schema, len(s.names))
	for i, n := range s.names {
		k := s.kinds[i]
		if k == types.KindNull {
			k = types.KindAny
		}
		out[i] = types.Column{Name: n, Type: types.Type{Kind: k}}
	}
	return out
}

// widen returns the narrowest kind holding values of kinds a and b.
func widen(a, b types.Kind) types.Kind {
	switch {
	case a == b || b == types.KindNull:
		return a
	case a == types.KindNull:
		return b
	case a.Numeric() && b.Numeric():
		if a == types.KindFloat || b == types.KindFloat {
			return types.KindFloat
		}
		return types.KindDecimal // int with decimal
	}
	return types.KindString
}

func inferJSON(lines [][]byte) (types.Schema, error) {
	s := &inferred{index: map[string]int{}}
	var firstErr error
	used := 0
	var scratch []byte
	for ln, line := range lines {
		if ln == 0 {
			line = bytes.TrimPrefix(line, []byte(bom))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		mark := len(s.names)
		kinds := append([]types.Kind(nil), s.kinds...)
		var err error
		if scratch, err = inferLine(s, line, scratch); err != nil {
			// Undo what the bad line added: it must not shape the schema.
			for _, n := range s.names[mark:] {
				delete(s.index, n)
			}
			s.names, s.kinds = s.names[:mark], kinds[:mark]
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: %w", ln+1, err)
			}
			continue
		}
		used++
	}
	if used == 0 && firstErr != nil {
		return nil, fmt.Errorf("infer schema: no valid JSON object in the sample: %w", firstErr)
	}
	return s.schema(), nil
}

// inferLine adds the keys and value kinds of one JSON object line.
func inferLine(s *inferred, b []byte, scratch []byte) ([]byte, error) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return scratch, expected(b, i, "a JSON object ('{')")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return scratch, expected(b, i, "a key string")
			}
			end, esc, nonASCII, err := scanString(b, i+1, true)
			if err != nil {
				return scratch, err
			}
			key := b[i+1 : end]
			if esc || nonASCII {
				scratch = unescape(scratch[:0], key)
				key = scratch
			}
			name := string(key)
			i = skipWS(b, end+1)
			if i >= len(b) || b[i] != ':' {
				return scratch, expected(b, i, "':' after key")
			}
			i = skipWS(b, i+1)
			start := i
			if i, err = skipValue(b, i, 1); err != nil {
				return scratch, err
			}
			s.add(name, jsonKind(b[start:i]))
			i = skipWS(b, i)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				i++
				break
			}
			return scratch, expected(b, i, "',' or '}'")
		}
	}
	if i = skipWS(b, i); i != len(b) {
		return scratch, syntaxErr(i, "unexpected %s after the object", quoteByte(b[i]))
	}
	return scratch, nil
}

// jsonKind is the kind a valid JSON value decodes to with no declared type.
func jsonKind(v []byte) types.Kind {
	switch v[0] {
	case '"', '{', '[':
		return types.KindString
	case 't', 'f':
		return types.KindBool
	case 'n':
		return types.KindNull
	}
	var n number
	lexNumber(&n, v, 0, true)
	val, st := n.anyValue(v)
	if st != numOK {
		return types.KindFloat
	}
	return val.K
}

// InferCSVSchema is InferSchema for CSV whose fields are separated by comma
// (',' for InferSchema).
func InferCSVSchema(lines [][]byte, comma rune) (types.Schema, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	r := csv.NewReader(bytes.NewReader(bytes.Join(lines, []byte{'\n'})))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("infer schema: CSV header: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], bom)
	}
	s := &inferred{index: map[string]int{}}
	for i, h := range header {
		if h == "" {
			return nil, fmt.Errorf("infer schema: column %d of the CSV header has no name", i+1)
		}
		if j, dup := s.index[h]; dup {
			return nil, fmt.Errorf("infer schema: CSV header names %q twice (columns %d and %d)", h, j+1, i+1)
		}
		s.add(h, types.KindNull)
	}
	names := append([]string(nil), header...)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(rec) != len(names) {
			continue // a broken record is reported when the source decodes it
		}
		for i, cell := range rec {
			s.add(names[i], csvKind(cell))
		}
	}
	return s.schema(), nil
}

// csvKind is the kind CSVDecoder gives a cell with no declared type.
func csvKind(cell string) types.Kind {
	if cell == "" {
		return types.KindNull
	}
	b := []byte(cell)
	n, ok := lexWhole(b)
	if !ok || n.lead0 {
		return types.KindString
	}
	v, st := n.anyValue(b)
	if st != numOK {
		return types.KindString
	}
	return v.K
}
