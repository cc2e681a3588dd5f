package kafka

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/velostream/velostream/engine/connectors"
)

// fetchAll reads every record of every partition of topic with kafka-go's
// low-level client.
func fetchAll(t testing.TB, addr, topic string, parts int) map[int][]kafka.Message {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: &kafka.Transport{}, Timeout: 10 * time.Second}
	out := map[int][]kafka.Message{}
	for p := range parts {
		var off int64
		for {
			resp, err := cl.Fetch(context.Background(), &kafka.FetchRequest{Topic: topic, Partition: p, Offset: off, MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 50 * time.Millisecond})
			if err != nil {
				t.Fatalf("fetch %s[%d]: %v", topic, p, err)
			}
			if resp.Error != nil {
				t.Fatalf("fetch %s[%d]: %v", topic, p, resp.Error)
			}
			n := 0
			for {
				r, err := resp.Records.ReadRecord()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("read %s[%d]: %v", topic, p, err)
				}
				if r.Offset < off {
					continue
				}
				m := kafka.Message{Partition: p, Offset: r.Offset, Headers: r.Headers}
				if r.Key != nil {
					m.Key, _ = kafka.ReadAll(r.Key)
				}
				if r.Value != nil {
					m.Value, _ = kafka.ReadAll(r.Value)
				}
				out[p] = append(out[p], m)
				off = r.Offset + 1
				n++
			}
			if n == 0 && off >= resp.HighWatermark {
				break
			}
		}
	}
	return out
}

func openSink(t testing.TB, p map[string]string) *Sink {
	t.Helper()
	s, err := OpenSink(context.Background(), connectors.Config{Name: "out", Props: p}, Options{})
	if err != nil {
		t.Fatalf("OpenSink: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSinkKeepsKeysOrderedOnOnePartition: each key's records land on one
// partition in the order written, with their headers; Flush means they are
// there.
func TestSinkKeepsKeysOrderedOnOnePartition(t *testing.T) {
	b := startBroker(t, "")
	s := openSink(t, props("topic", "out", "bootstrap.servers", b.Addr(), "partitions", "3"))
	keys := []string{"AAPL", "MSFT", "GOOG", "AMZN", "NVDA"}
	const perKey = 300
	for i := range perKey {
		var recs []connectors.OutRecord
		for _, k := range keys {
			recs = append(recs, connectors.OutRecord{Key: []byte(k), Value: []byte(fmt.Sprintf(`{"k":"%s","i":%d}`, k, i)),
				Headers: []connectors.Header{{Key: "seq", Value: []byte(fmt.Sprint(i))}}})
		}
		if err := s.Write(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		for j := range recs { // the caller reuses its buffers
			copy(recs[j].Value, strings.Repeat("#", len(recs[j].Value)))
		}
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	byPart := fetchAll(t, b.Addr(), "out", 3)
	where := map[string]int{}
	next := map[string]int{}
	total := 0
	for p, msgs := range byPart {
		for _, m := range msgs {
			k := string(m.Key)
			if q, ok := where[k]; ok && q != p {
				t.Fatalf("key %s on partitions %d and %d", k, q, p)
			}
			where[k] = p
			if want := fmt.Sprintf(`{"k":"%s","i":%d}`, k, next[k]); string(m.Value) != want {
				t.Fatalf("partition %d offset %d: %s, want %s", p, m.Offset, m.Value, want)
			}
			if len(m.Headers) != 1 || m.Headers[0].Key != "seq" || string(m.Headers[0].Value) != fmt.Sprint(next[k]) {
				t.Fatalf("partition %d offset %d: headers %v", p, m.Offset, m.Headers)
			}
			next[k]++
			total++
		}
	}
	if total != perKey*len(keys) {
		t.Fatalf("topic holds %d records, want %d", total, perKey*len(keys))
	}
	if len(byPart) < 2 {
		t.Errorf("5 keys all on %d partition(s): the balancer does not spread keys", len(byPart))
	}
}

// TestSinkUnkeyedCallStaysOnOnePartition: records without a key are not
// split across partitions within one call.
func TestSinkUnkeyedCallStaysOnOnePartition(t *testing.T) {
	b := startBroker(t, "")
	s := openSink(t, props("topic", "out", "bootstrap.servers", b.Addr(), "partitions", "3"))
	var recs []connectors.OutRecord
	for i := range 100 {
		recs = append(recs, connectors.OutRecord{Value: []byte(fmt.Sprint(i))})
	}
	if err := s.Write(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	byPart := fetchAll(t, b.Addr(), "out", 3)
	if len(byPart) != 1 {
		t.Fatalf("one call of unkeyed records went to %d partitions", len(byPart))
	}
	for _, msgs := range byPart {
		for i, m := range msgs {
			if string(m.Value) != fmt.Sprint(i) || m.Key != nil {
				t.Fatalf("record %d: key %q value %q", i, m.Key, m.Value)
			}
		}
	}
}

// TestSinkCreatesTopicWithPartitions: the sink creates a missing topic
// with the partitions asked for.
func TestSinkCreatesTopicWithPartitions(t *testing.T) {
	b := startBroker(t, "")
	openSink(t, props("topic", "made", "bootstrap.servers", b.Addr(), "partitions", "5"))
	cl := &kafka.Client{Addr: kafka.TCP(b.Addr()), Transport: &kafka.Transport{}}
	md, err := cl.Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{"made"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) != 5 {
		t.Fatalf("metadata of made: %+v", md.Topics)
	}
}

// TestSinkToSourceRoundTrip: what the sink writes, the source reads back
// with the same keys and headers.
func TestSinkToSourceRoundTrip(t *testing.T) {
	b := startBroker(t, "")
	s := openSink(t, props("topic", "rt", "bootstrap.servers", b.Addr()))
	var recs []connectors.OutRecord
	for i := range 1000 {
		recs = append(recs, connectors.OutRecord{Key: []byte(fmt.Sprint("k", i%7)), Value: []byte(fmt.Sprintf(`{"i":%d}`, i)),
			Headers: []connectors.Header{{Key: "h", Value: []byte("v")}}})
	}
	if err := s.Write(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	src := openSource(t, "rt", schema("i", "INT"), props("topic", "rt", "bootstrap.servers", b.Addr(), "bounded", "true"), Options{})
	out := readAll(t, src, -1)
	if len(out) != 1000 {
		t.Fatalf("read %d records, want 1000", len(out))
	}
	seen := map[string]bool{}
	for _, g := range out {
		if g.Bad || g.Headers != "h=v;" || !strings.HasPrefix(g.Key, "k") {
			t.Fatalf("record %+v", g)
		}
		seen[g.Row] = true
	}
	if len(seen) != 1000 {
		t.Errorf("%d distinct rows, want 1000", len(seen))
	}
}
