package replicator

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/link/metrics"
	"github.com/velostream/velostream/link/offsets"
)

func newTestPart(exactlyOnce bool, now time.Time) *partState {
	m := metrics.New("t", func() []metrics.PartitionLag { return nil }, false)
	return newPartState(offsets.TP{Topic: "t"}, "t", offsets.Point{Source: 100, Target: 0}, m, exactlyOnce, now)
}

func recs(n int) []*kgo.Record {
	out := make([]*kgo.Record, n)
	for i := range out {
		out[i] = &kgo.Record{Value: []byte("v")}
	}
	return out
}

// TestAcksMovePositionInOrder: a batch completes when its last record is
// acknowledged; a batch the filter emptied completes only when every batch
// before it did; the position and the mapping points follow.
func TestAcksMovePositionInOrder(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ps := newTestPart(false, t0)
	b1 := &batch{recs: recs(2), points: []pointAt{{i: 0, source: 100}}, next: 103, fetchedAt: t0.Add(time.Second), end: 110}
	empty := &batch{next: 105, fetchedAt: t0.Add(2 * time.Second), end: 110}
	b3 := &batch{recs: recs(1), next: 110, fetchedAt: t0.Add(3 * time.Second), end: 110}
	ps.push(b1)
	ps.push(empty)
	ps.push(b3)
	if ps.acked.Source != 100 {
		t.Fatalf("position moved to %d before any ack", ps.acked.Source)
	}
	for i, off := range []int64{7, 8} {
		b1.recs[i].Offset = off
		if !ps.ack(b1.recs[i]) {
			t.Fatalf("ack %d refused", i)
		}
	}
	// b1 and the empty batch behind it are done; b3 is not.
	if ps.acked != (offsets.Point{Source: 105, Target: 9}) {
		t.Fatalf("position %+v; want {105 9}", ps.acked)
	}
	if len(ps.points) != 1 || ps.points[0] != (offsets.Point{Source: 100, Target: 7}) {
		t.Fatalf("points %+v", ps.points)
	}
	if ps.ack(b1.recs[0]) {
		t.Fatal("an acknowledgement out of order was accepted")
	}
	b3.recs[0].Offset = 9
	ps.ack(b3.recs[0])
	pos, pts, ok := ps.take()
	if !ok || pos != (offsets.Point{Source: 110, Target: 10}) || len(pts) != 1 {
		t.Fatalf("take = %+v %+v %v", pos, pts, ok)
	}
	if _, _, ok := ps.take(); !ok {
		t.Fatal("nothing to take before the checkpoint is written")
	}
	ps.checkpointed(pos)
	if _, _, ok := ps.take(); ok {
		t.Fatal("a written position is taken again")
	}
	// The last batch reached the source's end: caught up as of its fetch.
	if l := ps.lag(t0.Add(4*time.Second), 3*time.Second); l.LagRecords != 0 {
		t.Fatalf("lag %+v", l)
	}
}

func TestLag(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name        string
		exactlyOnce bool
		run         func(ps *partState)
		at          time.Duration
		records     int64
		seconds     float64
	}{
		{name: "caught up, fresh", run: func(ps *partState) { ps.seen(100, t0.Add(time.Second)) }, at: 2 * time.Second},
		{name: "caught up, but the source not heard from for 5 s", run: func(ps *partState) { ps.seen(100, t0) }, at: 5 * time.Second, seconds: 5},
		{name: "behind since the last time caught up", run: func(ps *partState) {
			ps.seen(100, t0.Add(time.Second))
			ps.seen(150, t0.Add(2*time.Second))
		}, at: 4 * time.Second, records: 50, seconds: 3},
		{name: "exactly once: acknowledged but not committed is lag", exactlyOnce: true, run: func(ps *partState) {
			b := &batch{recs: recs(1), next: 101, fetchedAt: t0.Add(time.Second), end: 101}
			ps.push(b)
			b.recs[0].Offset = 0
			ps.ack(b.recs[0])
			ps.seen(101, t0.Add(time.Second))
		}, at: 2 * time.Second, records: 1, seconds: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := newTestPart(tt.exactlyOnce, t0)
			tt.run(ps)
			l := ps.lag(t0.Add(tt.at), 3*time.Second)
			if l.LagRecords != tt.records || l.LagSeconds != tt.seconds {
				t.Fatalf("lag %d records, %v s; want %d, %v", l.LagRecords, l.LagSeconds, tt.records, tt.seconds)
			}
		})
	}
}
