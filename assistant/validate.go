package assistant

import (
	"fmt"
	"strings"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
)

// Checked is SQL that passed Validate: its syntax tree and compiled query.
type Checked struct {
	SQL    string
	Select *ast.SelectStmt
	Query  *engine.Query
}

// Validate checks generated SQL against the catalog: it must be exactly one
// SELECT over catalog streams, with no WITH properties (sources come from
// the catalog, never from what a model wrote: a WITH could name any file),
// and the engine must parse and bind it with the catalog's schemas. Errors
// are positioned in sql.
func Validate(sql string, cat *Catalog) (*Checked, diag.List) {
	if strings.TrimSpace(sql) == "" {
		var errs diag.List
		errs.Add(token.Pos{Line: 1, Col: 1}, token.Pos{Line: 1, Col: 1}, "no SQL: expected one SELECT statement")
		return nil, errs
	}
	script, errs := parser.Parse(sql)
	if len(errs) > 0 {
		return nil, errs
	}
	if len(script.Statements) != 1 {
		var at ast.Node = script.Statements[len(script.Statements)-1]
		if len(script.Statements) == 0 {
			errs.Add(token.Pos{Line: 1, Col: 1}, token.Pos{Line: 1, Col: 1}, "no statement: expected one SELECT")
			return nil, errs
		}
		errs.Add(at.Pos(), at.End(), fmt.Sprintf("expected one SELECT statement, found %d statements", len(script.Statements)))
		return nil, errs
	}
	sel, ok := script.Statements[0].(*ast.SelectStmt)
	if !ok {
		st := script.Statements[0]
		errs.AddHint(st.Pos(), st.End(), "write a plain SELECT ... FROM stream", "only a SELECT is offered: CREATE statements declare or write to sources outside the catalog")
		return nil, errs
	}
	if len(sel.With) > 0 {
		errs.AddHint(sel.WithPos, sel.End(), "remove the WITH clause", "WITH properties are not allowed here: the catalog binds the streams")
	}
	if sel.Distinct {
		errs.AddHint(sel.Pos(), sel.Pos(), "use GROUP BY to get one row per value", "SELECT DISTINCT is not supported by the engine")
	}
	checkFrom(sel.From, cat, &errs)
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	q, errs := engine.Compile(sql, CompileOptions(cat))
	if len(errs) > 0 {
		return nil, errs
	}
	return &Checked{SQL: sql, Select: sel, Query: q}, nil
}

// checkFrom accepts only catalog names: no URIs, no file paths.
func checkFrom(f ast.FromItem, cat *Catalog, errs *diag.List) {
	switch f := f.(type) {
	case *ast.SourceRef:
		if f.URI != "" {
			errs.AddHint(f.Pos(), f.End(), "read one of: "+strings.Join(cat.Names(), ", "), fmt.Sprintf("FROM %s: only streams of the catalog can be read", f.URI))
			return
		}
		if cat.Stream(f.Name.Name()) == nil {
			hint := "known streams: " + strings.Join(cat.Names(), ", ")
			if s := diag.Suggest(f.Name.Name(), cat.Names()); s != "" {
				hint = "did you mean " + s + "?"
			}
			errs.AddHint(f.Name.Pos(), f.Name.End(), hint, fmt.Sprintf("unknown stream %q", f.Name.Name()))
		}
	case *ast.Join:
		checkFrom(f.Left, cat, errs)
		checkFrom(f.Right, cat, errs)
	}
}

// CompileOptions binds every catalog stream to an in-memory source with the
// catalog's schema and event-time column, so that engine.Compile checks
// names and types without touching any data. Callers that run the query
// replace the sources with executor.Options.Sources.
func CompileOptions(cat *Catalog) engine.Options {
	sources := map[string]map[string]string{}
	for _, s := range cat.Streams {
		props := map[string]string{"type": "memory"}
		if tc := s.EventTime(); tc != "" {
			props["event.time.field"] = tc
		}
		sources[s.Name] = props
	}
	return engine.Options{
		Sources:    sources,
		NoSampling: true,
		Resolve: func(src *plan.Source) (types.Schema, error) {
			s := cat.Stream(src.Name)
			if s == nil {
				return nil, fmt.Errorf("not in the catalog")
			}
			return s.Schema()
		},
	}
}

// ErrorsJSON converts diagnostics for a Refusal.
func ErrorsJSON(errs diag.List) []ErrorJSON {
	out := make([]ErrorJSON, 0, len(errs))
	for _, d := range errs {
		j := d.ToJSON("")
		out = append(out, ErrorJSON{Line: j.Line, Col: j.Col, EndLine: j.EndLine, EndCol: j.EndCol, Message: j.Message, Hint: j.Hint})
	}
	return out
}

// Feedback renders diagnostics the way a compiler does (caret under the
// offending text, hints), for a model to repair its answer.
func Feedback(sql string, errs diag.List) string {
	return diag.RenderAll("answer.sql", sql, errs)
}
