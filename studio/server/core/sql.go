package core

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/observability/annotations"
	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/charts"
)

// Validation is the answer of Validate: the same error objects as
// `velo validate --format json` (without the file).
type Validation struct {
	Valid  bool        `json:"valid"`
	Errors []diag.JSON `json:"errors"`
}

// Validate parses and binds sql against the catalog, and checks its
// observability annotations; nothing is read or run.
func (s *Studio) Validate(ctx context.Context, sql string) Validation {
	errs := s.validate(ctx, sql)
	return Validation{Valid: len(errs) == 0, Errors: diagJSON(errs)}
}

func (s *Studio) validate(ctx context.Context, sql string) diag.List {
	script, errs := parser.Parse(sql)
	if len(errs) > 0 {
		return errs
	}
	b := s.bind(ctx, script, catalog.Mode{}).ForValidation()
	if script, errs = reparse(script, sql, b); len(errs) > 0 {
		return errs
	}
	q, errs := binder.Bind(script, binder.Options{Validate: true, Sources: b.Sources, Resolve: b.Resolve})
	if len(errs) > 0 {
		return errs
	}
	if q != nil && len(q.Annotations) > 0 {
		if _, aerrs := annotations.FromQuery(q); len(aerrs) > 0 {
			aerrs.Sort()
			return aerrs
		}
	}
	return nil
}

func diagJSON(errs diag.List) []diag.JSON {
	out := make([]diag.JSON, 0, len(errs))
	for _, d := range errs {
		out = append(out, d.ToJSON(""))
	}
	return out
}

// bind binds script's sources through the catalog; files outside the
// roots are never opened, not even to sample their schema.
func (s *Studio) bind(ctx context.Context, script *ast.Script, mode catalog.Mode) *catalog.Binding {
	b := s.cfg.Catalog.Bind(ctx, script, mode)
	b.AllowFile = s.allowedPath
	return b
}

// reparse parses sql with the binding's declarations appended (the
// user's text and its positions come first and are unchanged).
func reparse(script *ast.Script, sql string, b *catalog.Binding) (*ast.Script, diag.List) {
	if len(b.Decls) == 0 {
		return script, nil
	}
	return parser.Parse(b.Text(sql))
}

// sqlError is the error of SQL that does not compile.
func sqlError(errs diag.List) *Error {
	return newError(http.StatusUnprocessableEntity, CodeInvalidSQL, "the SQL has errors: "+errs.Error(),
		map[string]any{"errors": diagJSON(errs)}, errs)
}

// compile compiles sql to run in mode: the catalog binds what the SQL does
// not, and the Studio's policy is applied to the plan.
func (s *Studio) compile(ctx context.Context, sql string, mode catalog.Mode) (*engine.Query, error) {
	if strings.TrimSpace(sql) == "" {
		return nil, invalid("sql is empty")
	}
	script, errs := parser.Parse(sql)
	if len(errs) > 0 {
		return nil, sqlError(errs)
	}
	b := s.bind(ctx, script, mode)
	q, errs := engine.Compile(b.Text(sql), b.Options())
	if len(errs) > 0 {
		return nil, sqlError(errs)
	}
	b.Fix(q.Plan)
	if err := s.policy(q.Plan); err != nil {
		return nil, err
	}
	return q, nil
}

// policy refuses what a query run from the Studio must not do: read files
// outside the file roots, or read the server's standard input. Dead-letter
// sinks are dropped (a look at live results writes nothing anywhere; bad
// and late records are still counted).
func (s *Studio) policy(q *plan.Query) error {
	var errs diag.List
	for _, src := range q.Sources {
		src.DLQ, src.LateToDLQ = nil, false
		switch src.Type {
		case "stdin":
			errs.AddHint(src.Pos, src.Pos, "bind it to a file or a Kafka topic", fmt.Sprintf("source %q reads standard input, which the Studio does not have", src.Name))
		case "file_source":
			if s.cfg.NoFiles {
				errs.AddHint(src.Pos, src.Pos, "read a Kafka topic instead", fmt.Sprintf("source %q reads a file: this Studio reads no files", src.Name))
			} else if !s.allowedPath(src.Props["path"]) {
				errs.AddHint(src.Pos, src.Pos, "the Studio reads files under: "+strings.Join(s.roots, ", "),
					fmt.Sprintf("source %q reads %s, outside the directories the Studio may read", src.Name, src.Props["path"]))
			}
		}
	}
	if len(errs) > 0 {
		return newError(http.StatusForbidden, CodeNotAllowed, errs.Error(), map[string]any{"errors": diagJSON(errs)}, errs)
	}
	return nil
}

