package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/live"
	"github.com/velostream/velostream/testkit"
	"github.com/velostream/velostream/testkit/gen"
	"github.com/velostream/velostream/testkit/report"
	"github.com/velostream/velostream/testkit/schema"
	"github.com/velostream/velostream/testkit/spec"
)

// TestRequest runs the test harness on a cell.
type TestRequest struct {
	SQL string `json:"sql"`
	// Assertions are the cell's assertions as the Notebook stores them,
	// e.g. {"record_count": {"greater_than": 0}}; `-- @assert:` lines in
	// the SQL count too; without any, the harness's defaults run.
	Assertions []json.RawMessage `json:"assertions,omitempty"`
	// Records per source (default 10,000).
	Records int64   `json:"records,omitempty"`
	Seed    *uint64 `json:"seed,omitempty"`
	// Schemas are schema files (YAML text) by source name. Demo streams
	// without one use the demo's own.
	Schemas map[string]string `json:"schemas,omitempty"`
	// AI asks the assistant to explain a failure.
	AI bool `json:"ai,omitempty"`
}

// testTimeout bounds one test run.
const testTimeout = 2 * time.Minute

// Test runs the test harness on generated data and returns its report.
func (s *Studio) Test(ctx context.Context, req TestRequest) (*report.Report, error) {
	if strings.TrimSpace(req.SQL) == "" {
		return nil, invalid("sql is empty")
	}
	if req.Records < 0 || req.Records > s.cfg.MaxTestRecords {
		return nil, invalid("records %d: want 1 to %d", req.Records, s.cfg.MaxTestRecords)
	}
	// The catalog's declarations (appended: positions in the cell stay)
	// tell the harness which sources are tables and their exact columns.
	sql := req.SQL
	if script, errs := parser.Parse(sql); len(errs) == 0 {
		sql = s.bind(ctx, script, catalog.Mode{Bounded: true}).Text(sql)
	}
	opts := testkit.Options{File: "cell.sql", SQL: sql, Records: req.Records, AI: req.AI}
	if req.Seed != nil {
		opts.Seed, opts.HasSeed = *req.Seed, true
	}
	if req.AI && s.cfg.Assistant != nil {
		opts.Explainer = explainer{s.cfg.Assistant}
	}
	var err error
	if opts.Schemas, err = s.testSchemas(req.SQL, req.Schemas); err != nil {
		return nil, err
	}
	if len(req.Assertions) > 0 {
		// The cell's assertions become a spec document; JSON is YAML, so
		// the harness's own parser reads them (and positions its errors
		// in this text, which the error shows).
		text, _ := json.MarshalIndent(map[string]any{"assertions": req.Assertions}, "", "  ")
		sp, errs := spec.Parse("assertions.json", string(text))
		if errs != nil {
			return nil, problemsError(schema.FromList("assertions.json", string(text), errs), "the assertions are invalid")
		}
		opts.Spec = sp
	}
	t, err := testkit.Prepare(opts)
	if err != nil {
		var te *testkit.Error
		if errors.As(err, &te) {
			return nil, problemsError(te.Problems, "the test cannot run")
		}
		return nil, invalid("%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	rep, err := t.Run(ctx)
	if err != nil {
		return nil, newError(http.StatusUnprocessableEntity, CodeInvalidRequest, "the test failed to run: "+err.Error(), nil, err)
	}
	return rep, nil
}

// problemsError reports the harness's positioned problems: SQL problems
// as invalid_sql (their positions are in the cell), others as
// invalid_request, every one in details.errors with its file.
func problemsError(probs schema.Problems, what string) *Error {
	errs := make([]diag.JSON, 0, len(probs))
	sqlOnly := true
	for _, p := range probs {
		errs = append(errs, p.Diag.ToJSON(p.File))
		if p.File != "cell.sql" {
			sqlOnly = false
		}
	}
	code := CodeInvalidRequest
	if sqlOnly {
		code = CodeInvalidSQL
	}
	return newError(http.StatusUnprocessableEntity, code, what+": "+probs.Error(), map[string]any{"errors": errs}, probs)
}

// testSchemas parses the given schema files and adds the demo's for demo
// streams the SQL reads (all of them, so references resolve).
func (s *Studio) testSchemas(sql string, given map[string]string) (map[string]*schema.Schema, error) {
	out := map[string]*schema.Schema{}
	var probs schema.Problems
	for name, text := range given {
		file := name + ".schema.yaml"
		sc, errs := schema.Parse(file, text)
		if errs != nil {
			probs = append(probs, schema.FromList(file, text, errs)...)
			continue
		}
		if sc.Name == "" {
			sc.Name = name
		}
		out[name] = sc
	}
	if probs != nil {
		return nil, problemsError(probs, "a schema is invalid")
	}
	if !s.readsDemo(sql) {
		return out, nil
	}
	for _, d := range demo.Catalog() {
		if schema.Lookup(out, d.Name) != nil {
			continue
		}
		text, _ := demo.TestSchema(d.Name)
		sc, errs := schema.Parse(d.Name+".schema.yaml", text)
		if errs != nil {
			return nil, newError(http.StatusInternalServerError, CodeInternal, "demo schema: "+errs.Error(), nil, errs)
		}
		out[d.Name] = sc
	}
	return out, nil
}

// readsDemo reports whether sql reads a demo stream of the catalog.
func (s *Studio) readsDemo(sql string) bool {
	script, errs := parser.Parse(sql)
	if len(errs) > 0 {
		return false
	}
	found := false
	for _, st := range script.Statements {
		ast.Inspect(st, func(n ast.Node) bool {
			if ref, ok := n.(*ast.SourceRef); ok && ref.Name != nil {
				if _, isDemo := demo.Lookup(ref.Name.Name()); isDemo {
					if cs, ok, _ := s.cfg.Catalog.Lookup(context.Background(), ref.Name.Name()); ok && !cs.Inferred {
						found = true
					}
				}
			}
			return !found
		})
	}
	return found
}

// GenerateRequest asks for synthetic records.
type GenerateRequest struct {
	// Stream names a demo stream whose schema is used, or the name of
	// Schema's records.
	Stream string `json:"stream,omitempty"`
	// Schema is a schema file (YAML text); without it, the demo stream's.
	Schema string `json:"schema,omitempty"`
	// Schemas are referenced schema files by name.
	Schemas map[string]string `json:"schemas,omitempty"`
	Records int64             `json:"records"`
	Seed    *uint64           `json:"seed,omitempty"`
	// Topic, when set, also writes the records to this topic of the
	// Studio's Kafka cluster (keyed by Key, if given).
	Topic string `json:"topic,omitempty"`
	Key   string `json:"key,omitempty"`
}

// GeneratedData is the records made.
type GeneratedData struct {
	Stream  string            `json:"stream"`
	Schema  string            `json:"schema"`
	Seed    uint64            `json:"seed"`
	Columns []live.Column     `json:"columns"`
	Rows    []json.RawMessage `json:"rows"`
	Topic   string            `json:"topic,omitempty"`
	Written int64             `json:"written"`
}

// GenerateData makes records from a schema, as `velo generate-data` and
// `velo test` do for the same schema and seed.
func (s *Studio) GenerateData(ctx context.Context, req GenerateRequest) (*GeneratedData, error) {
	if req.Records <= 0 || req.Records > s.cfg.MaxGenerateRecords {
		return nil, invalid("records %d: want 1 to %d", req.Records, s.cfg.MaxGenerateRecords)
	}
	text := req.Schema
	name := req.Stream
	given := map[string]string{}
	for k, v := range req.Schemas {
		given[k] = v
	}
	if text == "" {
		if name == "" {
			return nil, invalid("give a stream or a schema")
		}
		t, ok := demo.TestSchema(name)
		if !ok {
			return nil, notFound("no demo stream %q has a schema; give one in schema", name)
		}
		text = t
		for _, d := range demo.Catalog() {
			if _, ok := given[d.Name]; !ok && d.Name != name {
				given[d.Name], _ = demo.TestSchema(d.Name)
			}
		}
	}
	if name == "" {
		name = "records"
	}
	given[name] = text
	all, err := s.testSchemas("", given)
	if err != nil {
		return nil, err
	}
	main := schema.Lookup(all, name)
	if probs := schema.Link(all); probs != nil {
		return nil, problemsError(probs, "the schemas do not link")
	}
	seed := uint64(testkit.DefaultSeed)
	if req.Seed != nil {
		seed = *req.Seed
	}
	opts := gen.Options{Seed: seed, Pools: map[string][]types.Value{}}
	for _, n := range schema.GenerationOrder(all) {
		for _, f := range all[n].Fields {
			r := f.References
			if r == nil {
				continue
			}
			key := gen.PoolKey(r.Schema, r.Field)
			if _, ok := opts.Pools[key]; ok {
				continue
			}
			pool, err := gen.Pool(schema.Lookup(all, r.Schema), r.Field, req.Records, opts)
			if err != nil {
				return nil, invalid("%v", err)
			}
			opts.Pools[key] = pool
		}
	}
	g, err := gen.New(main, opts)
	if err != nil {
		return nil, invalid("%v", err)
	}
	row := main.Row()
	out := &GeneratedData{Stream: name, Schema: text, Seed: seed, Rows: make([]json.RawMessage, 0, req.Records)}
	for _, c := range row {
		out.Columns = append(out.Columns, live.Column{Name: c.Name, Type: c.Type.String()})
	}
	vals := make(types.Row, len(row))
	recs := make([]connectors.OutRecord, 0, req.Records)
	keyIdx := row.Index(req.Key)
	if req.Key != "" && keyIdx < 0 {
		return nil, invalid("key %q is not a field of %s (fields: %s)", req.Key, name, strings.Join(row.Names(), ", "))
	}
	for range req.Records {
		g.Next(vals)
		b := format.AppendJSON(nil, row, vals)
		out.Rows = append(out.Rows, b)
		rec := connectors.OutRecord{Value: b}
		if keyIdx >= 0 && !vals[keyIdx].IsNull() {
			rec.Key = format.AppendJSONValue(nil, vals[keyIdx])
			if vals[keyIdx].K == types.KindString {
				rec.Key = []byte(vals[keyIdx].S)
			}
		}
		recs = append(recs, rec)
	}
	if req.Topic != "" {
		if err := s.writeTopic(ctx, req.Topic, recs); err != nil {
			return nil, err
		}
		out.Topic, out.Written = req.Topic, int64(len(recs))
	}
	return out, nil
}

func (s *Studio) writeTopic(ctx context.Context, topic string, recs []connectors.OutRecord) error {
	boot := s.cfg.Catalog.Bootstrap()
	if boot == "" {
		return newError(http.StatusConflict, CodeNoKafka, "no Kafka cluster is configured to write to", nil, nil)
	}
	sink, err := connectors.OpenSink(ctx, "kafka_sink", connectors.Config{Name: topic, Props: map[string]string{"topic": topic, "bootstrap.servers": boot}})
	if err != nil {
		return newError(http.StatusBadGateway, CodeUpstream, fmt.Sprintf("topic %s: %v", topic, err), nil, err)
	}
	err = sink.Write(ctx, recs)
	if err == nil {
		err = sink.Flush(ctx)
	}
	if cerr := sink.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return newError(http.StatusBadGateway, CodeUpstream, fmt.Sprintf("writing to %s: %v", topic, err), nil, err)
	}
	return nil
}
