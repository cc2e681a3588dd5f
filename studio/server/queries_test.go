package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	samples "github.com/velostream/velostream/examples/notebooks"
	studionb "github.com/velostream/velostream/studio/notebooks"

	"github.com/velostream/velostream/studio/server/charts"
	"github.com/velostream/velostream/studio/server/live"
)

// wsMsg is any message of a results stream.
type wsMsg struct {
	Type     string            `json:"type"`
	QueryID  string            `json:"query_id"`
	Columns  []live.Column     `json:"columns"`
	Meta     map[string]any    `json:"meta"`
	First    int64             `json:"first"`
	Count    int64             `json:"count"`
	Total    int64             `json:"total"`
	Snapshot bool              `json:"snapshot"`
	Rows     []json.RawMessage `json:"rows"`
	State    string            `json:"state"`
	Reason   string            `json:"reason"`
	Dropped  int64             `json:"dropped"`
	Stats    live.Stats        `json:"stats"`
	Error    *ErrorBody        `json:"error"`
	// metrics
	RecordsPerSec *float64 `json:"records_per_sec"`
}

type wsClient struct {
	t testing.TB
	c *websocket.Conn
}

func (e *env) dial(path string) *wsClient {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c.SetReadLimit(16 << 20)
	e.t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: e.t, c: c}
}

// next reads the next message; ok is false when the server closed.
func (w *wsClient) next() (wsMsg, bool) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err != nil {
		if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
			return wsMsg{}, false
		}
		w.t.Fatalf("read: %v", err)
	}
	var m wsMsg
	if err := json.Unmarshal(b, &m); err != nil {
		w.t.Fatalf("message %s: %v", b, err)
	}
	return m, true
}

// until reads until a message of type typ.
func (w *wsClient) until(typ string) wsMsg {
	w.t.Helper()
	for {
		m, ok := w.next()
		if !ok {
			w.t.Fatalf("stream closed before a %s message", typ)
		}
		if m.Type == typ {
			return m
		}
	}
}

func (w *wsClient) send(v any) {
	w.t.Helper()
	b, _ := json.Marshal(v)
	if err := w.c.Write(context.Background(), websocket.MessageText, b); err != nil {
		w.t.Fatal(err)
	}
}

func (e *env) start(sql string, extra map[string]string) QueryCreated {
	e.t.Helper()
	body := map[string]string{"sql": sql}
	for k, v := range extra {
		body[k] = v
	}
	var q QueryCreated
	e.call("POST", "/api/v1/queries", body, 201, &q)
	return q
}

