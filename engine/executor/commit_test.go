package executor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/planner"
	"github.com/velostream/velostream/engine/types"
)

// replaySource is a replayable source in memory: records with partitions and
// offsets, served in batches; it records commits and can be told what the
// last commit's metadata was (as after a restart).
type replaySource struct {
	mu       sync.Mutex
	schema   types.Schema
	batches  [][]connectors.Record
	pos      int
	gate     chan struct{} // when set, Read waits on it before the second batch
	restored []byte
	commits  []commit
}

type commit struct {
	offsets map[int32]int64
	meta    string
}

func (s *replaySource) Schema() types.Schema { return s.schema }
func (s *replaySource) Read(ctx context.Context) (connectors.Batch, error) {
	if s.pos == 1 && s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return connectors.Batch{}, ctx.Err()
		}
	}
	if s.pos >= len(s.batches) {
		return connectors.Batch{}, connectors.ErrEndOfInput
	}
	b := s.batches[s.pos]
	s.pos++
	return connectors.Batch{Records: b}, nil
}
func (s *replaySource) Ack(context.Context, []connectors.Provenance) error { return nil }
func (s *replaySource) Close() error                                       { return nil }
func (s *replaySource) Restored() []byte                                   { return s.restored }
func (s *replaySource) Commit(_ context.Context, offsets map[int32]int64, meta []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := map[int32]int64{}
	for k, v := range offsets {
		cp[k] = v
	}
	s.commits = append(s.commits, commit{offsets: cp, meta: string(meta)})
	return nil
}
func (s *replaySource) lastCommit() commit {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.commits) == 0 {
		return commit{}
	}
	return s.commits[len(s.commits)-1]
}

func compile(t *testing.T, sql string, schema types.Schema) *plan.Query {
	t.Helper()
	script, errs := parser.Parse(sql)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	q, errs := binder.Bind(script, binder.Options{Sources: map[string]map[string]string{"t": {"type": "memory"}},
		Resolve: func(*plan.Source) (types.Schema, error) { return schema, nil }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return planner.Plan(q)
}

const minute = int64(60_000)

// recs builds records (key, event time in minutes+seconds) on one partition
// with consecutive offsets from first.
func recs(cols types.Schema, p int32, first int64, events ...[2]any) []connectors.Record {
	var out []connectors.Record
	for i, e := range events {
		row := make(types.Row, len(cols))
		for c, col := range cols {
			switch col.Name {
			case "k":
				row[c] = types.StringValue(e[0].(string))
			case "ts":
				row[c] = types.IntValue(e[1].(int64))
			}
		}
		out = append(out, connectors.Record{Row: row, Prov: connectors.Provenance{Source: "t", Partition: p, Offset: first + int64(i)}})
	}
	return out
}

func rowsText(c *Collector) string {
	var b strings.Builder
	for _, r := range c.Snapshot() {
		fmt.Fprintf(&b, "%s=%d@%d ", r[0].S, r[1].I, r[2].I/minute)
	}
	return strings.TrimSpace(b.String())
}

// While a window is open its records' offsets are not committed; once it is
// emitted and flushed they are, and the watermark travels with the commit.
func TestCommitOnlyDurableOffsets(t *testing.T) {
	schema := types.Schema{{Name: "k", Type: types.String}, {Name: "ts", Type: types.Int}}
	q := compile(t, "SELECT k, COUNT(*) AS n FROM t GROUP BY k WINDOW TUMBLING(ts, 1m)", schema)
	cols := q.Sources[0].Columns
	src := &replaySource{schema: cols, gate: make(chan struct{})}
	src.batches = [][]connectors.Record{
		// offsets 0..3: two records in minute 0, then minute 1 starts (closing minute 0)
		recs(cols, 0, 0, [2]any{"a", int64(1000)}, [2]any{"a", int64(2000)}, [2]any{"a", minute + 1000}, [2]any{"b", minute + 2000}),
		recs(cols, 0, 4, [2]any{"a", 2*minute + 1}),
	}
	clock := &fakeClock{t: time.UnixMilli(0)}
	out := &Collector{}
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_, err := Run(ctx, q, Options{Emitter: out, Sources: map[string]connectors.Source{"t": src}, Now: clock.now, Tick: time.Millisecond})
		done <- err
	}()
	// Let a commit happen while minute 1 is still open: offsets 0-1 are
	// durable (minute 0 emitted), offset 2 (first record of minute 1) is not.
	waitFor(t, func() bool { clock.add(2 * time.Second); return src.lastCommit().offsets != nil })
	c := src.lastCommit()
	if c.offsets[0] != 2 || c.meta != fmt.Sprintf("velo:wm=%d", minute+2000) {
		t.Fatalf("mid-run commit %+v, want offset 2 and the watermark", c)
	}
	close(src.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// At the end every window is emitted: everything read is committed.
	if c := src.lastCommit(); c.offsets[0] != 5 {
		t.Fatalf("final commit %+v, want offset 5", c)
	}
	if got := rowsText(out); got != "a=2@0 a=1@1 b=1@1 a=1@2" {
		t.Fatalf("rows %s", got)
	}
}

// After a restart the source re-reads from the committed offset: records of
// windows emitted before the restart are recognised by the restored
// watermark and skipped; open windows are rebuilt from their records.
func TestRestoreSkipsEmittedWindows(t *testing.T) {
	schema := types.Schema{{Name: "k", Type: types.String}, {Name: "ts", Type: types.Int}}
	q := compile(t, "SELECT k, COUNT(*) AS n FROM t GROUP BY k WINDOW TUMBLING(ts, 1m)", schema)
	cols := q.Sources[0].Columns
	// Committed offset 1 with watermark 00:01:00.500: record 1 (00:00:02,
	// minute 0, already emitted) is re-read and must not count again.
	src := &replaySource{schema: cols, restored: []byte(fmt.Sprintf("velo:wm=%d", minute+500))}
	src.batches = [][]connectors.Record{recs(cols, 0, 1,
		[2]any{"a", int64(2000)}, [2]any{"a", minute + 1000}, [2]any{"b", minute + 2000}, [2]any{"a", 2*minute + 1})}
	out := &Collector{}
	stats, err := Run(context.Background(), q, Options{Emitter: out, Sources: map[string]connectors.Source{"t": src}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsText(out); got != "a=1@1 b=1@1 a=1@2" {
		t.Fatalf("rows %s", got)
	}
	if stats.Replayed.Load() != 1 || stats.Late.Load() != 0 {
		t.Fatalf("replayed %d late %d", stats.Replayed.Load(), stats.Late.Load())
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A caller's dead-letter emitter may be any Emitter, including a func value
// (not comparable): the runtime must not compare it with its own.
func TestDeadLetterEmitterOfAnyKind(t *testing.T) {
	schema := types.Schema{{Name: "k", Type: types.String}, {Name: "ts", Type: types.Int}}
	q := compile(t, "SELECT k FROM t WHERE ts / 0 > 1", schema)
	cols := q.Sources[0].Columns
	src := &replaySource{schema: cols, batches: [][]connectors.Record{recs(cols, 0, 0, [2]any{"a", int64(1)})}}
	var dead int
	dlq := FuncEmitter{F: func(types.Row, int64) error { dead++; return nil }}
	stats, err := Run(context.Background(), q, Options{Emitter: &Collector{}, DeadLetter: dlq, Sources: map[string]connectors.Source{"t": src}})
	if err != nil {
		t.Fatal(err)
	}
	if dead != 1 || stats.DeadLettered.Load() != 1 {
		t.Fatalf("dead letters %d, counted %d", dead, stats.DeadLettered.Load())
	}
}
