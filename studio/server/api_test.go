package server

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/controllers"
	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/core"
	"github.com/velostream/velostream/studio/server/deploy"
	"github.com/velostream/velostream/testkit/report"
)

func TestStreamsTopicsAndPreview(t *testing.T) {
	e := newEnv(t, envOpts{demo: true})
	var sl StreamList
	e.call("GET", "/api/v1/streams", nil, 200, &sl)
	var names []string
	for _, s := range sl.Streams {
		names = append(names, s.Name+":"+s.Kind)
	}
	if strings.Join(names, ",") != "trades:stream,transactions:stream,clicks:stream,customers:table" {
		t.Errorf("streams %v", names)
	}
	var trades catalog.Stream
	e.call("GET", "/api/v1/streams/trades", nil, 200, &trades)
	if trades.Inferred || trades.TimeField != "ts" || trades.Columns[1] != (catalog.Column{Name: "price", Type: "DECIMAL(12,4)", Description: "execution price per share"}) {
		t.Errorf("trades %+v", trades)
	}
	var tl TopicList
	e.call("GET", "/api/v1/topics", nil, 200, &tl)
	var topics []string
	for _, tp := range tl.Topics {
		topics = append(topics, tp.Name+"="+tp.Stream)
	}
	if strings.Join(topics, ",") != "clicks=clicks,customers=customers,trades=trades,transactions=transactions" {
		t.Errorf("topics %v", topics)
	}
	var rows core.Rows
	e.call("GET", "/api/v1/streams/trades/preview?limit=5", nil, 200, &rows)
	if len(rows.Rows) != 5 || len(rows.Columns) != 7 || rows.Reason != "row_limit" {
		t.Errorf("trades preview %+v", rows)
	}
	var tr map[string]any
	if err := json.Unmarshal(rows.Rows[0], &tr); err != nil || tr["symbol"] == nil || tr["ts"] == nil {
		t.Errorf("row %s", rows.Rows[0])
	}
	e.call("GET", "/api/v1/streams/customers/preview?limit=100", nil, 200, &rows)
	if len(rows.Rows) != demo.NumCustomers || rows.Reason != "end_of_input" {
		t.Errorf("customers preview: %d rows, %s", len(rows.Rows), rows.Reason)
	}
	e.apiError("GET", "/api/v1/streams/trades/preview?limit=501", nil, 400, core.CodeInvalidRequest)

	// A topic that is not a demo stream: its schema is sampled from its
	// records, and SQL over it runs.
	if _, err := e.studio.GenerateData(context.Background(), core.GenerateRequest{Stream: demo.Clicks, Records: 20, Topic: "visits"}); err != nil {
		t.Fatal(err)
	}
	var visits catalog.Stream
	eventually(t, "the new topic to be listed", func() bool {
		status, raw := e.do("GET", "/api/v1/streams/visits", nil)
		return status == 200 && json.Unmarshal(raw, &visits) == nil && len(visits.Columns) == 5
	})
	if !visits.Inferred || visits.TimeField != "ts" {
		t.Errorf("visits %+v", visits)
	}
	e.call("GET", "/api/v1/streams/visits/preview?limit=3", nil, 200, &rows)
	if len(rows.Rows) != 3 {
		t.Errorf("visits preview %+v", rows)
	}
}