func tradesJSONL(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"symbol":"S%d","price":%d.25,"quantity":%d,"ts":"2026-01-01T00:00:%02dZ"}`+"\n", i%3, 100+i, i, i%60)
	}
	return b.String()
}

// A bounded query over a file: schema, every row, complete; then the
// query's state and buffered rows over REST.
func TestBoundedQueryOverWebSocket(t *testing.T) {
	e := newEnv(t, envOpts{})
	path := e.writeData("trades.jsonl", tradesJSONL(250))
	q := e.start(fmt.Sprintf("SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol WITH ('trades.path' = '%s')", path), nil)
	if q.Mode != "live" || q.Stream != "/api/v1/queries/"+q.ID+"/stream" || q.Chart.Type != charts.Bar || len(q.Columns) != 2 {
		t.Errorf("created %+v", q)
	}
	ws := e.dial(q.Stream)
	schema := ws.until("schema")
	if schema.QueryID != q.ID || schema.Columns[1] != (live.Column{Name: "volume", Type: "BIGINT"}) || schema.Meta["chart"] == nil {
		t.Errorf("schema %+v", schema)
	}
	var rows []json.RawMessage
	var end wsMsg
	for {
		m, ok := ws.next()
		if !ok {
			break
		}
		switch m.Type {
		case "rows":
			rows = append(rows, m.Rows...)
		case "complete", "error":
			end = m
		}
	}
	if end.Type != "complete" || end.Reason != live.EndOfInput || end.Stats.Read != 250 {
		t.Fatalf("end %+v", end)
	}
	if len(rows) == 0 || int64(len(rows)) != end.Stats.Emitted {
		t.Errorf("got %d rows of %d emitted", len(rows), end.Stats.Emitted)
	}
	var info live.Info
	e.call("GET", "/api/v1/queries/"+q.ID, nil, 200, &info)
	if info.State != live.StateComplete || info.Reason != live.EndOfInput {
		t.Errorf("info %+v", info)
	}
	var qr QueryRows
	e.call("GET", "/api/v1/queries/"+q.ID+"/rows", nil, 200, &qr)
	if len(qr.Rows) != len(rows) || qr.State != live.StateComplete {
		t.Errorf("rows %+v", qr)
	}
	var ql QueryList
	e.call("GET", "/api/v1/queries", nil, 200, &ql)
	if len(ql.Queries) != 1 || ql.Queries[0].ID != q.ID {
		t.Errorf("list %+v", ql)
	}
	// Not a WebSocket and not SSE: an error, not a hang.
	e.apiError("GET", q.Stream, nil, 400, "invalid_request")
}

// A page of another site cannot open a results stream; on loopback,
// another loopback origin (the UI's dev server) can.
func TestWebSocketOrigins(t *testing.T) {
	e := newEnv(t, envOpts{loopback: true})
	path := e.writeData("trades.jsonl", tradesJSONL(5))
	q := e.start(fmt.Sprintf("SELECT symbol FROM trades WITH ('trades.path' = '%s')", path), nil)
	for origin, ok := range map[string]bool{"https://evil.example": false, "http://localhost:5173": true, "": true} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+q.Stream, &websocket.DialOptions{HTTPHeader: h})
		cancel()
		if (err == nil) != ok {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.Errorf("origin %q: err %v (status %d), want ok=%v", origin, err, status, ok)
		}
		if c != nil {
			c.CloseNow()
		}
	}
}

func TestQueryOverServerSentEvents(t *testing.T) {
	e := newEnv(t, envOpts{})
	path := e.writeData("trades.jsonl", tradesJSONL(40))
	q := e.start(fmt.Sprintf("SELECT symbol, price FROM trades WHERE quantity >= 10 WITH ('trades.path' = '%s')", path), map[string]string{"mode": "bounded"})
	req, _ := http.NewRequest("GET", e.srv.URL+q.Stream, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %s", resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var events []string
	rows := 0
	for sc.Scan() {
		line := sc.Text()
		if ev, ok := strings.CutPrefix(line, "event: "); ok {
			events = append(events, ev)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var m wsMsg
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				t.Fatalf("data %s: %v", data, err)
			}
			if m.Type != events[len(events)-1] {
				t.Errorf("event %s carries a %s message", events[len(events)-1], m.Type)
			}
			rows += len(m.Rows)
		}
	}
	if events[0] != "schema" || events[len(events)-1] != "complete" || rows != 30 {
		t.Errorf("events %v, %d rows", events, rows)
	}
}

// The demo: a live query over the embedded broker gets rows as trades
// arrive; pause, resume and cancel work; a query whose last subscriber
// leaves stops.
func TestLiveDemoQuery(t *testing.T) {
	e := newEnv(t, envOpts{demo: true})
	start := time.Now()
	q := e.start("SELECT symbol, price, quantity, customer_id FROM trades", nil)
	ws := e.dial(q.Stream)
	ws.until("schema")
	first := ws.until("rows")
	t.Logf("first rows %s after POST /queries", time.Since(start))
	if len(first.Rows) == 0 {
		t.Fatal("an empty batch")
	}
	var row []any
	if err := json.Unmarshal(first.Rows[0], &row); err != nil || len(row) != 4 || !strings.HasPrefix(row[3].(string), "C-") {
		t.Errorf("row %s", first.Rows[0])
	}
	ws.send(map[string]string{"type": "pause"})
	if m := ws.until("state"); m.State != "paused" {
		t.Fatalf("pause: %+v", m)
	}
	ws.send(map[string]string{"type": "resume"})
	if m := ws.until("state"); m.State != "running" {
		t.Fatalf("resume: %+v", m)
	}
	ws.send(map[string]string{"type": "nonsense"})
	if m := ws.until("error"); m.Error == nil || m.Error.Code != "invalid_request" || !strings.Contains(m.Error.Message, "nonsense") {
		t.Errorf("bad control: %+v", m)
	}
	m := ws.until("metrics")
	if m.RecordsPerSec == nil || m.Stats.Read == 0 {
		t.Errorf("metrics %+v", m)
	}
	ws.send(map[string]string{"type": "cancel"})
	if m := ws.until("complete"); m.Reason != live.Cancelled {
		t.Errorf("cancel: %+v", m)
	}

	// The brief's first cell: windowed, EMIT CHANGES, updated per trade.
	q2 := e.start("SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol WINDOW TUMBLING(INTERVAL '5' MINUTE) EMIT CHANGES", nil)
	if q2.Chart.Type != charts.Bar || q2.Chart.X != "symbol" {
		t.Errorf("chart %+v", q2.Chart)
	}
	ws2 := e.dial(q2.Stream)
	got := ws2.until("rows")
	if len(got.Rows) == 0 {
		t.Fatal("no rows")
	}
	ws2.c.Close(websocket.StatusNormalClosure, "bye")
	eventually(t, "the query to stop when its subscriber left", func() bool {
		var info live.Info
		e.call("GET", "/api/v1/queries/"+q2.ID, nil, 200, &info)
		return info.State == live.StateComplete && info.Reason == live.NoSubscribers
	})
}

// Every cell of the sample notebook runs live on the demo streams and
// shows rows: the product's first minute works.
func TestSampleNotebookRunsOnTheDemo(t *testing.T) {
	e := newEnv(t, envOpts{demo: true})
	nb, err := studionb.Unmarshal(samples.TradingAnalytics())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range nb.Spec.Cells {
		t.Run(c.Name, func(t *testing.T) {
			e := e.with(t)
			q := e.start(c.SQL, nil)
			ws := e.dial(q.Stream)
			ws.until("schema")
			m := ws.until("rows")
			if len(m.Rows) == 0 {
				t.Fatal("an empty batch")
			}
			t.Logf("%s: %s chart, first row %s", c.Name, q.Chart.Type, m.Rows[0])
		})
	}
}
