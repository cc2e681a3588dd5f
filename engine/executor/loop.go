package executor

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/velostream/velostream/engine/connectors"
)

// The run loop. Every batch is handled on the runtime's goroutine:
//
//   - Tables first. The sources of tables (a join's table side, and the
//     inputs of tables defined by CREATE TABLE ... AS SELECT) are read before
//     any record of the final query's streams is processed, until they end
//     or have caught up with a live input (Kafka lag zero, or nothing new
//     for a tick). So a bounded table is complete when the first stream
//     record looks it up; a live one then goes on changing as its records
//     arrive (a stream record sees the table as it stands when processed).
//   - One stream: its batches are processed as they come.
//   - Several streams (a join of streams): their records are merged in
//     event-time order (ties in FROM order), so the result of a bounded run
//     does not depend on which reader goroutine was faster. The merge waits
//     for every stream's next batch; a live source that keeps it waiting
//     for a tick is no longer waited for until it sends again.

// errStopped ends the loop when the run's context is cancelled (Ctrl-C,
// SIGTERM, LIMIT): what was emitted is flushed, nothing is closed early.
var errStopped = errors.New("stopped")

// cursor is a position in a batch being merged with other sources' batches.
type cursor struct {
	b     connectors.Batch
	i     int   // next record
	bad   int   // next bad record
	t     int64 // event time of record i, once ready
	ready bool
}

func (r *runtime) loop() error {
	tick := time.NewTicker(r.opts.Tick)
	defer tick.Stop()
	err := r.run(tick.C)
	if errors.Is(err, errStopped) {
		return r.stop()
	}
	return err
}

func (r *runtime) run(tick <-chan time.Time) error {
	if err := r.preload(tick); err != nil {
		return err
	}
	for {
		if r.main.done() {
			return r.finish()
		}
		if r.merge {
			progressed, err := r.mergeStep()
			if err != nil {
				return err
			}
			if progressed {
				continue
			}
		}
		if err := r.wait(tick); err != nil {
			return err
		}
	}
}

// wait handles one event: a batch, a tick, or the end of the run.
func (r *runtime) wait(tick <-chan time.Time) error {
	select {
	case res := <-r.batches:
		if err := r.handle(res); err != nil {
			return err
		}
	case <-tick:
		if err := r.onTick(); err != nil {
			return err
		}
	case <-r.ctx.Done():
		return errStopped
	}
	if r.limited {
		return errStopped
	}
	return nil
}

// preload reads the tables' sources until each has ended or caught up;
// batches of the final query's streams that arrive meanwhile wait.
func (r *runtime) preload(tick <-chan time.Time) error {
	r.preloading = true
	for !r.preloaded() {
		if err := r.wait(tick); err != nil {
			r.preloading = false
			return err
		}
	}
	r.preloading = false
	if r.merge {
		return nil
	}
	for _, s := range r.main.sources {
		if s.pend == nil {
			continue
		}
		b := s.pend
		s.pend = nil
		start := time.Now()
		if err := r.process(s, b); err != nil {
			return err
		}
		if r.limited {
			return errStopped
		}
		if err := r.afterBatch(start); err != nil {
			return err
		}
		if err := r.release(s); err != nil {
			return err
		}
	}
	return nil
}

func (r *runtime) preloaded() bool {
	for _, s := range r.sources {
		if s.preload && !s.done && !s.caughtUp {
			return false
		}
	}
	return true
}

// handle takes one batch (or the end, or the failure, of a source).
func (r *runtime) handle(res readResult) error {
	s := res.s
	s.got++
	s.waiting = time.Time{}
	s.silent = false
	if res.err != nil {
		s.done = true
		if errors.Is(res.err, connectors.ErrEndOfInput) || errors.Is(res.err, io.EOF) {
			// A table's defining query whose input ended closes its
			// windows: their rows are the table's final rows.
			if p := s.pipe; p != nil && !p.main && p.done() {
				return p.finish()
			}
			return nil
		}
		if r.ctx.Err() != nil {
			return errStopped
		}
		return fmt.Errorf("source %s: %w", s.plan.Name, res.err)
	}
	if s.committer != nil && !s.restored {
		if err := r.restore(s); err != nil {
			return err
		}
	}
	empty := len(res.b.Records) == 0 && len(res.b.Bad) == 0
	if s.preload && empty {
		s.caughtUp = true
	}
	if s.pipe != nil && s.pipe.main && (r.merge || r.preloading) && !empty {
		b := res.b
		if r.merge {
			r.stats.Read.Add(int64(len(b.Records) + len(b.Bad)))
			s.pending(b.Pending)
			for _, p := range b.Idle {
				s.part(p).idle = true
			}
			s.cur = cursor{b: b}
		}
		s.pend = &b
		return nil
	}
	start := time.Now()
	var err error
	if s.pipe == nil {
		err = r.processTable(s, &res.b)
	} else {
		err = r.process(s, &res.b)
	}
	if err != nil {
		return err
	}
	if r.limited { // the rows are flushed on the way out
		return errStopped
	}
	if err := r.afterBatch(start); err != nil {
		return err
	}
	return r.release(s)
}