func TestNLToSQLAndAnalyze(t *testing.T) {
	e := newEnv(t, envOpts{catalogOnly: true})
	var res assistant.Result
	e.call("POST", "/api/v1/nl-to-sql", core.NLRequest{Question: "Show me trading volume by symbol"}, 200, &res)
	if res.Refusal != nil || res.Provider != "offline" || !strings.Contains(res.SQL, "SUM(quantity)") || res.Interpretation == nil {
		t.Fatalf("answer %+v", res)
	}
	// What the assistant offers validates in the Studio, and runs.
	var v core.Validation
	e.call("POST", "/api/v1/validate", SQLBody{SQL: res.SQL}, 200, &v)
	if !v.Valid {
		t.Errorf("%s: %+v", res.SQL, v)
	}
	var windowed assistant.Result
	e.call("POST", "/api/v1/nl-to-sql", core.NLRequest{Question: "total quantity by symbol per minute", Streams: []string{"trades"}}, 200, &windowed)
	if windowed.Refusal != nil || !strings.Contains(windowed.SQL, "TUMBLING") {
		t.Errorf("windowed answer %+v", windowed)
	}
	var refused assistant.Result
	e.call("POST", "/api/v1/nl-to-sql", core.NLRequest{Question: "flibber the wobble quotient"}, 200, &refused)
	if refused.Refusal == nil || len(refused.Refusal.NotUnderstood) == 0 || refused.SQL != "" {
		t.Errorf("refusal %+v", refused)
	}
	e.apiError("POST", "/api/v1/nl-to-sql", core.NLRequest{Question: " "}, 400, core.CodeInvalidRequest)
	e.apiError("POST", "/api/v1/nl-to-sql", core.NLRequest{Question: "volume", Streams: []string{"nope"}}, 400, core.CodeInvalidRequest)

	var a core.Analysis
	e.call("POST", "/api/v1/analyze", core.AnalyzeRequest{SQL: "SELECT 1", Findings: []assistant.Finding{{Kind: "where_filter", Summary: "WHERE removed every row", Evidence: []string{"price ranged 10..20"}}}}, 200, &a)
	if a.Provider != "offline" || !strings.Contains(a.Explanation, "WHERE removed every row") {
		t.Errorf("analysis %+v", a)
	}
	e.apiError("POST", "/api/v1/analyze", core.AnalyzeRequest{SQL: "SELECT 1"}, 400, core.CodeInvalidRequest)
}

