// Package ast declares the syntax tree of Velostream's SQL dialect, as the
// parser produces it and the binder consumes it. Every node knows the span of
// text it came from (Pos/End), so later stages can report errors at the right
// line and column. The tree is plain data: no node holds behaviour.
package ast

import "github.com/velostream/velostream/engine/token"

// Node is any syntax tree node.
type Node interface {
	Pos() token.Pos // first byte of the node
	End() token.Pos // first byte after the node
}

// Script is a whole SQL text: statements separated by ';'.
type Script struct {
	Statements []Statement
	// Dangling holds annotations written after the last statement: they
	// belong to no statement, and are kept so that none is lost silently.
	Dangling []Annotation
}

// Statement is a top-level statement.
type Statement interface {
	Node
	// Annots returns the `-- @name: value` annotations written immediately
	// above the statement (and any inside it, before its first token's line).
	Annots() []Annotation
	stmt()
}

// Annotation is a `-- @name: value` comment. Unknown names are kept: their
// meaning belongs to later stages (observability, the test harness).
type Annotation struct {
	Name     string // without '@', as written (case kept)
	Value    string // trimmed text after the ':' (may be empty)
	NamePos  token.Pos
	ValuePos token.Pos
	EndPos   token.Pos
}

// Property is one `'key' = 'value'` entry of a WITH clause.
type Property struct {
	Key      string
	Value    string
	KeyPos   token.Pos
	ValuePos token.Pos
	EndPos   token.Pos
}

// StmtBase carries what every statement has.
type StmtBase struct {
	Start, Stop token.Pos
	Annotations []Annotation
}

func (b *StmtBase) Pos() token.Pos       { return b.Start }
func (b *StmtBase) End() token.Pos       { return b.Stop }
func (b *StmtBase) Annots() []Annotation { return b.Annotations }
func (*StmtBase) stmt()                  {}

// SelectStmt is a query: SELECT ... FROM ... [WHERE] [GROUP BY] [WINDOW]
// [HAVING] [ORDER BY] [LIMIT] [EMIT] [WITH (...)]. The clauses GROUP BY,
// WINDOW and HAVING are accepted in either of the orders the dialect allows.
type SelectStmt struct {
	StmtBase
	Distinct bool
	Items    []SelectItem
	From     FromItem // nil only in a parse error
	Where    Expr
	GroupBy  []Expr
	Window   *WindowClause
	Having   Expr
	OrderBy  []OrderItem
	Limit    *Limit
	Emit     EmitMode
	EmitPos  token.Pos
	With     []Property
	WithPos  token.Pos
}

// CreateAsStmt is CREATE STREAM|TABLE name AS SELECT ... [WITH (...)]: the
// query's results become a named stream or table (its sink is bound by the
// WITH properties of the name).
type CreateAsStmt struct {
	StmtBase
	Kind        RelationKind
	OrReplace   bool // CREATE OR REPLACE
	IfNotExists bool // CREATE STREAM IF NOT EXISTS name
	Name        *Ident
	Select      *SelectStmt
	With        []Property // WITH after the SELECT belongs to Select.With; this is CREATE ... WITH (...) AS
	WithPos     token.Pos  // of that WITH; zero when absent
}

// CreateSourceStmt declares a source: CREATE STREAM|TABLE name [(col type, ...)]
// WITH (...). Columns may be omitted and are then inferred from data.
type CreateSourceStmt struct {
	StmtBase
	Kind        RelationKind
	OrReplace   bool // CREATE OR REPLACE
	IfNotExists bool // CREATE STREAM IF NOT EXISTS name
	Name        *Ident
	Columns     []ColumnDef
	With        []Property
	WithPos     token.Pos
}

// ColumnDef is one `name TYPE` of a CREATE column list.
type ColumnDef struct {
	Name *Ident
	Type TypeName
}

// TypeName is a written SQL type, e.g. DECIMAL(12,4) or STRING.
type TypeName struct {
	Name        string // upper-cased
	Params      []int  // e.g. precision, scale
	Start, Stop token.Pos
}

