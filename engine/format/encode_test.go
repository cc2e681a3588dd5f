package format

import (
	"encoding/csv"
	"encoding/json"
	"github.com/velostream/velostream/engine/civil"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/types"
)

func TestAppendJSON(t *testing.T) {
	schema := types.Schema{
		{Name: "sym", Type: types.String}, {Name: "price", Type: types.Decimal}, {Name: "big", Type: types.Decimal},
		{Name: "qty", Type: types.Int}, {Name: "f", Type: types.Float}, {Name: "nan", Type: types.Float},
		{Name: "ok", Type: types.Bool}, {Name: "ts", Type: types.Timestamp}, {Name: "iv", Type: types.Interval},
		{Name: "n", Type: types.Any}, {Name: `we"ird`, Type: types.Int},
	}
	row := types.Row{
		types.StringValue("AAPL"), types.DecimalValue(1823400, 4), types.BigDecimalValue("-12345678901234567890.50", 2),
		types.IntValue(-120), types.FloatValue(0.1), types.FloatValue(math.NaN()),
		types.BoolValue(true), types.TimestampValue(1700000000123), types.IntervalValue(60000),
		{}, types.IntValue(1),
	}
	got := string(AppendJSON(nil, schema, row))
	want := `{"sym":"AAPL","price":182.3400,"big":-12345678901234567890.50,"qty":-120,"f":0.1,"nan":null,` +
		`"ok":true,"ts":"2023-11-14T22:13:20.123Z","iv":60000,"n":null,"we\"ird":1}`
	if got != want {
		t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Errorf("AppendJSON output is not valid JSON: %s", got)
	}
	// A short row gives null for the missing values.
	if got := string(AppendJSON(nil, schema[:2], row[:1])); got != `{"sym":"AAPL","price":null}` {
		t.Errorf("short row: %s", got)
	}
}

