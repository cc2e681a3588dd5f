// Package types holds the engine's data model: the static types the binder
// reasons about (Type) and the runtime values operators pass around (Value,
// Row). Every other engine stage speaks these types, so the package has no
// dependencies beyond engine/decimal.
//
// A Value is a small tagged union (32 bytes) passed by value: integers,
// booleans, timestamps, intervals, decimal mantissas and float bits share one
// int64 so that rows are flat slices with no per-value allocation.
package types

import (
	"fmt"
	"math"
	"strings"
)

// Kind is the runtime kind of a Value and the base of a static Type.
type Kind uint8

const (
	KindNull      Kind = iota // SQL NULL (also the type of an untyped NULL literal)
	KindBool                  // I is 0 or 1
	KindInt                   // I is an int64
	KindFloat                 // I holds math.Float64bits
	KindDecimal               // exact: I is the mantissa, Scale the digits after the point; S holds the digits when promoted (see Big)
	KindString                // S
	KindTimestamp             // I is milliseconds since the Unix epoch, UTC
	KindInterval              // I is a duration in milliseconds
	KindAny                   // static only: a column whose type is inferred from data at run time
)

var kindNames = [...]string{"NULL", "BOOLEAN", "BIGINT", "DOUBLE", "DECIMAL", "STRING", "TIMESTAMP", "INTERVAL", "ANY"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Numeric reports whether values of kind k take part in arithmetic.
func (k Kind) Numeric() bool { return k == KindInt || k == KindFloat || k == KindDecimal }

// Type is a static SQL type. Precision and Scale are set for DECIMAL(p,s)
// (zero precision means "any decimal").
type Type struct {
	Kind      Kind
	Precision uint8
	Scale     uint8
}

func (t Type) String() string {
	if t.Kind == KindDecimal && t.Precision > 0 {
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale)
	}
	return t.Kind.String()
}

// Common static types.
var (
	Null      = Type{Kind: KindNull}
	Bool      = Type{Kind: KindBool}
	Int       = Type{Kind: KindInt}
	Float     = Type{Kind: KindFloat}
	Decimal   = Type{Kind: KindDecimal}
	String    = Type{Kind: KindString}
	Timestamp = Type{Kind: KindTimestamp}
	Interval  = Type{Kind: KindInterval}
	Any       = Type{Kind: KindAny}
)

// ParseTypeName maps a SQL type name (as written in CREATE STREAM column lists
// and CAST) to a Kind; it accepts the common synonyms.
func ParseTypeName(name string) (Kind, bool) {
	switch strings.ToUpper(name) {
	case "BOOLEAN", "BOOL":
		return KindBool, true
	case "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "LONG":
		return KindInt, true
	case "DOUBLE", "FLOAT", "REAL", "FLOAT64":
		return KindFloat, true
	case "DECIMAL", "NUMERIC", "SCALEDINTEGER":
		return KindDecimal, true
	case "STRING", "VARCHAR", "TEXT", "CHAR":
		return KindString, true
	case "TIMESTAMP", "DATETIME":
		return KindTimestamp, true
	case "INTERVAL":
		return KindInterval, true
	}
	return KindNull, false
}

// Value is one runtime value. The zero Value is NULL.
type Value struct {
	K     Kind
	Scale uint8 // decimal scale (digits after the point)
	I     int64
	S     string
}

// Constructors. They are tiny so the compiler inlines them on hot paths.

func NullValue() Value { return Value{} }
func BoolValue(b bool) Value {
	v := Value{K: KindBool}
	if b {
		v.I = 1
	}
	return v
}
func IntValue(i int64) Value        { return Value{K: KindInt, I: i} }
func FloatValue(f float64) Value    { return Value{K: KindFloat, I: int64(math.Float64bits(f))} }
func StringValue(s string) Value    { return Value{K: KindString, S: s} }
func TimestampValue(ms int64) Value { return Value{K: KindTimestamp, I: ms} }
func IntervalValue(ms int64) Value  { return Value{K: KindInterval, I: ms} }
func DecimalValue(mant int64, scale uint8) Value {
	return Value{K: KindDecimal, Scale: scale, I: mant}
}

// BigDecimalValue is a decimal whose mantissa no longer fits an int64 (for
// example a SUM that overflowed and was promoted). digits is the canonical
// decimal text ("-123456789012345678901.2345"); Big reports it.
func BigDecimalValue(digits string, scale uint8) Value {
	return Value{K: KindDecimal, Scale: scale, S: digits}
}

// Accessors. Callers check K first; accessors do not convert.

func (v Value) IsNull() bool   { return v.K == KindNull }
func (v Value) Bool() bool     { return v.I != 0 }
func (v Value) Int() int64     { return v.I }
func (v Value) Float() float64 { return math.Float64frombits(uint64(v.I)) }
func (v Value) Str() string    { return v.S }
func (v Value) Millis() int64  { return v.I }
func (v Value) Big() bool      { return v.K == KindDecimal && v.S != "" }

// Row is one record's values in schema order.
type Row []Value

// Column is a named, typed column of a schema.
type Column struct {
	Name string
	Type Type
}

// Schema is an ordered list of columns.
type Schema []Column

// Index returns the position of the column named name (case-insensitive), or -1.
func (s Schema) Index(name string) int {
	for i, c := range s {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// Names returns the column names in order.
func (s Schema) Names() []string {
	out := make([]string, len(s))
	for i, c := range s {
		out[i] = c.Name
	}
	return out
}