func (t *TypeName) Pos() token.Pos { return t.Start }
func (t *TypeName) End() token.Pos { return t.Stop }

// RelationKind tells a STREAM from a TABLE.
type RelationKind int

const (
	Stream RelationKind = iota
	Table
)

func (k RelationKind) String() string {
	if k == Table {
		return "TABLE"
	}
	return "STREAM"
}

// EmitMode is the EMIT clause.
type EmitMode int

const (
	EmitDefault EmitMode = iota // no EMIT clause: FINAL when windowed, CHANGES otherwise
	EmitChanges
	EmitFinal
)

// SelectItem is one entry of the SELECT list: `*`, `t.*`, or expr [AS alias].
type SelectItem struct {
	Star        bool   // `*` or `qualifier.*`
	Qualifier   string // for `t.*`
	Expr        Expr   // nil when Star
	Alias       *Ident // nil when not aliased
	PrimaryKey  bool   // `expr [AS alias] PRIMARY KEY`: the item is (part of) the output record's key
	Start, Stop token.Pos
}

func (s *SelectItem) Pos() token.Pos { return s.Start }
func (s *SelectItem) End() token.Pos { return s.Stop }

// OrderItem is one ORDER BY entry.
type OrderItem struct {
	Expr Expr
	Desc bool
	Stop token.Pos
}

// Limit is LIMIT n.
type Limit struct {
	N           int64
	Start, Stop token.Pos
}

// WindowKind names a time window.
type WindowKind int

const (
	Tumbling WindowKind = iota
	Sliding             // hopping: size and advance, aligned to the epoch
	Session
)

func (k WindowKind) String() string {
	switch k {
	case Sliding:
		return "SLIDING"
	case Session:
		return "SESSION"
	}
	return "TUMBLING"
}

// WindowClause is WINDOW TUMBLING([time_col,] size) | SLIDING([time_col,]
// size, advance) | SESSION([time_col,] gap).
type WindowClause struct {
	Kind        WindowKind
	TimeCol     Expr      // nil when not given
	Size        *Duration // TUMBLING and SLIDING size, SESSION gap
	Advance     *Duration // SLIDING only
	Start, Stop token.Pos
}

func (w *WindowClause) Pos() token.Pos { return w.Start }
func (w *WindowClause) End() token.Pos { return w.Stop }

// Duration is a written length of time: INTERVAL '5' MINUTE, '1 minute',
// or a short form like 30s, 5m, 1h, 500ms, 1d. Millis is already computed by
// the parser; Text keeps what was written for messages.
type Duration struct {
	Millis      int64
	Text        string
	Start, Stop token.Pos
}

func (d *Duration) Pos() token.Pos { return d.Start }
func (d *Duration) End() token.Pos { return d.Stop }

// FromItem is what a query reads: a named source, a join of two items, or a
// URI source (`FROM kafka://trades`, `FROM 'file:trades.jsonl'`).
type FromItem interface {
	Node
	fromItem()
}

// SourceRef names a declared or WITH-bound source, with an optional alias.
type SourceRef struct {
	Name        *Ident
	URI         string // set for `kafka://host/topic` and similar URI forms; Name then holds the derived name
	Alias       *Ident
	Start, Stop token.Pos
}

func (s *SourceRef) Pos() token.Pos { return s.Start }
func (s *SourceRef) End() token.Pos { return s.Stop }
func (*SourceRef) fromItem()        {}

// JoinKind is the kind of a JOIN.
type JoinKind int

const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
)

func (k JoinKind) String() string {
	switch k {
	case LeftJoin:
		return "LEFT JOIN"
	case RightJoin:
		return "RIGHT JOIN"
	case FullJoin:
		return "FULL OUTER JOIN"
	}
	return "JOIN"
}

