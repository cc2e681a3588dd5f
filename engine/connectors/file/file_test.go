package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll drains a source, copying rows (they are reused by the next Read).
func readAll(t *testing.T, src connectors.Source) ([]connectors.Record, []connectors.BadRecord) {
	t.Helper()
	var recs []connectors.Record
	var bad []connectors.BadRecord
	for {
		b, err := src.Read(context.Background())
		if errors.Is(err, connectors.ErrEndOfInput) {
			return recs, bad
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if len(b.Records)+len(b.Bad) == 0 {
			t.Fatal("Read returned an empty batch without an error")
		}
		for _, r := range b.Records {
			r.Row = append(types.Row(nil), r.Row...)
			recs = append(recs, r)
		}
		bad = append(bad, b.Bad...)
	}
}

func openFile(t *testing.T, path string, props map[string]string, schema types.Schema) connectors.Source {
	t.Helper()
	p := map[string]string{"path": path}
	for k, v := range props {
		p[k] = v
	}
	src, err := connectors.OpenSource(context.Background(), "file_source", connectors.Config{Name: "trades", Props: p, Schema: schema})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

var tradeSchema = types.Schema{
	{Name: "symbol", Type: types.String},
	{Name: "price", Type: types.Type{Kind: types.KindDecimal, Precision: 10, Scale: 2}},
	{Name: "quantity", Type: types.Int},
	{Name: "ts", Type: types.Timestamp},
}

func TestJSONSource(t *testing.T) {
	content := "\uFEFF" + `{"symbol":"AAPL","price":182.34,"quantity":120,"ts":1700000000123}` + "\n" + // line 1
		"\n" + // 2: blank
		`{"symbol":"MSFT","price":"oops","quantity":1,"ts":1}` + "\r\n" + // 3: bad value, CRLF
		"   \t\n" + // 4: blank
		`{"symbol":"GOOG","price":1.005,"quantity":2}` + "\n" + // 5: rounds half up, ts absent
		`{"symbol":"X",` + "\n" + // 6: truncated
		`{"symbol":"LAST","price":1,"quantity":3,"ts":"2023-11-14T22:13:20Z"}` // 7: no final newline
	path := writeFile(t, "trades.jsonl", content)
	src := openFile(t, path, nil, tradeSchema)
	if got := src.Schema(); len(got) != 4 || got[1].Type.Scale != 2 {
		t.Fatalf("Schema() = %v", got)
	}
	recs, bad := readAll(t, src)
	lineStart := func(line int) int64 {
		off := 0
		for i := 1; i < line; i++ {
			off += strings.IndexByte(content[off:], '\n') + 1
		}
		return int64(off)
	}
	wantRecs := []struct {
		line int64
		row  types.Row
	}{
		{1, types.Row{types.StringValue("AAPL"), types.DecimalValue(18234, 2), types.IntValue(120), types.TimestampValue(1700000000123)}},
		{5, types.Row{types.StringValue("GOOG"), types.DecimalValue(101, 2), types.IntValue(2), {}}},
		{7, types.Row{types.StringValue("LAST"), types.DecimalValue(100, 2), types.IntValue(3), types.TimestampValue(1700000000000)}},
	}
	if len(recs) != len(wantRecs) {
		t.Fatalf("got %d records, want %d: %+v", len(recs), len(wantRecs), recs)
	}
	for i, w := range wantRecs {
		r := recs[i]
		wantOff := lineStart(int(w.line))
		if w.line == 1 {
			wantOff = 3 // the first byte after the byte order mark
		}
		if r.Prov.Line != w.line || r.Prov.Offset != wantOff || r.Prov.Source != "trades" {
			t.Errorf("record %d provenance = %+v, want line %d offset %d", i, r.Prov, w.line, wantOff)
		}
		for k := range w.row {
			if r.Row[k] != w.row[k] {
				t.Errorf("record %d column %d = %+v, want %+v", i, k, r.Row[k], w.row[k])
			}
		}
	}
	wantBad := []struct {
		line int64
		raw  string
		msg  string
	}{
		{3, `{"symbol":"MSFT","price":"oops","quantity":1,"ts":1}`, `byte 26: field "price": expected a number, found "oops"`},
		{6, `{"symbol":"X",`, "expected a key"},
	}
	if len(bad) != len(wantBad) {
		t.Fatalf("got %d bad records, want %d: %+v", len(bad), len(wantBad), bad)
	}
	for i, w := range wantBad {
		b := bad[i]
		if b.Prov.Line != w.line || b.Prov.Offset != lineStart(int(w.line)) || string(b.Raw) != w.raw || !strings.Contains(b.Err.Error(), w.msg) {
			t.Errorf("bad %d = line %d offset %d raw %q err %v; want line %d offset %d raw %q err %q",
				i, b.Prov.Line, b.Prov.Offset, b.Raw, b.Err, w.line, lineStart(int(w.line)), w.raw, w.msg)
		}
		var de *format.DecodeError
		if !errors.As(b.Err, &de) {
			t.Errorf("bad %d: error %T is not a *format.DecodeError", i, b.Err)
		}
	}
	// Reading past the end keeps saying so.
	if _, err := src.Read(context.Background()); !errors.Is(err, connectors.ErrEndOfInput) {
		t.Errorf("Read after the end = %v, want ErrEndOfInput", err)
	}
}

func TestJSONSourceInfersSchema(t *testing.T) {
	var sb strings.Builder
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&sb, `{"symbol":"S%d","price":%d.5,"qty":%d,"flag":%t}`+"\n", i%3, i, i, i%2 == 0)
	}
	sb.WriteString(`{"symbol":"late","price":1e3,"qty":1.5,"extra":1}` + "\n") // line 151: past the sample
	src := openFile(t, writeFile(t, "t.ndjson", sb.String()), nil, nil)
	want := types.Schema{{Name: "symbol", Type: types.String}, {Name: "price", Type: types.Decimal}, {Name: "qty", Type: types.Int}, {Name: "flag", Type: types.Bool}}
	got := src.Schema()
	if len(got) != len(want) {
		t.Fatalf("Schema() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("column %d = %v, want %v", i, got[i], want[i])
		}
	}
	recs, bad := readAll(t, src)
	if len(recs) != 150 {
		t.Fatalf("got %d records, want 150", len(recs))
	}
	if recs[10].Row[1] != types.DecimalValue(105, 1) {
		t.Errorf("price = %+v", recs[10].Row[1])
	}
	// The late line breaks the inferred BIGINT: reported, not dropped.
	if len(bad) != 1 || bad[0].Prov.Line != 151 || !strings.Contains(bad[0].Err.Error(), "not a whole number") {
		t.Errorf("bad = %+v", bad)
	}
}

