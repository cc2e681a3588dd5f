package executor

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Stats are a running query's counters. They are updated by the query's
// goroutine and may be read concurrently (metrics, the Studio).
type Stats struct {
	Read         atomic.Int64 // records read from sources (good and bad)
	Emitted      atomic.Int64 // result rows emitted
	Late         atomic.Int64 // records whose every window had closed
	DeadLettered atomic.Int64 // records written to a dead-letter sink
	Bad          atomic.Int64 // records that could not be decoded or processed
	Filtered     atomic.Int64 // records removed by WHERE
	Replayed     atomic.Int64 // records re-read after a restart whose windows were already emitted
	OpenWindows  atomic.Int64 // (window, group) states held
	JoinRows     atomic.Int64 // rows a join of two streams holds while they may still match
	TableRows    atomic.Int64 // rows held by tables (the latest per key)
	OverRows     atomic.Int64 // rows window functions hold (waiting for the watermark or for following rows)
	Watermark    atomic.Int64 // current watermark, ms (math.MinInt64 before any record)
	MaxEventTime atomic.Int64 // largest event time seen, ms
	// LatencyNanos observes processing latency per batch (for metrics);
	// nil when nobody listens.
	LatencyNanos func(nanos int64)
}

// Summary renders the end-of-run line for standard error.
func (s *Stats) Summary(elapsed time.Duration) string {
	read := s.Read.Load()
	rate := ""
	if secs := elapsed.Seconds(); secs > 0 && read > 0 {
		rate = fmt.Sprintf(" (%.0f records/s)", float64(read)/secs)
	}
	return fmt.Sprintf("velo: read %d records, emitted %d rows, %d late, %d bad, %d dead-lettered in %s%s",
		read, s.Emitted.Load(), s.Late.Load(), s.Bad.Load(), s.DeadLettered.Load(), elapsed.Round(time.Millisecond), rate)
}

// reporter prints problems with records to standard error at most once a
// second: the first one at once, then a count of the ones held back.
type reporter struct {
	mu      sync.Mutex
	w       io.Writer
	now     func() time.Time
	last    time.Time
	held    int64
	example string
}

func newReporter(w io.Writer, now func() time.Time) *reporter {
	return &reporter{w: w, now: now}
}

func (r *reporter) report(msg string) {
	if r == nil || r.w == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.now()
	if t.Sub(r.last) >= time.Second {
		r.flushLocked()
		fmt.Fprintln(r.w, "velo:", msg)
		r.last = t
		return
	}
	r.held++
	r.example = msg
}

// tick prints what was held back once a second has passed.
func (r *reporter) tick() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held > 0 && r.now().Sub(r.last) >= time.Second {
		r.flushLocked()
		r.last = r.now()
	}
}

func (r *reporter) flushLocked() {
	if r.held == 0 {
		return
	}
	if r.held == 1 {
		fmt.Fprintln(r.w, "velo:", r.example)
	} else {
		fmt.Fprintf(r.w, "velo: %d more bad records, the last: %s\n", r.held, r.example)
	}
	r.held = 0
}

func (r *reporter) close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.flushLocked()
	r.mu.Unlock()
}