// Join is `left [INNER|LEFT [OUTER]|RIGHT [OUTER]|FULL [OUTER]] JOIN right ON
// cond [WITHIN duration]`.
type Join struct {
	Kind        JoinKind
	Left        FromItem
	Right       FromItem
	On          Expr
	Within      *Duration // stream-stream windowed join
	Start, Stop token.Pos
}

func (j *Join) Pos() token.Pos { return j.Start }
func (j *Join) End() token.Pos { return j.Stop }
func (*Join) fromItem()        {}

// Expr is an expression node.
type Expr interface {
	Node
	expr()
}

// Ident is a possibly qualified name: `price`, `t.price`. Parts keep the
// written case; Quoted marks a "double-quoted" final part.
type Ident struct {
	Parts       []string
	Quoted      bool
	Start, Stop token.Pos
}

func (i *Ident) Pos() token.Pos { return i.Start }
func (i *Ident) End() token.Pos { return i.Stop }
func (*Ident) expr()            {}

// Name returns the last part (the column or source name).
func (i *Ident) Name() string { return i.Parts[len(i.Parts)-1] }

// Qualifier returns the part before the name, or "".
func (i *Ident) Qualifier() string {
	if len(i.Parts) < 2 {
		return ""
	}
	return i.Parts[len(i.Parts)-2]
}

// LitKind is the kind of a literal.
type LitKind int

const (
	LitNull LitKind = iota
	LitBool
	LitInt     // digits only
	LitDecimal // digits with a fractional part or exponent-free decimal point, e.g. 623.41
	LitFloat   // with an exponent, e.g. 1e6
	LitString
)

// Literal is a constant as written. Raw is the literal's text without quotes
// (string escapes resolved); Bool is set for LitBool.
type Literal struct {
	Kind        LitKind
	Raw         string
	Bool        bool
	Start, Stop token.Pos
}

func (l *Literal) Pos() token.Pos { return l.Start }
func (l *Literal) End() token.Pos { return l.Stop }
func (*Literal) expr()            {}

// IntervalLit is INTERVAL '5' MINUTE (or a short duration) used as a value.
type IntervalLit struct {
	Duration
}

func (*IntervalLit) expr() {}

// BinaryOp is a binary operator.
type BinaryOp int

const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
	OpMod
	OpConcat // ||
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpAnd
	OpOr
)

var binaryOpText = [...]string{"+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=", ">", ">=", "AND", "OR"}

func (o BinaryOp) String() string { return binaryOpText[o] }

// Binary is `L op R`.
type Binary struct {
	Op    BinaryOp
	L, R  Expr
	OpPos token.Pos
}

func (b *Binary) Pos() token.Pos { return b.L.Pos() }
func (b *Binary) End() token.Pos { return b.R.End() }
func (*Binary) expr()            {}

// UnaryOp is a prefix operator.
type UnaryOp int

const (
	OpNeg UnaryOp = iota
	OpNot
	OpPlus
)

// Unary is `-x`, `+x` or `NOT x`.
type Unary struct {
	Op    UnaryOp
	X     Expr
	Start token.Pos
}

func (u *Unary) Pos() token.Pos { return u.Start }
func (u *Unary) End() token.Pos { return u.X.End() }
func (*Unary) expr()            {}

// BadExpr stands where an expression could not be parsed; it appears only in
// trees returned with errors, so later stages never see a nil operand.
type BadExpr struct {
	Start, Stop token.Pos
}

func (b *BadExpr) Pos() token.Pos { return b.Start }
func (b *BadExpr) End() token.Pos { return b.Stop }
func (*BadExpr) expr()            {}

// Paren is a parenthesised expression, kept so that spans cover the parens.
type Paren struct {
	X           Expr
	Start, Stop token.Pos
}

func (p *Paren) Pos() token.Pos { return p.Start }
func (p *Paren) End() token.Pos { return p.Stop }
func (*Paren) expr()            {}

// Call is a function call, including aggregates and window functions:
// name(args), COUNT(*), COUNT(DISTINCT x),
// PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x), f(...) OVER (...).
type Call struct {
	Name        *Ident // upper-cased name in Name.Parts[0] is not guaranteed; compare case-insensitively
	Args        []Expr
	Star        bool // COUNT(*)
	Distinct    bool
	WithinGroup []OrderItem // PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x)
	Over        *OverClause
	Start, Stop token.Pos
}