func TestTestAndGenerateData(t *testing.T) {
	e := newEnv(t, envOpts{catalogOnly: true})
	sql := "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol WINDOW TUMBLING(INTERVAL '1' MINUTE)"
	var rep report.Report
	e.call("POST", "/api/v1/test", map[string]any{"sql": sql, "records": 2000, "seed": 7, "assertions": []any{
		map[string]any{"record_count": map[string]any{"greater_than": 0}},
		map[string]any{"schema_contains": []string{"symbol", "volume"}},
		map[string]any{"no_nulls": []string{"symbol", "volume"}},
	}}, 200, &rep)
	if !rep.Passed || rep.Total != 3 || rep.Defaults || rep.Engine.Read != 2000 {
		t.Fatalf("report %s", report.Text(&rep))
	}
	// The demo's test schemas are used: the symbols are the demo's.
	e.call("POST", "/api/v1/test", map[string]any{"sql": "SELECT symbol FROM trades\n-- @assert: field_in_set symbol AAPL, MSFT, NVDA, TSLA, AMZN, GOOG", "records": 500}, 200, &rep)
	if !rep.Passed {
		t.Errorf("demo values: %s", report.Text(&rep))
	}
	e.call("POST", "/api/v1/test", map[string]any{"sql": sql, "records": 100, "assertions": []any{map[string]any{"record_count": map[string]any{"greater_than": 1000000}}}}, 200, &rep)
	if rep.Passed || rep.Failed != 1 || rep.Assertions[0].Expected == "" {
		t.Errorf("failing report %s", report.Text(&rep))
	}
	// Its failure can be explained.
	var a core.Analysis
	e.call("POST", "/api/v1/analyze", core.AnalyzeRequest{SQL: sql, Report: &rep}, 200, &a)
	if !strings.Contains(a.Explanation, "record_count") {
		t.Errorf("analysis of the report: %+v", a)
	}
	errBody := e.apiError("POST", "/api/v1/test", map[string]any{"sql": "SELECT pricee FROM trades"}, 422, core.CodeInvalidSQL)
	if errs, _ := errBody.Details["errors"].([]any); len(errs) != 1 {
		t.Errorf("details %+v", errBody.Details)
	}
	e.apiError("POST", "/api/v1/test", map[string]any{"sql": sql, "assertions": []any{map[string]any{"record_cont": 1}}}, 422, core.CodeInvalidRequest)
	e.apiError("POST", "/api/v1/test", map[string]any{"sql": sql, "records": 2_000_000}, 400, core.CodeInvalidRequest)

	var d core.GeneratedData
	e.call("POST", "/api/v1/generate-data", map[string]any{"stream": "transactions", "records": 25, "seed": 3}, 200, &d)
	if len(d.Rows) != 25 || len(d.Columns) != 10 || d.Seed != 3 || !strings.Contains(d.Schema, "references: {schema: customers") {
		t.Fatalf("data %+v", d)
	}
	var txn map[string]any
	json.Unmarshal(d.Rows[0], &txn)
	if id, _ := txn["customer_id"].(string); !slices.Contains(demo.CustomerIDs(), id) {
		t.Errorf("customer_id %v is not a customer", txn["customer_id"])
	}
	var again core.GeneratedData
	e.call("POST", "/api/v1/generate-data", map[string]any{"stream": "transactions", "records": 25, "seed": 3}, 200, &again)
	if string(again.Rows[24]) != string(d.Rows[24]) {
		t.Error("the same seed gave other data")
	}
	e.call("POST", "/api/v1/generate-data", map[string]any{"stream": "orders", "records": 3, "schema": "schema: {name: orders}\nfields:\n  - name: id\n    type: integer\n    constraints: {sequence: {start: 1}}\n"}, 200, &d)
	if len(d.Rows) != 3 || string(d.Rows[2]) != `{"id":3}` {
		t.Errorf("own schema %+v", d)
	}
	e.apiError("POST", "/api/v1/generate-data", map[string]any{"stream": "nope", "records": 3}, 404, core.CodeNotFound)
	e.apiError("POST", "/api/v1/generate-data", map[string]any{"stream": "trades", "records": 0}, 400, core.CodeInvalidRequest)
	e.apiError("POST", "/api/v1/generate-data", map[string]any{"stream": "trades", "records": 3, "topic": "x"}, 409, core.CodeNoKafka)
}

const deploySQL = `-- @metric: trade_volume
-- @metric_type: counter
-- @metric_labels: symbol
-- @metric_field: volume
SELECT symbol, SUM(quantity) AS volume
FROM trades
GROUP BY symbol
WINDOW TUMBLING(INTERVAL '5' MINUTE)
EMIT CHANGES`

