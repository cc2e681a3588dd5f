package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/velostream/velostream/studio/server/charts"
	"github.com/velostream/velostream/studio/server/core"
)

// The served document is valid OpenAPI 3, and documents exactly the routes
// the server serves.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t, envOpts{})
	status, raw := e.do("GET", "/api/v1/openapi.json", nil)
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatal(err)
	}
	s := &Server{}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, r := range s.routes() {
		served[r.Method+" "+r.Path] = true
		if !documented[r.Method+" "+r.Path] {
			t.Errorf("%s %s is served but not documented", r.Method, r.Path)
		}
		op := doc.Paths.Find(r.Path).GetOperation(r.Method)
		if op.Responses.Default() == nil {
			t.Errorf("%s %s documents no error response", r.Method, r.Path)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("%s is documented but not served", k)
		}
	}
	if len(served) < 28 {
		t.Errorf("only %d routes", len(served))
	}
}

func TestErrorsAreTheEnvelope(t *testing.T) {
	e := newEnv(t, envOpts{catalogOnly: true})
	tests := []struct {
		name         string
		method, path string
		body         any
		status       int
		code         string
		message      string
	}{
		{"unknown route", "GET", "/api/v1/nope", nil, 404, core.CodeNotFound, "no API route"},
		{"wrong method", "DELETE", "/api/v1/validate", nil, 405, core.CodeMethodNotAllowed, "allowed: POST"},
		{"not JSON", "POST", "/api/v1/validate", `{"sql": `, 400, core.CodeInvalidRequest, "not valid JSON"},
		{"empty body", "POST", "/api/v1/validate", ``, 400, core.CodeInvalidRequest, "empty"},
		{"unknown field", "POST", "/api/v1/validate", `{"sqll": "SELECT 1"}`, 400, core.CodeInvalidRequest, `unknown field "sqll"`},
		{"wrong type", "POST", "/api/v1/validate", `{"sql": 5}`, 400, core.CodeInvalidRequest, `field "sql"`},
		{"two values", "POST", "/api/v1/validate", `{"sql": "x"} {}`, 400, core.CodeInvalidRequest, "more than one JSON value"},
		{"too large", "POST", "/api/v1/validate", `{"sql": "` + strings.Repeat("x", 2<<20) + `"}`, 413, core.CodeTooLarge, "over 1048576 bytes"},
		{"unknown query", "GET", "/api/v1/queries/q-nope", nil, 404, core.CodeNotFound, "q-nope"},
		{"unknown notebook", "GET", "/api/v1/notebooks/nope", nil, 404, core.CodeNotFound, "nope"},
		{"unknown stream", "GET", "/api/v1/streams/nope", nil, 404, core.CodeNotFound, "nope"},
		{"no kafka", "GET", "/api/v1/topics", nil, 404, core.CodeNoKafka, "no Kafka cluster"},
		{"empty SQL", "POST", "/api/v1/queries", map[string]string{"sql": " "}, 400, core.CodeInvalidRequest, "sql is empty"},
		{"bad mode", "POST", "/api/v1/queries", map[string]string{"sql": "SELECT 1", "mode": "forever"}, 400, core.CodeInvalidRequest, `mode "forever"`},
		{"stdin is refused", "POST", "/api/v1/queries", map[string]string{"sql": "SELECT symbol FROM '-'"}, 403, core.CodeNotAllowed, "standard input"},
		{"files outside the roots are refused", "POST", "/api/v1/queries", map[string]string{"sql": "SELECT symbol FROM 'file:/etc/passwd.csv'"}, 403, core.CodeNotAllowed, "outside the directories"},
		{"preview limit", "GET", "/api/v1/streams/trades/preview?limit=abc", nil, 400, core.CodeInvalidRequest, "not a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.with(t)
			body := tt.body
			var got ErrorBody
			if s, ok := body.(string); ok {
				status, raw := e.do(tt.method, tt.path, s)
				var env ErrorEnvelope
				if err := json.Unmarshal(raw, &env); err != nil || status != tt.status {
					t.Fatalf("status %d: %s", status, raw)
				}
				got = env.Error
			} else {
				got = e.apiError(tt.method, tt.path, body, tt.status, tt.code)
			}
			if got.Code != tt.code || !strings.Contains(got.Message, tt.message) {
				t.Errorf("got %+v, want code %s and a message with %q", got, tt.code, tt.message)
			}
		})
	}
	// A body that is not JSON by its content type.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/validate", strings.NewReader(`sql=1`))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Errorf("form body: %d", resp.StatusCode)
	}
}

