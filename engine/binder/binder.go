// Package binder checks a parsed script against what it reads and turns its
// query into a logical plan. It resolves names (sources, columns, aliases,
// functions), checks types where they are known, picks the event-time column,
// applies the window and aggregate rules, and binds WITH properties to
// sources and sinks. Every problem is reported as a positioned diagnostic,
// with a "did you mean" hint when a known name is close.
//
// Takes: an *ast.Script and Options (CLI overrides, a schema resolver).
// Gives: a *plan.Query, or the diagnostics that prevent one.
package binder

import (
	"fmt"
	"sort"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
)

// Options tune binding.
type Options struct {
	// Sources overrides or adds properties of sources by name (from
	// `--source NAME=URI`); they win over WITH properties.
	Sources map[string]map[string]string
	// Sink overrides the query's sink properties (from `--sink URI`).
	Sink map[string]string
	// Resolve returns the schema of a source whose columns are not declared,
	// typically by sampling its data. It may return nil, nil for "unknown":
	// the source then has an open schema and any column name resolves.
	Resolve func(src *plan.Source) (types.Schema, error)
	// Validate relaxes checks that need data or run-time bindings (an
	// unbound source, `*` over an open schema): `velo validate` checks the
	// SQL, not the machine it runs on.
	Validate bool
}

// Bind binds the runnable query of script: the declarations (CREATE STREAM
// or TABLE with WITH and no AS) followed by one query.
func Bind(script *ast.Script, opts Options) (*plan.Query, diag.List) {
	b := &binder{opts: opts, decls: map[string]*ast.CreateSourceStmt{}, derived: map[string]*derivedTable{}, used: map[string]bool{}}
	var query ast.Statement
	var tables []*ast.CreateAsStmt // CREATE TABLE ... AS SELECT before the final query
	for _, st := range script.Statements {
		switch s := st.(type) {
		case *ast.CreateSourceStmt:
			name := strings.ToLower(s.Name.Name())
			if _, dup := b.decls[name]; dup {
				b.errs.Addf(s.Name.Pos(), s.Name.End(), "%s %q is declared twice", s.Kind, s.Name.Name())
				continue
			}
			b.decls[name] = s
			b.declOrder = append(b.declOrder, s)
		case *ast.SelectStmt, *ast.CreateAsStmt:
			if query == nil {
				query = st
				continue
			}
			// A CREATE TABLE ... AS SELECT followed by another query defines
			// a table that later queries can join.
			if prev, ok := query.(*ast.CreateAsStmt); ok && prev.Kind == ast.Table {
				tables = append(tables, prev)
				query = st
				continue
			}
			b.errs.AddHint(st.Pos(), st.End(), "a CREATE TABLE name AS SELECT ... before the final query defines a table the final query can join",
				"a file runs one query: this is a second one (declarations with CREATE STREAM/TABLE ... WITH come first, then one query)")
		}
	}
	if query == nil {
		pos := token.Pos{Offset: 0, Line: 1, Col: 1}
		if len(script.Statements) > 0 {
			pos = script.Statements[len(script.Statements)-1].Pos()
		}
		b.errs.Add(pos, pos, "no query to run: expected a SELECT or CREATE STREAM|TABLE ... AS SELECT")
		b.errs.Sort()
		return nil, b.errs
	}
	for _, t := range tables {
		b.bindDerived(t)
	}
	q := b.bindQuery(query)
	// Declarations the query does not read are checked all the same, so
	// that a typo in one is not found only when a later query reads it.
	for _, d := range b.declOrder {
		if !b.used[strings.ToLower(d.Name.Name())] {
			b.checkDecl(d)
		}
	}
	b.errs.Sort()
	if len(b.errs) > 0 {
		return q, b.errs
	}
	return q, nil
}

type binder struct {
	opts      Options
	errs      diag.List
	decls     map[string]*ast.CreateSourceStmt
	declOrder []*ast.CreateSourceStmt
	// derived holds the tables defined by CREATE TABLE ... AS SELECT, by
	// lower-cased name, once bound.
	derived map[string]*derivedTable
	// used holds the lower-cased names of the declarations a query read.
	used map[string]bool
	// inDerived is set while binding a CREATE TABLE ... AS SELECT that
	// precedes the final query (the CLI's --sink is not for it).
	inDerived bool
	// itemCols maps the SELECT items of the query bound last to their
	// output columns (-1 for `*` and items that failed to bind).
	itemCols []int
}

func (b *binder) errorf(n ast.Node, format string, args ...any) {
	b.errs.Addf(n.Pos(), n.End(), format, args...)
}

func (b *binder) hintf(n ast.Node, hint, format string, args ...any) {
	b.errs.AddHint(n.Pos(), n.End(), hint, fmt.Sprintf(format, args...))
}

