package link_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/test/kafkatest"
)

// base is the first record timestamp; record i is stamped base + i ms, so
// a timestamp the link rewrote would not match.
var base = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// mirrorRecords returns n records for topic: record i goes to partition
// i%parts with a key from key(i) (nil: no key), the headers of headers(i),
// a small JSON value and timestamp base + i ms.
func mirrorRecords(topic string, n, parts int, key func(int) []byte, headers func(int) []kgo.RecordHeader) []*kgo.Record {
	out := make([]*kgo.Record, n)
	for i := range out {
		out[i] = &kgo.Record{
			Topic:     topic,
			Partition: int32(i % parts),
			Key:       key(i),
			Value:     fmt.Appendf(nil, `{"seq":%d,"topic":"%s"}`, i, topic),
			Timestamp: base.Add(time.Duration(i) * time.Millisecond),
		}
		if headers != nil {
			out[i].Headers = headers(i)
		}
	}
	return out
}

// TestMirrorMillionRecords: 1,000,000 records over three topics — one
// compacted (unique keys), one whose records carry headers, one created at
// the source while the link runs (keyless records) — half produced before
// the link starts and half while it runs. kcat then reads both sides:
// every partition of every target topic holds exactly the source
// partition's records, in the same order, with the same key, value,
// headers and timestamp; and the compacted topic's target is compacted.
//
// Wall time on the 2-core dev machine: about a minute (see
// docs/clusterlink.md for the figures of a run).
func TestMirrorMillionRecords(t *testing.T) {
	start := time.Now()
	src := kafkatest.StartBroker(t)
	tgt := kafkatest.StartBroker(t)

	const parts = 3
	compacted := mirrorRecords("mirror.compacted", 400_000, parts, func(i int) []byte { return []byte("k-" + strconv.Itoa(i)) }, nil)
	withHeaders := mirrorRecords("mirror.headers", 400_000, parts, func(i int) []byte { return []byte("h-" + strconv.Itoa(i%1000)) },
		func(i int) []kgo.RecordHeader {
			return []kgo.RecordHeader{{Key: "trace", Value: []byte("t-" + strconv.Itoa(i))}, {Key: "origin", Value: []byte("east")}, {Key: "empty", Value: []byte{}}}
		})
	late := mirrorRecords("mirror.late", 200_000, parts, func(i int) []byte {
		if i%2 == 0 {
			return nil
		}
		return []byte("l-" + strconv.Itoa(i))
	}, nil)

	createTopic(t, src.Addr(), "mirror.compacted", parts, map[string]string{"cleanup.policy": "compact", "retention.ms": "86400000"})
	createTopic(t, src.Addr(), "mirror.headers", parts, nil)
	produce(t, src.Addr(), compacted[:200_000])
	produce(t, src.Addr(), withHeaders[:200_000])
	t.Logf("produced 400,000 records before the link starts: %v", time.Since(start).Round(time.Millisecond))

	cfg := linkYAML(t, "mirror", src.Addr(), tgt.Addr(),
		`topics: {include: ["mirror\\..*"]}`,
		`syncInterval: 1s`)
	lk := startLink(t, cfg)

	produce(t, src.Addr(), compacted[200_000:])
	produce(t, src.Addr(), withHeaders[200_000:])
	createTopic(t, src.Addr(), "mirror.late", parts, nil)
	produce(t, src.Addr(), late)
	t.Logf("produced 1,000,000 records: %v", time.Since(start).Round(time.Millisecond))

	topics := []string{"mirror.compacted", "mirror.headers", "mirror.late"}
	for _, topic := range topics {
		want := endOffsets(t, src.Addr(), topic)
		waitUntil(t, lk, topic+" replicated", func() bool {
			return topicExists(t, tgt.Addr(), topic) && total(endOffsets(t, tgt.Addr(), topic)) >= total(want)
		})
	}
	t.Logf("replicated: %v", time.Since(start).Round(time.Millisecond))
	st, _ := lk.scrape()
	if st.MirroredTopics != 3 || !st.Connected["source"] || !st.Connected["target"] {
		t.Fatalf("link reports %d topics, connected %v; want 3 and both", st.MirroredTopics, st.Connected)
	}
	lk.stop()

	if got := topicConfig(t, tgt.Addr(), "mirror.compacted", "cleanup.policy"); got != "compact" {
		t.Errorf("target mirror.compacted has cleanup.policy %q; want compact", got)
	}
	if got := topicConfig(t, tgt.Addr(), "mirror.compacted", "retention.ms"); got != "86400000" {
		t.Errorf("target mirror.compacted has retention.ms %q; want 86400000", got)
	}
	counts := map[string]int{"mirror.compacted": 400_000, "mirror.headers": 400_000, "mirror.late": 200_000}
	for _, topic := range topics {
		n := counts[topic]
		want := kafkatest.Consume(t, src.Addr(), topic, n, waitLimit)
		got := kafkatest.Consume(t, tgt.Addr(), topic, n, waitLimit)
		sameRecords(t, topic, want, got)
	}
	t.Logf("checked with kcat: %v", time.Since(start).Round(time.Millisecond))
}

// sameRecords compares a source topic with its copy: same partition and
// offset for each record (the target was empty), same key, value, headers
// and creation timestamp, in the same order per partition.
func sameRecords(t testing.TB, topic string, want, got []kafkatest.KcatRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: target holds %d records; source %d", topic, len(got), len(want))
	}
	bad := 0
	for i := range want {
		w, g := want[i], got[i]
		if w.Partition != g.Partition || w.Offset != g.Offset || w.Key != g.Key || w.KeyNull != g.KeyNull ||
			w.Payload != g.Payload || !w.TS.Equal(g.TS) || g.TSType != "create" || !slices.Equal(w.Headers, g.Headers) {
			if bad < 5 {
				t.Errorf("%s: record %d differs:\nsource %+v\ntarget %+v", topic, i, w, g)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d records differ", topic, bad, len(want))
	}
}
