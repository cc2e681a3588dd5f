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
// records (open windows): it lowers offsets[p] to the smallest offset of a
// record of partition p that still contributes to state not yet emitted.
type pendingOffsets interface {
	pendingOffsets(offsets map[int32]int64)
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
	if rp, ok := r.head.(replayer); ok {
		rp.setReplayed(wm)
	}
	if wm > s.wm {
		s.wm = wm
	}
	if wm > r.wm {
		r.wm = wm
		return r.head.advance(wm)
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
		if po, ok := r.head.(pendingOffsets); ok && len(r.sources) == 1 {
			po.pendingOffsets(offsets)
		}
		if err := s.committer.Commit(ctx, offsets, watermarkMeta(r.wm)); err != nil {
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
