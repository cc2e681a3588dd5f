// Package mcp is the Studio's MCP server: the Model Context Protocol tools
// an AI agent uses to explore streams, check and run SQL, test it on
// generated data and deploy it.
//
// Takes: a *core.Studio (the same back end as the Studio's HTTP API, so an
// agent and a person get the same answers). Gives: an MCP server with the
// tools list_streams, describe_stream, validate_sql, query_stream,
// generate_test_data, run_test, get_metrics and deploy_query (typed inputs
// and outputs), to run over stdio (`velo mcp`) or as an http.Handler for
// the streamable HTTP transport (/mcp on the Studio server).
//
// Bounds: query_stream reads at most 500 rows for at most 30 seconds;
// generate_test_data makes at most 1,000 records; deploy_query applies only
// when the Studio allows agents to deploy (--allow-deploy), and is a dry
// run otherwise.
package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/core"
	"github.com/velostream/velostream/studio/server/live"
	"github.com/velostream/velostream/testkit/report"
)

// Bounds of the tools.
const (
	MaxRows          = 500
	DefaultRows      = 20
	MaxSeconds       = 30
	DefaultSeconds   = 5
	MaxRecords       = 1000
	DefaultRecords   = 10
	MaxSampleRecords = 20
)

// Version is the server's version as it tells clients.
const Version = "v1"

// New builds the MCP server on a Studio.
func New(s *core.Studio, log *slog.Logger) *sdk.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := sdk.NewServer(&sdk.Implementation{Name: "velostream-studio", Title: "Velostream Studio", Version: Version}, &sdk.ServerOptions{
		Instructions: "Velostream is a streaming SQL engine. Use list_streams and describe_stream to see the data, " +
			"validate_sql before running, query_stream to see a few live results, run_test to check a query on generated data, " +
			"and deploy_query (a dry run unless deploying is allowed) to run it on Kubernetes.",
		Logger: log,
	})
	t := &tools{s: s}
	sdk.AddTool(srv, &sdk.Tool{Name: "list_streams", Description: "List the streams and tables that can be queried, with their columns."}, t.listStreams)
	sdk.AddTool(srv, &sdk.Tool{Name: "describe_stream", Description: "One stream's schema (columns, types, event-time column), optionally with a few sample records."}, t.describeStream)
	sdk.AddTool(srv, &sdk.Tool{Name: "validate_sql", Description: "Parse and check streaming SQL against the streams; returns positioned errors (line, column) with hints."}, t.validateSQL)
	sdk.AddTool(srv, &sdk.Tool{Name: "query_stream", Description: fmt.Sprintf("Run SQL and return its first result rows: at most max_rows (default %d, up to %d) within timeout_seconds (default %d, up to %d).", DefaultRows, MaxRows, DefaultSeconds, MaxSeconds)}, t.queryStream)
	sdk.AddTool(srv, &sdk.Tool{Name: "generate_test_data", Description: fmt.Sprintf("Synthetic records for a demo stream, or from a schema file given as YAML text (at most %d).", MaxRecords)}, t.generateTestData)
	sdk.AddTool(srv, &sdk.Tool{Name: "run_test", Description: "Run SQL on generated data and check assertions (e.g. {\"record_count\": {\"greater_than\": 0}}); returns the test report with the failure analysis."}, t.runTest)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_metrics", Description: "Counters and rates of the queries the Studio runs (one query by id, or all)."}, t.getMetrics)
	sdk.AddTool(srv, &sdk.Tool{Name: "deploy_query", Description: "Deploy SQL as a StreamingQuery on Kubernetes. A dry run (the objects that would be created) unless the Studio allows agents to deploy and dry_run is false."}, t.deployQuery)
	return srv
}

// Handler serves the MCP server over the streamable HTTP transport. Its
// DNS-rebinding protection for localhost stays on.
func Handler(srv *sdk.Server, log *slog.Logger) http.Handler {
	return sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return srv }, &sdk.StreamableHTTPOptions{
		Logger:         log,
		SessionTimeout: 30 * time.Minute,
	})
}

