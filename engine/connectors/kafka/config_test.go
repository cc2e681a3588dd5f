package kafka

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

// TestConfigErrors: every bad property is refused at open with a message
// that names it, before any connection is made.
func TestConfigErrors(t *testing.T) {
	ok := []string{"topic", "t", "bootstrap.servers", "127.0.0.1:1"}
	for _, tc := range []struct {
		name   string
		props  []string
		schema types.Schema
		sink   bool
		want   string
	}{
		{name: "no topic", props: []string{"bootstrap.servers", "h:1"}, want: "needs a 'topic'"},
		{name: "bad topic", props: []string{"topic", "a b", "bootstrap.servers", "h:1"}, want: `character ' ' at byte 1`},
		{name: "no servers", props: []string{"topic", "t"}, want: "needs 'bootstrap.servers'"},
		{name: "server without port", props: []string{"topic", "t", "bootstrap.servers", "localhost"}, want: `entry "localhost": want host:port`},
		{name: "start", props: append(ok, "start", "beginning"), want: "'start' \"beginning\""},
		{name: "bounded", props: append(ok, "bounded", "yes please"), want: "'bounded' must be true or false"},
		{name: "idle", props: append(ok, "idle.timeout", "soon"), want: "'idle.timeout' must be a duration"},
		{name: "idle unit", props: append(ok, "idle.timeout", "3 fortnights"), want: "'idle.timeout' must be a duration"},
		{name: "idle negative", props: append(ok, "idle.timeout", "-5"), want: "'idle.timeout' must be a duration"},
		{name: "format", props: append(ok, "format", "avro"), want: `unknown format "avro"`},
		{name: "csv without columns", props: append(ok, "format", "csv"), want: "needs 'columns'"},
		{name: "raw with two columns", props: append(ok, "format", "raw"), schema: schema("a", "STRING", "b", "STRING"), want: "set 'value.field'"},
		{name: "raw into INT", props: append(ok, "format", "raw"), schema: schema("a", "INT"), want: "want STRING"},
		{name: "required unknown", props: append(ok, "required", "zz"), schema: schema("a", "INT"), want: `'required' names "zz"`},
		{name: "time format", props: append(ok, "event.time.format", "unix"), want: `time format "unix"`},
		{name: "protocol", props: append(ok, "security.protocol", "KERBEROS"), want: "'security.protocol' \"KERBEROS\""},
		{name: "sasl without protocol", props: append(ok, "sasl.username", "u"), want: "'sasl.username' is set but 'security.protocol' is PLAINTEXT"},
		{name: "tls without protocol", props: append(ok, "tls.ca.file", "ca.pem"), want: "'tls.ca.file' is set but"},
		{name: "sasl without user", props: append(ok, "security.protocol", "SASL_PLAINTEXT"), want: "needs 'sasl.username'"},
		{name: "mechanism", props: append(ok, "security.protocol", "SASL_PLAINTEXT", "sasl.username", "u", "sasl.mechanism", "GSSAPI"), want: "'sasl.mechanism' \"GSSAPI\""},
		{name: "missing ca", props: append(ok, "security.protocol", "SSL", "tls.ca.file", "/nonexistent/ca.pem"), want: "'tls.ca.file'"},
		{name: "half a client cert", props: append(ok, "security.protocol", "SSL", "tls.cert.file", "c.pem"), want: "needs both 'tls.cert.file' and 'tls.key.file'"},
		{name: "sink partitions", props: append(ok, "partitions", "0"), sink: true, want: "'partitions' must be a whole number"},
		{name: "sink compression", props: append(ok, "compression", "brotli"), sink: true, want: "'compression' \"brotli\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := connectors.Config{Name: "src", Props: props(tc.props...), Schema: tc.schema}
			var err error
			if tc.sink {
				_, err = OpenSink(context.Background(), cfg, Options{})
			} else {
				var s *Source
				s, err = OpenSource(context.Background(), cfg, Options{})
				if s != nil {
					s.Close()
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "src: ") {
				t.Errorf("error %q does not name the connector", err)
			}
		})
	}
}

// TestDecoders: the csv and raw formats, including the values they refuse.
func TestDecoders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		props   []string
		schema  types.Schema
		values  []string
		want    []string // a row, or "error: <substring>"
		wantOff []int    // byte offset of each error (-1: a row)
	}{
		{
			name: "csv by name and order", props: []string{"format", "csv", "columns", "symbol, qty, price"},
			schema: schema("price", "ANY", "symbol", "STRING"),
			values: []string{`AAPL,10,101.5`, `"MS,FT",5,200`, `GOOG,1`},
			want:   []string{`101.5|"AAPL"`, `200|"MS,FT"`, `null|"GOOG"`},
		},
		{
			name: "csv bad records do not spill into the next", props: []string{"format", "csv", "columns", "a,b"},
			schema: schema("a", "INT", "b", "STRING"),
			values: []string{`1,"x`, `2,y`, "3,z\n4,w", `5,v`, `x1,q`, `6,"u"`},
			want:   []string{"error: quote", `2|"y"`, "error: more than one CSV record", `5|"v"`, "error: ", `6|"u"`},
		},
		{
			name: "raw", props: []string{"format", "raw"}, schema: schema("_key", "STRING", "value", "ANY"),
			values: []string{"hello world", "", "caf\xc3\xa9", "bad\xff byte"},
			want:   []string{`null|"hello world"`, `null|""`, `null|"café"`, "error: not UTF-8"},
		},
		{
			name: "raw named by value.field", props: []string{"format", "raw", "value.field", "line"}, schema: schema("n", "ANY", "line", "STRING"),
			values: []string{"x"}, want: []string{`null|"x"`},
		},
		{
			name: "json", props: []string{}, schema: schema("a", "INT"),
			values: []string{`{"a":1}`, `{"a":`, `[1]`},
			want:   []string{`1`, "error: ", "error: "},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := connectors.Config{Name: "s", Props: props(tc.props...), Schema: tc.schema}
			newDec, err := decoderFor(cfg)
			if err != nil {
				t.Fatal(err)
			}
			dec := newDec()
			for i, v := range tc.values {
				row := make(types.Row, len(tc.schema))
				err := dec.decode([]byte(v), row)
				want := tc.want[i]
				if e, isErr := strings.CutPrefix(want, "error: "); isErr {
					if err == nil || !strings.Contains(err.Error(), e) {
						t.Errorf("value %d %q: got row %s, err %v; want an error containing %q", i, v, rowString(row), err, e)
					}
					if _, ok := err.(*format.DecodeError); err != nil && !ok {
						t.Errorf("value %d: error %T, want *format.DecodeError (it carries the position)", i, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("value %d %q: %v", i, v, err)
					continue
				}
				if got := rowString(row); got != want {
					t.Errorf("value %d %q: row %s, want %s", i, v, got, want)
				}
			}
		})
	}
}

// TestDurations: idle.timeout reads the dialect's ways of writing a duration.
func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30s": 30 * time.Second, "1m30s": 90 * time.Second, "500ms": 500 * time.Millisecond,
		"30 seconds": 30 * time.Second, "1 Minute": time.Minute, "250": 250 * time.Millisecond, "0": 0,
	} {
		got, err := durationProp(connectors.Config{Name: "s", Props: props("idle.timeout", in)}, "idle.timeout", time.Hour)
		if err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", in, got, err, want)
		}
	}
}