func TestSourceBatches(t *testing.T) {
	var sb strings.Builder
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&sb, "{\"n\":%d}\n", i)
	}
	src := openFile(t, writeFile(t, "n.json", sb.String()), map[string]string{"batch_size": "3"}, types.Schema{{Name: "n", Type: types.Int}})
	var sizes []int
	next := int64(0)
	for {
		b, err := src.Read(context.Background())
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(b.Records))
		for _, r := range b.Records {
			if r.Row[0].I != next || r.Prov.Line != next+1 {
				t.Fatalf("record %+v, want n=%d", r, next)
			}
			next++
		}
	}
	if fmt.Sprint(sizes) != "[3 3 3 1]" {
		t.Errorf("batch sizes %v, want [3 3 3 1]", sizes)
	}
}

// TestSourceSmallReads feeds the input one byte per Read, so every line
// and CSV record straddles buffer fills.
func TestSourceSmallReads(t *testing.T) {
	tests := []struct {
		format, content string
		schema          types.Schema
		want            int
	}{
		{"json", "{\"a\":1}\n\n{\"a\":\"x\\\"y\"}\r\n{\"a\":[1,{}]}", types.Schema{{Name: "a"}}, 3},
		{"csv", "a,b\n1,\"x\ny\"\n2,\"q,\"\"r\"\r\n3,z", nil, 3},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			src, err := NewReaderSource(context.Background(), iotest.OneByteReader(strings.NewReader(tc.content)),
				connectors.Config{Name: "s", Props: map[string]string{"format": tc.format}, Schema: tc.schema}, ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			recs, bad := readAll(t, src)
			if len(recs) != tc.want || len(bad) != 0 {
				t.Fatalf("got %d records and %v, want %d", len(recs), bad, tc.want)
			}
			if tc.format == "csv" && (recs[0].Row[1].S != "x\ny" || recs[1].Row[1].S != `q,"r` || recs[2].Prov.Line != 5) {
				t.Errorf("csv records: %+v", recs)
			}
		})
	}
}

