package executor

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/velostream/velostream/engine/connectors"
)

// Offsets of replayable sources are committed only for records whose effects
// are durable: every window a record fell in has been emitted and the sink
// has acknowledged that output (or the record was dead-lettered). The
// watermark reached at commit time travels with the commit, so that after a
// crash the records re-read from the committed offsets that belong to windows
// already emitted are recognised and skipped instead of being counted into a
// partial window again. Rows emitted between the last commit and a crash are
// emitted again after the restart: delivery is at least once, and a row
// emitted twice is the same row (a keyed, compacted output topic makes that
// exactly-once for its readers).

// commitInterval is how often durable progress is committed while running.
const commitInterval = time.Second

// pendingOffsets is implemented by operators that hold state built from
// records (open windows, join and window-function rows): it lowers
// offsets[p] to the smallest offset of a record of partition p of source
// src (an index into the runtime's sources) that still contributes to state
// not yet emitted. Operators pass the call on to the operators after them.
type pendingOffsets interface {
	pendingOffsets(src int, offsets map[int32]int64)
}

// offKey names a partition of a source.
type offKey struct{ src, part int32 }

// minOffsets holds, per source partition, the smallest offset of a record
// that contributed to some state.
type minOffsets map[offKey]int64

// note lowers m to the positions of r (and of the records a joined r was
// made of). It is called only while offsets are tracked.
func (m *minOffsets) note(r *rec) {
	if r.prov != nil && r.src != nil {
		m.lower(offKey{int32(r.src.idx), r.prov.Partition}, r.prov.Offset)
	}
	for _, p := range r.more {
		m.lower(offKey{p.src, p.part}, p.off)
	}
}

func (m *minOffsets) lower(k offKey, off int64) {
	if *m == nil {
		*m = minOffsets{}
	}
	if old, ok := (*m)[k]; !ok || off < old {
		(*m)[k] = off
	}
}

// merge lowers m to every offset of o.
func (m *minOffsets) merge(o minOffsets) {
	for k, off := range o {
		m.lower(k, off)
	}
}

// apply lowers offsets (of source src) to m's.
func (m minOffsets) apply(src int, offsets map[int32]int64) {
	for k, off := range m {
		if int(k.src) != src {
			continue
		}
		if cur, ok := offsets[k.part]; !ok || off < cur {
			offsets[k.part] = off
		}
	}
}

// positions lists where r and the records it was made of are (for joined
// rows built from a stored row and an arriving one).
func positions(r *rec) []srcPos {
	out := make([]srcPos, 0, 1+len(r.more))
	if r.prov != nil && r.src != nil {
		out = append(out, srcPos{int32(r.src.idx), r.prov.Partition, r.prov.Offset})
	}
	return append(out, r.more...)
}

// replayer is implemented by operators with windows: after a restart they
// skip records of windows emitted before it, and they track offsets.
type replayer interface {
	setReplayed(wm int64)
	setTracking()
}

// watermarkMeta is the commit metadata: the query's watermark.
func watermarkMeta(wm int64) []byte { return []byte("velo:wm=" + strconv.FormatInt(wm, 10)) }

func parseWatermarkMeta(b []byte) (int64, bool) {
	s, ok := strings.CutPrefix(string(b), "velo:wm=")
	if !ok {
		return 0, false
	}
	wm, err := strconv.ParseInt(s, 10, 64)
	return wm, err == nil
}

// restore applies the watermark stored with the commit a source resumed
// from: windows that ended at or before it were emitted before the restart.
func (r *runtime) restore(s *sourceState) error {
	s.restored = true
	wm, ok := parseWatermarkMeta(s.committer.Restored())
	if !ok || wm == math.MinInt64 {
		return nil
	}
	r.restoredWM = max(r.restoredWM, wm)
	p := s.pipe
	for _, e := range p.entries {
		if rp, ok := e.(replayer); ok {
			rp.setReplayed(wm)
		}
	}
	if wm > s.wm {
		s.wm = wm
	}
	if wm > p.wm {
		p.wm = wm
		return p.advance(wm)
	}
	return nil
}

// noteRead records that a record of a replayable source was read.
func (s *sourceState) noteRead(p *connectors.Provenance) {
	if s.readNext == nil {
		s.readNext = map[int32]int64{}
	}
	if next := p.Offset + 1; next > s.readNext[p.Partition] {
		s.readNext[p.Partition] = next
	}
}

// commit flushes the sinks and commits, per replayable source, the offsets
// before which every record's effects are durable.
func (r *runtime) commit(ctx context.Context) error {
	r.lastCommit = r.now()
	var committers []*sourceState
	for _, s := range r.sources {
		if s.committer != nil && len(s.readNext) > 0 {
			committers = append(committers, s)
		}
	}
	if len(committers) == 0 {
		return nil
	}
	if err := r.flushAll(ctx); err != nil {
		return err
	}
	for _, s := range committers {
		offsets := make(map[int32]int64, len(s.readNext))
		for p, next := range s.readNext {
			offsets[p] = next
		}
		for _, e := range s.pipe.entries {
			if po, ok := e.(pendingOffsets); ok {
				po.pendingOffsets(s.idx, offsets)
			}
		}
		if err := s.committer.Commit(ctx, offsets, watermarkMeta(s.pipe.wm)); err != nil {
			return fmt.Errorf("commit offsets of %s: %w", s.plan.Name, err)
		}
	}
	return nil
}

// maybeCommit commits when the interval has passed; a failed commit is
// reported and retried at the next interval (the records stay uncommitted,
// so nothing is lost).
func (r *runtime) maybeCommit() {
	if r.now().Sub(r.lastCommit) < commitInterval {
		return
	}
	if err := r.commit(r.ctx); err != nil {
		r.rep.report(err.Error())
	}
}
