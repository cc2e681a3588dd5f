package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/types"
)

// decl declares the test stream t; tests replace its source with a feed.
const decl = "CREATE STREAM t (symbol STRING, n INTEGER, ts TIMESTAMP) WITH ('t.type' = 'file_source', 't.path' = 'unused.jsonl', 't.event.time.field' = 'ts');\n"

func compile(t testing.TB, sql string) *engine.Query {
	t.Helper()
	q, errs := engine.Compile(decl+sql, engine.Options{NoSampling: true})
	if len(errs) > 0 {
		t.Fatalf("%s: %v", sql, errs)
	}
	return q
}

// feed is a source of generated rows: count rows (0: without end), batch
// rows per Read, one Read every interval (0: as fast as asked).
type feed struct {
	// cols is the layout the plan reads (projection pushdown: only the
	// columns the query uses, in the plan's order); set by start.
	cols         types.Schema
	count, batch int
	interval     time.Duration
	groups       int // distinct symbols
	// rate, when set, paces Reads to rate rows per second (with interval
	// as the tick) whatever each Read costs.
	rate    int
	started time.Time
	fail    error
	i       int
	recs    []connectors.Record
}

func (f *feed) Schema() types.Schema { return f.cols }

func (f *feed) Read(ctx context.Context) (connectors.Batch, error) {
	if f.count > 0 && f.i >= f.count {
		if f.fail != nil {
			return connectors.Batch{}, f.fail
		}
		return connectors.Batch{}, connectors.ErrEndOfInput
	}
	if f.interval > 0 {
		select {
		case <-ctx.Done():
			return connectors.Batch{}, ctx.Err()
		case <-time.After(f.interval):
		}
	} else if err := ctx.Err(); err != nil {
		return connectors.Batch{}, err
	}
	n := max(f.batch, 1)
	if f.rate > 0 {
		if f.started.IsZero() {
			f.started = time.Now()
		}
		n = int(time.Since(f.started).Seconds()*float64(f.rate)) - f.i
	}
	f.recs = f.recs[:0]
	groups := max(f.groups, 1)
	for range n {
		if f.count > 0 && f.i >= f.count {
			break
		}
		row := make(types.Row, len(f.cols))
		for j, c := range f.cols {
			switch c.Name {
			case "symbol":
				row[j] = types.StringValue(fmt.Sprintf("S%d", f.i%groups))
			case "n":
				row[j] = types.IntValue(int64(f.i))
			case "ts":
				row[j] = types.TimestampValue(int64(1_700_000_000_000 + f.i))
			}
		}
		f.recs = append(f.recs, connectors.Record{Row: row, Prov: connectors.Provenance{Source: "t", Line: int64(f.i + 1)}})
		f.i++
	}
	return connectors.Batch{Records: f.recs}, nil
}

func (f *feed) Ack(context.Context, []connectors.Provenance) error { return nil }
func (f *feed) Close() error                                       { return nil }

// spec compiles sql and feeds its stream t from f.
func spec(t testing.TB, sql string, f *feed, live bool) Spec {
	q := compile(t, sql)
	f.cols = q.Plan.Sources[0].Columns
	return Spec{Query: q, SQL: sql, Live: live, Sources: map[string]connectors.Source{"t": f}}
}

type msg struct {
	Type     string            `json:"type"`
	First    int64             `json:"first"`
	Count    int64             `json:"count"`
	Total    int64             `json:"total"`
	Snapshot bool              `json:"snapshot"`
	Rows     []json.RawMessage `json:"rows"`
	Reason   string            `json:"reason"`
	State    string            `json:"state"`
	Dropped  int64             `json:"dropped"`
	Columns  []Column          `json:"columns"`
	Stats    Stats             `json:"stats"`
	Error    *ErrorBody        `json:"error"`
}

// drain reads s until it closes, returning its messages.
func drain(t *testing.T, s *Subscriber) []msg {
	t.Helper()
	var out []msg
	timeout := time.After(20 * time.Second)
	for {
		select {
		case b, ok := <-s.C():
			if !ok {
				return out
			}
			var m msg
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("bad message %s: %v", b, err)
			}
			out = append(out, m)
		case <-timeout:
			t.Fatalf("no end after %d messages", len(out))
		}
	}
}

func last(ms []msg) msg { return ms[len(ms)-1] }

// rowsIn counts the rows of rows messages and checks they are in order
// without gaps (non-snapshot) where drops are not expected.
func rowsIn(ms []msg) (n int64, gaps bool) {
	next := int64(-1)
	for _, m := range ms {
		if m.Type != "rows" {
			continue
		}
		if m.Count != int64(len(m.Rows)) {
			return -1, true
		}
		if next >= 0 && m.First != next && !m.Snapshot {
			gaps = true
		}
		next = m.First + m.Count
		n += m.Count
	}
	return n, gaps
}