// RunStdio serves one client over in and out (standard input and output
// for `velo mcp`, newline-delimited JSON-RPC) until it leaves or ctx ends.
// Nothing else may write to out.
func RunStdio(ctx context.Context, srv *sdk.Server, in io.Reader, out io.Writer) error {
	return srv.Run(ctx, &sdk.IOTransport{Reader: io.NopCloser(in), Writer: nopCloser{out}})
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

type tools struct{ s *core.Studio }

// toolError turns a Studio error into the tool's error text: its stable
// code, its message and, for SQL, the positioned errors.
func toolError(err error) error {
	var ce *core.Error
	if !errors.As(err, &ce) {
		return err
	}
	msg := ce.Code + ": " + ce.Message
	if errs, ok := ce.Details["errors"]; ok {
		b, _ := json.Marshal(errs)
		msg += "\nerrors: " + string(b)
	}
	if cells, ok := ce.Details["cells"]; ok {
		b, _ := json.Marshal(cells)
		msg += "\ncells: " + string(b)
	}
	return errors.New(msg)
}

// Column is a column of a stream or a result.
type Column struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
}

// Stream is a stream or table.
type Stream struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind" jsonschema:"stream or table"`
	Description string   `json:"description,omitempty"`
	Columns     []Column `json:"columns"`
	TimeField   string   `json:"time_field,omitempty" jsonschema:"the event-time column windows use"`
	Inferred    bool     `json:"inferred" jsonschema:"true when the columns were sampled from the data"`
}

func streamOf(s catalog.Stream) Stream {
	out := Stream{Name: s.Name, Kind: s.Kind, Description: s.Description, TimeField: s.TimeField, Inferred: s.Inferred, Columns: []Column{}}
	for _, c := range s.Columns {
		out.Columns = append(out.Columns, Column{Name: c.Name, Type: c.Type, Description: c.Description})
	}
	return out
}

// ListStreamsInput takes nothing.
type ListStreamsInput struct{}

// ListStreamsOutput lists the streams.
type ListStreamsOutput struct {
	Streams []Stream `json:"streams"`
}

func (t *tools) listStreams(ctx context.Context, _ *sdk.CallToolRequest, _ ListStreamsInput) (*sdk.CallToolResult, ListStreamsOutput, error) {
	st, err := t.s.Streams(ctx)
	if err != nil {
		return nil, ListStreamsOutput{}, toolError(err)
	}
	out := ListStreamsOutput{Streams: []Stream{}}
	for _, s := range st {
		out.Streams = append(out.Streams, streamOf(s))
	}
	return nil, out, nil
}

// DescribeStreamInput names a stream.
type DescribeStreamInput struct {
	Name   string `json:"name" jsonschema:"the stream or table name"`
	Sample int    `json:"sample,omitempty" jsonschema:"how many recent records to include (0 to 20)"`
}

// DescribeStreamOutput is the stream and its sample.
type DescribeStreamOutput struct {
	Stream Stream           `json:"stream"`
	Sample []map[string]any `json:"sample,omitempty"`
}

func (t *tools) describeStream(ctx context.Context, _ *sdk.CallToolRequest, in DescribeStreamInput) (*sdk.CallToolResult, DescribeStreamOutput, error) {
	if in.Sample < 0 || in.Sample > MaxSampleRecords {
		return nil, DescribeStreamOutput{}, fmt.Errorf("sample %d: want 0 to %d", in.Sample, MaxSampleRecords)
	}
	st, err := t.s.Stream(ctx, in.Name)
	if err != nil {
		return nil, DescribeStreamOutput{}, toolError(err)
	}
	out := DescribeStreamOutput{Stream: streamOf(*st)}
	if in.Sample > 0 {
		rows, err := t.s.Preview(ctx, st.Name, in.Sample)
		if err != nil {
			return nil, DescribeStreamOutput{}, toolError(err)
		}
		out.Sample = objects(rows.Rows)
	}
	return nil, out, nil
}

