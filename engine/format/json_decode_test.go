package format

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/types"
)

func dec(p, s uint8) types.Type { return types.Type{Kind: types.KindDecimal, Precision: p, Scale: s} }

func decodeOne(t *testing.T, f Field, line string) (types.Value, error) {
	t.Helper()
	d := NewJSONDecoder([]Field{f})
	row := make(types.Row, 1)
	err := d.Decode([]byte(line), row)
	return row[0], err
}

func TestDecodeInferredTypes(t *testing.T) {
	tests := []struct {
		name string
		line string
		want types.Value
	}{
		{"integer", `{"a":1}`, types.IntValue(1)},
		{"min int64", `{"a":-9223372036854775808}`, types.IntValue(math.MinInt64)},
		{"past int64 is a big decimal", `{"a":9223372036854775808}`, types.BigDecimalValue("9223372036854775808", 0)},
		{"past 38 digits is a float", `{"a":123456789012345678901234567890123456789}`, types.FloatValue(1.2345678901234568e38)},
		{"fraction is an exact decimal", `{"a":623.41}`, types.DecimalValue(62341, 2)},
		{"trailing zeros keep the scale", `{"a":182.3400}`, types.DecimalValue(1823400, 4)},
		{"negative below one", `{"a":-0.05}`, types.DecimalValue(-5, 2)},
		{"negative zero integer", `{"a":-0}`, types.IntValue(0)},
		{"19 significant digits: big", `{"a":1234567890123456789.5}`, types.BigDecimalValue("1234567890123456789.5", 1)},
		{"19 fraction digits: big", `{"a":0.1234567890123456789}`, types.BigDecimalValue("0.1234567890123456789", 19)},
		{"many zeros, few significant digits", `{"a":0.00000000000000000001234}`, types.BigDecimalValue("0.00000000000000000001234", 23)},
		{"20 digits, 18 significant", `{"a":0.001234567890123456789}`, types.BigDecimalValue("0.001234567890123456789", 21)},
		{"exponent is a float", `{"a":1e3}`, types.FloatValue(1000)},
		{"negative exponent", `{"a":1.5E-2}`, types.FloatValue(0.015)},
		{"string with escapes", `{"a":"x\"y\\\u00e9\n\/"}`, types.StringValue("x\"y\\é\n/")},
		{"surrogate pair", `{"a":"\ud83d\ude00"}`, types.StringValue("😀")},
		{"lone surrogate", `{"a":"\ud800x"}`, types.StringValue("\uFFFDx")},
		{"invalid UTF-8 replaced", "{\"a\":\"\xffok\"}", types.StringValue("\uFFFDok")},
		{"raw UTF-8 kept", `{"a":"Zürich €"}`, types.StringValue("Zürich €")},
		{"true", `{"a":true}`, types.BoolValue(true)},
		{"false", `{"a":false}`, types.BoolValue(false)},
		{"null", `{"a":null}`, types.Value{}},
		{"object is raw text", `{"a":{"b":[1,2,{"c":"}"}]}}`, types.StringValue(`{"b":[1,2,{"c":"}"}]}`)},
		{"array is raw text", `{"a":[ 1 , 2 ]}`, types.StringValue(`[ 1 , 2 ]`)},
		{"absent is null", `{"b":1}`, types.Value{}},
		{"empty object", `{}`, types.Value{}},
		{"case-insensitive match", `{"A":5}`, types.IntValue(5)},
		{"exact match wins over earlier folded", `{"A":5,"a":6}`, types.IntValue(6)},
		{"exact match wins over later folded", `{"a":6,"A":5}`, types.IntValue(6)},
		{"duplicate key: last wins", `{"a":1,"a":2}`, types.IntValue(2)},
		{"whitespace everywhere", " \t{ \"a\" : 1 } \r", types.IntValue(1)},
		{"skips tricky nested values", `{"x":{"deep":[{"y":"\"a\":1"}],"z":[[],{}]},"s":"a\\","a":7}`, types.IntValue(7)},
		{"escaped key", `{"\u0061":3}`, types.IntValue(3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeOne(t, Field{Name: "a"}, tc.line)
			if err != nil {
				t.Fatalf("Decode(%s): %v", tc.line, err)
			}
			if got != tc.want {
				t.Errorf("Decode(%s) = %+v, want %+v", tc.line, got, tc.want)
			}
		})
	}
}

