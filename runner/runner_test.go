package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTrades writes n JSON-lines trades and returns the file's path.
func writeTrades(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trades.jsonl")
	var b strings.Builder
	syms := []string{"AAPL", "MSFT", "GOOG"}
	for i := range n {
		fmt.Fprintf(&b, `{"symbol":%q,"price":%d.5,"quantity":%d,"ts":%d}`+"\n", syms[i%3], 100+i%7, 10+i%5, 1700000000000+int64(i)*100)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func fileQuery(in, out string) string {
	return fmt.Sprintf(`-- @metric: trades_seen
-- @metric_labels: symbol
CREATE STREAM priced AS
SELECT symbol, price
FROM trades
WHERE price > 0
WITH ('trades.type' = 'file_source', 'trades.path' = '%s',
      'priced.type' = 'file_sink', 'priced.path' = '%s');
`, in, out)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// waitFor polls cond; the runner's states change asynchronously.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunServesProbesAndMetricsAndStopsCleanly(t *testing.T) {
	in := writeTrades(t, 300)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	cfg := &Config{Name: "priced", Namespace: "ns", SQL: fileQuery(in, out)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, Options{Listener: ln, Logger: slog.New(slog.DiscardHandler), Stderr: io.Discard})
	}()

	waitFor(t, "/readyz", func() bool {
		code, _ := get(t, base+ReadyPath)
		return code == http.StatusOK
	})
	if code, _ := get(t, base+HealthPath); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	// The file is bounded: the query completes and the runner stays up
	// with its final metrics.
	waitFor(t, "the query to complete", func() bool {
		_, body := get(t, base+ReadyPath)
		return strings.HasPrefix(body, "completed")
	})
	code, body := get(t, base+MetricsPath)
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`velo_query_records_read_total{query="priced"} 300`,
		`velo_trades_seen_total{query="priced",symbol="AAPL"} 100`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after stop = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines++
	}
	if lines != 300 {
		t.Errorf("the sink holds %d rows, want 300", lines)
	}
	if _, err := http.Get(base + HealthPath); err == nil {
		t.Error("the HTTP server still answers after Run returned")
	}
}

func TestRunReportsCompileErrorsWithPositions(t *testing.T) {
	tests := []struct {
		name, sql string
		want      []string
	}{
		{"sql", "SELECT symbol,\n  NO_SUCH_FN(price)\nFROM trades WITH ('trades.type' = 'file_source', 'trades.path' = 'x.jsonl');", []string{"q:2:3", "NO_SUCH_FN"}},
		{"annotation", "-- @metric: m\n-- @metric_type: bogus\nSELECT symbol FROM trades WITH ('trades.type' = 'kafka_source', 'trades.topic' = 't');", []string{"q:2:", "bogus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			err = Run(context.Background(), &Config{Name: "q", SQL: tt.sql}, Options{Listener: ln, Logger: slog.New(slog.DiscardHandler)})
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Run = %v, want a CompileError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(ce.Error(), w) {
					t.Errorf("error %q does not mention %q", ce.Error(), w)
				}
			}
		})
	}
}

func TestRunFailsWhenTheQueryFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	cfg := &Config{Name: "q", SQL: fileQuery(missing, filepath.Join(t.TempDir(), "o.jsonl"))}
	err = Run(context.Background(), cfg, Options{Listener: ln, Logger: slog.New(slog.DiscardHandler), Stderr: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "missing.jsonl") {
		t.Fatalf("Run over a missing file = %v, want an error naming it", err)
	}
}

func TestProbeStates(t *testing.T) {
	tests := []struct {
		state     state
		reason    string
		wantReady int
		wantBody  string
	}{
		{stateStarting, "", http.StatusServiceUnavailable, "starting"},
		{stateRunning, "", http.StatusOK, "running"},
		{stateCompleted, "", http.StatusOK, "completed"},
		{stateFailed, "boom", http.StatusServiceUnavailable, "failed: boom"},
		{stateStopping, "", http.StatusServiceUnavailable, "stopping"},
	}
	for _, tt := range tests {
		t.Run(tt.state.String(), func(t *testing.T) {
			st := &status{}
			st.set(tt.state, tt.reason)
			srv := httptest.NewServer(newMux(st, http.NotFoundHandler()))
			defer srv.Close()
			code, body := get(t, srv.URL+ReadyPath)
			if code != tt.wantReady || strings.TrimSpace(body) != tt.wantBody {
				t.Errorf("/readyz = %d %q, want %d %q", code, body, tt.wantReady, tt.wantBody)
			}
			if code, _ := get(t, srv.URL+HealthPath); code != http.StatusOK {
				t.Errorf("/healthz = %d: liveness must not depend on the query's state", code)
			}
		})
	}
}

// The Kafka connection reaches the engine as source and sink properties:
// Compile binds them to the plan the executor runs, and what the script
// sets itself wins.
func TestCompileBindsKafkaDefaults(t *testing.T) {
	secrets := files(map[string]string{"/u": "alice", "/p": "pw"})
	kafka := &Kafka{
		BootstrapServers: "k:9093",
		TLS:              &TLS{Enabled: true, CAFile: "/ca"},
		SASL:             &SASL{Mechanism: "PLAIN", UsernameFile: "/u", PasswordFile: "/p"},
	}
	tests := []struct {
		name       string
		sql        string
		wantSource map[string]string
		wantSink   map[string]string
	}{
		{
			name: "defaults fill the source and the sink",
			sql: `CREATE STREAM out AS SELECT symbol FROM trades
WITH ('trades.type' = 'kafka_source', 'trades.topic' = 'trades', 'out.type' = 'kafka_sink', 'out.topic' = 'out');`,
			wantSource: map[string]string{
				"topic": "trades", PropBootstrapServers: "k:9093", PropSecurityProtocol: "SASL_SSL",
				PropSSLCALocation: "/ca", PropSASLMechanism: "PLAIN", PropSASLUsername: "alice", PropSASLPassword: "pw",
				PropGroupID: "velo-ns-q",
			},
			wantSink: map[string]string{
				"topic": "out", PropBootstrapServers: "k:9093", PropSASLUsername: "alice", PropGroupID: "",
			},
		},
		{
			name: "the script's own cluster and group win",
			sql: `SELECT symbol FROM prices
WITH ('prices.type' = 'kafka_source', 'prices.topic' = 'prices',
      'prices.bootstrap.servers' = 'other:9092', 'prices.group.id' = 'mine');`,
			wantSource: map[string]string{
				PropBootstrapServers: "other:9092", PropGroupID: "mine", PropSecurityProtocol: "SASL_SSL",
			},
			wantSink: map[string]string{PropBootstrapServers: ""},
		},
		{
			name:       "URI sources are Kafka sources too",
			sql:        `SELECT symbol FROM kafka://trades;`,
			wantSource: map[string]string{"topic": "trades", PropBootstrapServers: "k:9093", PropGroupID: "velo-ns-q"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Compile(&Config{Name: "q", SQL: tt.sql, Kafka: kafka, ConsumerGroup: "velo-ns-q"}, secrets)
			if err != nil {
				t.Fatal(err)
			}
			src := q.Plan.Sources[0].Props
			for k, want := range tt.wantSource {
				if src[k] != want {
					t.Errorf("source %s = %q, want %q", k, src[k], want)
				}
			}
			for k, want := range tt.wantSink {
				if got := q.Plan.Sink.Props[k]; got != want {
					t.Errorf("sink %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