// ValidateInput is SQL to check.
type ValidateInput struct {
	SQL string `json:"sql" jsonschema:"the SQL text"`
}

// SQLError is one positioned error.
type SQLError struct {
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	EndLine int    `json:"end_line"`
	EndCol  int    `json:"end_col"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// ValidateOutput says whether the SQL is valid and why not.
type ValidateOutput struct {
	Valid  bool       `json:"valid"`
	Errors []SQLError `json:"errors"`
}

func (t *tools) validateSQL(ctx context.Context, _ *sdk.CallToolRequest, in ValidateInput) (*sdk.CallToolResult, ValidateOutput, error) {
	v := t.s.Validate(ctx, in.SQL)
	out := ValidateOutput{Valid: v.Valid, Errors: []SQLError{}}
	for _, e := range v.Errors {
		out.Errors = append(out.Errors, SQLError{Line: e.Line, Col: e.Col, EndLine: e.EndLine, EndCol: e.EndCol, Message: e.Message, Hint: e.Hint})
	}
	return nil, out, nil
}

// QueryInput is a bounded read.
type QueryInput struct {
	SQL            string `json:"sql" jsonschema:"the SQL to run"`
	MaxRows        int    `json:"max_rows,omitempty" jsonschema:"stop after this many rows (default 20, at most 500)"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty" jsonschema:"stop after this many seconds (default 5, at most 30)"`
	From           string `json:"from,omitempty" jsonschema:"latest (default: records arriving from now on) or earliest (what the streams hold)"`
}

// QueryOutput is the rows read.
type QueryOutput struct {
	Columns   []Column         `json:"columns"`
	Rows      []map[string]any `json:"rows"`
	Truncated bool             `json:"truncated" jsonschema:"true when more rows were available"`
	Reason    string           `json:"reason" jsonschema:"why reading stopped: row_limit, time_limit or end_of_input"`
	ElapsedMS int64            `json:"elapsed_ms"`
}

func (t *tools) queryStream(ctx context.Context, _ *sdk.CallToolRequest, in QueryInput) (*sdk.CallToolResult, QueryOutput, error) {
	rows, secs := in.MaxRows, in.TimeoutSeconds
	if rows == 0 {
		rows = DefaultRows
	}
	if secs == 0 {
		secs = DefaultSeconds
	}
	if rows < 1 || rows > MaxRows {
		return nil, QueryOutput{}, fmt.Errorf("max_rows %d: want 1 to %d", in.MaxRows, MaxRows)
	}
	if secs < 1 || secs > MaxSeconds {
		return nil, QueryOutput{}, fmt.Errorf("timeout_seconds %d: want 1 to %d", in.TimeoutSeconds, MaxSeconds)
	}
	mode := catalog.Mode{Start: in.From}
	switch in.From {
	case "", "latest":
	case "earliest":
		// What the streams hold, then stop: an agent wants an answer,
		// not a subscription.
		mode = catalog.Mode{Bounded: true}
	default:
		return nil, QueryOutput{}, fmt.Errorf("from %q: want latest or earliest", in.From)
	}
	res, err := t.s.Collect(ctx, in.SQL, mode, rows, time.Duration(secs)*time.Second)
	if err != nil {
		return nil, QueryOutput{}, toolError(err)
	}
	out := QueryOutput{Columns: columns(res.Columns), Rows: objects(res.Rows), Truncated: res.Truncated, Reason: res.Reason, ElapsedMS: res.ElapsedMS}
	return nil, out, nil
}

// GenerateInput asks for records.
type GenerateInput struct {
	Stream  string  `json:"stream,omitempty" jsonschema:"a demo stream whose schema to use, or the name of the schema's records"`
	Schema  string  `json:"schema,omitempty" jsonschema:"a schema file (YAML text, the velo test format) instead of a demo stream's"`
	Records int     `json:"records,omitempty" jsonschema:"how many (default 10, at most 1000)"`
	Seed    *uint64 `json:"seed,omitempty" jsonschema:"the same seed gives the same records"`
}

