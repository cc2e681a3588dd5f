package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/velostream/velostream/engine/civil"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/types"
)

var fuzzSeeds = []string{
	`{"symbol":"AAPL","price":182.3400,"quantity":120,"side":"BUY","ts":1700000000123}`,
	`{"a":1,"b":-0.05,"symbol":"x\"y","price":1e3,"ts":"2023-11-14T22:13:20.123Z"}`,
	`{"a":{"b":[1,2,{"c":"}"}]},"A":true,"b":null}`,
	`{"a":"\ud83d\ude00\u0041\n","price":"623.41","b":[]}`,
	`{"a":9223372036854775808,"b":1234567890123456789.5,"price":0.1234567890123456789}`,
	`{"a":123456789012345678901234567890123456789,"b":1e-400,"price":1e400}`,
	`{"a":1`, `{"a":1}x`, `{"a":"\q"}`, `{"a":01}`, `{"a":1.}`, `[1]`, ``, `{`, `{"a":tru}`,
	"{\"a\":\"\xff\"}", "{\"a\":\"x\x01\"}", `{"b":[[[[[[[[[[]]]]]]]]]]}`, `{"a":-}`, ` { } `,
}

// FuzzJSONDecode checks the decoder against encoding/json: never a panic;
// a line is accepted exactly when encoding/json finds it a valid object
// (except for numbers too large for any column and nesting past maxDepth);
// accepted values equal what encoding/json reads.
func FuzzJSONDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	anyFields := []Field{{Name: "a"}, {Name: "b"}, {Name: "symbol"}, {Name: "price"}}
	typedFields := []Field{
		{Name: "a", Type: types.Int}, {Name: "b", Type: dec(10, 2)}, {Name: "symbol", Type: types.String},
		{Name: "price", Type: types.Float}, {Name: "ts", Type: types.Timestamp, Required: true},
		{Name: "A", Type: types.Bool}, {Name: "d", Type: types.Decimal},
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := bytes.Clone(line)
		typed := NewJSONDecoder(typedFields)
		row := make(types.Row, len(typedFields))
		checkErr(t, line, typed.Decode(line, row))

		d := NewJSONDecoder(anyFields)
		err := d.Decode(line, row)
		checkErr(t, line, err)
		if !bytes.Equal(line, orig) {
			t.Fatalf("Decode modified its input")
		}
		trimmed := bytes.TrimLeft(line, " \t\r\n")
		valid := json.Valid(line) && len(trimmed) > 0 && trimmed[0] == '{'
		if err == nil && !valid {
			t.Fatalf("accepted %q, which encoding/json rejects", line)
		}
		if err != nil {
			if valid && !strings.Contains(err.Error(), "out of range") && !strings.Contains(err.Error(), "nested too deeply") {
				t.Fatalf("rejected %q, which encoding/json accepts: %v", line, err)
			}
			return
		}
		var m map[string]any
		jd := json.NewDecoder(bytes.NewReader(line))
		jd.UseNumber()
		if err := jd.Decode(&m); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		for i, f := range anyFields {
			want, ok := lookupFold(m, f.Name)
			if !ok {
				continue // ambiguous: several keys differing only in case
			}
			compareJSON(t, line, f.Name, row[i], want)
		}
	})
}

func checkErr(t *testing.T, line []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("%q: error %v is not a *DecodeError", line, err)
	}
	if de.Offset < 0 || de.Offset > len(line) {
		t.Fatalf("%q: error offset %d outside the line: %v", line, de.Offset, err)
	}
}

// lookupFold finds name as the decoder does: the exact key, else the one
// key equal ignoring case. ok is false when several keys differ only in
// case (encoding/json's map keeps no order to pick the last).
func lookupFold(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	var found any
	n := 0
	for k, v := range m {
		if strings.EqualFold(k, name) {
			found = v
			n++
		}
	}
	return found, n <= 1
}

func compareJSON(t *testing.T, line []byte, name string, got types.Value, want any) {
	t.Helper()
	fail := func() { t.Fatalf("%q: field %s = %+v, encoding/json reads %#v", line, name, got, want) }
	switch w := want.(type) {
	case nil:
		if got.K != types.KindNull {
			fail()
		}
	case string:
		if got.K != types.KindString || got.S != w {
			fail()
		}
	case bool:
		if got != types.BoolValue(w) {
			fail()
		}
	case json.Number:
		switch got.K {
		case types.KindFloat:
			f, _ := strconv.ParseFloat(string(w), 64)
			if got.Float() != f {
				fail()
			}
		case types.KindInt, types.KindDecimal:
			exact, ok := new(big.Rat).SetString(string(w))
			if !ok || exact.Cmp(ratOf(got)) != 0 {
				fail()
			}
		default:
			fail()
		}
	default: // object or array: the decoder keeps the raw text
		if got.K != types.KindString {
			fail()
		}
		var back any
		jd := json.NewDecoder(strings.NewReader(got.S))
		jd.UseNumber()
		if err := jd.Decode(&back); err != nil || !reflect.DeepEqual(back, want) {
			fail()
		}
	}
}

func ratOf(v types.Value) *big.Rat {
	if v.K == types.KindInt {
		return new(big.Rat).SetInt64(v.I)
	}
	var mant *big.Int
	if v.Big() {
		mant, _ = new(big.Int).SetString(strings.Replace(v.S, ".", "", 1), 10)
	} else {
		mant = big.NewInt(v.I)
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(v.Scale)), nil)
	return new(big.Rat).SetFrac(mant, den)
}

// FuzzParseISO: never a panic, and what parses formats and parses back to
// the same instant.
func FuzzParseISO(f *testing.F) {
	for _, s := range []string{"2023-11-14T22:13:20.123Z", "2023-11-14", "+10000-01-01T00:00Z", "-0001-12-31 23:59:59.9+05:30", "2023-02-29"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, msg, off := parseISO(b)
		if msg != "" {
			if off < 0 || off > len(b) {
				t.Fatalf("%q: offset %d outside the text", b, off)
			}
			return
		}
		txt := civil.AppendTimestamp(nil, ms)
		back, msg, _ := parseISO(txt)
		if msg != "" || back != ms {
			t.Fatalf("%q -> %d -> %s -> %d %q", b, ms, txt, back, msg)
		}
	})
}