func TestDecodeDeclaredTypes(t *testing.T) {
	const ms = 1700000000123 // 2023-11-14T22:13:20.123Z
	ts := func(f string) Field { return Field{Name: "a", Type: types.Timestamp, TimeFormat: f} }
	tests := []struct {
		name    string
		field   Field
		value   string // the JSON value of key "a"
		want    types.Value
		wantErr string
	}{
		{"decimal rounds half up", Field{Name: "a", Type: dec(10, 2)}, `623.415`, types.DecimalValue(62342, 2), ""},
		{"decimal rounds half up (negative)", Field{Name: "a", Type: dec(10, 2)}, `-623.415`, types.DecimalValue(-62342, 2), ""},
		{"decimal rounds down below half", Field{Name: "a", Type: dec(10, 2)}, `623.414`, types.DecimalValue(62341, 2), ""},
		{"decimal from integer", Field{Name: "a", Type: dec(10, 2)}, `5`, types.DecimalValue(500, 2), ""},
		{"decimal from numeric string", Field{Name: "a", Type: dec(10, 2)}, `"623.41"`, types.DecimalValue(62341, 2), ""},
		{"decimal from exponent", Field{Name: "a", Type: dec(10, 2)}, `1.5e2`, types.DecimalValue(15000, 2), ""},
		{"decimal tiny rounds to zero", Field{Name: "a", Type: dec(10, 2)}, `1e-400`, types.DecimalValue(0, 2), ""},
		{"decimal too many integer digits", Field{Name: "a", Type: dec(5, 2)}, `1234.5`, types.Value{}, `value "1234.5" out of range for DECIMAL(5,2)`},
		{"decimal rounding overflows precision", Field{Name: "a", Type: dec(5, 2)}, `999.995`, types.Value{}, "out of range for DECIMAL(5,2)"},
		{"decimal at the precision bound", Field{Name: "a", Type: dec(5, 2)}, `999.994`, types.DecimalValue(99999, 2), ""},
		{"decimal past int64 is big", Field{Name: "a", Type: dec(38, 2)}, `123456789012345678901234.567`, types.BigDecimalValue("123456789012345678901234.57", 2), ""},
		{"decimal past 38 digits", Field{Name: "a", Type: dec(38, 0)}, `123456789012345678901234567890123456789`, types.Value{}, "out of range"},
		{"decimal any scale keeps its own", Field{Name: "a", Type: types.Decimal}, `1.50`, types.DecimalValue(150, 2), ""},
		{"decimal any scale from exponent", Field{Name: "a", Type: types.Decimal}, `15e-1`, types.DecimalValue(15, 1), ""},
		{"decimal from bool", Field{Name: "a", Type: dec(10, 2)}, `true`, types.Value{}, "expected DECIMAL(10,2), found true"},
		{"int", Field{Name: "a", Type: types.Int}, `120`, types.IntValue(120), ""},
		{"int from zero fraction", Field{Name: "a", Type: types.Int}, `120.00`, types.IntValue(120), ""},
		{"int from fraction", Field{Name: "a", Type: types.Int}, `120.5`, types.Value{}, `value "120.5" is not a whole number (BIGINT)`},
		{"int from exponent", Field{Name: "a", Type: types.Int}, `1e2`, types.IntValue(100), ""},
		{"int from long zero fraction", Field{Name: "a", Type: types.Int}, `7.000000000000000000000000`, types.IntValue(7), ""},
		{"int out of range", Field{Name: "a", Type: types.Int}, `9223372036854775808`, types.Value{}, "out of range for BIGINT"},
		{"int zero with a huge exponent", Field{Name: "a", Type: types.Int}, `0e-300`, types.IntValue(0), ""},
		{"int tiny nonzero", Field{Name: "a", Type: types.Int}, `1e-300`, types.Value{}, "is not a whole number"},
		{"int from many leading zeros", Field{Name: "a", Type: types.Int}, `"+0000000000000000000000000042"`, types.IntValue(42), ""},
		{"int from many zero fraction digits", Field{Name: "a", Type: types.Int}, `42.0000000000000000000000000`, types.IntValue(42), ""},
		{"int from numeric string", Field{Name: "a", Type: types.Int}, `" 42 "`, types.IntValue(42), ""},
		{"int from bad string", Field{Name: "a", Type: types.Int}, `"4x"`, types.Value{}, `expected a number, found "4x"`},
		{"int from empty string", Field{Name: "a", Type: types.Int}, `""`, types.Value{}, `expected a number, found ""`},
		{"int from object", Field{Name: "a", Type: types.Int}, `{"x":1}`, types.Value{}, "expected BIGINT, found an object"},
		{"int from array", Field{Name: "a", Type: types.Int}, `[1]`, types.Value{}, "expected BIGINT, found an array"},
		{"int null", Field{Name: "a", Type: types.Int}, `null`, types.Value{}, ""},
		{"double from integer", Field{Name: "a", Type: types.Float}, `1`, types.FloatValue(1), ""},
		{"double from decimal", Field{Name: "a", Type: types.Float}, `182.34`, types.FloatValue(182.34), ""},
		{"double from long decimal", Field{Name: "a", Type: types.Float}, `0.30000000000000004441`, types.FloatValue(0.30000000000000004), ""},
		{"double out of range", Field{Name: "a", Type: types.Float}, `1e400`, types.Value{}, "out of range for DOUBLE"},
		{"double from string", Field{Name: "a", Type: types.Float}, `"1.5"`, types.FloatValue(1.5), ""},
		{"string keeps number text", Field{Name: "a", Type: types.String}, `182.3400`, types.StringValue("182.3400"), ""},
		{"string from bool", Field{Name: "a", Type: types.String}, `true`, types.StringValue("true"), ""},
		{"string from array", Field{Name: "a", Type: types.String}, `[1, 2]`, types.StringValue("[1, 2]"), ""},
		{"timestamp auto millis", ts(TimeAuto), `1700000000123`, types.TimestampValue(ms), ""},
		{"timestamp auto RFC 3339", ts(TimeAuto), `"2023-11-14T22:13:20.123Z"`, types.TimestampValue(ms), ""},
		{"timestamp auto with offset", ts(TimeAuto), `"2023-11-14T23:13:20.123+01:00"`, types.TimestampValue(ms), ""},
		{"timestamp compact offset", ts(TimeAuto), `"2023-11-14T21:13:20.123-0100"`, types.TimestampValue(ms), ""},
		{"timestamp no zone is UTC", ts(TimeAuto), `"2023-11-14 22:13:20"`, types.TimestampValue(ms - 123), ""},
		{"timestamp long fraction truncates", ts(TimeAuto), `"2023-11-14T22:13:20.123999999Z"`, types.TimestampValue(ms), ""},
		{"timestamp minutes only", ts(TimeAuto), `"2023-11-14T22:13"`, types.TimestampValue(ms - 20123), ""},
		{"timestamp date only", ts(TimeAuto), `"2023-11-14"`, types.TimestampValue(1699920000000), ""},
		{"timestamp leap day", ts(TimeAuto), `"2024-02-29"`, types.TimestampValue(1709164800000), ""},
		{"timestamp before 1970", ts(TimeAuto), `"1969-12-31T23:59:59.999Z"`, types.TimestampValue(-1), ""},
		{"timestamp auto numeric string", ts(TimeAuto), `"1700000000123"`, types.TimestampValue(ms), ""},
		{"timestamp epoch seconds", ts(TimeEpochSeconds), `1700000000.123`, types.TimestampValue(ms), ""},
		{"timestamp epoch seconds whole", ts(TimeEpochSeconds), `1700000000`, types.TimestampValue(ms - 123), ""},
		{"timestamp epoch millis string", ts(TimeEpochMillis), `"1700000000123"`, types.TimestampValue(ms), ""},
		{"timestamp epoch millis rejects text", ts(TimeEpochMillis), `"2023-11-14"`, types.Value{}, "expected epoch_millis"},
		{"timestamp iso rejects numbers", ts(TimeISO8601), `1700000000123`, types.Value{}, "expected an ISO 8601 timestamp string"},
		{"timestamp bad month", ts(TimeISO8601), `"2023-13-01"`, types.Value{}, "month out of range"},
		{"timestamp bad day", ts(TimeISO8601), `"2023-02-29"`, types.Value{}, "day out of range"},
		{"timestamp bad hour", ts(TimeISO8601), `"2023-02-01T24:00:00Z"`, types.Value{}, "hour out of range"},
		{"timestamp trailing text", ts(TimeISO8601), `"2023-02-01T10:00:00Zjunk"`, types.Value{}, "after the zone"},
		{"timestamp garbage", ts(TimeAuto), `"yesterday"`, types.Value{}, "timestamp: expected a 4-digit year"},
		{"bool", Field{Name: "a", Type: types.Bool}, `true`, types.BoolValue(true), ""},
		{"bool from string", Field{Name: "a", Type: types.Bool}, `"FALSE"`, types.BoolValue(false), ""},
		{"bool from other string", Field{Name: "a", Type: types.Bool}, `"yes"`, types.Value{}, `expected true or false, found "yes"`},
		{"bool from number", Field{Name: "a", Type: types.Bool}, `1`, types.Value{}, "expected true or false, found number"},
		{"interval millis", Field{Name: "a", Type: types.Interval}, `1500`, types.IntervalValue(1500), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := `{"a":` + tc.value + `}`
			got, err := decodeOne(t, tc.field, line)
			if tc.wantErr != "" {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("Decode(%s) = %+v, %v; want a *DecodeError containing %q", line, got, err, tc.wantErr)
				}
				if !strings.Contains(de.Msg, tc.wantErr) || de.Field != "a" {
					t.Fatalf("Decode(%s) error = %q (field %q), want it to contain %q", line, de.Msg, de.Field, tc.wantErr)
				}
				if de.Offset < 5 || de.Offset > len(line) {
					t.Errorf("Decode(%s) error offset %d is not inside the value", line, de.Offset)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%s): %v", line, err)
			}
			if got != tc.want {
				t.Errorf("Decode(%s) = %+v, want %+v", line, got, tc.want)
			}
		})
	}
}