// GenerateOutput is the records.
type GenerateOutput struct {
	Stream  string           `json:"stream"`
	Columns []Column         `json:"columns"`
	Rows    []map[string]any `json:"rows"`
	Seed    uint64           `json:"seed"`
	Schema  string           `json:"schema" jsonschema:"the schema file used"`
}

func (t *tools) generateTestData(ctx context.Context, _ *sdk.CallToolRequest, in GenerateInput) (*sdk.CallToolResult, GenerateOutput, error) {
	n := in.Records
	if n == 0 {
		n = DefaultRecords
	}
	if n < 1 || n > MaxRecords {
		return nil, GenerateOutput{}, fmt.Errorf("records %d: want 1 to %d", in.Records, MaxRecords)
	}
	d, err := t.s.GenerateData(ctx, core.GenerateRequest{Stream: in.Stream, Schema: in.Schema, Records: int64(n), Seed: in.Seed})
	if err != nil {
		return nil, GenerateOutput{}, toolError(err)
	}
	return nil, GenerateOutput{Stream: d.Stream, Columns: columns(d.Columns), Rows: objects(d.Rows), Seed: d.Seed, Schema: d.Schema}, nil
}

// TestInput is a test run.
type TestInput struct {
	SQL        string           `json:"sql" jsonschema:"the SQL to test; -- @assert: lines in it count as assertions"`
	Assertions []map[string]any `json:"assertions,omitempty" jsonschema:"assertions, each an object with one key naming the check, e.g. {\"no_nulls\": [\"symbol\"]}"`
	Records    int64            `json:"records,omitempty" jsonschema:"records per source (default 10000)"`
	Seed       *uint64          `json:"seed,omitempty"`
}

// TestOutput is the report.
type TestOutput struct {
	Passed bool   `json:"passed"`
	Total  int    `json:"total"`
	Failed int    `json:"failed"`
	Text   string `json:"text" jsonschema:"the report as velo test prints it"`
	// Report is the full JSON report (assertions, performance, findings).
	Report map[string]any `json:"report"`
}

func (t *tools) runTest(ctx context.Context, _ *sdk.CallToolRequest, in TestInput) (*sdk.CallToolResult, TestOutput, error) {
	req := core.TestRequest{SQL: in.SQL, Records: in.Records, Seed: in.Seed}
	for _, a := range in.Assertions {
		b, err := json.Marshal(a)
		if err != nil {
			return nil, TestOutput{}, err
		}
		req.Assertions = append(req.Assertions, b)
	}
	rep, err := t.s.Test(ctx, req)
	if err != nil {
		return nil, TestOutput{}, toolError(err)
	}
	out := TestOutput{Passed: rep.Passed, Total: rep.Total, Failed: rep.Failed, Text: report.Text(rep)}
	b, _ := json.Marshal(rep)
	_ = json.Unmarshal(b, &out.Report)
	return nil, out, nil
}

// MetricsInput names a query, or none for all.
type MetricsInput struct {
	QueryID string `json:"query_id,omitempty" jsonschema:"a query id; empty for every query"`
}

// QueryMetrics are one query's state and counters.
type QueryMetrics struct {
	ID          string `json:"id"`
	SQL         string `json:"sql"`
	State       string `json:"state"`
	Reason      string `json:"reason,omitempty"`
	Read        int64  `json:"records_read"`
	Emitted     int64  `json:"rows_emitted"`
	Late        int64  `json:"records_late"`
	Bad         int64  `json:"records_bad"`
	OpenWindows int64  `json:"open_windows"`
	ElapsedMS   int64  `json:"elapsed_ms"`
	// RecordsPerSec is the average rate since the query started.
	RecordsPerSec float64 `json:"records_per_sec"`
	Subscribers   int     `json:"subscribers"`
}