// release lets s's reader read its next batch (the rows of this one are
// then reused).
func (r *runtime) release(s *sourceState) error {
	s.pend = nil
	s.cur = cursor{}
	select {
	case s.next <- struct{}{}:
		return nil
	case <-r.ctx.Done():
		return errStopped
	}
}

// afterBatch hands what a batch produced to the sink now (without waiting
// for durability), so EMIT CHANGES rows do not wait for a full output
// batch, and observes the latency.
func (r *runtime) afterBatch(start time.Time) error {
	if p, ok := r.em.(pusher); ok {
		if err := p.push(); err != nil {
			return fmt.Errorf("sink: %w", err)
		}
	}
	if r.stats.LatencyNanos != nil {
		r.stats.LatencyNanos(time.Since(start).Nanoseconds())
	}
	return nil
}

// pusher is implemented by emitters that buffer rows: push hands the buffer
// to the sink without waiting for it to be durable.
type pusher interface{ push() error }

// mergeStep processes records of the final query's streams in event-time
// order while every stream that is awaited has a batch. It returns false
// when it processed nothing and must wait for a batch.
func (r *runtime) mergeStep() (progressed bool, err error) {
	var start time.Time
	defer func() {
		if progressed && err == nil && !r.limited {
			r.publish()
			err = r.afterBatch(start)
		}
	}()
	for {
		if r.awaiting() {
			return progressed, nil
		}
		best, released, err := r.earliest()
		if err != nil {
			return progressed, err
		}
		if released {
			continue
		}
		if best == nil { // every stream is done or quiet
			return progressed, nil
		}
		if !progressed {
			start, progressed = time.Now(), true
		}
		limit, limitIdx := int64(math.MaxInt64), math.MaxInt
		for _, s := range r.main.sources {
			if s != best && s.pend != nil && s.cur.ready && s.cur.t < limit {
				limit, limitIdx = s.cur.t, s.idx
			}
		}
		// Take best's records up to the next stream's first (ties go to
		// the stream named first in FROM).
		for {
			if err := r.pushHead(best); err != nil {
				return progressed, err
			}
			if r.limited {
				return progressed, errStopped
			}
			ok, err := r.headOf(best)
			if err != nil {
				return progressed, err
			}
			if !ok {
				if err := r.release(best); err != nil {
					return progressed, err
				}
				break
			}
			if best.cur.t > limit || (best.cur.t == limit && best.idx > limitIdx) {
				break
			}
		}
	}
}

// awaiting reports whether the merge must wait for a stream's next batch.
func (r *runtime) awaiting() bool {
	for _, s := range r.main.sources {
		if !s.done && s.pend == nil && !s.silent {
			if s.waiting.IsZero() {
				s.waiting = time.Now()
			}
			return true
		}
	}
	return false
}

// earliest readies each held batch's next record and returns the stream
// whose record comes first. A batch found used up is released instead
// (released is then true and the merge must look again).
func (r *runtime) earliest() (best *sourceState, released bool, err error) {
	for _, s := range r.main.sources {
		if s.pend == nil {
			continue
		}
		ok, err := r.headOf(s)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return nil, true, r.release(s)
		}
		if best == nil || s.cur.t < best.cur.t {
			best = s
		}
	}
	return best, false, nil
}

// headOf readies s's next record (handling bad records before it, in
// input order); false when its batch is used up.
func (r *runtime) headOf(s *sourceState) (bool, error) {
	c := &s.cur
	for !c.ready {
		if c.i >= len(c.b.Records) {
			for ; c.bad < len(c.b.Bad); c.bad++ {
				r.decodeFailed(s, &c.b.Bad[c.bad])
			}
			return false, nil
		}
		in := &c.b.Records[c.i]
		for c.bad < len(c.b.Bad) && before(&c.b.Bad[c.bad].Prov, &in.Prov) {
			r.decodeFailed(s, &c.b.Bad[c.bad])
			c.bad++
		}
		for _, m := range s.meta {
			in.Row[m.idx] = metaValue(m.name, &in.Prov)
		}
		if s.procTime {
			c.t = r.now().UnixMilli()
		} else {
			t, err := eventTime(in.Row[s.plan.TimeCol], s.plan.TimeFormat)
			if err != nil {
				if s.committer != nil {
					s.noteRead(&in.Prov)
				}
				r.badRecord(s, &in.Prov, nil, in.Row, "time", fmt.Errorf("event time column %q: %w", s.plan.Columns[s.plan.TimeCol].Name, err))
				c.i++
				continue
			}
			c.t = t
		}
		c.ready = true
	}
	return true, nil
}

