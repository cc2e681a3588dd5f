package kafka

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/engine/connectors"
)

// TestBrokerRestart: with the broker stopped and started again on the same
// address and data dir, a group source goes on from where it was (nothing
// lost, nothing twice), a sink delivers what was written while the broker
// was down, commits go through again, and both count the failed attempts.
func TestBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, dir)
	addr := b.Addr()
	createTopic(t, addr, "in", 3)
	batch := func(from int) {
		for p := range 3 {
			var recs []kafka.Record
			for i := range 50 {
				recs = append(recs, value(fmt.Sprintf(`{"n":%d}`, from+p*50+i)))
			}
			produce(t, addr, "in", p, recs...)
		}
	}
	batch(0)

	var srcLog, sinkLog testLog
	src := openSource(t, "in", schema("n", "INT"), props("topic", "in", "bootstrap.servers", addr, "group.id", "g"), srcLog.opts())
	sink, err := OpenSink(context.Background(), connectors.Config{Name: "out", Props: props("topic", "out", "bootstrap.servers", addr, "partitions", "1")}, sinkLog.opts())
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()

	seen := map[string]int{}
	read := func(n int) {
		t.Helper()
		for _, g := range readAll(t, src, n) {
			seen[g.Row]++
		}
	}
	read(150)
	if err := src.Commit(context.Background(), map[int32]int64{0: 50, 1: 50, 2: 50}, []byte("before")); err != nil {
		t.Fatal(err)
	}

	if err := b.Close(); err != nil {
		t.Fatalf("stop broker: %v", err)
	}
	// While it is down: a write is accepted and waits for the broker.
	var recs []connectors.OutRecord
	for i := range 100 {
		recs = append(recs, connectors.OutRecord{Value: []byte(fmt.Sprint(i))})
	}
	if err := sink.Write(context.Background(), recs); err != nil {
		t.Fatalf("Write while the broker is down: %v", err)
	}
	flushed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
		defer cancel()
		flushed <- sink.Flush(ctx)
	}()
	deadline := time.Now().Add(waitLimit)
	for src.Reconnects() == 0 || sink.Reconnects() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no failures counted while the broker is down (source %d, sink %d)", src.Reconnects(), sink.Reconnects())
		}
		time.Sleep(20 * time.Millisecond)
	}

	b2, err := broker.Start(context.Background(), broker.Config{Addr: addr, DataDir: dir, Partitions: 3})
	if err != nil {
		t.Fatalf("restart broker: %v", err)
	}
	defer b2.Close()
	if err := <-flushed; err != nil {
		t.Fatalf("Flush across the restart: %v", err)
	}
	batch(150)
	read(150)
	for n := range 300 {
		if c := seen[fmt.Sprint(n)]; c != 1 {
			t.Errorf("record n=%d read %d times, want once", n, c)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := src.Commit(ctx, map[int32]int64{0: 100, 1: 100, 2: 100}, []byte("after")); err != nil {
		t.Fatalf("Commit after the restart: %v", err)
	}
	out := fetchAll(t, addr, "out", 1)[0]
	if len(out) != 100 {
		t.Fatalf("out holds %d records, want 100", len(out))
	}
	for i, m := range out {
		if string(m.Value) != fmt.Sprint(i) {
			t.Fatalf("out record %d is %q: order lost", i, m.Value)
		}
	}
	for name, l := range map[string]*testLog{"source": &srcLog, "sink": &sinkLog} {
		if s := l.String(); !strings.Contains(s, "failed; retrying") || !strings.Contains(s, "connected again") {
			t.Errorf("%s log does not tell of the outage and the recovery:\n%s", name, s)
		}
	}
}
