package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/spf13/cobra"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/executor"
)

// The dashboard runs the query in its own Studio and serves the Studio's
// API for it: the page's stream carries the schema with the chart, the
// rows and how the query ended; the page itself is served at /.
func TestDashboardServesTheQueryStream(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "trades.jsonl")
	var b strings.Builder
	for i := 0; i < 300; i++ {
		sym := []string{"AAPL", "MSFT", "TSLA"}[i%3]
		b.WriteString(`{"symbol":"` + sym + `","quantity":` + string(rune('1'+i%9)) + `,"ts":"2026-01-01T10:00:00Z"}` + "\n")
	}
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, sql string
		chart     string
		rows      int64
	}{
		{"grouped: a bar chart", "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol", "bar", 300},
		{"@viz picks the chart", "-- @viz: table\nSELECT symbol, quantity FROM trades WHERE quantity > 5", "table", 132},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, errs := engine.Compile(tc.sql, engine.Options{Sources: map[string]map[string]string{"trades": {"type": "file_source", "path": data, "format": "json"}}})
			if len(errs) > 0 {
				t.Fatalf("compile: %v", errs)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			d, err := startDashboard(ctx, q, tc.sql, "127.0.0.1:0", executor.Options{}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			base, frag, ok := strings.Cut(d.URL, "#")
			if !ok || frag != "/dashboard/"+d.Query.ID() {
				t.Fatalf("URL %s: want #/dashboard/%s", d.URL, d.Query.ID())
			}
			res, err := http.Get(base)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(page), "Velostream Studio") {
				t.Fatalf("GET / = %d %.200s", res.StatusCode, page)
			}
			ws, _, err := websocket.Dial(ctx, strings.Replace(base, "http:", "ws:", 1)+"api/v1/queries/"+d.Query.ID()+"/stream", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			var chart string
			var rows int64
			for {
				_, msg, err := ws.Read(ctx)
				if err != nil {
					t.Fatalf("stream ended before complete (chart %q, %d rows): %v", chart, rows, err)
				}
				var m struct {
					Type string `json:"type"`
					Meta struct {
						Chart struct{ Type string } `json:"chart"`
					} `json:"meta"`
					Total  int64  `json:"total"`
					Reason string `json:"reason"`
				}
				if err := json.Unmarshal(msg, &m); err != nil {
					t.Fatalf("message %s: %v", msg, err)
				}
				switch m.Type {
				case "schema":
					chart = m.Meta.Chart.Type
				case "rows":
					rows = m.Total
				case "error":
					t.Fatalf("query failed: %s", msg)
				}
				if m.Type == "complete" {
					if m.Reason != "end_of_input" {
						t.Errorf("ended with %q, want end_of_input", m.Reason)
					}
					break
				}
			}
			if chart != tc.chart {
				t.Errorf("chart %q, want %q", chart, tc.chart)
			}
			if rows != tc.rows {
				t.Errorf("%d rows, want %d", rows, tc.rows)
			}
			// A reload subscribes again: the finished query is still there.
			res, err = http.Get(base + "api/v1/queries/" + d.Query.ID())
			if err != nil {
				t.Fatal(err)
			}
			var info struct{ SQL, State string }
			_ = json.NewDecoder(res.Body).Decode(&info)
			res.Body.Close()
			if info.SQL != tc.sql || info.State != "complete" {
				t.Errorf("query info %+v", info)
			}
		})
	}
}

// A host that is not loopback is refused on a loopback dashboard, so a web
// page cannot reach it through DNS rebinding.
func TestDashboardLoopbackOnly(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{{"127.0.0.1", true}, {"localhost", true}, {"::1", true}, {"0.0.0.0", false}, {"192.0.2.1", false}, {"", false}} {
		if got := isLoopbackHost(tc.host); got != tc.want {
			t.Errorf("isLoopbackHost(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

// runDashboard prints the page's URL, keeps serving after a bounded query
// ends (saying so on stderr), and stops on cancel.
func TestRunDashboardLifecycle(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "t.jsonl")
	if err := os.WriteFile(data, []byte(`{"n":1}`+"\n"+`{"n":2}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "SELECT n FROM t"
	q, errs := engine.Compile(src, engine.Options{Sources: map[string]map[string]string{"t": {"type": "file_source", "path": data, "format": "json"}}})
	if len(errs) > 0 {
		t.Fatalf("compile: %v", errs)
	}
	cmd := &cobra.Command{}
	addDashboardFlags(cmd)
	if err := cmd.Flags().Parse([]string{"--dashboard"}); err != nil {
		t.Fatal(err)
	}
	if !dashboardRequested(cmd) {
		t.Fatal("--dashboard not seen")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd.SetContext(ctx)
	outR, outW := io.Pipe()
	stderr := &syncWriter{}
	cmd.SetOut(outW)
	cmd.SetErr(stderr)
	done := make(chan error, 1)
	go func() { done <- runDashboard(cmd, q, src, "q.sql", executor.Options{}) }()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(line[strings.Index(line, "http://"):])
	if !strings.HasPrefix(line, "velo run dashboard for q.sql on http://127.0.0.1:") || !strings.Contains(url, "#/dashboard/q-") {
		t.Fatalf("printed %q", line)
	}
	base, _, _ := strings.Cut(url, "#")
	// The query ends (two records); the page is still served.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "the dashboard stays up") {
		if time.Now().After(deadline) {
			t.Fatalf("no end-of-query line; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res, err := http.Get(base); err != nil || res.StatusCode != 200 {
		t.Fatalf("after the query ended: %v %v", res, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runDashboard did not return after cancel")
	}
	if _, err := http.Get(base); err == nil {
		t.Fatal("the server still answers after runDashboard returned")
	}
	if !strings.Contains(stderr.String(), "query complete (end_of_input): 2 rows from 2 records") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// syncWriter lets the test read what another goroutine writes.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