// pushHead processes s's ready record.
func (r *runtime) pushHead(s *sourceState) error {
	c := &s.cur
	in := &c.b.Records[c.i]
	c.i++
	c.ready = false
	if s.committer != nil {
		s.noteRead(&in.Prov)
	}
	r.rc = rec{row: in.Row, t: c.t, prov: &in.Prov, src: s}
	if err := s.entry.push(&r.rc); err != nil {
		return err
	}
	if r.limited {
		return nil
	}
	ps := s.part(in.Prov.Partition)
	if !ps.seen || c.t > ps.max {
		ps.max, ps.seen, ps.idle = c.t, true, false
		return r.updateWatermark(s)
	}
	return nil
}

// processTable pushes a batch of a join's table side: no event time, no
// watermark.
func (r *runtime) processTable(s *sourceState, b *connectors.Batch) error {
	r.stats.Read.Add(int64(len(b.Records) + len(b.Bad)))
	bad := 0
	var rc rec
	for i := range b.Records {
		in := &b.Records[i]
		for bad < len(b.Bad) && before(&b.Bad[bad].Prov, &in.Prov) {
			r.decodeFailed(s, &b.Bad[bad])
			bad++
		}
		for _, m := range s.meta {
			in.Row[m.idx] = metaValue(m.name, &in.Prov)
		}
		rc = rec{row: in.Row, prov: &in.Prov, src: s}
		if err := s.entry.push(&rc); err != nil {
			return err
		}
	}
	for ; bad < len(b.Bad); bad++ {
		r.decodeFailed(s, &b.Bad[bad])
	}
	return nil
}

// pending marks partitions that hold records but have delivered none: they
// hold the watermark (at no time at all) until they deliver or go idle
// (see connectors.Batch.Pending).
func (s *sourceState) pending(parts []int32) {
	for _, p := range parts {
		if ps := s.part(p); !ps.seen {
			ps.seen, ps.max, ps.idle = true, math.MinInt64, false
		}
	}
}

// process pushes one batch through the operators. Bad records are handled
// in input order with the good ones, so dead letters keep the input's order.
func (r *runtime) process(s *sourceState, b *connectors.Batch) error {
	s.pending(b.Pending)
	for _, p := range b.Idle {
		s.part(p).idle = true
	}
	if len(b.Records) == 0 && len(b.Bad) == 0 {
		if len(b.Idle) > 0 {
			return r.updateWatermark(s)
		}
		return nil
	}
	r.stats.Read.Add(int64(len(b.Records) + len(b.Bad)))
	var rc rec
	procNow := int64(0)
	if s.procTime {
		procNow = r.now().UnixMilli()
	}
	defer r.publish()
	p := s.pipe
	single := len(p.sources) == 1 && len(s.parts) <= 1
	bad := 0
	for i := range b.Records {
		in := &b.Records[i]
		for bad < len(b.Bad) && before(&b.Bad[bad].Prov, &in.Prov) {
			r.decodeFailed(s, &b.Bad[bad])
			bad++
		}
		for _, m := range s.meta {
			in.Row[m.idx] = metaValue(m.name, &in.Prov)
		}
		t := procNow
		if !s.procTime {
			var err error
			t, err = eventTime(in.Row[s.plan.TimeCol], s.plan.TimeFormat)
			if err != nil {
				if s.committer != nil {
					s.noteRead(&in.Prov)
				}
				r.badRecord(s, &in.Prov, nil, in.Row, "time", fmt.Errorf("event time column %q: %w", s.plan.Columns[s.plan.TimeCol].Name, err))
				continue
			}
		}
		if s.committer != nil {
			s.noteRead(&in.Prov)
		}
		rc = rec{row: in.Row, t: t, prov: &in.Prov, src: s}
		if err := s.entry.push(&rc); err != nil {
			return err
		}
		if r.limited {
			return nil
		}
		// Advance the watermark as soon as it moves, so a window closes
		// before the next record is judged late or on time.
		ps := s.part(in.Prov.Partition)
		if !ps.seen || t > ps.max {
			ps.max, ps.seen, ps.idle = t, true, false
			if single && len(s.parts) == 1 && t-s.plan.MaxOutOfOrder > p.wm {
				// One source, one partition: the watermark is this
				// partition's, no minimum to take.
				p.wm = t - s.plan.MaxOutOfOrder
				s.wm, p.maxTime = p.wm, max(p.maxTime, t)
				if err := p.advance(p.wm); err != nil {
					return err
				}
			} else if err := r.updateWatermark(s); err != nil {
				return err
			}
		}
	}
	for ; bad < len(b.Bad); bad++ {
		r.decodeFailed(s, &b.Bad[bad])
	}
	return nil
}

