package live

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync"
)

// Subscriber receives one query's messages. Messages are JSON texts, one
// per WebSocket message or SSE event:
//
//	{"type":"schema","query_id":...,"live":true,"columns":[{"name","type"}],"meta":{...}}
//	{"type":"rows","first":0,"count":2,"total":2,"snapshot":false,"rows":[[...],[...]]}
//	{"type":"metrics","state":"running","records_per_sec":..,"rows_per_sec":..,
//	 "latency_ms":{"p50":..,"p99":..},"event_lag_ms":..,"dropped":..,"stats":{...}}
//	{"type":"state","state":"paused"|"running"}
//	{"type":"complete","reason":"end_of_input",...,"stats":{...}}
//	{"type":"error","error":{"code","message","details"}}
//
// "first" is the sequence number of the batch's first row (rows are
// numbered from 0 in emit order) so a client can tell a gap; "dropped" in
// metrics counts the rows this subscriber did not receive (a slow
// connection, or paused). A "snapshot" batch holds the query's buffered
// rows (on subscribe and on resume): the client replaces what it shows.
// After complete or error the channel is closed.
type Subscriber struct {
	q *Query
	c chan []byte

	mu      sync.Mutex
	paused  bool
	dropped int64
	closed  bool // c is closed
	left    bool // unsubscribed
}

// Subscribe adds a subscriber. Its first messages are the schema and the
// buffered rows; a query that already ended also sends how it ended.
func (q *Query) Subscribe() *Subscriber {
	s := &Subscriber{q: q, c: make(chan []byte, q.limits.SubscriberQueue+3)}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.everSub = true
	s.c <- q.schemaMessage()
	if snap, first := q.deliveredLocked(); len(snap) > 0 {
		s.c <- rowsMessage(snap, first, q.seq, true)
	}
	if q.final != nil {
		s.c <- q.final
		close(s.c)
		s.closed = true
		return s
	}
	q.subs[s] = struct{}{}
	return s
}

// C delivers the messages; it is closed after the last one.
func (s *Subscriber) C() <-chan []byte { return s.c }

// Pause stops row batches to this subscriber (the query runs on, and the
// rows it misses are counted as dropped).
func (s *Subscriber) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.paused {
		return
	}
	s.paused = true
	s.sendLocked(stateMessage("paused"), true)
}

// Resume restarts row batches, beginning with a snapshot of the buffered
// rows so the client catches up at once.
func (s *Subscriber) Resume() {
	s.q.mu.Lock()
	snap, first := s.q.deliveredLocked()
	seq := s.q.seq
	s.q.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.paused {
		return
	}
	s.paused = false
	s.sendLocked(stateMessage("running"), true)
	if len(snap) > 0 {
		s.sendLocked(rowsMessage(snap, first, seq, true), true)
	}
}

// Close unsubscribes. A live query whose last subscriber leaves stops.
func (s *Subscriber) Close() {
	s.mu.Lock()
	if s.left {
		s.mu.Unlock()
		return
	}
	s.left = true
	s.mu.Unlock()
	q := s.q
	q.mu.Lock()
	delete(q.subs, s)
	last := len(q.subs) == 0 && q.spec.Live && q.final == nil
	q.mu.Unlock()
	if last {
		q.stop(NoSubscribers)
	}
}

// Dropped is how many rows this subscriber did not receive.
func (s *Subscriber) Dropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// offer hands a batch of n rows over without waiting.
func (s *Subscriber) offer(msg []byte, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.paused {
		s.dropped += n
		return
	}
	select {
	case s.c <- msg:
	default:
		s.dropped += n
	}
}

func (s *Subscriber) offerMetrics(m metrics) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	m.Dropped = s.dropped
	b, _ := json.Marshal(m)
	select {
	case s.c <- b:
	default: // a newer sample comes within a second
	}
}

// sendLocked sends a message that must arrive (state changes, snapshots,
// the final message): when the queue is full the oldest queued message
// makes room, and its rows count as dropped.
func (s *Subscriber) sendLocked(msg []byte, must bool) {
	for {
		select {
		case s.c <- msg:
			return
		default:
		}
		if !must {
			return
		}
		select {
		case old := <-s.c:
			s.dropped += rowCount(old)
		default:
		}
	}
}

// sendFinal sends the query's complete or error message and closes.
func (s *Subscriber) sendFinal() {
	s.q.mu.Lock()
	final := s.q.final
	s.q.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.sendLocked(final, true)
	close(s.c)
	s.closed = true
}

// rowCount reads the count of a rows message (0 for other messages). Rows
// messages are built by rowsMessage, so the count is found without
// decoding the rows.
func rowCount(msg []byte) int64 {
	const prefix = `{"type":"rows","first":`
	if !bytes.HasPrefix(msg, []byte(prefix)) {
		return 0
	}
	i := bytes.Index(msg, []byte(`,"count":`))
	if i < 0 {
		return 0
	}
	rest := msg[i+len(`,"count":`):]
	j := bytes.IndexByte(rest, ',')
	if j < 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n
}

// rowsMessage builds a rows message from encoded rows without re-encoding
// them: each row is already a JSON array.
func rowsMessage(rows [][]byte, first, total int64, snapshot bool) []byte {
	size := 96
	for _, r := range rows {
		size += len(r) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"type":"rows","first":`...)
	b = strconv.AppendInt(b, first, 10)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(len(rows)), 10)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, total, 10)
	b = append(b, `,"snapshot":`...)
	b = strconv.AppendBool(b, snapshot)
	b = append(b, `,"rows":[`...)
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return append(b, "]}"...)
}

type schemaMsg struct {
	Type    string         `json:"type"`
	QueryID string         `json:"query_id"`
	Live    bool           `json:"live"`
	Columns []Column       `json:"columns"`
	Meta    map[string]any `json:"meta,omitempty"`
}

func (q *Query) schemaMessage() []byte {
	b, _ := json.Marshal(schemaMsg{Type: "schema", QueryID: q.id, Live: q.spec.Live, Columns: q.columns, Meta: q.spec.Meta})
	return b
}

type metrics struct {
	Type          string  `json:"type"`
	State         string  `json:"state"`
	RecordsPerSec float64 `json:"records_per_sec"`
	RowsPerSec    float64 `json:"rows_per_sec"`
	P50           float64 `json:"-"`
	P99           float64 `json:"-"`
	Latency       latency `json:"latency_ms"`
	EventLagMS    *int64  `json:"event_lag_ms,omitempty"`
	Dropped       int64   `json:"dropped"`
	Stats         Stats   `json:"stats"`
}

type latency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// MarshalJSON fills the nested latency object.
func (m metrics) MarshalJSON() ([]byte, error) {
	type plain metrics
	p := plain(m)
	p.Latency = latency{P50: m.P50, P99: m.P99}
	return json.Marshal(p)
}

func stateMessage(state string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "state", "state": state})
	return b
}

type completeMsg struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
	Stats  Stats  `json:"stats"`
}

func (q *Query) completeMessageLocked() []byte {
	b, _ := json.Marshal(completeMsg{Type: "complete", Reason: q.reason, Stats: q.statsLocked()})
	return b
}

// ErrorBody is the error envelope shared with the HTTP API.
type ErrorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func errorMessage(code, msg string, details map[string]any) []byte {
	b, _ := json.Marshal(struct {
		Type  string    `json:"type"`
		Error ErrorBody `json:"error"`
	}{"error", ErrorBody{Code: code, Message: msg, Details: details}})
	return b
}
