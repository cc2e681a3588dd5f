package kafka

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/velostream/velostream/engine/connectors"
)

// TestSourceBoundedReadsEveryPartition: every record of every partition,
// good or bad, comes out once with its provenance, and a bounded read ends.
func TestSourceBoundedReadsEveryPartition(t *testing.T) {
	b := startBroker(t, "")
	createTopic(t, b.Addr(), "in", 3)
	produce(t, b.Addr(), "in", 0,
		keyed("AAPL", `{"symbol":"AAPL","qty":1}`, kafka.Header{Key: "trace", Value: []byte("t1")}),
		keyed("AAPL", `{"symbol":"AAPL","qty":2`),
		keyed("AAPL", `{"symbol":"AAPL","qty":"x"}`))
	produce(t, b.Addr(), "in", 1, value(`{"symbol":"MSFT","qty":3}`), kafka.Record{Key: kafka.NewBytes([]byte("tomb"))})
	// Partition 2 stays empty: a bounded read must not wait for it.

	src := openSource(t, "trades", schema("symbol", "STRING", "qty", "INT"),
		props("topic", "in", "bootstrap.servers", b.Addr(), "bounded", "true"), Options{})
	out := readAll(t, src, -1)
	want := []got{
		{Part: 0, Offset: 0, Key: "AAPL", Row: `"AAPL"|1`, Headers: "trace=t1;", HasTime: true},
		{Part: 0, Offset: 1, Key: "AAPL", Bad: true, Raw: `{"symbol":"AAPL","qty":2`, HasTime: true},
		{Part: 0, Offset: 2, Key: "AAPL", Bad: true, Raw: `{"symbol":"AAPL","qty":"x"}`, HasTime: true},
		{Part: 1, Offset: 0, Row: `"MSFT"|3`, HasTime: true},
		{Part: 1, Offset: 1, Key: "tomb", Bad: true, HasTime: true},
	}
	if len(out) != len(want) {
		t.Fatalf("got %d records, want %d:\n%+v", len(out), len(want), out)
	}
	for i := range want {
		g := out[i]
		if want[i].Bad {
			if !g.Bad || g.Row == "" {
				t.Errorf("record %d: got %+v, want a bad record with an error", i, g)
			}
			g.Row = ""
		}
		if g != want[i] {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, want[i])
		}
	}
	if _, err := src.Read(context.Background()); !errors.Is(err, connectors.ErrEndOfInput) {
		t.Fatalf("Read after the end: %v, want ErrEndOfInput", err)
	}
}