// MetricsOutput lists queries.
type MetricsOutput struct {
	Queries []QueryMetrics `json:"queries"`
}

func (t *tools) getMetrics(_ context.Context, _ *sdk.CallToolRequest, in MetricsInput) (*sdk.CallToolResult, MetricsOutput, error) {
	var infos []live.Info
	if in.QueryID != "" {
		q, err := t.s.Query(in.QueryID)
		if err != nil {
			return nil, MetricsOutput{}, toolError(err)
		}
		infos = []live.Info{q.Info()}
	} else {
		infos = t.s.Hub().List()
	}
	out := MetricsOutput{Queries: []QueryMetrics{}}
	for _, in := range infos {
		m := QueryMetrics{ID: in.ID, SQL: in.SQL, State: in.State, Reason: in.Reason, Read: in.Stats.Read, Emitted: in.Stats.Emitted,
			Late: in.Stats.Late, Bad: in.Stats.Bad, OpenWindows: in.Stats.State, ElapsedMS: in.Stats.ElapsedMS, Subscribers: in.Subscribers}
		if in.Stats.ElapsedMS > 0 {
			m.RecordsPerSec = float64(in.Stats.Read) / (float64(in.Stats.ElapsedMS) / 1000)
		}
		out.Queries = append(out.Queries, m)
	}
	return nil, out, nil
}

// DeployInput is a query to deploy.
type DeployInput struct {
	SQL       string `json:"sql" jsonschema:"the SQL to run on Kubernetes"`
	Name      string `json:"name,omitempty" jsonschema:"the StreamingQuery's name (a DNS label); default: the stream a CREATE STREAM ... AS names"`
	Namespace string `json:"namespace,omitempty"`
	DryRun    *bool  `json:"dry_run,omitempty" jsonschema:"default true: only say what would be created"`
}

// DeployedObject is one object of the deploy.
type DeployedObject struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Role      string `json:"role" jsonschema:"applied (by this deploy) or operator (made by the operator from it)"`
	Action    string `json:"action,omitempty"`
}

// DeployOutput is the deploy summary.
type DeployOutput struct {
	DryRun  bool             `json:"dry_run"`
	Applied bool             `json:"applied"`
	Queries int              `json:"queries"`
	Metrics int              `json:"metrics"`
	Alerts  int              `json:"alerts"`
	Objects []DeployedObject `json:"objects"`
	YAML    string           `json:"yaml" jsonschema:"the object to apply with kubectl"`
}

func (t *tools) deployQuery(ctx context.Context, _ *sdk.CallToolRequest, in DeployInput) (*sdk.CallToolResult, DeployOutput, error) {
	dry := in.DryRun == nil || *in.DryRun
	p, err := t.s.Deploy(ctx, core.DeployRequest{SQL: in.SQL, Name: in.Name, Namespace: in.Namespace, DryRun: dry}, true)
	if err != nil {
		return nil, DeployOutput{}, toolError(err)
	}
	out := DeployOutput{DryRun: p.DryRun, Applied: p.Applied, Queries: p.Summary.Queries, Metrics: p.Summary.Metrics, Alerts: p.Summary.Alerts, YAML: p.YAML, Objects: []DeployedObject{}}
	for _, o := range p.Objects {
		out.Objects = append(out.Objects, DeployedObject{Kind: o.Kind, Name: o.Name, Namespace: o.Namespace, Role: o.Role, Action: o.Action})
	}
	return nil, out, nil
}

func columns(cs []live.Column) []Column {
	out := make([]Column, len(cs))
	for i, c := range cs {
		out[i] = Column{Name: c.Name, Type: c.Type}
	}
	return out
}

// objects decodes rows (JSON objects) for structured output.
func objects(rows []json.RawMessage) []map[string]any {
	out := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(string(r)))
		d.UseNumber() // decimals keep their digits
		if d.Decode(&m) == nil {
			out = append(out, m)
		}
	}
	return out
}