func TestDecodeSyntaxErrors(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		offset int
		msg    string
	}{
		{"empty", ``, 0, "expected a JSON object, found end of line"},
		{"blank", `   `, 3, "expected a JSON object"},
		{"not an object", `[1]`, 0, "expected a JSON object ('{'), found '['"},
		{"bare number", `42`, 0, "expected a JSON object"},
		{"truncated after value", `{"a":1`, 6, "expected ',' or '}', found end of line"},
		{"truncated after key", `{"a"`, 4, "expected ':' after key"},
		{"truncated after colon", `{"a":`, 5, "expected a value, found end of line"},
		{"trailing garbage", `{"a":1}x`, 7, "unexpected 'x' after the object"},
		{"two objects", `{"a":1}{"a":2}`, 7, "unexpected '{' after the object"},
		{"bad escape", `{"a":"\q"}`, 6, "invalid escape 'q'"},
		{"bad unicode escape", `{"a":"\u12G4"}`, 6, "invalid \\u escape"},
		{"unterminated string", `{"a":"abc`, 9, "unterminated string"},
		{"unterminated skipped string", `{"b":"abc\"}`, 12, "unterminated string"},
		{"leading zero", `{"a":01}`, 5, "leading zero"},
		{"point without digits", `{"a":1.}`, 7, "expected a digit after the decimal point"},
		{"exponent without digits", `{"a":1e}`, 7, "expected a digit in the exponent"},
		{"minus alone", `{"a":-}`, 6, "expected a digit"},
		{"bad literal", `{"a":tru}`, 5, "invalid literal (expected true)"},
		{"bad literal skipped", `{"b":nul}`, 5, "expected a value, found 'n'"},
		{"control character", "{\"a\":\"x\x01\"}", 7, "control character"},
		{"missing colon", `{"a" 1}`, 5, "expected ':' after key, found '1'"},
		{"unquoted key", `{a:1}`, 1, "expected a key string, found 'a'"},
		{"trailing comma", `{"a":1,}`, 7, "expected a key string, found '}'"},
		{"bad array in skipped value", `{"b":[1,2}`, 9, "expected ',' or ']'"},
		{"bad object in skipped value", `{"b":{"c" 1}}`, 10, "expected ':' after key"},
		{"single quotes", `{'a':1}`, 1, "expected a key string"},
		{"nested too deep", `{"b":` + strings.Repeat("[", 2000), 1004, "nested too deeply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeOne(t, Field{Name: "a"}, tc.line)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode(%q) = %v, want a *DecodeError", tc.line, err)
			}
			if de.Offset != tc.offset || !strings.Contains(de.Msg, tc.msg) {
				t.Errorf("Decode(%q) = offset %d %q, want offset %d containing %q", tc.line, de.Offset, de.Msg, tc.offset, tc.msg)
			}
		})
	}
}

