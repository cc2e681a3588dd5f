package mcp

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/velostream/velostream/assistant/offline"
	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/studio/notebooks"
	"github.com/velostream/velostream/studio/server"
	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/core"
)

// studio is a demo Studio over the embedded broker.
func studio(t *testing.T) *core.Studio {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b, err := broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := demo.Feed(ctx, demo.FeedConfig{Bootstrap: b.Addr(), Seed: 1, Rates: map[string]int{demo.Trades: 200}})
	if err != nil {
		t.Fatal(err)
	}
	store, err := notebooks.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := core.New(core.Config{Catalog: catalog.New(catalog.Config{Streams: demo.Catalog(), Bootstrap: b.Addr()}), Notebooks: store, Assistant: offline.New(), FileRoots: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		f.Close()
		b.Close()
		cancel()
	})
	return s
}

// connect serves srv over the SDK's in-memory transport.
func connect(t *testing.T, srv *sdk.Server) *sdk.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := sdk.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "v0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ss.Wait()
	})
	return cs
}

// call calls a tool and decodes its structured output into out; it
// returns the error text of a tool error ("" on success).
func call(t *testing.T, cs *sdk.ClientSession, name string, args any, out any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		var b strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*sdk.TextContent); ok {
				b.WriteString(tc.Text)
			}
		}
		return b.String()
	}
	if out != nil {
		raw, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: %v in %s", name, err, raw)
		}
	}
	return ""
}