// On loopback, a Host that is not a loopback name is refused: a web page
// that rebinds its own name to 127.0.0.1 cannot drive the Studio.
func TestLoopbackHostCheck(t *testing.T) {
	e := newEnv(t, envOpts{loopback: true})
	for host, want := range map[string]int{"evil.example.com": 403, "localhost:8080": 200, "127.0.0.1": 200, "[::1]:80": 200} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/info", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

func TestValidate(t *testing.T) {
	e := newEnv(t, envOpts{catalogOnly: true})
	var v core.Validation
	e.call("POST", "/api/v1/validate", SQLBody{SQL: "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol WINDOW TUMBLING(INTERVAL '5' MINUTE) EMIT CHANGES"}, 200, &v)
	if !v.Valid || len(v.Errors) != 0 {
		t.Errorf("valid query: %+v", v)
	}
	// The catalog knows the columns, so a typo is found before running.
	e.call("POST", "/api/v1/validate", SQLBody{SQL: "SELECT symbol,\n       pricee\nFROM trades"}, 200, &v)
	if v.Valid || len(v.Errors) != 1 {
		t.Fatalf("typo: %+v", v)
	}
	got := v.Errors[0]
	if got.Line != 2 || got.Col != 8 || got.EndCol != 14 || !strings.Contains(got.Message, `"pricee"`) || !strings.Contains(got.Hint, "price") {
		t.Errorf("error %+v", got)
	}
	// Annotations are checked too.
	e.call("POST", "/api/v1/validate", SQLBody{SQL: "-- @metric: v\n-- @metric_field: nope\nSELECT symbol FROM trades"}, 200, &v)
	if v.Valid || v.Errors[0].Line != 2 {
		t.Errorf("annotation error: %+v", v)
	}
	e.call("POST", "/api/v1/validate", SQLBody{SQL: "SELEC 1"}, 200, &v)
	if v.Valid || v.Errors[0].Line != 1 || v.Errors[0].Col != 1 {
		t.Errorf("parse error: %+v", v)
	}
}

func TestCompletions(t *testing.T) {
	e := newEnv(t, envOpts{catalogOnly: true})
	tests := []struct {
		name     string
		sql      string // | marks the cursor
		want     []string
		notWant  []string
		fromCol  int
		onlyKind string
	}{
		{name: "streams after FROM", sql: "SELECT * FROM tr|", want: []string{"trades", "transactions"}, notWant: []string{"clicks", "SUM"}, fromCol: 15, onlyKind: "stream"},
		{name: "tables are tables", sql: "SELECT * FROM cu|", want: []string{"customers"}, onlyKind: "table"},
		{name: "columns of an alias", sql: "SELECT t.| FROM trades t", want: []string{"symbol", "price", "quantity", "ts"}, notWant: []string{"SUM"}, onlyKind: "column"},
		{name: "columns and functions in SELECT", sql: "SELECT s| FROM trades", want: []string{"symbol", "side", "SUM", "SUBSTRING", "SELECT"}, notWant: []string{"price"}},
		{name: "a second line", sql: "SELECT symbol\nFROM trades\nWHERE pr|", want: []string{"price"}, fromCol: 7},
		{name: "WITH keys", sql: "SELECT * FROM trades WITH ('trades.ev|", want: []string{"trades.event.time.field", "trades.event.time.format"}, onlyKind: "property"},
		{name: "annotations", sql: "-- @met|\nSELECT 1", want: []string{"metric", "metric_type"}, onlyKind: "annotation"},
		{name: "nothing in a plain comment", sql: "-- hello wor|\nSELECT 1", want: nil},
		{name: "nothing in a string", sql: "SELECT * FROM trades WHERE side = 'BU|'", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.with(t)
			i := strings.Index(tt.sql, "|")
			sql := tt.sql[:i] + tt.sql[i+1:]
			line := 1 + strings.Count(tt.sql[:i], "\n")
			col := i - strings.LastIndex(tt.sql[:i], "\n")
			var c core.Completions
			e.call("POST", "/api/v1/completions", core.CompletionRequest{SQL: sql, Line: line, Col: col}, 200, &c)
			var labels []string
			for _, it := range c.Items {
				labels = append(labels, it.Label)
				if tt.onlyKind != "" && it.Kind != tt.onlyKind {
					t.Errorf("%s is a %s, want only %s", it.Label, it.Kind, tt.onlyKind)
				}
			}
			for _, w := range tt.want {
				if !slices.Contains(labels, w) {
					t.Errorf("no %q in %v", w, labels)
				}
			}
			for _, w := range tt.notWant {
				if slices.Contains(labels, w) {
					t.Errorf("%q should not be offered: %v", w, labels)
				}
			}
			if tt.want == nil && len(labels) > 0 {
				t.Errorf("offered %v", labels)
			}
			if tt.fromCol > 0 && (c.From.Col != tt.fromCol || c.From.Line != line) {
				t.Errorf("from %+v", c.From)
			}
		})
	}
	e.apiError("POST", "/api/v1/completions", core.CompletionRequest{SQL: "SELECT 1", Line: 3, Col: 1}, 400, core.CodeInvalidRequest)
}

func TestChartsSuggest(t *testing.T) {
	e := newEnv(t, envOpts{catalogOnly: true})
	var c charts.Chart
	e.call("POST", "/api/v1/charts/suggest", core.ChartRequest{SQL: "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol"}, 200, &c)
	if c.Type != charts.Bar || c.X != "symbol" {
		t.Errorf("bar: %+v", c)
	}
	e.call("POST", "/api/v1/charts/suggest", core.ChartRequest{SQL: "-- @viz: line\n-- @viz_title: Volume\nSELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol"}, 200, &c)
	if c.Type != charts.Line || !c.Override || c.Title != "Volume" {
		t.Errorf("@viz: %+v", c)
	}
	e.call("POST", "/api/v1/charts/suggest", core.ChartRequest{Columns: []charts.Column{{Name: "region", Type: "STRING"}, {Name: "n", Type: "BIGINT"}}}, 200, &c)
	if c.Type != charts.Geo {
		t.Errorf("columns: %+v", c)
	}
	e.apiError("POST", "/api/v1/charts/suggest", core.ChartRequest{SQL: "SELECT nope FROM trades"}, 422, core.CodeInvalidSQL)
	e.apiError("POST", "/api/v1/charts/suggest", core.ChartRequest{}, 400, core.CodeInvalidRequest)
}

func TestInfoAndUI(t *testing.T) {
	e := newEnv(t, envOpts{})
	var in core.Info
	e.call("GET", "/api/v1/info", nil, 200, &in)
	if in.Version != "v1" || !strings.HasPrefix(in.Notebooks, "directory ") || in.Cluster || in.Assistant != "offline" {
		t.Errorf("info %+v", in)
	}
	resp, err := http.Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("UI: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