func TestDecodeRequired(t *testing.T) {
	d := NewJSONDecoder([]Field{{Name: "symbol"}, {Name: "ts", Type: types.Timestamp, Required: true}})
	row := make(types.Row, 2)
	if err := d.Decode([]byte(`{"symbol":"A","ts":5}`), row); err != nil {
		t.Fatal(err)
	}
	err := d.Decode([]byte(`{"symbol":"A"}`), row)
	var de *DecodeError
	if !errors.As(err, &de) || de.Field != "ts" || !strings.Contains(err.Error(), `missing required field "ts"`) {
		t.Fatalf("missing ts: got %v, want missing required field \"ts\"", err)
	}
	// A null is present, not missing.
	if err := d.Decode([]byte(`{"symbol":"A","ts":null}`), row); err != nil {
		t.Fatalf("null ts: %v", err)
	}
	// Matched ignoring case still counts as present.
	if err := d.Decode([]byte(`{"TS":5}`), row); err != nil {
		t.Fatalf("TS: %v", err)
	}
}

// TestDecodeReusesRow pins that a reused row does not leak values from the
// previous line, whatever the key order.
func TestDecodeReusesRow(t *testing.T) {
	d := NewJSONDecoder([]Field{{Name: "a"}, {Name: "b"}, {Name: "c"}})
	row := make(types.Row, 3)
	lines := []struct {
		line string
		want types.Row
	}{
		{`{"a":1,"b":"x","c":true}`, types.Row{types.IntValue(1), types.StringValue("x"), types.BoolValue(true)}},
		{`{"c":false,"a":2}`, types.Row{types.IntValue(2), {}, types.BoolValue(false)}},
		{`{"z":0,"b":"y"}`, types.Row{{}, types.StringValue("y"), {}}},
		{`{"a":1,"b":"x","c":true}`, types.Row{types.IntValue(1), types.StringValue("x"), types.BoolValue(true)}},
		{`{"A":3,"B":"q","C":null}`, types.Row{types.IntValue(3), types.StringValue("q"), {}}},
	}
	for _, l := range lines {
		if err := d.Decode([]byte(l.line), row); err != nil {
			t.Fatalf("%s: %v", l.line, err)
		}
		for i := range row {
			if row[i] != l.want[i] {
				t.Errorf("%s: row[%d] = %+v, want %+v", l.line, i, row[i], l.want[i])
			}
		}
	}
}

