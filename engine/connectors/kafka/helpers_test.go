package kafka

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

// waitLimit bounds waits for something that must happen, so a broken
// connector fails the test with a message rather than hanging it. It is
// not a performance check.
const waitLimit = 30 * time.Second

// startBroker runs the embedded broker in-process on a free loopback port.
func startBroker(t testing.TB, dir string) *broker.Broker {
	t.Helper()
	b, err := broker.Start(context.Background(), broker.Config{Addr: "127.0.0.1:0", DataDir: dir, Partitions: 3})
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// testLog collects a connector's log lines.
type testLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *testLog) opts() Options {
	return Options{Logger: slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

func createTopic(t testing.TB, addr, topic string, parts int) {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: &kafka.Transport{}, Timeout: 10 * time.Second}
	resp, err := cl.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: parts, ReplicationFactor: 1}}})
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if err := resp.Errors[topic]; err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// produce writes records to explicit partitions with kafka-go's low-level
// client, so that the source is not tested only against its own sink.
func produce(t testing.TB, addr, topic string, part int, recs ...kafka.Record) {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: &kafka.Transport{}, Timeout: 10 * time.Second}
	resp, err := cl.Produce(context.Background(), &kafka.ProduceRequest{
		Topic: topic, Partition: part, RequiredAcks: kafka.RequireAll, Records: kafka.NewRecordReader(recs...)})
	if err != nil {
		t.Fatalf("produce to %s[%d]: %v", topic, part, err)
	}
	if resp.Error != nil {
		t.Fatalf("produce to %s[%d]: %v", topic, part, resp.Error)
	}
}

func value(s string) kafka.Record {
	return kafka.Record{Value: kafka.NewBytes([]byte(s))}
}

func keyed(k, v string, headers ...kafka.Header) kafka.Record {
	return kafka.Record{Key: kafka.NewBytes([]byte(k)), Value: kafka.NewBytes([]byte(v)), Headers: headers}
}

// got is a record or bad record as a test compares it.
type got struct {
	Part    int32
	Offset  int64
	Key     string
	Row     string // types.Row printed, or the error for a bad record
	Bad     bool
	Raw     string
	Headers string
	HasTime bool
}

func rowString(r types.Row) string {
	var b bytes.Buffer
	for i, v := range r {
		if i > 0 {
			b.WriteByte('|')
		}
		b.Write(format.AppendJSONValue(nil, v))
	}
	return b.String()
}

func headerString(hs []connectors.Header) string {
	var b bytes.Buffer
	for _, h := range hs {
		b.WriteString(h.Key + "=" + string(h.Value) + ";")
	}
	return b.String()
}

// readAll reads src until it ends (bounded) or until n records and bad
// records came, copying what Read hands out before the next Read reuses it.
func readAll(t testing.TB, src connectors.Source, n int) []got {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var out []got
	for n < 0 || len(out) < n {
		b, err := src.Read(ctx)
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatalf("Read after %d records: %v", len(out), err)
		}
		for _, r := range b.Records {
			out = append(out, got{Part: r.Prov.Partition, Offset: r.Prov.Offset, Key: string(r.Prov.Key),
				Row: rowString(r.Row), Headers: headerString(r.Prov.Headers), HasTime: r.Prov.Timestamp > 0})
		}
		for _, r := range b.Bad {
			out = append(out, got{Part: r.Prov.Partition, Offset: r.Prov.Offset, Key: string(r.Prov.Key),
				Row: r.Err.Error(), Bad: true, Raw: string(r.Raw), Headers: headerString(r.Prov.Headers), HasTime: r.Prov.Timestamp > 0})
		}
	}
	slices.SortFunc(out, func(a, b got) int { return cmp.Or(cmp.Compare(a.Part, b.Part), cmp.Compare(a.Offset, b.Offset)) })
	return out
}

func props(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func schema(cols ...string) types.Schema {
	var s types.Schema
	for i := 0; i+1 < len(cols); i += 2 {
		var t types.Type
		switch cols[i+1] {
		case "STRING":
			t = types.String
		case "INT":
			t = types.Int
		case "TIMESTAMP":
			t = types.Timestamp
		default:
			t = types.Any
		}
		s = append(s, types.Column{Name: cols[i], Type: t})
	}
	return s
}

func openSource(t testing.TB, name string, sch types.Schema, p map[string]string, opts Options) *Source {
	t.Helper()
	src, err := OpenSource(context.Background(), connectors.Config{Name: name, Props: p, Schema: sch}, opts)
	if err != nil {
		t.Fatalf("OpenSource: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}
