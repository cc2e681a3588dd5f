// Package engine is the streaming SQL engine's front door: it chains the
// stages (parser -> binder -> planner -> executor) behind a few calls, so
// the CLI, the runner, the test harness and the Studio use one API.
//
//	q, errs := engine.Compile(sql, engine.Options{})
//	stats, err := q.Run(ctx, executor.Options{})
package engine

import (
	"bufio"
	"context"
	"os"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/planner"
	"github.com/velostream/velostream/engine/types"

	// Connectors register themselves.
	_ "github.com/velostream/velostream/engine/connectors/file"
	_ "github.com/velostream/velostream/engine/connectors/kafka"
	_ "github.com/velostream/velostream/engine/connectors/stdio"
)

// Options configure compilation.
type Options struct {
	// Sources binds or overrides sources by name: properties as in WITH,
	// without the name prefix (see binder.URIProps for --source URIs).
	Sources map[string]map[string]string
	// Sink overrides the query's sink properties.
	Sink map[string]string
	// Resolve supplies schemas of undeclared sources; when nil, file
	// sources are sampled (SampleSchema).
	Resolve func(*plan.Source) (types.Schema, error)
	// NoSampling leaves undeclared sources open instead of sampling files.
	NoSampling bool
}

// Query is a compiled query.
type Query struct {
	Src    string
	Script *ast.Script
	Plan   *plan.Query
}

// Compile parses, binds and plans src.
func Compile(src string, opts Options) (*Query, diag.List) {
	script, errs := parser.Parse(src)
	if len(errs) > 0 {
		return nil, errs
	}
	resolve := opts.Resolve
	if resolve == nil && !opts.NoSampling {
		resolve = SampleSchema
	}
	q, errs := binder.Bind(script, binder.Options{Sources: opts.Sources, Sink: opts.Sink, Resolve: resolve})
	if len(errs) > 0 {
		return nil, errs
	}
	return &Query{Src: src, Script: script, Plan: planner.Plan(q)}, nil
}

// Check parses and binds src without touching any data or connection and
// returns the bound query (nil when it could not be bound) with the errors.
func Check(src string) (*plan.Query, diag.List) {
	script, errs := parser.Parse(src)
	if len(errs) > 0 {
		return nil, errs
	}
	return binder.Bind(script, binder.Options{Validate: true, Resolve: sampleIfPresent})
}

// Validate parses and binds src without touching any data or connection.
func Validate(src string) diag.List {
	_, errs := Check(src)
	return errs
}

// sampleIfPresent samples file sources that exist and leaves the others
// open: validation checks the SQL, not the machine it will run on.
func sampleIfPresent(src *plan.Source) (types.Schema, error) {
	s, err := SampleSchema(src)
	if err != nil {
		return nil, nil
	}
	return s, nil
}

// Run executes the query.
func (q *Query) Run(ctx context.Context, opts executor.Options) (*executor.Stats, error) {
	return executor.Run(ctx, q.Plan, opts)
}

// SampleSchema infers the schema of a file source from its first lines, so
// that `SELECT *` and exact column types work on undeclared files. Other
// sources are left open (nil, nil).
func SampleSchema(src *plan.Source) (types.Schema, error) {
	if src.Type != "file_source" {
		return nil, nil
	}
	path := src.Props["path"]
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fmtName := src.Props["format"]
	if fmtName == "" {
		fmtName = "json"
		if strings.HasSuffix(strings.ToLower(path), ".csv") {
			fmtName = "csv"
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	var lines [][]byte
	for len(lines) < 100 && sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if len(lines) == 0 {
		return nil, nil
	}
	return format.InferSchema(fmtName, lines)
}
