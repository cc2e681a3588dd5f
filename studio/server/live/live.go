// Package live runs the Studio's queries and fans their results out to the
// clients watching them (WebSocket or SSE streams, MCP calls).
//
// Takes: a compiled query and limits. Gives: a running Query whose result
// rows are encoded once as JSON and handed to every Subscriber in batches,
// with periodic metrics and a final complete or error message.
//
// Memory is bounded whatever the query does: a query keeps only its newest
// BufferRows rows (for subscribers that join late or resume), a batch never
// holds more than that, and each subscriber has a short queue; a subscriber
// that cannot keep up loses batches, and every row it did not get is
// counted and reported to it. A live query stops when its last subscriber
// leaves (or when nobody subscribed within OrphanTimeout); a bounded one
// runs to its end and its rows are kept for Retain.
package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

// Limits bound what a query run from the Studio may use.
type Limits struct {
	// MaxRows stops a query after it emitted this many rows (0: no limit).
	MaxRows int64
	// MaxDuration stops a query after it ran this long (0: no limit).
	MaxDuration time.Duration
	// MaxState stops a query holding more (window, group) states than this:
	// the state a query keeps is what grows its memory (0: no limit).
	MaxState int64
	// MaxQueries is how many queries may run at once (default 64).
	MaxQueries int
	// BufferRows is how many of its newest rows a query keeps, and the
	// most rows one batch carries (default 1000).
	BufferRows int
	// SubscriberQueue is how many messages wait for a slow subscriber
	// before its batches are dropped (default 16).
	SubscriberQueue int
	// BatchInterval is how often rows are sent (default 100ms); the first
	// row after a quiet spell goes out at once.
	BatchInterval time.Duration
	// MetricsInterval is how often metrics are sent (default 1s).
	MetricsInterval time.Duration
	// OrphanTimeout stops a live query that nobody subscribed to (default 30s).
	OrphanTimeout time.Duration
	// Retain is how long a finished query stays for late subscribers and
	// result reads (default 5 minutes).
	Retain time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxQueries <= 0 {
		l.MaxQueries = 64
	}
	if l.BufferRows <= 0 {
		l.BufferRows = 1000
	}
	if l.SubscriberQueue <= 0 {
		l.SubscriberQueue = 16
	}
	if l.BatchInterval <= 0 {
		l.BatchInterval = 100 * time.Millisecond
	}
	if l.MetricsInterval <= 0 {
		l.MetricsInterval = time.Second
	}
	if l.OrphanTimeout <= 0 {
		l.OrphanTimeout = 30 * time.Second
	}
	if l.Retain <= 0 {
		l.Retain = 5 * time.Minute
	}
	return l
}

// Errors of Start.
var (
	ErrTooMany  = errors.New("too many queries are running")
	ErrNotFound = errors.New("no such query")
	ErrFinished = errors.New("the query has finished")
)

// Why a query ended.
const (
	EndOfInput    = "end_of_input"   // its bounded inputs ended
	LimitReached  = "limit"          // its LIMIT was reached
	RowLimit      = "row_limit"      // Limits.MaxRows
	TimeLimit     = "time_limit"     // Limits.MaxDuration
	StateLimit    = "memory_limit"   // Limits.MaxState
	Cancelled     = "cancelled"      // a client or the server cancelled it
	NoSubscribers = "no_subscribers" // a live query's last subscriber left
	Failed        = "error"          // the engine failed
)

// States of a query.
const (
	StateRunning  = "running"
	StateComplete = "complete"
	StateFailed   = "failed"
)

// Spec is a query to start.
type Spec struct {
	// Query is the compiled query.
	Query *engine.Query
	// SQL is its text, kept for listings.
	SQL string
	// Live queries read unbounded streams and stop when their last
	// subscriber leaves; bounded ones run to the end of their input.
	Live bool
	// Sources replaces sources by name (tests and benchmarks feed rows
	// directly).
	Sources map[string]connectors.Source
	// Meta is attached to every schema message (the suggested chart).
	Meta map[string]any
}