// TestCommitMetadataRoundTrips: Commit stores the executor's metadata with
// the offsets; a broker client sees both, and a new source resumes there
// and hands the metadata back from Restored.
func TestCommitMetadataRoundTrips(t *testing.T) {
	b := startBroker(t, "")
	createTopic(t, b.Addr(), "in", 3)
	for p := range 3 {
		var recs []kafka.Record
		for i := range 4 {
			recs = append(recs, value(fmt.Sprintf(`{"p":%d,"i":%d}`, p, i)))
		}
		produce(t, b.Addr(), "in", p, recs...)
	}
	p := props("topic", "in", "bootstrap.servers", b.Addr(), "group.id", "g1", "bounded", "true")
	src := openSource(t, "s", schema("p", "INT", "i", "INT"), p, Options{})
	if out := readAll(t, src, -1); len(out) != 12 {
		t.Fatalf("first read: %d records, want 12", len(out))
	}
	if m := src.Restored(); m != nil {
		t.Fatalf("Restored of a group without commits = %q, want nil", m)
	}
	meta := []byte(`{"wm":1704067200000}`)
	// Partition 2 is left out: it is committed at its start with the meta.
	if err := src.Commit(context.Background(), map[int32]int64{0: 4, 1: 2}, meta); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := src.Commit(context.Background(), map[int32]int64{0: 5}, meta); err == nil || !strings.Contains(err.Error(), "past what was read") {
		t.Fatalf("Commit past the read position: %v, want an error", err)
	}
	src.Close()

	cl := &kafka.Client{Addr: kafka.TCP(b.Addr()), Transport: &kafka.Transport{}}
	of, err := cl.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: "g1", Topics: map[string][]int{"in": {0, 1, 2}}})
	if err != nil {
		t.Fatalf("OffsetFetch: %v", err)
	}
	gotOffsets := map[int]int64{}
	for _, op := range of.Topics["in"] {
		gotOffsets[op.Partition] = op.CommittedOffset
		if op.Metadata != string(meta) {
			t.Errorf("partition %d: committed metadata %q, want %q", op.Partition, op.Metadata, meta)
		}
	}
	if want := map[int]int64{0: 4, 1: 2, 2: 0}; !reflect.DeepEqual(gotOffsets, want) {
		t.Errorf("committed offsets %v, want %v", gotOffsets, want)
	}

	again := openSource(t, "s", schema("p", "INT", "i", "INT"), p, Options{})
	out := readAll(t, again, -1)
	var rows []string
	for _, g := range out {
		rows = append(rows, fmt.Sprintf("%d@%d", g.Part, g.Offset))
	}
	if want := "1@2 1@3 2@0 2@1 2@2 2@3"; strings.Join(rows, " ") != want {
		t.Errorf("resumed read: %s, want %s", strings.Join(rows, " "), want)
	}
	if m := again.Restored(); string(m) != string(meta) {
		t.Errorf("Restored = %q, want %q", m, meta)
	}
}

// TestStartPositions: committed (the default) resumes, earliest ignores
// commits, latest reads only what comes after the start.
func TestStartPositions(t *testing.T) {
	b := startBroker(t, "")
	createTopic(t, b.Addr(), "in", 1)
	produce(t, b.Addr(), "in", 0, value(`{"i":0}`), value(`{"i":1}`), value(`{"i":2}`))
	base := props("topic", "in", "bootstrap.servers", b.Addr(), "group.id", "g", "bounded", "true")
	first := openSource(t, "s", schema("i", "INT"), base, Options{})
	readAll(t, first, -1)
	if err := first.Commit(context.Background(), map[int32]int64{0: 2}, []byte("m")); err != nil {
		t.Fatal(err)
	}
	first.Close()

	for _, tc := range []struct {
		start string
		want  int
	}{
		{"committed", 1},
		{"earliest", 3},
		{"latest", 0},
	} {
		t.Run(tc.start, func(t *testing.T) {
			p := props("topic", "in", "bootstrap.servers", b.Addr(), "group.id", "g", "bounded", "true", "start", tc.start)
			src := openSource(t, "s", schema("i", "INT"), p, Options{})
			if out := readAll(t, src, -1); len(out) != tc.want {
				t.Errorf("start=%s read %d records, want %d", tc.start, len(out), tc.want)
			}
			restored := src.Restored() != nil
			if restored != (tc.start == "committed") {
				t.Errorf("start=%s: Restored() = %q", tc.start, src.Restored())
			}
		})
	}
}