func (c *Call) Pos() token.Pos { return c.Start }
func (c *Call) End() token.Pos { return c.Stop }
func (*Call) expr()            {}

// OverClause is a window function's OVER (...): standard
// [PARTITION BY ...] [ORDER BY ...] [ROWS BETWEEN n PRECEDING AND CURRENT ROW]
// and Velostream's ROWS WINDOW BUFFER n ROWS (in any order with the others).
type OverClause struct {
	PartitionBy []Expr
	OrderBy     []OrderItem
	Frame       *Frame
	BufferRows  int64    // ROWS WINDOW BUFFER n ROWS; 0 when absent
	Emit        EmitMode // Velostream's EMIT CHANGES|FINAL inside OVER (...); EmitDefault when absent
	Start, Stop token.Pos
}

// FrameBound is one end of a ROWS frame.
type FrameBound struct {
	Unbounded bool
	Current   bool  // CURRENT ROW
	N         int64 // n PRECEDING / n FOLLOWING
	Following bool
}

// Frame is ROWS BETWEEN start AND end (or ROWS start, meaning AND CURRENT ROW).
type Frame struct {
	Range           bool // RANGE BETWEEN ... rather than ROWS BETWEEN ...
	Start, EndBound FrameBound
	Pos             token.Pos
}

// WhenClause is one WHEN cond THEN result of a CASE.
type WhenClause struct {
	Cond, Result Expr
}

// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END.
type Case struct {
	Operand     Expr // nil for a searched CASE
	Whens       []WhenClause
	Else        Expr
	Start, Stop token.Pos
}

func (c *Case) Pos() token.Pos { return c.Start }
func (c *Case) End() token.Pos { return c.Stop }
func (*Case) expr()            {}

// Cast is CAST(x AS type) or x::type.
type Cast struct {
	X           Expr
	Type        TypeName
	Start, Stop token.Pos
}

func (c *Cast) Pos() token.Pos { return c.Start }
func (c *Cast) End() token.Pos { return c.Stop }
func (*Cast) expr()            {}

// In is `x [NOT] IN (a, b, ...)`.
type In struct {
	X    Expr
	List []Expr
	Not  bool
	Stop token.Pos
}

func (i *In) Pos() token.Pos { return i.X.Pos() }
func (i *In) End() token.Pos { return i.Stop }
func (*In) expr()            {}

// Between is `x [NOT] BETWEEN lo AND hi`.
type Between struct {
	X, Lo, Hi Expr
	Not       bool
}

func (b *Between) Pos() token.Pos { return b.X.Pos() }
func (b *Between) End() token.Pos { return b.Hi.End() }
func (*Between) expr()            {}

// Like is `x [NOT] LIKE pattern`.
type Like struct {
	X, Pattern Expr
	Not        bool
}

func (l *Like) Pos() token.Pos { return l.X.Pos() }
func (l *Like) End() token.Pos { return l.Pattern.End() }
func (*Like) expr()            {}

// IsNull is `x IS [NOT] NULL`.
type IsNull struct {
	X    Expr
	Not  bool
	Stop token.Pos
}

func (i *IsNull) Pos() token.Pos { return i.X.Pos() }
func (i *IsNull) End() token.Pos { return i.Stop }
func (*IsNull) expr()            {}

// Extract is EXTRACT(field FROM x); Field is upper-cased (YEAR, MONTH, DAY,
// HOUR, MINUTE, SECOND, MILLISECOND, DOW, DOY, EPOCH, ...).
type Extract struct {
	Field       string
	FieldPos    token.Pos
	X           Expr
	Start, Stop token.Pos
}

func (e *Extract) Pos() token.Pos { return e.Start }
func (e *Extract) End() token.Pos { return e.Stop }
func (*Extract) expr()            {}
