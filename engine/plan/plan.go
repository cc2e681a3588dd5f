// Package plan is the logical plan: what a query computes, as a tree of
// nodes over bound expressions, with the sources it reads and the sink it
// writes. The binder builds it from the syntax tree, the planner rewrites it,
// and the executor turns it into running operators. Nodes are plain data.
package plan

import (
	"fmt"
	"strings"

	"github.com/velostream/velostream/engine/agg"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
)

// Query is a planned statement, ready to execute.
type Query struct {
	Root Node
	// Sources are every source the run reads, in FROM order: the query's
	// own and those of the tables it defines with CREATE TABLE ... AS
	// SELECT (a derived table itself is not listed; its Source.Query is).
	Sources     []*Source
	Sink        *Sink
	Emit        ast.EmitMode // resolved: EmitChanges or EmitFinal
	Windowed    bool
	Annotations []ast.Annotation
	Stmt        ast.Statement
	// Output is the schema of the rows the query emits.
	Output types.Schema
	// Limit caps the rows emitted (0: no limit).
	Limit int64
}

// Source is a bound source: which connector to open, which columns to
// decode, and how to tell its event time.
type Source struct {
	Name  string
	Kind  ast.RelationKind
	Type  string            // connector type: file_source, stdin, kafka_source, ...
	Props map[string]string // WITH properties with the `name.` prefix removed
	// Columns are the columns the query reads, in decode order (projection
	// pushdown: unreferenced columns are not decoded). Their types are
	// declared, inferred from data, or KindAny.
	Columns types.Schema
	// Declared is the full schema when the source declares or was resolved
	// to one; nil for an open schema (columns known only from the data).
	Declared types.Schema
	// Inferred is true when Declared was sampled from data rather than
	// declared: its types guide checks but values are not coerced to them
	// (a column sampled as BIGINT may later hold 12.5).
	Inferred bool
	// TimeCol is the index in Columns of the event-time column, or -1 for
	// processing time.
	TimeCol    int
	TimeFormat string // epoch_millis | epoch_seconds | iso8601 | "" (auto)
	// MaxOutOfOrder is the watermark delay in milliseconds.
	MaxOutOfOrder int64
	// LateToDLQ sends late records to the dead-letter sink instead of only
	// counting them.
	LateToDLQ bool
	// DLQ, when set, receives records that cannot be decoded or processed.
	DLQ *Sink
	// KeyField is a table's key column name (tables only), as written in
	// 'key.field' (several columns are separated by commas).
	KeyField string
	// KeyCols are the indexes in Columns of a table's key columns (tables
	// read as a join side only).
	KeyCols []int
	// DeletedCol is the index in Columns of the `_deleted` column through
	// which a table source marks a record that deletes its key (a Kafka
	// tombstone, a file line with "_deleted": true); -1 when not read.
	DeletedCol int
	// Query, when set, defines this table: CREATE TABLE name AS SELECT ...
	// before the final query. Its output rows (in Columns' layout) upsert
	// the table by KeyCols; its sources are read by its own pipeline.
	Query *Query
	Pos   token.Pos
}

// IsTable reports whether the source is read as a table (a changelog whose
// latest row per key wins) rather than as a stream.
func (s *Source) IsTable() bool { return s.Kind == ast.Table }

// DecodeSchema is the schema to hand a connector: the read columns, with
// sampled types relaxed to ANY so the data decides.
func (s *Source) DecodeSchema() types.Schema {
	if !s.Inferred {
		return s.Columns
	}
	out := make(types.Schema, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = types.Column{Name: c.Name, Type: types.Any}
	}
	return out
}

// Sink is where results (or dead letters) go.
type Sink struct {
	Name   string
	Type   string // file_sink, stdout, kafka_sink, ...
	Props  map[string]string
	Format string // json | csv | raw
}

// Node is a plan node.
type Node interface {
	Schema() types.Schema
	Children() []Node
	// Explain renders the node (not its children) for EXPLAIN-style output.
	Explain() string
}

