package replicator

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/link/metrics"
	"github.com/velostream/velostream/link/offsets"
)

// batch is the records of one fetch of one source partition, on their way
// to the target. Records are acknowledged in order.
type batch struct {
	recs []*kgo.Record
	// points are the indexes in recs of records that start a mapping
	// bucket, and their source offsets.
	points []pointAt
	// next is the source position after the batch: past its last record,
	// filtered records and transaction markers included.
	next  int64
	acked int
	// lastTarget is the target offset of the last acknowledged record.
	lastTarget int64
	// fetchedAt and end are when the batch was fetched and the source's
	// end offset then: a batch that reaches end proves the target held
	// everything the source held at fetchedAt.
	fetchedAt time.Time
	end       int64
}

type pointAt struct {
	i      int
	source int64
}

// partState is one mirrored source partition. The poll loop pushes batches,
// the producer's promises acknowledge their records, the checkpointer (at
// least once) or the transaction (exactly once) makes positions durable.
type partState struct {
	tp     offsets.TP
	target string // the target topic

	records, bytes prometheus.Counter
	// promise is the producer's callback for the partition's records.
	promise func(*kgo.Record, error)

	mu       sync.Mutex
	inflight []*batch
	// acked: every source record before acked.Source is written to the
	// target (in the open transaction, with exactly once), the next one
	// goes at acked.Target or later.
	acked offsets.Point
	// points are mapping points acknowledged since the last checkpoint.
	points []offsets.Point
	// ckpt is the last position handed to the state (written with at
	// least once, committed with exactly once).
	ckpt        offsets.Point
	sinceCkpt   int64
	lastBucket  int64 // bucket of the last record given a point; -1 none
	lastWrite   time.Time
	end         int64     // the source's end offset as last seen; -1 unknown
	endAt       time.Time // when end was last confirmed
	asOf        time.Time // the target held all the source held at this time
	exactlyOnce bool
	// doneFetchedAt and doneEnd are those of the last completed batch.
	doneFetchedAt time.Time
	doneEnd       int64
}

func newPartState(tp offsets.TP, target string, start offsets.Point, m *metrics.Metrics, exactlyOnce bool, now time.Time) *partState {
	ps := &partState{tp: tp, target: target, acked: start, ckpt: start, lastBucket: -1, end: -1, doneEnd: -1, asOf: now, exactlyOnce: exactlyOnce}
	ps.records, ps.bytes = m.Partition(tp.Topic, tp.Partition)
	return ps
}

// push queues a batch whose records are being produced; a batch without
// records completes at once when nothing is ahead of it.
func (ps *partState) push(b *batch) {
	ps.mu.Lock()
	ps.inflight = append(ps.inflight, b)
	ps.complete()
	ps.mu.Unlock()
}

// ack records that the next record of the oldest batch was written at
// offset. It returns false when r is not that record: promises are called
// in order per partition for successful records, so anything else means
// the producer lost track, and replication restarts.
func (ps *partState) ack(r *kgo.Record) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.inflight) == 0 {
		return false
	}
	b := ps.inflight[0]
	if b.acked >= len(b.recs) || b.recs[b.acked] != r {
		return false
	}
	i := b.acked
	b.acked++
	b.lastTarget = r.Offset
	for _, p := range b.points {
		if p.i == i {
			ps.points = append(ps.points, offsets.Point{Source: p.source, Target: r.Offset})
		}
	}
	ps.records.Inc()
	ps.bytes.Add(float64(len(r.Key) + len(r.Value)))
	ps.lastWrite = time.Now()
	ps.complete()
	return true
}

// complete retires finished batches at the head of the queue. Call with
// mu held.
func (ps *partState) complete() {
	for len(ps.inflight) > 0 {
		b := ps.inflight[0]
		if b.acked < len(b.recs) {
			return
		}
		if len(b.recs) > 0 {
			ps.acked.Target = b.lastTarget + 1
		}
		ps.sinceCkpt += b.next - ps.acked.Source
		ps.acked.Source = b.next
		ps.doneFetchedAt, ps.doneEnd = b.fetchedAt, b.end
		if !ps.exactlyOnce && b.end >= 0 && b.next >= b.end && b.fetchedAt.After(ps.asOf) {
			ps.asOf = b.fetchedAt
		}
		ps.inflight[0] = nil
		ps.inflight = ps.inflight[1:]
	}
}

// take returns the position and points to make durable, if anything moved
// since the last checkpoint.
func (ps *partState) take() (offsets.Point, []offsets.Point, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.acked == ps.ckpt && len(ps.points) == 0 {
		return ps.ckpt, nil, false
	}
	pts := ps.points
	ps.points = nil
	return ps.acked, pts, true
}

// checkpointed records that pos is durable: written (at least once) or
// committed (exactly once). A commit also proves when the target last held
// everything the source held: the fetch time of the last batch it holds,
// if that batch reached the source's end.
func (ps *partState) checkpointed(pos offsets.Point) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.ckpt = pos
	ps.sinceCkpt = 0
	if ps.exactlyOnce && ps.doneEnd >= 0 && pos.Source >= ps.doneEnd && ps.doneFetchedAt.After(ps.asOf) {
		ps.asOf = ps.doneFetchedAt
	}
}

// due reports whether the partition should be checkpointed now.
func (ps *partState) due(every int64) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.sinceCkpt >= every
}

// seen records the source's end offset as of at.
func (ps *partState) seen(end int64, at time.Time) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if end > ps.end || at.After(ps.endAt) {
		ps.end = max(ps.end, end)
		ps.endAt = at
	}
	pos := ps.acked
	if ps.exactlyOnce {
		pos = ps.ckpt
	}
	if pos.Source >= end && at.After(ps.asOf) {
		ps.asOf = at
	}
}

// lag reports the partition's lag as of now. Lag in seconds is 0 while the
// last check found it caught up and that check is recent (fresh); else it
// is the time since the target last held everything.
func (ps *partState) lag(now time.Time, fresh time.Duration) metrics.PartitionLag {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	pos := ps.acked
	if ps.exactlyOnce {
		pos = ps.ckpt
	}
	l := metrics.PartitionLag{Topic: ps.tp.Topic, Partition: ps.tp.Partition, LastReplicated: ps.lastWrite}
	if ps.end >= 0 {
		l.LagRecords = max(0, ps.end-pos.Source)
	}
	if l.LagRecords > 0 || now.Sub(ps.endAt) > fresh {
		l.LagSeconds = max(0, now.Sub(ps.asOf).Seconds())
	}
	return l
}