func TestAppendJSONValue(t *testing.T) {
	tests := []struct {
		v    types.Value
		want string
	}{
		{types.FloatValue(math.Inf(1)), "null"},
		{types.FloatValue(math.Inf(-1)), "null"},
		{types.FloatValue(1e21), "1e+21"},
		{types.FloatValue(-0.0000012), "-1.2e-06"},
		{types.FloatValue(182.34), "182.34"},
		{types.DecimalValue(-5, 3), "-0.005"},
		{types.DecimalValue(0, 2), "0.00"},
		{types.DecimalValue(math.MinInt64, 0), "-9223372036854775808"},
		{types.TimestampValue(0), `"1970-01-01T00:00:00.000Z"`},
		{types.TimestampValue(-1), `"1969-12-31T23:59:59.999Z"`},
		{types.TimestampValue(253402300799999), `"9999-12-31T23:59:59.999Z"`},
		{types.TimestampValue(253402300800000), `"+10000-01-01T00:00:00.000Z"`},
		{types.TimestampValue(-62167219200001), `"-0001-12-31T23:59:59.999Z"`},
		{types.TimestampValue(-62135596800000), `"0001-01-01T00:00:00.000Z"`},
		{types.StringValue("tab\tnl\ncr\rq\"bs\\ctl\x01\x1f del\x7f"), `"tab\tnl\ncr\rq\"bs\\ctl\u0001\u001f del` + "\x7f" + `"`},
		{types.StringValue("bad\xffutf8\xc3"), `"bad\ufffdutf8\ufffd"`},
		{types.StringValue("line\u2028sep\u2029"), `"line\u2028sep\u2029"`},
		{types.StringValue("Zürich € 😀, a long ASCII run to cover the eight-byte path"), `"Zürich € 😀, a long ASCII run to cover the eight-byte path"`},
		{types.StringValue(""), `""`},
	}
	for _, tc := range tests {
		if got := string(AppendJSONValue(nil, tc.v)); got != tc.want {
			t.Errorf("AppendJSONValue(%+v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

// TestAppendJSONStringMatchesEncodingJSON checks the escaper against
// encoding/json on strings built from the bytes that need care.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "\n", "\x00", "\x1f", "\x7f", "é", "€", "😀", "\xff", "\xc3", "\u2028", "<", "&"}
	for i := 0; i < 5000; i++ {
		var sb strings.Builder
		for n := r.IntN(40); n > 0; n-- {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := sb.String()
		enc := AppendJSONValue(nil, types.StringValue(s))
		var back string
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatalf("%q encodes to %s, which encoding/json rejects: %v", s, enc, err)
		}
		if want := toValidPerByte(s); back != want {
			t.Fatalf("%q: encoded %s reads back as %q, want %q", s, enc, back, want)
		}
	}
}

// toValidPerByte replaces each invalid UTF-8 byte with U+FFFD, as
// encoding/json and this package do.
func toValidPerByte(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}

func TestAppendJSONNoAllocs(t *testing.T) {
	schema, rows := outputRows(64)
	buf := make([]byte, 0, 1024)
	i := 0
	if allocs := testing.AllocsPerRun(1000, func() {
		buf = AppendJSON(buf[:0], schema, rows[i%len(rows)])
		i++
	}); allocs != 0 {
		t.Errorf("AppendJSON allocates %.2f times per row, want 0", allocs)
	}
}

// randomRow builds a row of every kind with awkward values.
func randomRow(r *rand.Rand, schema types.Schema) types.Row {
	row := make(types.Row, len(schema))
	for i, c := range schema {
		if r.IntN(8) == 0 {
			continue // NULL
		}
		switch c.Type.Kind {
		case types.KindInt:
			row[i] = types.IntValue(int64(r.Uint64()) >> r.IntN(64))
		case types.KindFloat:
			f := math.Float64frombits(r.Uint64())
			if math.IsNaN(f) || math.IsInf(f, 0) {
				f = r.NormFloat64()
			}
			row[i] = types.FloatValue(f)
		case types.KindDecimal:
			if r.IntN(10) == 0 {
				digits := "1" + strings.Repeat("7", 19+r.IntN(10)) // past int64, as a big decimal must be
				if c.Type.Scale > 0 {
					digits += "." + strings.Repeat("3", int(c.Type.Scale))
				}
				if r.IntN(2) == 0 {
					digits = "-" + digits
				}
				row[i] = types.BigDecimalValue(digits, c.Type.Scale)
			} else {
				row[i] = types.DecimalValue(int64(r.Uint64())>>r.IntN(64), c.Type.Scale)
			}
		case types.KindString:
			b := make([]byte, r.IntN(20))
			for k := range b {
				b[k] = "aZ \"\\\n\x01é€😀"[r.IntN(16)]
			}
			row[i] = types.StringValue(strings.ToValidUTF8(string(b), "?"))
		case types.KindBool:
			row[i] = types.BoolValue(r.IntN(2) == 0)
		case types.KindTimestamp:
			// Years -10700 to +14600: the RFC 3339 range and the expanded
			// years on both sides of it.
			row[i] = types.TimestampValue(r.Int64N(8e14) - 4e14)
		case types.KindInterval:
			row[i] = types.IntervalValue(r.Int64() >> r.IntN(64))
		}
	}
	return row
}

var roundTripSchema = types.Schema{
	{Name: "i", Type: types.Int}, {Name: "f", Type: types.Float}, {Name: "d", Type: dec(38, 4)},
	{Name: "d0", Type: dec(38, 0)}, {Name: "s", Type: types.String}, {Name: "b", Type: types.Bool},
	{Name: "ts", Type: types.Timestamp}, {Name: "iv", Type: types.Interval},
}

func fieldsOf(schema types.Schema) []Field {
	fields := make([]Field, len(schema))
	for i, c := range schema {
		fields[i] = Field{Name: c.Name, Type: c.Type}
	}
	return fields
}

// TestJSONRoundTrip is the property AppendJSON then Decode gives the same
// values, over random rows of every type.
func TestJSONRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	d := NewJSONDecoder(fieldsOf(roundTripSchema))
	got := make(types.Row, len(roundTripSchema))
	var buf []byte
	for n := 0; n < 20000; n++ {
		row := randomRow(r, roundTripSchema)
		buf = AppendJSON(buf[:0], roundTripSchema, row)
		if err := d.Decode(buf, got); err != nil {
			t.Fatalf("%s: %v", buf, err)
		}
		for i := range row {
			if got[i] != row[i] {
				t.Fatalf("%s: column %s = %+v, want %+v", buf, roundTripSchema[i].Name, got[i], row[i])
			}
		}
	}
}

// TestJSONRoundTripInferred: with no declared types, integers, decimals
// (their scale kept), strings and booleans come back as they were.
func TestJSONRoundTripInferred(t *testing.T) {
	schema := types.Schema{{Name: "i"}, {Name: "d"}, {Name: "s"}, {Name: "b"}}
	fields := fieldsOf(schema)
	d := NewJSONDecoder(fields)
	got := make(types.Row, len(schema))
	rows := []types.Row{
		{types.IntValue(math.MaxInt64), types.DecimalValue(1823400, 4), types.StringValue("x"), types.BoolValue(false)},
		{types.IntValue(-1), types.DecimalValue(-1, 18), types.StringValue(""), {}},
		{{}, types.BigDecimalValue("123456789012345678901234.5", 1), types.StringValue("\"q\""), types.BoolValue(true)},
	}
	for _, row := range rows {
		buf := AppendJSON(nil, schema, row)
		if err := d.Decode(buf, got); err != nil {
			t.Fatalf("%s: %v", buf, err)
		}
		for i := range row {
			if got[i] != row[i] {
				t.Errorf("%s: column %s = %+v, want %+v", buf, schema[i].Name, got[i], row[i])
			}
		}
	}
}

func TestCSVDecode(t *testing.T) {
	const in = "symbol,price,qty,note,ts,flag,code\n" +
		"AAPL,182.3400,120,\"hello, world\",2023-11-14T22:13:20.123Z,true,02134\n" +
		"\"MS\"\"FT\",1e2,,\"two\nlines\",1700000000123,FALSE,7\n"
	r := csv.NewReader(strings.NewReader(in))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	header = append([]string(nil), header...)
	tests := []struct {
		name   string
		fields []Field
		want   []types.Row
	}{
		{"inferred", []Field{{Name: "symbol"}, {Name: "price"}, {Name: "qty"}, {Name: "note"}, {Name: "ts"}, {Name: "flag"}, {Name: "code"}, {Name: "absent"}},
			[]types.Row{
				{types.StringValue("AAPL"), types.DecimalValue(1823400, 4), types.IntValue(120), types.StringValue("hello, world"), types.StringValue("2023-11-14T22:13:20.123Z"), types.StringValue("true"), types.StringValue("02134"), {}},
				{types.StringValue(`MS"FT`), types.FloatValue(100), {}, types.StringValue("two\nlines"), types.IntValue(1700000000123), types.StringValue("FALSE"), types.IntValue(7), {}},
			}},
		{"declared, matched ignoring case", []Field{{Name: "SYMBOL", Type: types.String}, {Name: "price", Type: dec(10, 2)}, {Name: "qty", Type: types.Int}, {Name: "ts", Type: types.Timestamp}, {Name: "flag", Type: types.Bool}, {Name: "code", Type: types.Int}},
			[]types.Row{
				{types.StringValue("AAPL"), types.DecimalValue(18234, 2), types.IntValue(120), types.TimestampValue(1700000000123), types.BoolValue(true), types.IntValue(2134)},
				{types.StringValue(`MS"FT`), types.DecimalValue(10000, 2), {}, types.TimestampValue(1700000000123), types.BoolValue(false), types.IntValue(7)},
			}},
	}
	var recs [][]string
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		recs = append(recs, append([]string(nil), rec...))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewCSVDecoder(header, tc.fields)
			row := make(types.Row, len(tc.fields))
			for k, rec := range recs {
				if err := d.Decode(rec, row); err != nil {
					t.Fatalf("record %d: %v", k, err)
				}
				for i := range row {
					if row[i] != tc.want[k][i] {
						t.Errorf("record %d field %s = %+v, want %+v", k, tc.fields[i].Name, row[i], tc.want[k][i])
					}
				}
			}
		})
	}
}