// Scan reads one source; its schema is the source's Columns.
type Scan struct {
	Source *Source
}

func (n *Scan) Schema() types.Schema { return n.Source.Columns }
func (n *Scan) Children() []Node     { return nil }
func (n *Scan) Explain() string {
	return fmt.Sprintf("Scan %s [%s] columns=%v time=%s", n.Source.Name, n.Source.Type, n.Source.Columns.Names(), timeColName(n.Source))
}

func timeColName(s *Source) string {
	if s.TimeCol < 0 {
		return "processing-time"
	}
	return s.Columns[s.TimeCol].Name
}

// Filter keeps rows where Pred is true.
type Filter struct {
	Input Node
	Pred  expr.Expr
}

func (n *Filter) Schema() types.Schema { return n.Input.Schema() }
func (n *Filter) Children() []Node     { return []Node{n.Input} }
func (n *Filter) Explain() string      { return "Filter " + n.Pred.String() }

// Project computes one output column per expression.
type Project struct {
	Input Node
	Exprs []expr.Expr
	Out   types.Schema
}

func (n *Project) Schema() types.Schema { return n.Out }
func (n *Project) Children() []Node     { return []Node{n.Input} }
func (n *Project) Explain() string      { return "Project " + exprList(n.Exprs) }

// Window is a time window specification. Lengths are milliseconds.
type Window struct {
	Kind    ast.WindowKind
	Size    int64 // tumbling/sliding size; session gap
	Advance int64 // sliding advance
}

func (w *Window) String() string {
	switch w.Kind {
	case ast.Sliding:
		return fmt.Sprintf("SLIDING(%dms, %dms)", w.Size, w.Advance)
	case ast.Session:
		return fmt.Sprintf("SESSION(%dms)", w.Size)
	}
	return fmt.Sprintf("TUMBLING(%dms)", w.Size)
}

// AggCall is one aggregate of an Aggregate node.
type AggCall struct {
	Func *agg.Func
	Args []expr.Expr // over the Aggregate's input; empty for COUNT(*)
	Name string      // e.g. "SUM(quantity)"
}

// Aggregate groups its input by Keys (within windows when Window is set)
// and computes Aggs. Its intermediate row is
//
//	keys..., aggs..., window_start, window_end
//
// Having and Output are bound over that intermediate row; Output produces
// the node's schema.
type Aggregate struct {
	Input  Node
	Keys   []expr.Expr
	Aggs   []AggCall
	Window *Window
	Emit   ast.EmitMode // EmitChanges or EmitFinal
	Having expr.Expr    // may be nil
	Output []expr.Expr
	Out    types.Schema
	// OrderBy sorts the rows of each window's final emission.
	OrderBy []SortKey
}

// SortKey orders rows by an output expression.
type SortKey struct {
	Expr expr.Expr // over the node's output row
	Desc bool
}

func (n *Aggregate) Schema() types.Schema { return n.Out }
func (n *Aggregate) Children() []Node     { return []Node{n.Input} }
func (n *Aggregate) Explain() string {
	aggs := make([]string, len(n.Aggs))
	for i, a := range n.Aggs {
		aggs[i] = a.Name
	}
	s := fmt.Sprintf("Aggregate keys=[%s] aggs=[%s]", exprList(n.Keys), strings.Join(aggs, ", "))
	if n.Window != nil {
		s += " window=" + n.Window.String()
	}
	if n.Emit == ast.EmitFinal {
		s += " emit=FINAL"
	} else {
		s += " emit=CHANGES"
	}
	if n.Having != nil {
		s += " having=" + n.Having.String()
	}
	return s
}

// JoinKind is how a Join treats rows without a match.
type JoinKind = ast.JoinKind

