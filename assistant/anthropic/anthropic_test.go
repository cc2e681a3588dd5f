package anthropic

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/velostream/velostream/assistant"
)

// server speaks the Messages API on loopback: it serves the recorded
// responses in order and keeps every request it got.
type server struct {
	t       *testing.T
	mu      sync.Mutex
	replies []string // testdata file names
	status  []int
	reqs    []map[string]any
	headers []http.Header
}

func newServer(t *testing.T, replies ...string) (*server, *httptest.Server) {
	s := &server{t: t, replies: replies}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path != "/v1/messages" || r.Method != http.MethodPost {
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		s.t.Errorf("request body is not JSON: %v", err)
	}
	s.reqs = append(s.reqs, req)
	s.headers = append(s.headers, r.Header.Clone())
	if len(s.replies) == 0 {
		http.Error(w, "no more recorded replies", http.StatusInternalServerError)
		return
	}
	b, err := os.ReadFile(filepath.Join("..", "testdata", "anthropic", s.replies[0]))
	if err != nil {
		s.t.Fatal(err)
	}
	status := http.StatusOK
	if len(s.status) > 0 {
		status, s.status = s.status[0], s.status[1:]
	}
	s.replies = s.replies[1:]
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func model(t *testing.T, url string) *Model {
	m, err := New(Config{APIKey: "sk-ant-test", Model: "claude-test-model", BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func TestDraftRepairOverTheWire(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "sk-from-env-must-not-be-used")
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1") // would fail if honoured
	s, ts := newServer(t, "draft_bad.json", "draft_good.json")
	gen := assistant.NewModelGenerator(model(t, ts.URL))
	res, err := gen.Generate(context.Background(), assistant.Request{Question: "average price per symbol every minute", Catalog: assistant.DemoCatalog()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Refusal != nil || res.Attempts != 2 || res.Provider != "anthropic" ||
		res.SQL != "SELECT symbol, AVG(price) AS avg_price FROM trades GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)" {
		t.Fatalf("result %+v refusal %+v", res, res.Refusal)
	}
	if len(s.reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(s.reqs))
	}
	for i, h := range s.headers {
		if got := h.Get("Authorization"); got != "Bearer sk-ant-test" {
			t.Errorf("request %d: Authorization %q", i, got)
		}
		if h.Get("Anthropic-Version") == "" {
			t.Errorf("request %d: no anthropic-version header", i)
		}
	}
	first := s.reqs[0]
	checks := []struct {
		path []any
		want any
	}{
		{[]any{"model"}, "claude-test-model"},
		{[]any{"tool_choice", "type"}, "tool"},
		{[]any{"tool_choice", "name"}, "emit_sql"},
		{[]any{"tools", 0, "name"}, "emit_sql"},
		{[]any{"tools", 0, "input_schema", "type"}, "object"},
		{[]any{"tools", 0, "input_schema", "properties", "sql", "type"}, "string"},
		{[]any{"tools", 0, "input_schema", "properties", "explanation", "type"}, "string"},
		{[]any{"tools", 0, "input_schema", "required", 0}, "sql"},
		{[]any{"tools", 0, "input_schema", "required", 1}, "explanation"},
		{[]any{"messages", 0, "role"}, "user"},
		{[]any{"messages", 0, "content", 0, "text"}, "average price per symbol every minute"},
	}
	for _, c := range checks {
		if got := get(first, c.path...); got != c.want {
			t.Errorf("first request %v = %v, want %v", c.path, got, c.want)
		}
	}
	if sys, _ := get(first, "system", 0, "text").(string); !strings.Contains(sys, "trades (stream; event time ts)") || !strings.Contains(sys, "Dialect rules") {
		t.Errorf("system prompt lacks the catalog or rules: %.200s", sys)
	}
	second := s.reqs[1]
	repair := []struct {
		path []any
		want any
	}{
		{[]any{"messages", 1, "role"}, "assistant"},
		{[]any{"messages", 1, "content", 0, "type"}, "tool_use"},
		{[]any{"messages", 1, "content", 0, "id"}, "toolu_01A"},
		{[]any{"messages", 1, "content", 0, "name"}, "emit_sql"},
		{[]any{"messages", 2, "role"}, "user"},
		{[]any{"messages", 2, "content", 0, "type"}, "tool_result"},
		{[]any{"messages", 2, "content", 0, "tool_use_id"}, "toolu_01A"},
		{[]any{"messages", 2, "content", 0, "is_error"}, true},
	}
	for _, c := range repair {
		if got := get(second, c.path...); got != c.want {
			t.Errorf("repair request %v = %v, want %v", c.path, got, c.want)
		}
	}
	if sql, _ := get(second, "messages", 1, "content", 0, "input", "sql").(string); !strings.Contains(sql, "pricee") {
		t.Errorf("the rejected draft was not sent back: %q", sql)
	}
	feedback, _ := json.Marshal(get(second, "messages", 2, "content", 0, "content"))
	if !strings.Contains(string(feedback), `unknown column \"pricee\"`) || !strings.Contains(string(feedback), "answer.sql:1:") {
		t.Errorf("feedback lacks the positioned error: %s", feedback)
	}
}

func TestNeverValidatesIsARefusal(t *testing.T) {
	_, ts := newServer(t, "draft_bad.json", "draft_bad.json")
	res, err := assistant.NewModelGenerator(model(t, ts.URL)).Generate(context.Background(), assistant.Request{Question: "q", Catalog: assistant.DemoCatalog()})
	if err != nil {
		t.Fatal(err)
	}
	if res.SQL != "" || res.Refusal == nil || len(res.Refusal.Errors) == 0 || !strings.Contains(res.Refusal.Reason, "did not validate") {
		t.Fatalf("%+v", res)
	}
}

func TestExplainOverTheWire(t *testing.T) {
	s, ts := newServer(t, "explain.json")
	gen := assistant.NewModelGenerator(model(t, ts.URL))
	text, provider, err := gen.Explain(context.Background(), "SELECT ...", []assistant.Finding{{Kind: "join_coverage", Summary: "0% matched", Evidence: []string{"CUST001", "C-100"}}})
	if err != nil || provider != "anthropic" || !strings.HasPrefix(text, "The JOIN on customer_id matched nothing") {
		t.Fatalf("%q %q %v", text, provider, err)
	}
	req := s.reqs[0]
	if get(req, "tools") != nil || get(req, "tool_choice") != nil {
		t.Errorf("an explanation request carries tools: %v", req)
	}
	if user, _ := get(req, "messages", 0, "content", 0, "text").(string); !strings.Contains(user, "[join_coverage] 0% matched") || !strings.Contains(user, "C-100") {
		t.Errorf("findings not sent: %q", user)
	}
}

func TestProviderErrors(t *testing.T) {
	s, ts := newServer(t, "error_overloaded.json")
	s.status = []int{529}
	_, err := assistant.NewModelGenerator(model(t, ts.URL)).Generate(context.Background(), assistant.Request{Question: "q", Catalog: assistant.DemoCatalog()})
	if err == nil || !strings.Contains(err.Error(), "529") || !strings.HasPrefix(err.Error(), "anthropic: ") {
		t.Fatalf("error %v", err)
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "ANTHROPIC_API_KEY") {
		t.Fatalf("no key: %v", err)
	}
}