func TestBoundedQueryDeliversEveryRowThenCompletes(t *testing.T) {
	h := NewHub(Limits{BufferRows: 100}, nil)
	defer h.Close()
	q, err := h.Start(spec(t, "SELECT symbol, n FROM t", &feed{count: 450, batch: 7, interval: time.Millisecond}, false))
	if err != nil {
		t.Fatal(err)
	}
	s := q.Subscribe()
	ms := drain(t, s)
	if ms[0].Type != "schema" || len(ms[0].Columns) != 2 || ms[0].Columns[0] != (Column{"symbol", "STRING"}) || ms[0].Columns[1] != (Column{"n", "BIGINT"}) {
		t.Errorf("first message %+v", ms[0])
	}
	end := last(ms)
	if end.Type != "complete" || end.Reason != EndOfInput || end.Stats.Emitted != 450 || end.Stats.Read != 450 {
		t.Errorf("end %+v", end)
	}
	// The subscriber joined at once: the snapshot and the batches after it
	// hold every row, in order, once.
	var got []json.RawMessage
	next := int64(0)
	for _, m := range ms {
		if m.Type != "rows" {
			continue
		}
		if m.First != next {
			t.Fatalf("batch starts at row %d, want %d", m.First, next)
		}
		next += m.Count
		got = append(got, m.Rows...)
	}
	if len(got) != 450 || string(got[449]) != `["S0",449]` || string(got[0]) != `["S0",0]` {
		t.Errorf("got %d rows: first %s, last %s", len(got), got[0], got[len(got)-1])
	}
	// A late subscriber gets the buffered (newest 100) rows and the end.
	late := drain(t, q.Subscribe())
	if len(late) != 3 || late[1].Type != "rows" || !late[1].Snapshot || late[1].Count != 100 || late[1].First != 350 || late[2].Type != "complete" {
		t.Errorf("late subscriber: %+v", late)
	}
	if in := q.Info(); in.State != StateComplete || in.Stats.Evicted != 350 || in.Stats.Buffered != 100 {
		t.Errorf("info %+v", in)
	}
}

func TestQueryEnds(t *testing.T) {
	tests := []struct {
		name   string
		sql    string
		limits Limits
		feed   *feed
		live   bool
		act    func(q *Query, s *Subscriber)
		leaves bool // act unsubscribes
		reason string
		code   string // error code when the query fails
	}{
		{name: "LIMIT in the SQL", sql: "SELECT n FROM t LIMIT 5", feed: &feed{batch: 3}, reason: LimitReached},
		{name: "row limit", sql: "SELECT n FROM t", limits: Limits{MaxRows: 10}, feed: &feed{batch: 4}, reason: RowLimit},
		{name: "time limit", sql: "SELECT n FROM t", limits: Limits{MaxDuration: 50 * time.Millisecond}, feed: &feed{interval: time.Millisecond}, reason: TimeLimit},
		{name: "state limit", sql: "SELECT symbol, COUNT(*) AS c FROM t GROUP BY symbol",
			limits: Limits{MaxState: 100, MetricsInterval: 10 * time.Millisecond}, feed: &feed{groups: 1_000_000, batch: 100, interval: time.Millisecond}, reason: StateLimit},
		{name: "cancelled by a client", sql: "SELECT n FROM t", feed: &feed{interval: time.Millisecond}, live: true,
			act: func(q *Query, s *Subscriber) { q.Cancel() }, reason: Cancelled},
		{name: "last subscriber leaves a live query", sql: "SELECT n FROM t", feed: &feed{interval: time.Millisecond}, live: true,
			act: func(q *Query, s *Subscriber) { s.Close() }, leaves: true, reason: NoSubscribers},
		{name: "the engine fails", sql: "SELECT n FROM t", feed: &feed{count: 3, fail: errors.New("disk on fire")}, reason: Failed, code: "query_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHub(tt.limits, nil)
			defer h.Close()
			q, err := h.Start(spec(t, tt.sql, tt.feed, tt.live))
			if err != nil {
				t.Fatal(err)
			}
			s := q.Subscribe()
			if tt.act != nil {
				tt.act(q, s)
			}
			if tt.leaves {
				q.Wait(context.Background())
				if in := q.Info(); in.Reason != tt.reason || in.State != StateComplete {
					t.Errorf("info %+v", in)
				}
				return
			}
			ms := drain(t, s)
			end := last(ms)
			in := q.Info()
			if in.Reason != tt.reason {
				t.Errorf("reason %q, want %q (%+v)", in.Reason, tt.reason, in)
			}
			if tt.code != "" {
				if end.Type != "error" || end.Error.Code != tt.code || in.State != StateFailed {
					t.Errorf("end %+v, state %s", end, in.State)
				}
				return
			}
			if end.Type != "complete" || end.Reason != tt.reason {
				t.Errorf("end %+v", end)
			}
			switch tt.reason {
			case LimitReached:
				if end.Stats.Emitted != 5 {
					t.Errorf("emitted %d", end.Stats.Emitted)
				}
			case RowLimit:
				if n, _ := rowsIn(ms); end.Stats.Emitted != 10 || n != 10 {
					t.Errorf("emitted %d, delivered %d", end.Stats.Emitted, n)
				}
			}
		})
	}
}