// Hub runs queries. It is safe for concurrent use.
type Hub struct {
	limits Limits
	log    *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	queries map[string]*Query
	closed  bool
	wg      sync.WaitGroup
}

// NewHub returns a hub enforcing limits.
func NewHub(limits Limits, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{limits: limits.withDefaults(), log: log, now: time.Now, queries: map[string]*Query{}}
	return h
}

// Limits returns the hub's limits (with defaults filled in).
func (h *Hub) Limits() Limits { return h.limits }

// Start starts a query. It returns once the query's sources are opened
// (or failed to open): a query that cannot start is an error here, not a
// message on its stream.
func (h *Hub) Start(spec Spec) (*Query, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, errors.New("the query hub is closed")
	}
	h.reapLocked()
	running := 0
	for _, q := range h.queries {
		if !q.isDone() {
			running++
		}
	}
	if running >= h.limits.MaxQueries {
		h.mu.Unlock()
		return nil, fmt.Errorf("%w (%d); stop one first", ErrTooMany, running)
	}
	q := newQuery(h, spec)
	h.queries[q.id] = q
	h.wg.Add(1)
	h.mu.Unlock()
	go q.run()
	return q, nil
}

// Get returns the query with id.
func (h *Hub) Get(id string) (*Query, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reapLocked()
	q, ok := h.queries[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrNotFound, id)
	}
	return q, nil
}

// List returns every query the hub holds, newest first.
func (h *Hub) List() []Info {
	h.mu.Lock()
	h.reapLocked()
	qs := make([]*Query, 0, len(h.queries))
	for _, q := range h.queries {
		qs = append(qs, q)
	}
	h.mu.Unlock()
	out := make([]Info, len(qs))
	for i, q := range qs {
		out[i] = q.Info()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out
}

// reapLocked forgets queries that finished more than Retain ago.
func (h *Hub) reapLocked() {
	now := h.now()
	for id, q := range h.queries {
		if end := q.endedAt(); !end.IsZero() && now.Sub(end) > h.limits.Retain {
			delete(h.queries, id)
		}
	}
}

// Close cancels every query and waits for them to stop.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	qs := make([]*Query, 0, len(h.queries))
	for _, q := range h.queries {
		qs = append(qs, q)
	}
	h.mu.Unlock()
	for _, q := range qs {
		q.stop(Cancelled)
	}
	h.wg.Wait()
}

// errStop carries why the server stopped a query through the context.
type errStop struct{ reason string }

func (e errStop) Error() string { return "stopped: " + e.reason }

// Query is a running or finished query.
type Query struct {
	id      string
	hub     *Hub
	spec    Spec
	limits  Limits
	columns []Column
	started time.Time
	stats   executor.Stats
	ctx     context.Context
	cancel  context.CancelCauseFunc
	kick    chan struct{}
	done    chan struct{}
	lat     latencies

	mu        sync.Mutex
	subs      map[*Subscriber]struct{}
	everSub   bool
	pending   [][]byte // encoded rows not sent yet
	pendFirst int64    // sequence number of pending[0]
	ring      ring
	seq       int64 // rows emitted so far (the next row's sequence number)
	evicted   int64 // rows pushed out of the buffer
	lastFlush time.Time
	state     string
	reason    string
	err       error
	ended     time.Time
	final     []byte // the complete or error message
}

// Column is one output column.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "q-" + hex.EncodeToString(b[:])
}