func TestDeployWithoutACluster(t *testing.T) {
	e := newEnv(t, envOpts{catalogOnly: true})
	var nb core.Notebook
	e.call("POST", "/api/v1/notebooks", map[string]any{"name": "trading", "title": "Trading", "cells": []map[string]any{{"name": "volume", "sql": deploySQL}}}, 201, &nb)
	var p deploy.Plan
	e.call("POST", "/api/v1/deploy", core.DeployRequest{Notebook: "trading", Cells: []string{"volume"}, DryRun: true}, 200, &p)
	if !p.DryRun || p.Applied || p.Summary.Queries != 1 || p.Summary.Metrics != 1 || p.Summary.Dashboards != 1 || p.Objects[0].Kind != "Notebook" {
		t.Fatalf("plan %+v", p)
	}
	// The deployed SQL declares the demo stream it reads, so it runs
	// without the Studio.
	if !strings.Contains(p.YAML, "CREATE STREAM trades (symbol STRING, price DECIMAL(12,4)") || !strings.Contains(p.YAML, "deploy: true") {
		t.Errorf("YAML:\n%s", p.YAML)
	}
	errBody := e.apiError("POST", "/api/v1/deploy", core.DeployRequest{Notebook: "trading", Cells: []string{"volume"}}, 409, core.CodeNoCluster)
	if y, _ := errBody.Details["yaml"].(string); !strings.Contains(y, "kind: Notebook") {
		t.Errorf("no YAML to download: %+v", errBody.Details)
	}
	// Errors are positioned in the cell's own text.
	e.call("PATCH", "/api/v1/notebooks/trading/cells/volume", map[string]any{"sql": "SELECT symbol,\n  pricee FROM trades"}, 200, nil)
	errBody = e.apiError("POST", "/api/v1/deploy", core.DeployRequest{Notebook: "trading", Cells: []string{"volume"}, DryRun: true}, 422, core.CodeInvalidSQL)
	cells, _ := errBody.Details["cells"].([]any)
	if len(cells) != 1 || !strings.Contains(errBody.Message, "cell volume: 2:3") {
		t.Errorf("deploy error %+v", errBody)
	}
	e.apiError("POST", "/api/v1/deploy", core.DeployRequest{DryRun: true}, 400, core.CodeInvalidRequest)
	e.apiError("POST", "/api/v1/deploy", core.DeployRequest{SQL: "SELECT symbol FROM trades", DryRun: true}, 400, core.CodeInvalidRequest)
	e.call("POST", "/api/v1/deploy", core.DeployRequest{SQL: "SELECT symbol FROM trades", Name: "symbols", DryRun: true}, 200, &p)
	if p.Objects[0].Kind != "StreamingQuery" || p.Objects[0].Name != "symbols" {
		t.Errorf("sql plan %+v", p.Objects)
	}
}

// Deploy through the HTTP API into a real API server (a local Studio
// started with --kubeconfig).
func TestDeployIntoACluster(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: export KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh | tail -1)")
	}
	root := filepath.Join("..", "..")
	envt := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases"), filepath.Join(root, "controllers", "testdata", "crds", "monitoring")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := envt.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer envt.Stop()
	scheme, _ := controllers.NewScheme()
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "studio"}}); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOpts{catalogOnly: true, kube: c, namespace: "studio"})
	var nb core.Notebook
	e.call("POST", "/api/v1/notebooks", map[string]any{"name": "trading", "title": "Trading", "cells": []map[string]any{{"name": "volume", "sql": deploySQL}}}, 201, &nb)
	var p deploy.Plan
	e.call("POST", "/api/v1/deploy", core.DeployRequest{Notebook: "trading", Cells: []string{"volume"}, DryRun: true}, 200, &p)
	var actions []string
	for _, o := range p.Objects {
		actions = append(actions, o.Kind+"="+o.Action)
	}
	if strings.Join(actions, " ") != "Notebook=create StreamingQuery=create ServiceMonitor=create PrometheusRule=create ConfigMap=create" {
		t.Errorf("dry run %v", actions)
	}
	e.call("POST", "/api/v1/deploy", core.DeployRequest{Notebook: "trading", Cells: []string{"volume"}}, 200, &p)
	if !p.Applied || p.Objects[0].Action != "created" {
		t.Errorf("applied %+v", p.Objects[0])
	}
	var stored v1alpha1.Notebook
	if err := c.Get(ctx, client.ObjectKey{Namespace: "studio", Name: "trading"}, &stored); err != nil {
		t.Fatal(err)
	}
	if !stored.Spec.Cells[0].Deploy {
		t.Errorf("stored %+v", stored.Spec.Cells[0])
	}
	e.call("POST", "/api/v1/deploy", core.DeployRequest{SQL: "CREATE STREAM big_trades AS SELECT symbol, quantity FROM trades WHERE quantity > 1000"}, 200, &p)
	if p.Objects[0].Kind != "StreamingQuery" || p.Objects[0].Name != "big-trades" || p.Objects[0].Action != "created" {
		t.Errorf("sql deploy %+v", p.Objects[0])
	}
}