// TestIdlePartitionIsReported: a partition that had data and then none for
// idle.timeout is listed in Batch.Idle once.
func TestIdlePartitionIsReported(t *testing.T) {
	b := startBroker(t, "")
	createTopic(t, b.Addr(), "in", 2)
	produce(t, b.Addr(), "in", 1, value(`{"i":0}`))
	src := openSource(t, "s", schema("i", "INT"),
		props("topic", "in", "bootstrap.servers", b.Addr(), "idle.timeout", "100ms"), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var events []string
	for len(events) < 2 {
		batch, err := src.Read(ctx)
		if err != nil {
			t.Fatalf("Read: %v (so far %v)", err, events)
		}
		for _, r := range batch.Records {
			events = append(events, fmt.Sprintf("record %d@%d", r.Prov.Partition, r.Prov.Offset))
		}
		for _, p := range batch.Idle {
			events = append(events, fmt.Sprintf("idle %d", p))
		}
	}
	if want := "record 1@0,idle 1"; strings.Join(events, ",") != want {
		t.Errorf("events %v, want %s", events, want)
	}
}

// TestLagCountsUnreadRecords: lag is the high watermark minus what Read
// handed out, per partition.
func TestLagCountsUnreadRecords(t *testing.T) {
	b := startBroker(t, "")
	createTopic(t, b.Addr(), "in", 1)
	var recs []kafka.Record
	for i := range 10 {
		recs = append(recs, value(fmt.Sprintf(`{"i":%d}`, i)))
	}
	produce(t, b.Addr(), "in", 0, recs...)
	src := openSource(t, "s", schema("i", "INT"), props("topic", "in", "bootstrap.servers", b.Addr(), "bounded", "true"), Options{})
	readAll(t, src, -1)
	if lag := src.Lag(); !reflect.DeepEqual(lag, map[int32]int64{0: 0}) {
		t.Errorf("lag after reading everything = %v, want partition 0 at 0", lag)
	}
	produce(t, b.Addr(), "in", 0, recs...)
	// The bounded source does not fetch past its end, so its watermark
	// knowledge is stale; an unbounded one sees the new records.
	live := openSource(t, "s", schema("i", "INT"), props("topic", "in", "bootstrap.servers", b.Addr(), "start", "latest"), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	go func() { live.Read(ctx) }() // lets it join; nothing more arrives
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if lag := live.Lag(); reflect.DeepEqual(lag, map[int32]int64{0: 0}) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("a source started at the end reports lag %v, want 0", live.Lag())
}

// TestPendingPartitions: partitions assigned with records to read are
// announced before any record is handed out, so that the executor's
// watermark waits for them; empty partitions are not.
func TestPendingPartitions(t *testing.T) {
	b := startBroker(t, "")
	createTopic(t, b.Addr(), "in", 3)
	produce(t, b.Addr(), "in", 0, value(`{"i":0}`))
	produce(t, b.Addr(), "in", 2, value(`{"i":2}`))
	src := openSource(t, "s", schema("i", "INT"), props("topic", "in", "bootstrap.servers", b.Addr(), "group.id", "g", "bounded", "true"), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var pending []int32
	records := 0
	for {
		batch, err := src.Read(ctx)
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if records == 0 {
			pending = append(pending, batch.Pending...)
		} else if len(batch.Pending) > 0 {
			t.Errorf("Pending %v after records were handed out", batch.Pending)
		}
		records += len(batch.Records)
	}
	slices.Sort(pending)
	if !reflect.DeepEqual(pending, []int32{0, 2}) || records != 2 {
		t.Errorf("pending %v with %d records, want [0 2] before the 2 records", pending, records)
	}
}

// A table's changelog (its schema has _deleted): a tombstone is a row that
// deletes the record key, with the key in the key.field column.
func TestTombstoneDeletesTableKey(t *testing.T) {
	b := startBroker(t, "")
	createTopic(t, b.Addr(), "customers", 1)
	produce(t, b.Addr(), "customers", 0,
		keyed("C1", `{"id":"C1","tier":"gold"}`),
		kafka.Record{Key: kafka.NewBytes([]byte("C1"))})
	src := openSource(t, "customers", schema("id", "STRING", "tier", "STRING", "_deleted", "ANY"),
		props("topic", "customers", "bootstrap.servers", b.Addr(), "bounded", "true", "key.field", "id"), Options{})
	out := readAll(t, src, -1)
	if len(out) != 2 {
		t.Fatalf("got %+v", out)
	}
	if out[0].Bad || out[1].Bad || out[1].Row != `"C1"|null|true` {
		t.Fatalf("tombstone: %+v", out[1])
	}
}