func newQuery(h *Hub, spec Spec) *Query {
	q := &Query{id: newID(), hub: h, spec: spec, limits: h.limits, started: h.now(),
		kick: make(chan struct{}, 1), done: make(chan struct{}), subs: map[*Subscriber]struct{}{},
		state: StateRunning, ring: ring{cap: h.limits.BufferRows}}
	for _, c := range spec.Query.Plan.Output {
		q.columns = append(q.columns, Column{Name: c.Name, Type: c.Type.String()})
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	if h.limits.MaxDuration > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeoutCause(ctx, h.limits.MaxDuration, errStop{TimeLimit})
		q.ctx, q.cancel = ctx, func(err error) { cancel(err); stop() }
	} else {
		q.ctx, q.cancel = ctx, cancel
	}
	q.stats.LatencyNanos = q.lat.observe
	return q
}

// ID is the query's id.
func (q *Query) ID() string { return q.id }

// Columns are the query's output columns.
func (q *Query) Columns() []Column { return q.columns }

// Done is closed when the query has ended.
func (q *Query) Done() <-chan struct{} { return q.done }

func (q *Query) isDone() bool {
	select {
	case <-q.done:
		return true
	default:
		return false
	}
}

func (q *Query) endedAt() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ended
}

// Cancel stops the query.
func (q *Query) Cancel() { q.stop(Cancelled) }

func (q *Query) stop(reason string) { q.cancel(errStop{reason}) }

// run executes the query and then tells every subscriber how it ended.
func (q *Query) run() {
	defer q.hub.wg.Done()
	runDone := make(chan struct{})
	flusherDone := make(chan struct{})
	go q.flusher(runDone, flusherDone)
	em := executor.FuncEmitter{F: q.emit}
	_, err := q.spec.Query.Run(q.ctx, executor.Options{Emitter: em, Stats: &q.stats, Sources: q.spec.Sources, Now: q.hub.now})
	reason := EndOfInput
	var stop errStop
	switch cause := context.Cause(q.ctx); {
	case errors.As(cause, &stop):
		reason, err = stop.reason, nil
	case err != nil && !errors.Is(err, context.Canceled):
		reason = Failed
	default:
		err = nil
		if lim := q.spec.Query.Plan.Limit; lim > 0 && q.stats.Emitted.Load() >= lim {
			reason = LimitReached
		}
	}
	q.cancel(nil)
	close(runDone)
	<-flusherDone
	q.finish(reason, err)
	close(q.done)
}