func TestDecodeShortRow(t *testing.T) {
	d := NewJSONDecoder([]Field{{Name: "a"}, {Name: "b"}})
	if err := d.Decode([]byte(`{"a":1}`), make(types.Row, 1)); err == nil {
		t.Fatal("Decode into a row shorter than the fields: no error")
	}
}

// TestDecodeNoAllocs pins the steady-state promise: after the intern tables
// have seen the symbols, decoding a trade line allocates nothing.
func TestDecodeNoAllocs(t *testing.T) {
	lines := tradeLines(1000)
	for _, fields := range [][]Field{tradeFields, {{Name: "symbol"}, {Name: "price"}, {Name: "quantity"}, {Name: "side"}, {Name: "ts"}}} {
		d := NewJSONDecoder(fields)
		row := make(types.Row, len(fields))
		for _, l := range lines {
			if err := d.Decode(l, row); err != nil {
				t.Fatal(err)
			}
		}
		i := 0
		allocs := testing.AllocsPerRun(2000, func() {
			if err := d.Decode(lines[i%len(lines)], row); err != nil {
				t.Fatal(err)
			}
			i++
		})
		if allocs != 0 {
			t.Errorf("Decode allocates %.2f times per line, want 0", allocs)
		}
	}
}

func TestInternBounded(t *testing.T) {
	d := NewJSONDecoder([]Field{{Name: "id"}})
	row := make(types.Row, 1)
	var line []byte
	for i := 0; i < 3*internMaxEntries; i++ {
		line = append(line[:0], `{"id":"order-`...)
		line = append(line, []byte(strings.Repeat("x", i%7))...)
		line = append(line, byte('a'+i%26), byte('a'+i/26%26), byte('a'+i/676%26), '"', '}')
		if err := d.Decode(line, row); err != nil {
			t.Fatal(err)
		}
		want := string(line[7 : len(line)-2])
		if row[0].S != want {
			t.Fatalf("line %d: got %q, want %q", i, row[0].S, want)
		}
	}
	if n := d.cols[0].intern.n; n > internMaxEntries {
		t.Errorf("intern table holds %d entries, bound is %d", n, internMaxEntries)
	}
	if n := len(d.cols[0].intern.slots); n > 2*internMaxEntries {
		t.Errorf("intern table has %d slots, bound is %d", n, 2*internMaxEntries)
	}
}