func TestCSVDecodeErrors(t *testing.T) {
	header := []string{"a", "b"}
	tests := []struct {
		name   string
		fields []Field
		rec    []string
		column int
		msg    string
	}{
		{"bad int", []Field{{Name: "b", Type: types.Int}}, []string{"x", "12a"}, 2, `expected a number, found "12a"`},
		{"bad bool", []Field{{Name: "a", Type: types.Bool}}, []string{"maybe", ""}, 1, "expected true or false"},
		{"required empty", []Field{{Name: "b", Required: true}}, []string{"x", ""}, 2, `missing required field "b"`},
		{"required absent from header", []Field{{Name: "c", Required: true}}, []string{"x", "y"}, 0, `missing required field "c"`},
		{"decimal out of range", []Field{{Name: "a", Type: dec(3, 1)}}, []string{"123.4", ""}, 1, "out of range for DECIMAL(3,1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewCSVDecoder(header, tc.fields)
			err := d.Decode(tc.rec, make(types.Row, len(tc.fields)))
			de, ok := err.(*DecodeError)
			if !ok || de.Column != tc.column || !strings.Contains(de.Msg, tc.msg) {
				t.Fatalf("Decode(%q) = %v, want column %d and %q", tc.rec, err, tc.column, tc.msg)
			}
		})
	}
}

