package binder

import (
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// derivedTable is a table defined by CREATE TABLE name AS SELECT ... before
// the final query: its query's output rows upsert it by key.
type derivedTable struct {
	stmt *ast.CreateAsStmt
	q    *plan.Query
	keys []int // output columns that make the key
}

// bindDerived binds a CREATE TABLE ... AS SELECT that precedes the final
// query. Its key is its PRIMARY KEY items, else its GROUP BY keys (which it
// must select).
func (b *binder) bindDerived(st *ast.CreateAsStmt) {
	name := strings.ToLower(st.Name.Name())
	if _, ok := b.decls[name]; ok {
		b.errorf(st.Name, "table %q is both declared with WITH and defined by a query", st.Name.Name())
		return
	}
	if _, ok := b.derived[name]; ok {
		b.errorf(st.Name, "table %q is defined twice", st.Name.Name())
		return
	}
	if st.Select == nil {
		return
	}
	if len(st.With) > 0 {
		b.errs.AddHint(st.WithPos, st.WithPos, "remove WITH: the table lives in memory for the final query",
			"a table defined before the final query takes no WITH properties")
		return
	}
	b.inDerived = true
	q := b.bindSelect(st.Select, st.Name.Name(), st.Select.With)
	b.inDerived = false
	if q == nil {
		return
	}
	if len(q.Sink.Props) > 0 {
		b.hintf(st.Name, "remove its '"+st.Name.Name()+".*' properties, or make it the last statement (the query that runs)",
			"table %q is kept in memory for the final query: it writes to no sink", st.Name.Name())
		return
	}
	if q.Limit > 0 {
		b.errs.AddHint(st.Select.Limit.Start, st.Select.Limit.Stop, "remove LIMIT", "LIMIT cannot be used in a table definition")
		return
	}
	var keys []int
	for i, it := range st.Select.Items {
		if it.PrimaryKey && i < len(b.itemCols) && b.itemCols[i] >= 0 {
			keys = append(keys, b.itemCols[i])
		}
	}
	if len(keys) == 0 {
		a, ok := q.Root.(*plan.Aggregate)
		if !ok || len(a.Keys) == 0 {
			b.hintf(st.Select, "GROUP BY its key, or mark the key columns with PRIMARY KEY (SELECT id PRIMARY KEY, ...)",
				"table %q needs a key: the latest row per key is what a join sees", st.Name.Name())
			return
		}
		for k := range a.Keys {
			found := -1
			for j, out := range a.Output {
				if c, ok := out.(*expr.Col); ok && c.Idx == k {
					found = j
					break
				}
			}
			if found < 0 {
				b.hintf(st.Select.GroupBy[min(k, len(st.Select.GroupBy)-1)], "add it to the SELECT list",
					"table %q must select each GROUP BY key: together they are the table's key", st.Name.Name())
				return
			}
			keys = append(keys, found)
		}
	}
	// The table is rebuilt from its sources' whole history on each run.
	for _, src := range q.Sources {
		if src.Type == "kafka_source" && src.Props["start"] == "" {
			src.Props["start"] = "earliest"
		}
	}
	b.derived[name] = &derivedTable{stmt: st, q: q, keys: keys}
}

// bindDerivedRef binds a FROM reference to a derived table.
func (b *binder) bindDerivedRef(ref *ast.SourceRef, d *derivedTable, withProps map[string]map[string]string) *relation {
	name := ref.Name.Name()
	if len(withProps[strings.ToLower(name)]) > 0 {
		b.hintf(ref, "remove its '"+name+".*' properties", "table %q is defined by a query: it takes no properties", name)
	}
	out := append(types.Schema(nil), d.q.Output...)
	src := &plan.Source{Name: name, Kind: ast.Table, Type: "query", Props: map[string]string{}, TimeCol: -1, DeletedCol: -1,
		Columns: out, Declared: d.q.Output, KeyCols: d.keys, Query: d.q, Pos: ref.Pos()}
	rel := &relation{src: src, alias: name, ref: ref, derived: true}
	if ref.Alias != nil {
		rel.alias = ref.Alias.Name()
	}
	return rel
}
