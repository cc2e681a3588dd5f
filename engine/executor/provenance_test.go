package executor

import (
	"context"
	"testing"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/types"
)

type captureSink struct{ recs []connectors.OutRecord }

func (c *captureSink) Write(_ context.Context, recs []connectors.OutRecord) error {
	for _, r := range recs {
		cp := connectors.OutRecord{Key: append([]byte(nil), r.Key...), Value: append([]byte(nil), r.Value...), Time: r.Time}
		for _, h := range r.Headers {
			cp.Headers = append(cp.Headers, connectors.Header{Key: h.Key, Value: append([]byte(nil), h.Value...)})
		}
		c.recs = append(c.recs, cp)
	}
	return nil
}
func (c *captureSink) Flush(context.Context) error { return nil }
func (c *captureSink) Close() error                { return nil }

// Provenance columns and HEADER('name') read the record's Kafka metadata;
// a row-by-row query keeps each record's key and copies its headers.
func TestProvenanceColumnsAndPassThrough(t *testing.T) {
	schema := types.Schema{{Name: "k", Type: types.String}, {Name: "ts", Type: types.Int}}
	q := compile(t, "SELECT k, _key, _partition, _offset, HEADER('trace') AS trace, HEADER('none') AS none FROM t", schema)
	cols := q.Sources[0].Columns
	rs := recs(cols, 2, 40, [2]any{"a", int64(1)}, [2]any{"b", int64(2)})
	rs[0].Prov.Key = []byte("key-a")
	rs[0].Prov.Headers = []connectors.Header{{Key: "trace", Value: []byte("t1")}, {Key: "trace", Value: []byte("t2")}}
	src := &replaySource{schema: cols, batches: [][]connectors.Record{rs}}
	sink := &captureSink{}
	em := NewSinkEmitter(context.Background(), sink, q.Output, "json", "")
	if _, err := Run(context.Background(), q, Options{Emitter: em, Sources: map[string]connectors.Source{"t": src}}); err != nil {
		t.Fatal(err)
	}
	if len(sink.recs) != 2 {
		t.Fatalf("%d records", len(sink.recs))
	}
	want0 := `{"k":"a","_key":"key-a","_partition":2,"_offset":40,"trace":"t2","none":null}`
	if got := string(sink.recs[0].Value); got != want0 {
		t.Fatalf("row 0 %s, want %s", got, want0)
	}
	if string(sink.recs[0].Key) != "key-a" || len(sink.recs[0].Headers) != 2 || string(sink.recs[0].Headers[1].Value) != "t2" {
		t.Fatalf("key/headers not kept: %+v", sink.recs[0])
	}
	if got := string(sink.recs[1].Value); got != `{"k":"b","_key":null,"_partition":2,"_offset":41,"trace":null,"none":null}` {
		t.Fatalf("row 1 %s", got)
	}
	if sink.recs[1].Key != nil && len(sink.recs[1].Key) != 0 {
		t.Fatalf("row 1 key %q", sink.recs[1].Key)
	}
}