// Join joins two inputs on equal keys. Its row is the left row followed by
// the right row (joins are left-deep, so a join's row is a prefix of the row
// of the join above it). LeftKeys are bound over the left row, RightKeys over
// the right row; the n-th keys of both sides must be equal for a match, and a
// NULL key matches nothing.
//
// Stream-table (Table != 0): the table side holds the latest row per key of
// a changelog; a stream row is joined with the table as it stands when the
// row is processed. Stream-stream (Table == 0): a left row at time tl and a
// right row at time tr match when tr-tl is in [Lo, Hi]; rows are kept only
// while a match is still possible.
type Join struct {
	Left, Right Node
	Kind        JoinKind // InnerJoin, LeftJoin, RightJoin, FullJoin
	LeftKeys    []expr.Expr
	RightKeys   []expr.Expr
	// Table is 1 when the right input is a table, -1 when the left one is,
	// and 0 for a join of two streams.
	Table  int
	Lo, Hi int64 // stream-stream: tr - tl in [Lo, Hi] (milliseconds)
	Out    types.Schema
	Pos    token.Pos
}

func (n *Join) Schema() types.Schema { return n.Out }
func (n *Join) Children() []Node     { return []Node{n.Left, n.Right} }
func (n *Join) Explain() string {
	keys := make([]string, len(n.LeftKeys))
	for i := range n.LeftKeys {
		keys[i] = n.LeftKeys[i].String() + " = " + n.RightKeys[i].String()
	}
	s := fmt.Sprintf("%s on [%s]", n.Kind, strings.Join(keys, ", "))
	switch n.Table {
	case 1:
		s += " table=right"
	case -1:
		s += " table=left"
	default:
		s += fmt.Sprintf(" interval=[%dms, %dms]", n.Lo, n.Hi)
	}
	return s
}

// OverKind is the kind of a window function.
type OverKind int

const (
	OverAgg OverKind = iota // an aggregate over the frame
	OverRowNumber
	OverRank
	OverDenseRank
	OverLag
	OverLead
)

// OverFunc is one window function of an Over node.
type OverFunc struct {
	Kind OverKind
	Name string    // as written, for plans and messages
	Agg  *agg.Func // OverAgg
	Arg  expr.Expr // the argument (nil for COUNT(*) and ranking functions)
	// Offset is LAG/LEAD's row offset.
	Offset int64
	// Default is LAG/LEAD's value when the offset row does not exist,
	// evaluated over the current row; nil means NULL.
	Default expr.Expr
	// Frame of an aggregate, in rows relative to the current one:
	// [Start, End] with Start <= End; UnboundedStart means from the
	// partition's first row.
	Start, End     int64
	UnboundedStart bool
	Type           types.Type
}

// OverPartition is the window functions that share one PARTITION BY.
type OverPartition struct {
	PartitionBy []expr.Expr
	Funcs       []OverFunc
}

// Over computes window functions over rows of the same partition. Every
// function of a query sees rows in one order: event-time order when any of
// them has ORDER BY (Ordered: a row waits until the watermark reaches it,
// and a row behind the watermark is late), else arrival order. Its row is
// the input row followed by one column per function, partition by
// partition.
type Over struct {
	Input      Node
	Ordered    bool
	Partitions []OverPartition
	Out        types.Schema
}

func (n *Over) Schema() types.Schema { return n.Out }
func (n *Over) Children() []Node     { return []Node{n.Input} }
func (n *Over) Explain() string {
	var parts []string
	for _, p := range n.Partitions {
		names := make([]string, len(p.Funcs))
		for i, f := range p.Funcs {
			names[i] = f.Name
		}
		parts = append(parts, fmt.Sprintf("partition=[%s] funcs=[%s]", exprList(p.PartitionBy), strings.Join(names, ", ")))
	}
	s := "Over " + strings.Join(parts, " ")
	if n.Ordered {
		s += " order=event-time"
	} else {
		s += " order=arrival"
	}
	return s
}

// IntermediateWidth is the width of the intermediate row.
func (n *Aggregate) IntermediateWidth() int { return len(n.Keys) + len(n.Aggs) + 2 }

// Explain renders a plan tree, one node per line, children indented.
func Explain(n Node) string {
	var b strings.Builder
	var walk func(Node, int)
	walk = func(n Node, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(n.Explain())
		b.WriteByte('\n')
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

func exprList(es []expr.Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}