// before reports whether a comes before b in its source (same partition:
// by line or offset).
func before(a, b *connectors.Provenance) bool {
	if a.Partition != b.Partition {
		return false
	}
	if a.Line > 0 && b.Line > 0 {
		return a.Line < b.Line
	}
	return a.Offset < b.Offset
}

func (r *runtime) decodeFailed(s *sourceState, bad *connectors.BadRecord) {
	if s.committer != nil {
		s.noteRead(&bad.Prov)
	}
	r.badRecord(s, &bad.Prov, bad.Raw, nil, "decode", bad.Err)
}

// updateWatermark recomputes s's watermark and its pipeline's (the minimum
// over the pipeline's sources), and lets the operators close windows.
func (r *runtime) updateWatermark(s *sourceState) error {
	p := s.pipe
	if p == nil {
		return nil
	}
	wm, mx := int64(math.MaxInt64), int64(math.MinInt64)
	active, seen := 0, 0
	for i := range s.parts {
		ps := &s.parts[i]
		if !ps.seen {
			continue
		}
		seen++
		mx = max(mx, ps.max)
		if ps.idle {
			continue
		}
		active++
		wm = min(wm, ps.max)
	}
	if seen == 0 {
		return nil
	}
	if active == 0 { // every partition idle: the newest data decides
		wm = mx
	}
	p.maxTime = max(p.maxTime, mx)
	if wm == math.MinInt64 {
		return nil // a pending partition has delivered nothing yet
	}
	wm -= s.plan.MaxOutOfOrder
	if wm <= s.wm {
		return nil
	}
	s.wm = wm
	qwm := int64(math.MaxInt64)
	for _, o := range p.sources {
		if o.done && o != s {
			continue
		}
		qwm = min(qwm, o.wm)
	}
	if qwm <= p.wm {
		return nil
	}
	p.wm = qwm
	return p.advance(qwm)
}

// publish copies the final query's watermark and largest event time to the
// shared Stats once per batch (atomic stores per record would cost more
// than the work).
func (r *runtime) publish() {
	r.stats.Watermark.Store(r.main.wm)
	r.stats.MaxEventTime.Store(r.main.maxTime)
}

// onTick advances processing-time watermarks, prints held-back reports,
// and notices sources that have caught up (tables) or gone quiet (merge).
func (r *runtime) onTick() error {
	r.rep.tick()
	r.maybeCommit()
	now := r.now().UnixMilli()
	for _, s := range r.sources {
		if s.procTime && !s.done && s.pipe != nil {
			p := s.part(0)
			p.max, p.seen = max(p.max, now), true
			if err := r.updateWatermark(s); err != nil {
				return err
			}
		}
	}
	if r.preloading {
		for _, s := range r.sources {
			if !s.preload || s.done || s.caughtUp {
				continue
			}
			if l, ok := s.src.(connectors.Lagger); ok && s.got > 0 {
				behind := int64(0)
				for _, n := range l.Lag() {
					behind += n
				}
				if behind == 0 {
					s.caughtUp = true
				}
			} else if !s.waitAlways && s.got == s.gotAtTick {
				s.caughtUp = true // nothing new for a whole tick
			}
			s.gotAtTick = s.got
		}
	}
	if r.merge {
		wall := time.Now()
		for _, s := range r.main.sources {
			if !s.waitAlways && !s.done && s.pend == nil && !s.waiting.IsZero() && wall.Sub(s.waiting) >= r.opts.Tick {
				s.silent = true
			}
		}
		r.publish()
	}
	return nil
}

// finish ends a bounded run: every open window closes, in order.
func (r *runtime) finish() error {
	if err := r.main.finish(); err != nil {
		return err
	}
	r.publish()
	return r.flushAndCommit()
}
