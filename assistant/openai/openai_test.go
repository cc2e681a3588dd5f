package openai

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

// server speaks Chat Completions on loopback, replaying recorded replies.
type server struct {
	t       *testing.T
	mu      sync.Mutex
	replies []string
	reqs    []map[string]any
	headers []http.Header
	paths   []string
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
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		s.t.Errorf("request body is not JSON: %v", err)
	}
	s.reqs = append(s.reqs, req)
	s.headers = append(s.headers, r.Header.Clone())
	s.paths = append(s.paths, r.Method+" "+r.URL.Path)
	if len(s.replies) == 0 {
		http.Error(w, `{"error":{"message":"no more recorded replies"}}`, http.StatusInternalServerError)
		return
	}
	b, err := os.ReadFile(filepath.Join("..", "testdata", "openai", s.replies[0]))
	if err != nil {
		s.t.Fatal(err)
	}
	s.replies = s.replies[1:]
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
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

func TestToolsModeRepairOverTheWire(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-openai-env-must-not-leak")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("OPENAI_ORG_ID", "org-env")
	s, ts := newServer(t, "draft_bad.json", "draft_good.json")
	m, err := New(Config{BaseURL: ts.URL + "/v1/", Model: "qwen2.5-coder:7b", APIKey: "local-key"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := assistant.NewModelGenerator(m).Generate(context.Background(), assistant.Request{Question: "fraudulent transactions by region", Catalog: assistant.DemoCatalog()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Refusal != nil || res.Attempts != 2 || res.Provider != "openai" || !strings.Contains(res.SQL, "WINDOW TUMBLING") {
		t.Fatalf("result %+v refusal %+v", res, res.Refusal)
	}
	for i, h := range s.headers {
		if got := h.Get("Authorization"); got != "Bearer local-key" {
			t.Errorf("request %d: Authorization %q", i, got)
		}
		if h.Get("OpenAI-Organization") != "" {
			t.Errorf("request %d: organization header from the environment sent", i)
		}
		if s.paths[i] != "POST /v1/chat/completions" {
			t.Errorf("request %d: %s", i, s.paths[i])
		}
	}
	first := s.reqs[0]
	checks := []struct {
		path []any
		want any
	}{
		{[]any{"model"}, "qwen2.5-coder:7b"},
		{[]any{"tool_choice", "type"}, "function"},
		{[]any{"tool_choice", "function", "name"}, "emit_sql"},
		{[]any{"tools", 0, "type"}, "function"},
		{[]any{"tools", 0, "function", "name"}, "emit_sql"},
		{[]any{"tools", 0, "function", "parameters", "properties", "sql", "type"}, "string"},
		{[]any{"tools", 0, "function", "parameters", "required", 1}, "explanation"},
		{[]any{"messages", 0, "role"}, "system"},
		{[]any{"messages", 1, "role"}, "user"},
		{[]any{"messages", 1, "content"}, "fraudulent transactions by region"},
	}
	for _, c := range checks {
		if got := get(first, c.path...); got != c.want {
			t.Errorf("first request %v = %v, want %v", c.path, got, c.want)
		}
	}
	second := s.reqs[1]
	repair := []struct {
		path []any
		want any
	}{
		{[]any{"messages", 2, "role"}, "assistant"},
		{[]any{"messages", 2, "tool_calls", 0, "id"}, "call_a1"},
		{[]any{"messages", 2, "tool_calls", 0, "function", "name"}, "emit_sql"},
		{[]any{"messages", 3, "role"}, "tool"},
		{[]any{"messages", 3, "tool_call_id"}, "call_a1"},
	}
	for _, c := range repair {
		if got := get(second, c.path...); got != c.want {
			t.Errorf("repair request %v = %v, want %v", c.path, got, c.want)
		}
	}
	if fb, _ := get(second, "messages", 3, "content").(string); !strings.Contains(fb, "EMIT FINAL needs a windowed query") {
		t.Errorf("feedback lacks the engine's error: %q", fb)
	}
}

func TestJSONModeWithoutKey(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-openai-env-must-not-leak")
	s, ts := newServer(t, "draft_json_mode.json")
	m, err := New(Config{BaseURL: ts.URL + "/v1/", Model: "llama3.1", Mode: ModeJSON})
	if err != nil {
		t.Fatal(err)
	}
	res, err := assistant.NewModelGenerator(m).Generate(context.Background(), assistant.Request{Question: "clicks per page", Catalog: assistant.DemoCatalog()})
	if err != nil || res.SQL != "SELECT page, COUNT(*) AS clicks FROM clicks GROUP BY page" || res.Attempts != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	req := s.reqs[0]
	if get(req, "response_format", "type") != "json_object" || get(req, "tools") != nil || get(req, "tool_choice") != nil {
		t.Errorf("json mode request %v", req)
	}
	if sys, _ := get(req, "messages", 0, "content").(string); !strings.Contains(sys, `{"sql": "...", "explanation": "..."}`) {
		t.Errorf("system prompt lacks the JSON instruction")
	}
	if auth := s.headers[0].Get("Authorization"); strings.Contains(auth, "must-not-leak") {
		t.Errorf("the environment's OpenAI key was sent to a local server: %q", auth)
	}
}

func TestExplainOverTheWire(t *testing.T) {
	s, ts := newServer(t, "explain.json")
	m, err := New(Config{BaseURL: ts.URL + "/v1/", Model: "qwen2.5-coder:7b"})
	if err != nil {
		t.Fatal(err)
	}
	text, provider, err := assistant.NewModelGenerator(m).Explain(context.Background(), "SELECT * FROM trades WHERE price > 1000", []assistant.Finding{{Kind: "where_filter", Summary: "WHERE removed every row", Evidence: []string{"price ranged 20..800"}}})
	if err != nil || provider != "openai" || !strings.HasPrefix(text, "No row passed") {
		t.Fatalf("%q %q %v", text, provider, err)
	}
	if get(s.reqs[0], "tools") != nil {
		t.Errorf("explain request carries tools")
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Model: "m"}, "no base URL"},
		{Config{BaseURL: "http://127.0.0.1:1/v1/"}, "no model"},
		{Config{BaseURL: "http://127.0.0.1:1/v1/", Model: "m", Mode: "xml"}, `mode "xml"`},
	}
	for _, c := range cases {
		if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestUnreachableServerIsAnError(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close() // nothing listens there now
	m, err := New(Config{BaseURL: url + "/v1/", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = assistant.NewModelGenerator(m).Generate(context.Background(), assistant.Request{Question: "q", Catalog: assistant.DemoCatalog()})
	if err == nil || !strings.HasPrefix(err.Error(), "openai: chat completions: ") {
		t.Fatalf("error %v", err)
	}
}
