package executor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/planner"
	"github.com/velostream/velostream/engine/types"
)

func compileJoin(t *testing.T, sql string, schema types.Schema, names ...string) *plan.Query {
	t.Helper()
	script, errs := parser.Parse(sql)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	srcs := map[string]map[string]string{}
	for _, n := range names {
		srcs[n] = map[string]string{"type": "memory"}
	}
	q, errs := binder.Bind(script, binder.Options{Sources: srcs, Resolve: func(*plan.Source) (types.Schema, error) { return schema, nil }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return planner.Plan(q)
}

func colsOf(q *plan.Query, name string) types.Schema {
	for _, s := range q.Sources {
		if s.Name == name {
			return s.Columns
		}
	}
	return nil
}

// Rows a join of two streams holds can still match: their offsets are not
// committed until they are dropped. Each source's offsets are its own.
func TestJoinStatePinsOffsets(t *testing.T) {
	schema := types.Schema{{Name: "k", Type: types.String}, {Name: "ts", Type: types.Int}}
	q := compileJoin(t, "SELECT a.k AS ak, b.k AS bk FROM a LEFT JOIN b ON a.k = b.k WITHIN INTERVAL '1' MINUTE "+
		"WITH ('a.event.time.field' = 'ts', 'b.event.time.field' = 'ts')", schema, "a", "b")
	ac, bc := colsOf(q, "a"), colsOf(q, "b")
	a := &replaySource{schema: ac, gate: make(chan struct{})}
	a.batches = [][]connectors.Record{
		recs(ac, 0, 0, [2]any{"x", int64(0)}, [2]any{"y", int64(10_000)}),
		recs(ac, 0, 2, [2]any{"z", 5 * minute}),
	}
	b := &replaySource{schema: bc}
	b.batches = [][]connectors.Record{recs(bc, 0, 0, [2]any{"x", int64(20_000)}, [2]any{"q", 3 * minute})}
	clock := &fakeClock{t: time.UnixMilli(0)}
	out := &Collector{}
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), q, Options{Emitter: out, Sources: map[string]connectors.Source{"a": a, "b": b}, Now: clock.now, Tick: time.Millisecond})
		done <- err
	}()
	// a waits before its second batch: the watermark is a's 00:00:10, so
	// every row read is still held; nothing of either source is committed.
	waitFor(t, func() bool {
		clock.add(2 * time.Second)
		return a.lastCommit().offsets != nil && b.lastCommit().offsets != nil
	})
	if ca, cb := a.lastCommit(), b.lastCommit(); ca.offsets[0] != 0 || cb.offsets[0] != 0 {
		t.Fatalf("mid-run commits a=%v b=%v, want offset 0 for both (rows held)", ca.offsets, cb.offsets)
	}
	close(a.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ca, cb := a.lastCommit(), b.lastCommit(); ca.offsets[0] != 3 || cb.offsets[0] != 2 {
		t.Fatalf("final commits a=%v b=%v, want 3 and 2", ca.offsets, cb.offsets)
	}
	var got []string
	for _, r := range out.Snapshot() {
		got = append(got, r[0].S+"-"+r[1].S)
	}
	if strings.Join(got, " ") != "x-x y- z-" {
		t.Fatalf("rows %v", got)
	}
}