func TestTools(t *testing.T) {
	s := studio(t)
	cs := connect(t, New(s, nil))
	ctx := context.Background()

	lt, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range lt.Tools {
		names = append(names, tool.Name)
		if tool.InputSchema == nil || tool.OutputSchema == nil || tool.Description == "" {
			t.Errorf("%s: untyped or undescribed", tool.Name)
		}
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "deploy_query,describe_stream,generate_test_data,get_metrics,list_streams,query_stream,run_test,validate_sql" {
		t.Errorf("tools %v", names)
	}

	var ls ListStreamsOutput
	if msg := call(t, cs, "list_streams", map[string]any{}, &ls); msg != "" || len(ls.Streams) != 4 || ls.Streams[0].Name != "trades" || len(ls.Streams[0].Columns) != 7 {
		t.Fatalf("list_streams %q %+v", msg, ls)
	}

	var ds DescribeStreamOutput
	if msg := call(t, cs, "describe_stream", map[string]any{"name": "customers", "sample": 3}, &ds); msg != "" || ds.Stream.Kind != "table" || len(ds.Sample) != 3 {
		t.Fatalf("describe_stream %q %+v", msg, ds)
	}
	if msg := call(t, cs, "describe_stream", map[string]any{"name": "nope"}, nil); !strings.Contains(msg, "not_found") {
		t.Errorf("unknown stream: %q", msg)
	}

	var v ValidateOutput
	call(t, cs, "validate_sql", map[string]any{"sql": "SELECT symbol,\n  pricee FROM trades"}, &v)
	if v.Valid || len(v.Errors) != 1 || v.Errors[0].Line != 2 || v.Errors[0].Col != 3 || !strings.Contains(v.Errors[0].Hint, "price") {
		t.Errorf("validate_sql %+v", v)
	}
	call(t, cs, "validate_sql", map[string]any{"sql": "SELECT symbol FROM trades"}, &v)
	if !v.Valid || v.Errors == nil {
		t.Errorf("valid SQL %+v", v)
	}

	var q QueryOutput
	if msg := call(t, cs, "query_stream", map[string]any{"sql": "SELECT symbol, price FROM trades", "max_rows": 5}, &q); msg != "" {
		t.Fatal(msg)
	}
	if len(q.Rows) != 5 || q.Reason != "row_limit" || q.Rows[0]["symbol"] == nil || q.Columns[1].Type != "DECIMAL(12,4)" {
		t.Errorf("query_stream %+v", q)
	}
	call(t, cs, "query_stream", map[string]any{"sql": "SELECT * FROM customers", "max_rows": 500, "from": "earliest"}, &q)
	if len(q.Rows) != demo.NumCustomers || q.Reason != "end_of_input" {
		t.Errorf("bounded query_stream: %d rows, %s", len(q.Rows), q.Reason)
	}
	for args, want := range map[string]string{
		`{"sql": "SELECT symbol FROM trades", "max_rows": 501}`:       "max_rows 501",
		`{"sql": "SELECT symbol FROM trades", "timeout_seconds": 31}`: "timeout_seconds 31",
		`{"sql": "SELECT nope FROM trades"}`:                          "invalid_sql",
		`{"sql": "SELECT symbol FROM trades", "from": "tomorrow"}`:    `from "tomorrow"`,
	} {
		var a map[string]any
		json.Unmarshal([]byte(args), &a)
		if msg := call(t, cs, "query_stream", a, nil); !strings.Contains(msg, want) {
			t.Errorf("%s: %q, want %q", args, msg, want)
		}
	}
	// Input is validated against the tool's schema before the handler.
	if msg := call(t, cs, "query_stream", map[string]any{"max_rows": 3}, nil); msg == "" {
		t.Error("a call without sql succeeded")
	}

	var g GenerateOutput
	if msg := call(t, cs, "generate_test_data", map[string]any{"stream": "trades", "records": 4, "seed": 9}, &g); msg != "" || len(g.Rows) != 4 || g.Seed != 9 || !slices.Contains(demo.CustomerIDs(), g.Rows[0]["customer_id"].(string)) {
		t.Errorf("generate_test_data %q %+v", msg, g)
	}
	if msg := call(t, cs, "generate_test_data", map[string]any{"stream": "trades", "records": 1001}, nil); !strings.Contains(msg, "records 1001") {
		t.Errorf("too many records: %q", msg)
	}

	var rt TestOutput
	if msg := call(t, cs, "run_test", map[string]any{"sql": "SELECT symbol, quantity FROM trades WHERE quantity > 10", "records": 1000,
		"assertions": []any{map[string]any{"record_count": map[string]any{"greater_than": 0}}, map[string]any{"no_nulls": []string{"symbol"}}}}, &rt); msg != "" {
		t.Fatal(msg)
	}
	if !rt.Passed || rt.Total != 2 || !strings.Contains(rt.Text, "Passed (2/2 assertions)") || rt.Report["assertions"] == nil {
		t.Errorf("run_test %+v", rt)
	}
	if msg := call(t, cs, "run_test", map[string]any{"sql": "SELECT FROM"}, nil); !strings.Contains(msg, "invalid_sql") || !strings.Contains(msg, `"line":1`) {
		t.Errorf("run_test with bad SQL: %q", msg)
	}

	// get_metrics sees the queries the Studio runs.
	started, err := s.StartQuery(ctx, core.QueryRequest{SQL: "SELECT symbol FROM trades"})
	if err != nil {
		t.Fatal(err)
	}
	sub := started.Query.Subscribe()
	defer sub.Close()
	var m MetricsOutput
	deadline := time.Now().Add(20 * time.Second)
	for {
		call(t, cs, "get_metrics", map[string]any{"query_id": started.ID}, &m)
		if len(m.Queries) == 1 && m.Queries[0].Read > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(m.Queries) != 1 || m.Queries[0].State != "running" || m.Queries[0].Read == 0 || m.Queries[0].Subscribers != 1 {
		t.Errorf("get_metrics %+v", m)
	}
	if msg := call(t, cs, "get_metrics", map[string]any{"query_id": "q-nope"}, nil); !strings.Contains(msg, "not_found") {
		t.Errorf("unknown query: %q", msg)
	}

	// deploy_query: a dry run by default; applying needs a cluster and
	// the permission.
	var d DeployOutput
	if msg := call(t, cs, "deploy_query", map[string]any{"sql": "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol", "name": "volume"}, &d); msg != "" {
		t.Fatal(msg)
	}
	if !d.DryRun || d.Applied || d.Queries != 1 || d.Objects[0].Kind != "StreamingQuery" || !strings.Contains(d.YAML, "CREATE STREAM trades") {
		t.Errorf("deploy_query %+v", d)
	}
	if msg := call(t, cs, "deploy_query", map[string]any{"sql": "SELECT symbol FROM trades", "name": "x", "dry_run": false}, nil); !strings.Contains(msg, "no_cluster") {
		t.Errorf("apply without a cluster: %q", msg)
	}
}

// The streamable HTTP transport at /mcp on the Studio server, reached by
// the SDK's HTTP client.
func TestStreamableHTTPOnTheStudioServer(t *testing.T) {
	s := studio(t)
	srv, err := server.New(s, server.Options{MCP: Handler(New(s, nil), nil), LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "v0"}, nil).Connect(ctx, &sdk.StreamableClientTransport{Endpoint: hs.URL + "/mcp", MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	var v ValidateOutput
	if msg := call(t, cs, "validate_sql", map[string]any{"sql": "SELECT symbol FROM trades"}, &v); msg != "" || !v.Valid {
		t.Errorf("validate over HTTP: %q %+v", msg, v)
	}
	var q QueryOutput
	if msg := call(t, cs, "query_stream", map[string]any{"sql": "SELECT symbol, quantity FROM trades", "max_rows": 3}, &q); msg != "" || len(q.Rows) != 3 {
		t.Errorf("query over HTTP: %q %+v", msg, q)
	}
}