func TestAppendCSV(t *testing.T) {
	schema := types.Schema{{Name: "s"}, {Name: "d"}, {Name: "n"}, {Name: "e"}, {Name: "f"}, {Name: "ts"}, {Name: "b"}, {Name: "x,y"}}
	row := types.Row{
		types.StringValue("a \"quoted\", field\nwith a line"), types.DecimalValue(1823400, 4), {}, types.StringValue(""),
		types.FloatValue(math.NaN()), types.TimestampValue(1700000000123), types.BoolValue(true), types.StringValue(" lead"),
	}
	head := string(AppendCSVHeader(nil, schema))
	if head != `s,d,n,e,f,ts,b,"x,y"` {
		t.Errorf("AppendCSVHeader = %s", head)
	}
	got := string(AppendCSV(nil, row))
	want := `"a ""quoted"", field` + "\n" + `with a line",182.3400,,"",NaN,2023-11-14T22:13:20.123Z,true," lead"`
	if got != want {
		t.Errorf("AppendCSV:\n got %s\nwant %s", got, want)
	}
	// encoding/csv reads both back to the same cells.
	recs, err := csv.NewReader(strings.NewReader(head + "\n" + got + "\n")).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantCells := []string{"a \"quoted\", field\nwith a line", "182.3400", "", "", "NaN", "2023-11-14T22:13:20.123Z", "true", " lead"}
	for i, c := range wantCells {
		if recs[1][i] != c {
			t.Errorf("cell %d reads back as %q, want %q", i, recs[1][i], c)
		}
	}
}

// TestCSVRoundTrip: AppendCSV, encoding/csv, CSVDecoder with declared types
// give the same values (NULL and empty strings both read back as NULL).
func TestCSVRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	schema := roundTripSchema
	var sb strings.Builder
	sb.Write(AppendCSVHeader(nil, schema))
	sb.WriteByte('\n')
	var rows []types.Row
	for n := 0; n < 2000; n++ {
		row := randomRow(r, schema)
		rows = append(rows, row)
		sb.Write(AppendCSV(nil, row))
		sb.WriteByte('\n')
	}
	cr := csv.NewReader(strings.NewReader(sb.String()))
	header, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	d := NewCSVDecoder(header, fieldsOf(schema))
	got := make(types.Row, len(schema))
	for n, row := range rows {
		rec, err := cr.Read()
		if err != nil {
			t.Fatalf("record %d: %v", n, err)
		}
		if err := d.Decode(rec, got); err != nil {
			t.Fatalf("record %d %q: %v", n, rec, err)
		}
		for i := range row {
			want := row[i]
			if want.K == types.KindString && want.S == "" {
				want = types.Value{}
			}
			if got[i] != want {
				t.Fatalf("record %d column %s = %+v, want %+v", n, schema[i].Name, got[i], want)
			}
		}
	}
}