func TestCSVSource(t *testing.T) {
	content := "symbol,price,quantity,note\n" + // 1
		"AAPL,182.34,120,\"hello, world\"\n" + // 2
		"MSFT,1,2,\"two\nlines\"\n" + // 3-4
		"\n" + // 5: blank
		"BAD,1,2,a\"b\n" + // 6: bare quote
		"SHORT,1\n" + // 7: wrong field count
		"GOOG,12x,3,\"n\"\n" + // 8: bad price
		"LAST,\"9.99\",4,\n" // 9
	src := openFile(t, writeFile(t, "t.csv", content), map[string]string{"batch_size": "2"},
		types.Schema{{Name: "symbol", Type: types.String}, {Name: "price", Type: types.Type{Kind: types.KindDecimal, Precision: 10, Scale: 2}}, {Name: "quantity", Type: types.Int}, {Name: "note", Type: types.String}})
	recs, bad := readAll(t, src)
	off := func(s string) int64 { return int64(strings.Index(content, s)) }
	want := []struct {
		line int64
		off  int64
		row  types.Row
	}{
		{2, off("AAPL"), types.Row{types.StringValue("AAPL"), types.DecimalValue(18234, 2), types.IntValue(120), types.StringValue("hello, world")}},
		{3, off("MSFT"), types.Row{types.StringValue("MSFT"), types.DecimalValue(100, 2), types.IntValue(2), types.StringValue("two\nlines")}},
		{9, off("LAST"), types.Row{types.StringValue("LAST"), types.DecimalValue(999, 2), types.IntValue(4), {}}},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, w := range want {
		if recs[i].Prov.Line != w.line || recs[i].Prov.Offset != w.off {
			t.Errorf("record %d at line %d offset %d, want line %d offset %d", i, recs[i].Prov.Line, recs[i].Prov.Offset, w.line, w.off)
		}
		for k := range w.row {
			if recs[i].Row[k] != w.row[k] {
				t.Errorf("record %d column %d = %+v, want %+v", i, k, recs[i].Row[k], w.row[k])
			}
		}
	}
	wantBad := []struct {
		line int64
		raw  string
		msg  string
	}{
		{6, `BAD,1,2,a"b`, `bare " in non-quoted-field`},
		{7, `SHORT,1`, "wrong number of fields"},
		{8, `GOOG,12x,3,"n"`, `byte 7: field "price": expected a number, found "12x"`},
	}
	if len(bad) != len(wantBad) {
		t.Fatalf("got %d bad records, want %d: %+v", len(bad), len(wantBad), bad)
	}
	for i, w := range wantBad {
		b := bad[i]
		if b.Prov.Line != w.line || string(b.Raw) != w.raw || b.Prov.Offset != off(w.raw) || !strings.Contains(b.Err.Error(), w.msg) {
			t.Errorf("bad %d = line %d offset %d raw %q err %v; want line %d offset %d raw %q err %q",
				i, b.Prov.Line, b.Prov.Offset, b.Raw, b.Err, w.line, off(w.raw), w.raw, w.msg)
		}
	}
}

func TestCSVSourceInfersSchema(t *testing.T) {
	src := openFile(t, writeFile(t, "t.csv", "\uFEFFsym;px;n\nA;1.5;1\nB;2;2\n"), map[string]string{"delimiter": ";"}, nil)
	got := src.Schema()
	want := types.Schema{{Name: "sym", Type: types.String}, {Name: "px", Type: types.Decimal}, {Name: "n", Type: types.Int}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Schema() = %v, want %v", got, want)
	}
	recs, _ := readAll(t, src)
	if len(recs) != 2 || recs[1].Row[1] != types.DecimalValue(2, 0) || recs[0].Row[0].S != "A" {
		t.Errorf("records %+v", recs)
	}
}

func TestLongLines(t *testing.T) {
	long := `{"a":"` + strings.Repeat("x", MaxLineBytes) + `"}`
	for _, tc := range []struct{ name, content string }{
		{"in the middle", "{\"a\":1}\n" + long + "\n{\"a\":2}\n"},
		{"at the end without newline", "{\"a\":1}\n{\"a\":2}\n" + long},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := openFile(t, writeFile(t, "long.jsonl", tc.content), nil, types.Schema{{Name: "a"}})
			recs, bad := readAll(t, src)
			if len(recs) != 2 || recs[0].Row[0].I != 1 || recs[1].Row[0].I != 2 {
				t.Fatalf("got %d records, want the 2 short lines", len(recs))
			}
			if len(bad) != 1 {
				t.Fatalf("got %d bad records, want 1", len(bad))
			}
			b := bad[0]
			wantLine := int64(2)
			if strings.HasSuffix(tc.content, long) {
				wantLine = 3
			}
			if b.Prov.Line != wantLine || b.Prov.Offset != int64(strings.Index(tc.content, long)) ||
				len(b.Raw) != badRawBytes || !strings.Contains(b.Err.Error(), fmt.Sprintf("line of %d bytes", len(long))) {
				t.Errorf("bad = line %d offset %d raw %d bytes err %v", b.Prov.Line, b.Prov.Offset, len(b.Raw), b.Err)
			}
		})
	}
}