// TestDecodedStringsAreStable pins that strings in rows do not alias the
// input line: the caller reuses its buffer.
func TestDecodedStringsAreStable(t *testing.T) {
	d := NewJSONDecoder([]Field{{Name: "s"}, {Name: "long"}, {Name: "obj"}})
	row := make(types.Row, 3)
	line := []byte(`{"s":"abc","long":"` + strings.Repeat("z", 100) + `","obj":{"k":1}}`)
	if err := d.Decode(line, row); err != nil {
		t.Fatal(err)
	}
	for i := range line {
		line[i] = '#'
	}
	if row[0].S != "abc" || row[1].S != strings.Repeat("z", 100) || row[2].S != `{"k":1}` {
		t.Errorf("strings changed with the input buffer: %q %q %q", row[0].S, row[1].S, row[2].S)
	}
}

func TestDecodeManyFieldsAndKeyOrders(t *testing.T) {
	var fields []Field
	for _, n := range []string{"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"} {
		fields = append(fields, Field{Name: n, Type: types.Int})
	}
	d := NewJSONDecoder(fields)
	row := make(types.Row, len(fields))
	orders := [][]int{{0, 1, 2, 3, 4, 5, 6, 7}, {7, 6, 5, 4, 3, 2, 1, 0}, {3, 1, 4, 0, 5, 2, 6, 7}}
	for rep := 0; rep < 3; rep++ {
		for _, ord := range orders {
			line := []byte{'{'}
			for k, fi := range ord {
				if k > 0 {
					line = append(line, ',')
				}
				line = append(line, `"x`...)
				line = append(line, byte('0'+k))
				line = append(line, `":0,"f`...)
				line = append(line, byte('0'+fi))
				line = append(line, `":`...)
				line = append(line, byte('0'+fi))
			}
			line = append(line, '}')
			if err := d.Decode(line, row); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			for fi := range row {
				if row[fi] != types.IntValue(int64(fi)) {
					t.Fatalf("%s: row[%d] = %+v", line, fi, row[fi])
				}
			}
		}
	}
}