func TestInferSchema(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		lines   []string
		want    types.Schema
		wantErr string
	}{
		{"json widening", "json", []string{
			`{"symbol":"AAPL","price":182,"qty":1,"side":"BUY","meta":{"a":1},"x":null}`,
			``,
			`{"price":182.34,"qty":2,"ok":true,"mixed":1}`,
			`not json`,
			`{"qty":3.5e1,"mixed":"s","x":null,"late":[1]}`,
		}, types.Schema{
			{Name: "symbol", Type: types.String}, {Name: "price", Type: types.Decimal}, {Name: "qty", Type: types.Float},
			{Name: "side", Type: types.String}, {Name: "meta", Type: types.String}, {Name: "x", Type: types.Any},
			{Name: "ok", Type: types.Bool}, {Name: "mixed", Type: types.String}, {Name: "late", Type: types.String},
		}, ""},
		{"json big integer is decimal", "json", []string{`{"n":1}`, `{"n":99999999999999999999}`},
			types.Schema{{Name: "n", Type: types.Decimal}}, ""},
		{"json bool and number is string", "json", []string{`{"v":true}`, `{"v":1}`},
			types.Schema{{Name: "v", Type: types.String}}, ""},
		{"json a bad line does not add columns", "json", []string{`{"a":1,"b":2,}`, `{"c":1}`},
			types.Schema{{Name: "c", Type: types.Int}}, ""},
		{"json byte order mark", "JSON", []string{"\uFEFF{\"a\":1}"}, types.Schema{{Name: "a", Type: types.Int}}, ""},
		{"json nothing usable", "json", []string{`[1]`, `{"a":`}, nil, "no valid JSON object in the sample: line 1: byte 0"},
		{"json empty sample", "json", nil, types.Schema{}, ""},
		{"csv", "csv", []string{
			"\uFEFFsymbol,price,qty,code,when,empty",
			`AAPL,182.34,1,02134,2023-11-14,`,
			`"MSFT, Inc",182,2.5e0,7,2023-11-15,`,
		}, types.Schema{
			{Name: "symbol", Type: types.String}, {Name: "price", Type: types.Decimal}, {Name: "qty", Type: types.Float},
			{Name: "code", Type: types.String}, {Name: "when", Type: types.String}, {Name: "empty", Type: types.Any},
		}, ""},
		{"csv skips records of the wrong width", "csv", []string{"a,b", "1,2", "x,y,z", "3"}, types.Schema{{Name: "a", Type: types.Int}, {Name: "b", Type: types.Int}}, ""},
		{"csv quoted newline", "csv", []string{"a,b", `"x`, `y",1`}, types.Schema{{Name: "a", Type: types.String}, {Name: "b", Type: types.Int}}, ""},
		{"csv duplicate names", "csv", []string{"a,b,a"}, nil, `CSV header names "a" twice (columns 1 and 3)`},
		{"csv empty name", "csv", []string{"a,,b"}, nil, "column 2 of the CSV header has no name"},
		{"unknown format", "xml", []string{"<a/>"}, nil, `unknown format "xml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := make([][]byte, len(tc.lines))
			for i, l := range tc.lines {
				lines[i] = []byte(l)
			}
			got, err := InferSchema(tc.format, lines)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("InferSchema = %v, %v; want error %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("InferSchema = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("column %d = %v %v, want %v %v", i, got[i].Name, got[i].Type, tc.want[i].Name, tc.want[i].Type)
				}
			}
		})
	}
}

func TestParseISOAgainstTimePackage(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for n := 0; n < 20000; n++ {
		ms := r.Int64N(253402300800000+62135596800000) - 62135596800000
		txt := civil.AppendTimestamp(nil, ms)
		got, msg, _ := parseISO(txt)
		if msg != "" || got != ms {
			t.Fatalf("parseISO(%s) = %d %q, want %d", txt, got, msg, ms)
		}
	}
}