// TestCSVUnterminatedQuote: a quote left open swallows the rest of the
// input; past the line limit the source stops with an error that says where,
// instead of buffering without bound.
func TestCSVUnterminatedQuote(t *testing.T) {
	content := "a,b\n1,2\n3,\"never closed\n" + strings.Repeat("4,5\n", MaxLineBytes/4+1)
	src := openFile(t, writeFile(t, "q.csv", content), nil, types.Schema{{Name: "a", Type: types.Int}, {Name: "b", Type: types.Int}})
	var got int
	for {
		b, err := src.Read(context.Background())
		got += len(b.Records)
		if err == nil {
			continue
		}
		if errors.Is(err, connectors.ErrEndOfInput) || !strings.Contains(err.Error(), "CSV record after line 2") || !strings.Contains(err.Error(), "unterminated quote") {
			t.Fatalf("Read = %v, want the record-too-long error", err)
		}
		break
	}
	if got != 1 {
		t.Errorf("read %d records before the error, want 1", got)
	}
	if _, err := src.Read(context.Background()); err == nil || errors.Is(err, connectors.ErrEndOfInput) {
		t.Errorf("Read after the error = %v, want the error again", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		props map[string]string
		msg   string
	}{
		{"no path", map[string]string{}, "needs a 'path' property"},
		{"missing file", map[string]string{"path": filepath.Join(dir, "nope.jsonl")}, "no such file"},
		{"directory", map[string]string{"path": dir}, "is a directory"},
		{"unknown extension", map[string]string{"path": writeFile(t, "x.txt", "")}, "set 'format' to json or csv"},
		{"unknown format", map[string]string{"path": writeFile(t, "x.jsonl", ""), "format": "xml"}, `unknown format "xml"`},
		{"bad batch size", map[string]string{"path": writeFile(t, "x.jsonl", ""), "batch_size": "0"}, "'batch_size' must be"},
		{"bad time format", map[string]string{"path": writeFile(t, "x.jsonl", ""), "time_format": "unix"}, "'time_format' must be"},
		{"required unknown column", map[string]string{"path": writeFile(t, "x.jsonl", `{"a":1}`), "required": "a, b"}, `'required' names "b"`},
		{"bad delimiter", map[string]string{"path": writeFile(t, "x.csv", "a\n"), "delimiter": "ab"}, "'delimiter' must be one character"},
		{"nothing to infer from", map[string]string{"path": writeFile(t, "x.jsonl", "[1]\n")}, "no valid JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := connectors.OpenSource(context.Background(), "file_source", connectors.Config{Name: "s", Props: tc.props})
			if err == nil {
				src.Close()
				t.Fatalf("open succeeded, want error %q", tc.msg)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want it to contain %q", err, tc.msg)
			}
		})
	}
}

