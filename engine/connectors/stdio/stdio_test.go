package stdio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

func drain(t *testing.T, src connectors.Source) ([]connectors.Record, []connectors.BadRecord) {
	t.Helper()
	var recs []connectors.Record
	var bad []connectors.BadRecord
	for {
		b, err := src.Read(context.Background())
		if errors.Is(err, connectors.ErrEndOfInput) {
			return recs, bad
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range b.Records {
			r.Row = append(types.Row(nil), r.Row...)
			recs = append(recs, r)
		}
		bad = append(bad, b.Bad...)
	}
}

func TestSource(t *testing.T) {
	tests := []struct {
		name    string
		props   map[string]string
		schema  types.Schema
		input   string
		records int
		badLine int64
		schemaW string
	}{
		{"json by default, inferred", nil, nil, "{\"s\":\"a\",\"n\":1}\n{\"s\":\"b\",\"n\":2.5}\nnot json\n", 2, 3, "[{s STRING} {n DECIMAL}]"},
		{"json declared", nil, types.Schema{{Name: "n", Type: types.Int}}, "{\"n\":1}\n{\"n\":1.5}\n", 1, 2, "[{n BIGINT}]"},
		{"csv", map[string]string{"format": "csv"}, nil, "s,n\na,1\n\"b,c\",2\nd,x,y\n", 2, 4, "[{s STRING} {n BIGINT}]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := NewSource(strings.NewReader(tc.input), connectors.Config{Props: tc.props, Schema: tc.schema})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if got := schemaString(src.Schema()); got != tc.schemaW {
				t.Errorf("Schema() = %s, want %s", got, tc.schemaW)
			}
			recs, bad := drain(t, src)
			if len(recs) != tc.records {
				t.Errorf("got %d records, want %d", len(recs), tc.records)
			}
			if len(bad) != 1 || bad[0].Prov.Line != tc.badLine || bad[0].Prov.Source != "stdin" {
				t.Errorf("bad records %+v, want one at line %d from stdin", bad, tc.badLine)
			}
		})
	}
}

func schemaString(s types.Schema) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, c := range s {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString("{" + c.Name + " " + c.Type.String() + "}")
	}
	sb.WriteByte(']')
	return sb.String()
}

// TestSourceCancel: a Read waiting on a quiet pipe returns with the
// context's error, and the source keeps working afterwards.
func TestSourceCancel(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	src, err := NewSource(pr, connectors.Config{Schema: types.Schema{{Name: "n", Type: types.Int}}})
	if err != nil {
		t.Fatal(err) // a declared schema must not wait for input at open
	}
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := src.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %v, want context.Canceled", err)
	}
	go func() {
		pw.Write([]byte("{\"n\":7}\n"))
		pw.Close()
	}()
	b, err := src.Read(context.Background())
	if err != nil || len(b.Records) != 1 || b.Records[0].Row[0].I != 7 {
		t.Fatalf("Read after cancel = %+v, %v", b, err)
	}
}

// TestSourceInfersFromAPausedProducer: inference does not wait for 100
// lines when the producer pauses after sending some.
func TestSourceInfersFromAPausedProducer(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go pw.Write([]byte("{\"a\":1}\n{\"a\":2}\n"))
	done := make(chan error, 1)
	var src connectors.Source
	go func() {
		var err error
		src, err = NewSource(pr, connectors.Config{})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("NewSource still waiting for the sample after the producer paused")
	}
	defer src.Close()
	if got := schemaString(src.Schema()); got != "[{a BIGINT}]" {
		t.Errorf("Schema() = %s", got)
	}
	go func() {
		pw.Write([]byte("{\"a\":3}\n"))
		pw.Close()
	}()
	recs, _ := drain(t, src)
	if len(recs) != 3 || recs[2].Row[0].I != 3 {
		t.Errorf("records %+v", recs)
	}
}

func TestSink(t *testing.T) {
	schema := types.Schema{{Name: "s", Type: types.String}, {Name: "n", Type: types.Int}}
	row := types.Row{types.StringValue("a,b"), types.IntValue(1)}
	tests := []struct {
		format string
		value  []byte
		want   string
	}{
		{"json", format.AppendJSON(nil, schema, row), "{\"s\":\"a,b\",\"n\":1}\n"},
		{"csv", format.AppendCSV(nil, row), "s,n\n\"a,b\",1\n"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			var out bytes.Buffer
			sink, err := NewSink(&out, connectors.Config{Props: map[string]string{"format": tc.format}, Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			if err := sink.Write(context.Background(), []connectors.OutRecord{{Value: tc.value}}); err != nil {
				t.Fatal(err)
			}
			if err := sink.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("wrote %q, want %q", out.String(), tc.want)
			}
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	if !has(connectors.SourceTypes(), "stdin") || !has(connectors.SinkTypes(), "stdout") {
		t.Errorf("registered: %v %v", connectors.SourceTypes(), connectors.SinkTypes())
	}
	// The stdout factory writes to the process's stdout; opening and closing
	// it without writing leaves nothing behind.
	s, err := connectors.OpenSink(context.Background(), "stdout", connectors.Config{Name: "out"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