// The live query must wait for its first subscriber, but not for ever.
func TestOrphanedLiveQueryStops(t *testing.T) {
	h := NewHub(Limits{OrphanTimeout: 30 * time.Millisecond}, nil)
	defer h.Close()
	q, err := h.Start(spec(t, "SELECT n FROM t", &feed{interval: time.Millisecond}, true))
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if in := q.Info(); in.Reason != NoSubscribers {
		t.Errorf("info %+v", in)
	}
}

// A subscriber that does not read must neither stop the query nor make it
// hold more than its queue; what it missed is counted.
func TestSlowSubscriberIsBoundedAndToldWhatItMissed(t *testing.T) {
	h := NewHub(Limits{SubscriberQueue: 4, BatchInterval: time.Millisecond, BufferRows: 50}, nil)
	defer h.Close()
	q, err := h.Start(spec(t, "SELECT n FROM t", &feed{count: 20_000, batch: 10}, false))
	if err != nil {
		t.Fatal(err)
	}
	slow := q.Subscribe()
	fast := q.Subscribe()
	fastMsgs := drain(t, fast)
	if len(slow.c) > cap(slow.c) {
		t.Fatal("queue over its bound")
	}
	slowMsgs := drain(t, slow)
	// Every row from the first one the subscriber saw on was either
	// delivered or counted as dropped.
	for name, c := range map[string]struct {
		s  *Subscriber
		ms []msg
	}{"slow": {slow, slowMsgs}, "fast": {fast, fastMsgs}} {
		n, _ := rowsIn(c.ms)
		first := int64(-1)
		for _, m := range c.ms {
			if m.Type == "rows" {
				first = m.First
				break
			}
		}
		if d := c.s.Dropped(); first < 0 || first+n+d != 20_000 {
			t.Errorf("%s subscriber: first row %d, got %d rows, told %d dropped: %d rows unaccounted for", name, first, n, d, 20_000-first-n-d)
		}
	}
	if slow.Dropped() == 0 {
		t.Error("the slow subscriber lost nothing")
	}
	if last(slowMsgs).Type != "complete" || last(fastMsgs).Type != "complete" {
		t.Error("the end was not delivered")
	}
	in := q.Info()
	if in.Stats.Emitted != 20_000 {
		t.Errorf("emitted %d", in.Stats.Emitted)
	}
}

func TestPauseAndResume(t *testing.T) {
	h := NewHub(Limits{BatchInterval: 5 * time.Millisecond, BufferRows: 20}, nil)
	defer h.Close()
	q, err := h.Start(spec(t, "SELECT n FROM t", &feed{interval: time.Millisecond}, true))
	if err != nil {
		t.Fatal(err)
	}
	s := q.Subscribe()
	next := func(want string) msg {
		t.Helper()
		for {
			select {
			case b := <-s.C():
				var m msg
				json.Unmarshal(b, &m)
				if m.Type == want {
					return m
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no %s message", want)
			}
		}
	}
	next("rows")
	s.Pause()
	if m := next("state"); m.State != "paused" {
		t.Fatalf("state %+v", m)
	}
	// While paused, nothing but metrics arrives, and the query runs on.
	before := q.Info().Stats.Emitted
	deadline := time.Now().Add(5 * time.Second)
	for q.Info().Stats.Emitted < before+30 && time.Now().Before(deadline) {
		select {
		case b := <-s.C():
			var m msg
			json.Unmarshal(b, &m)
			if m.Type == "rows" {
				t.Fatal("rows while paused")
			}
		case <-time.After(time.Millisecond):
		}
	}
	s.Resume()
	if m := next("state"); m.State != "running" {
		t.Fatalf("state %+v", m)
	}
	snap := next("rows")
	if !snap.Snapshot || snap.Count == 0 || snap.Count > 20 || snap.First+snap.Count > snap.Total {
		t.Errorf("resume snapshot %+v", snap)
	}
	if s.Dropped() == 0 {
		t.Error("rows missed while paused were not counted")
	}
	s.Close()
	q.Wait(context.Background())
	if q.Info().Reason != NoSubscribers {
		t.Errorf("reason %q", q.Info().Reason)
	}
}

func TestTooManyQueries(t *testing.T) {
	h := NewHub(Limits{MaxQueries: 2}, nil)
	defer h.Close()
	start := func() (*Query, error) {
		return h.Start(spec(t, "SELECT n FROM t", &feed{interval: time.Millisecond}, true))
	}
	a, _ := start()
	start()
	if _, err := start(); !errors.Is(err, ErrTooMany) {
		t.Fatalf("third query: %v", err)
	}
	a.Cancel()
	a.Wait(context.Background())
	if _, err := start(); err != nil {
		t.Errorf("after one stopped: %v", err)
	}
	if got := len(h.List()); got != 3 {
		t.Errorf("list %d", got)
	}
	if _, err := h.Get("q-nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get unknown: %v", err)
	}
}