func TestRequiredProp(t *testing.T) {
	src := openFile(t, writeFile(t, "r.jsonl", "{\"a\":1,\"ts\":5}\n{\"a\":2}\n"), map[string]string{"required": "ts", "time_format": "epoch_seconds"},
		types.Schema{{Name: "a", Type: types.Int}, {Name: "ts", Type: types.Timestamp}})
	recs, bad := readAll(t, src)
	if len(recs) != 1 || recs[0].Row[1] != types.TimestampValue(5000) {
		t.Errorf("records %+v", recs)
	}
	if len(bad) != 1 || bad[0].Prov.Line != 2 || !strings.Contains(bad[0].Err.Error(), `missing required field "ts"`) {
		t.Errorf("bad %+v", bad)
	}
}

func TestEmptyInputs(t *testing.T) {
	for _, name := range []string{"e.jsonl", "e.csv"} {
		src := openFile(t, writeFile(t, name, ""), nil, nil)
		if len(src.Schema()) != 0 {
			t.Errorf("%s: schema %v", name, src.Schema())
		}
		if _, err := src.Read(context.Background()); !errors.Is(err, connectors.ErrEndOfInput) {
			t.Errorf("%s: Read = %v, want ErrEndOfInput", name, err)
		}
	}
}

// TestInterruptibleSource: a Read waiting on a pipe returns when its
// context ends, the read in flight is not lost, and records are handed
// over as they arrive rather than when a batch fills.
func TestInterruptibleSource(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() { pw.Write([]byte("{\"n\":1}\n{\"n\":2}\n")) }()
	src, err := NewReaderSource(context.Background(), pr, connectors.Config{Name: "in", Props: map[string]string{"format": "json"}, Schema: types.Schema{{Name: "n", Type: types.Int}}}, ReaderOptions{Interruptible: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	b, err := src.Read(context.Background())
	if err != nil || len(b.Records) != 2 {
		t.Fatalf("first Read = %d records, %v; want the 2 written", len(b.Records), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := src.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read with nothing to read = %v, want the context's error", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.Write([]byte("{\"n\":3}\n"))
		pw.Close()
	}()
	b, err = src.Read(context.Background())
	if err != nil || len(b.Records) != 1 || b.Records[0].Row[0].I != 3 || b.Records[0].Prov.Line != 3 {
		t.Fatalf("Read after the interruption = %+v, %v; want record n=3 at line 3", b.Records, err)
	}
	if _, err := src.Read(context.Background()); !errors.Is(err, connectors.ErrEndOfInput) {
		t.Fatalf("Read at the end = %v", err)
	}
	<-done
}

func TestFileSink(t *testing.T) {
	dir := t.TempDir()
	schema := types.Schema{{Name: "symbol", Type: types.String}, {Name: "n", Type: types.Int}}
	open := func(path string, props map[string]string) connectors.Sink {
		t.Helper()
		p := map[string]string{"path": path}
		for k, v := range props {
			p[k] = v
		}
		s, err := connectors.OpenSink(context.Background(), "file_sink", connectors.Config{Name: "out", Props: p, Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	write := func(s connectors.Sink, rows ...types.Row) {
		t.Helper()
		var recs []connectors.OutRecord
		for _, r := range rows {
			var v []byte
			if strings.HasSuffix(s.(*Sink).name, "csv") {
				v = format.AppendCSV(nil, r)
			} else {
				v = format.AppendJSON(nil, schema, r)
			}
			recs = append(recs, connectors.OutRecord{Value: v})
		}
		if err := s.Write(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
	}
	r1 := types.Row{types.StringValue("A, Inc"), types.IntValue(1)}
	r2 := types.Row{types.StringValue("B"), types.IntValue(2)}

	jsonPath := filepath.Join(dir, "nested", "deeper", "out.jsonl")
	s := open(jsonPath, nil)
	write(s, r1, r2)
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(jsonPath); string(got) != "{\"symbol\":\"A, Inc\",\"n\":1}\n{\"symbol\":\"B\",\"n\":2}\n" {
		t.Errorf("after Flush the file holds %q", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Write(context.Background(), []connectors.OutRecord{{Value: []byte("x")}}); err == nil {
		t.Error("Write after Close: no error")
	}

	// Truncates by default.
	s = open(jsonPath, nil)
	write(s, r2)
	s.Close()
	if got, _ := os.ReadFile(jsonPath); string(got) != "{\"symbol\":\"B\",\"n\":2}\n" {
		t.Errorf("truncating sink left %q", got)
	}

	// CSV: header once, also across an append.
	csvPath := filepath.Join(dir, "out.csv")
	s = open(csvPath, nil)
	s.(*Sink).name = "out-csv"
	write(s, r1)
	s.Close()
	s = open(csvPath, map[string]string{"append": "true"})
	s.(*Sink).name = "out-csv"
	write(s, r2)
	s.Close()
	if got, _ := os.ReadFile(csvPath); string(got) != "symbol,n\n\"A, Inc\",1\nB,2\n" {
		t.Errorf("CSV file holds %q", got)
	}

	// And the file source reads the sink's output back.
	src := openFile(t, csvPath, nil, nil)
	recs, bad := readAll(t, src)
	if len(recs) != 2 || len(bad) != 0 || recs[0].Row[0].S != "A, Inc" || recs[1].Row[1].I != 2 {
		t.Errorf("read back %+v %+v", recs, bad)
	}
}

func TestSinkErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		props  map[string]string
		schema types.Schema
		msg    string
	}{
		{"no path", map[string]string{}, nil, "needs a 'path' property"},
		{"csv without schema", map[string]string{"path": filepath.Join(dir, "a.csv")}, nil, "CSV sink needs the result columns"},
		{"bad append", map[string]string{"path": filepath.Join(dir, "a.jsonl"), "append": "maybe"}, nil, "'append' must be true or false"},
		{"unknown format", map[string]string{"path": filepath.Join(dir, "a.out")}, nil, "set 'format'"},
		{"parent is a file", map[string]string{"path": filepath.Join(writeFile(t, "f", ""), "x.jsonl")}, nil, "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := connectors.OpenSink(context.Background(), "file_sink", connectors.Config{Name: "out", Props: tc.props, Schema: tc.schema})
			if err == nil {
				s.Close()
				t.Fatalf("open succeeded, want %q", tc.msg)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want %q", err, tc.msg)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	if !contains(connectors.SourceTypes(), "file_source") || !contains(connectors.SinkTypes(), "file_sink") {
		t.Errorf("registered: %v %v", connectors.SourceTypes(), connectors.SinkTypes())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// BenchmarkFileSource reads a 1,000,000-line trade file end to end (open,
// split, decode, batch), reporting lines/s.
func BenchmarkFileSource(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(b.TempDir(), "trades.jsonl")
	var buf bytes.Buffer
	sides := []string{"BUY", "SELL"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&buf, `{"symbol":"SYM%02d","price":%d.%04d,"quantity":%d,"side":"%s","ts":%d}`+"\n",
			i%50, 100+i%200, i%10000, 1+i%500, sides[i%2], 1700000000000+int64(i))
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	schema := types.Schema{
		{Name: "symbol", Type: types.String}, {Name: "price", Type: types.Type{Kind: types.KindDecimal, Precision: 18, Scale: 4}},
		{Name: "quantity", Type: types.Int}, {Name: "side", Type: types.String}, {Name: "ts", Type: types.Timestamp},
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		src, err := OpenSource(context.Background(), connectors.Config{Name: "t", Props: map[string]string{"path": path}, Schema: schema})
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for {
			batch, err := src.Read(context.Background())
			if errors.Is(err, connectors.ErrEndOfInput) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			total += len(batch.Records) + len(batch.Bad)
		}
		src.Close()
		if total != n {
			b.Fatalf("read %d lines, want %d", total, n)
		}
	}
	b.ReportMetric(float64(b.N)*n/time.Since(start).Seconds(), "lines/s")
}