// bindQuery binds a SELECT or CREATE ... AS SELECT.
func (b *binder) bindQuery(st ast.Statement) *plan.Query {
	var sel *ast.SelectStmt
	sinkName := ""
	var sinkProps []ast.Property
	switch s := st.(type) {
	case *ast.SelectStmt:
		sel = s
	case *ast.CreateAsStmt:
		sel = s.Select
		sinkName = s.Name.Name()
		sinkProps = s.With
	}
	if sel == nil {
		return nil
	}
	props := append(append([]ast.Property{}, sinkProps...), sel.With...)
	q := b.bindSelect(sel, sinkName, props)
	if q == nil {
		return nil
	}
	q.Stmt = st
	q.Annotations = st.Annots()
	return q
}

// groupProps splits WITH properties by the relation name before the first
// dot. Keys whose prefix names no relation are reported with a hint.
func (b *binder) groupProps(props []ast.Property, names []string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, p := range props {
		dot := strings.IndexByte(p.Key, '.')
		prefix := ""
		if dot > 0 {
			prefix = p.Key[:dot]
		}
		match := ""
		for _, n := range names {
			if strings.EqualFold(n, prefix) {
				match = n
			}
		}
		if match == "" {
			node := propNode{p}
			if dot < 0 || !knownKey(p.Key[dot+1:]) && knownKey(p.Key) {
				b.hintf(node, fmt.Sprintf("prefix it with the source or sink it is for, e.g. '%s.%s'", firstOr(names, "trades"), p.Key),
					"property %q names no source or sink", p.Key)
				continue
			}
			if s := diag.Suggest(prefix, names); s != "" {
				b.hintf(node, fmt.Sprintf("did you mean '%s%s'?", s, p.Key[dot:]), "property %q names no source or sink of this query", p.Key)
			} else {
				b.hintf(node, "the part before the first dot must be a source or sink name: "+quoteList(names), "property %q names no source or sink of this query", p.Key)
			}
			continue
		}
		key := strings.ToLower(p.Key[dot+1:])
		if !knownKey(key) {
			node := propNode{p}
			if s := diag.Suggest(key, propertyKeys); s != "" {
				b.hintf(node, fmt.Sprintf("did you mean '%s.%s'?", match, s), "unknown property %q", p.Key)
			} else {
				b.hintf(node, "known properties: "+strings.Join(propertyKeys, ", "), "unknown property %q", p.Key)
			}
			continue
		}
		m := out[strings.ToLower(match)]
		if m == nil {
			m = map[string]string{}
			out[strings.ToLower(match)] = m
		}
		m[key] = p.Value
	}
	return out
}

func firstOr(names []string, def string) string {
	if len(names) > 0 && names[0] != "" {
		return names[0]
	}
	return def
}

func quoteList(names []string) string {
	q := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			q = append(q, "'"+n+"'")
		}
	}
	return strings.Join(q, ", ")
}

// propNode gives a property a span for diagnostics.
type propNode struct{ p ast.Property }

func (n propNode) Pos() token.Pos { return n.p.KeyPos }
func (n propNode) End() token.Pos {
	if n.p.EndPos.IsValid() {
		return n.p.EndPos
	}
	return n.p.KeyPos
}

// propertyKeys are the WITH keys (after the `name.` prefix) that sources and
// sinks understand. Unknown keys are errors so that a typo is not ignored.
var propertyKeys = func() []string {
	keys := []string{
		"type", "path", "format", "append",
		"event.time.field", "event.time.format", "watermark.max_out_of_orderness", "late.data.strategy",
		"dlq.path", "dlq.topic",
		"topic", "bootstrap.servers", "group.id", "key.field", "start", "bounded", "idle.timeout",
		"security.protocol", "sasl.mechanism", "sasl.username", "sasl.password", "tls.ca.file",
		"tls.cert.file", "tls.key.file", "tls.insecure.skip.verify", "partitions", "compression",
		"value.field", "columns", "time_format", "required",
	}
	sort.Strings(keys)
	return keys
}()

func knownKey(k string) bool {
	k = strings.ToLower(k)
	i := sort.SearchStrings(propertyKeys, k)
	return i < len(propertyKeys) && propertyKeys[i] == k
}

// RegisterPropertyKeys lets connector packages add keys they understand.
func RegisterPropertyKeys(keys ...string) {
	for _, k := range keys {
		if !knownKey(k) {
			propertyKeys = append(propertyKeys, strings.ToLower(k))
		}
	}
	sort.Strings(propertyKeys)
}

// PropertyKeys lists the known WITH keys (for completions and docs).
func PropertyKeys() []string { return append([]string(nil), propertyKeys...) }