// emit is called by the executor's goroutine for each result row.
func (q *Query) emit(row types.Row, _ int64) error {
	enc := make([]byte, 0, 16*len(row))
	enc = append(enc, '[')
	for i, v := range row {
		if i > 0 {
			enc = append(enc, ',')
		}
		enc = format.AppendJSONValue(enc, v)
	}
	enc = append(enc, ']')
	q.mu.Lock()
	if q.limits.MaxRows > 0 && q.seq >= q.limits.MaxRows {
		// Rows the executor had in flight when the limit stopped it.
		q.mu.Unlock()
		return nil
	}
	if len(q.pending) == 0 {
		q.pendFirst = q.seq
	}
	q.seq++
	q.pending = append(q.pending, enc)
	q.evicted += int64(q.ring.push(enc))
	first := len(q.pending) == 1
	limited := q.limits.MaxRows > 0 && q.seq >= q.limits.MaxRows
	var b batch
	if len(q.pending) >= q.limits.BufferRows {
		// Faster than the batch interval: a full batch goes out now
		// rather than growing without bound. Delivery does not wait
		// for anyone, so the engine is never slowed by a client.
		b = q.takeLocked()
	}
	q.mu.Unlock()
	b.deliver()
	if limited {
		q.cancel(errStop{RowLimit})
	}
	if first {
		select {
		case q.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// flusher sends batches and metrics until the query ends, then the last
// batch.
func (q *Query) flusher(runDone <-chan struct{}, done chan struct{}) {
	defer close(done)
	bt := time.NewTicker(q.limits.BatchInterval)
	defer bt.Stop()
	mt := time.NewTicker(q.limits.MetricsInterval)
	defer mt.Stop()
	orphan := time.NewTimer(q.limits.OrphanTimeout)
	defer orphan.Stop()
	var prev metricsPoint
	prev.at, prev.read, prev.emitted = q.hub.now(), 0, 0
	for {
		select {
		case <-runDone:
			q.flush()
			return
		case <-q.kick:
			q.mu.Lock()
			due := q.hub.now().Sub(q.lastFlush) >= q.limits.BatchInterval
			q.mu.Unlock()
			if due {
				q.flush()
			}
		case <-bt.C:
			q.flush()
		case <-mt.C:
			prev = q.sendMetrics(prev)
			if q.limits.MaxState > 0 && q.stats.OpenWindows.Load() > q.limits.MaxState {
				q.cancel(errStop{StateLimit})
			}
		case <-orphan.C:
			q.mu.Lock()
			nobody := !q.everSub && q.spec.Live
			q.mu.Unlock()
			if nobody {
				q.stop(NoSubscribers)
			}
		}
	}
}

// flush sends the pending rows as one batch to every subscriber.
func (q *Query) flush() {
	q.mu.Lock()
	q.lastFlush = q.hub.now()
	b := q.takeLocked()
	q.mu.Unlock()
	b.deliver()
}

// batch is a rows message and who gets it.
type batch struct {
	msg  []byte
	n    int64
	subs []*Subscriber
}

// takeLocked turns the pending rows into a batch.
func (q *Query) takeLocked() batch {
	if len(q.pending) == 0 {
		return batch{}
	}
	b := batch{msg: rowsMessage(q.pending, q.pendFirst, q.seq, false), n: int64(len(q.pending)), subs: q.subscribersLocked()}
	q.pending = q.pending[:0:0]
	return b
}

func (b batch) deliver() {
	for _, s := range b.subs {
		s.offer(b.msg, b.n)
	}
}

func (q *Query) subscribersLocked() []*Subscriber {
	out := make([]*Subscriber, 0, len(q.subs))
	for s := range q.subs {
		out = append(out, s)
	}
	return out
}

// finish records how the query ended and tells every subscriber.
func (q *Query) finish(reason string, err error) {
	q.mu.Lock()
	q.reason, q.err, q.ended = reason, err, q.hub.now()
	if err != nil {
		q.state = StateFailed
		q.final = errorMessage("query_failed", err.Error(), nil)
	} else {
		q.state = StateComplete
		q.final = q.completeMessageLocked()
	}
	subs := q.subscribersLocked()
	q.mu.Unlock()
	if err != nil {
		q.hub.log.Info("studio query failed", "query", q.id, "error", err)
	}
	for _, s := range subs {
		s.sendFinal()
	}
}

// Info is a query's state.
type Info struct {
	ID          string    `json:"id"`
	SQL         string    `json:"sql"`
	Live        bool      `json:"live"`
	State       string    `json:"state"`
	Reason      string    `json:"reason,omitempty"`
	Error       string    `json:"error,omitempty"`
	Columns     []Column  `json:"columns"`
	Started     time.Time `json:"started"`
	Ended       time.Time `json:"ended,omitzero"`
	Subscribers int       `json:"subscribers"`
	Stats       Stats     `json:"stats"`
}

// Stats are a query's counters.
type Stats struct {
	Read      int64 `json:"records_read"`
	Emitted   int64 `json:"rows_emitted"`
	Filtered  int64 `json:"records_filtered"`
	Late      int64 `json:"records_late"`
	Bad       int64 `json:"records_bad"`
	State     int64 `json:"open_windows"`
	Buffered  int   `json:"rows_buffered"`
	Evicted   int64 `json:"rows_evicted"`
	ElapsedMS int64 `json:"elapsed_ms"`
}

// Info returns the query's state now.
func (q *Query) Info() Info {
	q.mu.Lock()
	defer q.mu.Unlock()
	in := Info{ID: q.id, SQL: q.spec.SQL, Live: q.spec.Live, State: q.state, Reason: q.reason, Columns: q.columns,
		Started: q.started, Ended: q.ended, Subscribers: len(q.subs), Stats: q.statsLocked()}
	if q.err != nil {
		in.Error = q.err.Error()
	}
	return in
}

func (q *Query) statsLocked() Stats {
	end := q.ended
	if end.IsZero() {
		end = q.hub.now()
	}
	return Stats{Read: q.stats.Read.Load(), Emitted: q.seq, Filtered: q.stats.Filtered.Load(), Late: q.stats.Late.Load(),
		Bad: q.stats.Bad.Load(), State: q.stats.OpenWindows.Load(), Buffered: q.ring.len(), Evicted: q.evicted,
		ElapsedMS: end.Sub(q.started).Milliseconds()}
}

// Rows returns the buffered rows (the newest BufferRows), each a JSON array.
func (q *Query) Rows() [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ring.snapshot()
}

// Wait blocks until the query ends or ctx is done.
func (q *Query) Wait(ctx context.Context) error {
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// metricsPoint is the previous metrics sample, for rates.
type metricsPoint struct {
	at            time.Time
	read, emitted int64
}

func (q *Query) sendMetrics(prev metricsPoint) metricsPoint {
	now := q.hub.now()
	cur := metricsPoint{at: now, read: q.stats.Read.Load(), emitted: q.stats.Emitted.Load()}
	secs := now.Sub(prev.at).Seconds()
	m := metrics{Type: "metrics"}
	if secs > 0 {
		m.RecordsPerSec = float64(cur.read-prev.read) / secs
		m.RowsPerSec = float64(cur.emitted-prev.emitted) / secs
	}
	m.P50, m.P99 = q.lat.quantiles()
	if wm := q.stats.MaxEventTime.Load(); wm > 0 {
		lag := now.UnixMilli() - wm
		m.EventLagMS = &lag
	}
	q.mu.Lock()
	m.Stats = q.statsLocked()
	m.State = q.state
	subs := q.subscribersLocked()
	q.mu.Unlock()
	for _, s := range subs {
		s.offerMetrics(m)
	}
	return cur
}

// latencies keeps the last processing latencies the executor reported.
type latencies struct {
	mu   sync.Mutex
	buf  [256]int64
	n    int
	next int
}

func (l *latencies) observe(nanos int64) {
	l.mu.Lock()
	l.buf[l.next] = nanos
	l.next = (l.next + 1) % len(l.buf)
	l.n = min(l.n+1, len(l.buf))
	l.mu.Unlock()
}

// quantiles returns p50 and p99 in milliseconds (0 before any sample).
func (l *latencies) quantiles() (float64, float64) {
	l.mu.Lock()
	s := append([]int64(nil), l.buf[:l.n]...)
	l.mu.Unlock()
	if len(s) == 0 {
		return 0, 0
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	q := func(p float64) float64 { return float64(s[int(p*float64(len(s)-1))]) / 1e6 }
	return q(0.5), q(0.99)
}

// ring keeps the newest cap encoded rows.
type ring struct {
	cap   int
	rows  [][]byte
	start int
}

// push adds a row and returns how many rows it pushed out (0 or 1).
func (r *ring) push(b []byte) int {
	if len(r.rows) < r.cap {
		r.rows = append(r.rows, b)
		return 0
	}
	r.rows[r.start] = b
	r.start = (r.start + 1) % r.cap
	return 1
}

func (r *ring) len() int { return len(r.rows) }

// delivered returns the buffered rows that were already sent in a batch
// (the pending ones are left out: the next batch carries them), and the
// sequence number of the first.
func (q *Query) deliveredLocked() ([][]byte, int64) {
	snap := q.ring.snapshot()
	snap = snap[:max(0, len(snap)-len(q.pending))]
	end := q.seq - int64(len(q.pending))
	return snap, end - int64(len(snap))
}

func (r *ring) snapshot() [][]byte {
	out := make([][]byte, 0, len(r.rows))
	out = append(out, r.rows[r.start:]...)
	return append(out, r.rows[:r.start]...)
}