// allowedPath reports whether path (after symlinks) lies under a root.
func (s *Studio) allowedPath(path string) bool {
	if s.cfg.NoFiles {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	} else if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	for _, r := range s.roots {
		if rel, err := filepath.Rel(r, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// Materialize makes sql self-contained for a deploy: every catalog stream
// it reads without binding it gets a CREATE STREAM/TABLE declaration with
// its columns and topic (not the broker: the deployed query's Kafka
// connection supplies that), put before the user's text, where a reader
// of the deployed query looks for them. It returns the text and the number
// of lines put before the user's first line.
func (s *Studio) Materialize(ctx context.Context, sql string) (string, int) {
	script, errs := parser.Parse(sql)
	if len(errs) > 0 {
		return sql, 0
	}
	b := s.cfg.Catalog.Bind(ctx, script, catalog.Mode{Deploy: true})
	if len(b.Decls) == 0 {
		return sql, 0
	}
	head := "-- Streams declared by Velostream Studio for this deployment.\n" + strings.Join(b.Decls, "\n") + "\n"
	return head + sql, strings.Count(head, "\n")
}

// ChartRequest asks for a chart: for the result of sql, or for columns.
type ChartRequest struct {
	SQL     string          `json:"sql,omitempty"`
	Columns []charts.Column `json:"columns,omitempty"`
	// Viz overrides the choice like a `@viz` annotation.
	Viz   string `json:"viz,omitempty"`
	Title string `json:"title,omitempty"`
}

// SuggestChart picks the chart for a result schema (from the SQL's output
// when SQL is given; its `@viz` and `@viz_title` annotations apply unless
// the request names its own).
func (s *Studio) SuggestChart(ctx context.Context, req ChartRequest) (charts.Chart, error) {
	cols, viz, title := req.Columns, req.Viz, req.Title
	if req.SQL != "" {
		q, err := s.outputOf(ctx, req.SQL)
		if err != nil {
			return charts.Chart{}, err
		}
		cols = resultColumns(q)
		av, at := vizAnnotations(q.Annotations)
		if viz == "" {
			viz = av
		}
		if title == "" {
			title = at
		}
	} else if req.Columns == nil {
		return charts.Chart{}, invalid("give sql or columns")
	}
	return charts.Suggest(cols, viz, title), nil
}

// outputOf binds sql (as validation does) for its output schema.
func (s *Studio) outputOf(ctx context.Context, sql string) (*plan.Query, error) {
	script, errs := parser.Parse(sql)
	if len(errs) > 0 {
		return nil, sqlError(errs)
	}
	b := s.bind(ctx, script, catalog.Mode{}).ForValidation()
	if script, errs = reparse(script, sql, b); len(errs) > 0 {
		return nil, sqlError(errs)
	}
	q, errs := binder.Bind(script, binder.Options{Validate: true, Sources: b.Sources, Resolve: b.Resolve})
	if len(errs) > 0 {
		return nil, sqlError(errs)
	}
	return q, nil
}

// vizAnnotations returns the first @viz and @viz_title of a query.
func vizAnnotations(anns []ast.Annotation) (viz, title string) {
	for _, a := range anns {
		switch strings.ToLower(a.Name) {
		case "viz":
			if viz == "" {
				viz = a.Value
			}
		case "viz_title":
			if title == "" {
				title = a.Value
			}
		}
	}
	return viz, title
}

// chartFor is the chart of a compiled query's results.
func chartFor(q *plan.Query) charts.Chart {
	viz, title := vizAnnotations(q.Annotations)
	return charts.Suggest(resultColumns(q), viz, title)
}

// resultColumns are the output columns, the window bounds the engine adds
// to a windowed result marked implicit when the SELECT did not name them.
func resultColumns(q *plan.Query) []charts.Column {
	cols := charts.FromSchema(q.Output)
	if !q.Windowed {
		return cols
	}
	var sel *ast.SelectStmt
	switch st := q.Stmt.(type) {
	case *ast.SelectStmt:
		sel = st
	case *ast.CreateAsStmt:
		sel = st.Select
	}
	named := map[string]bool{}
	if sel != nil {
		for _, it := range sel.Items {
			switch {
			case it.Alias != nil:
				named[strings.ToLower(it.Alias.Name())] = true
			case it.Expr != nil:
				if id, ok := it.Expr.(*ast.Ident); ok {
					named[strings.ToLower(id.Name())] = true
				}
			}
		}
	}
	for i := range cols {
		if n := strings.ToLower(cols[i].Name); (n == "window_start" || n == "window_end") && !named[n] {
			cols[i].Implicit = true
		}
	}
	return cols
}
