// Package token defines source positions and the lexical tokens of
// Velostream's SQL dialect. Positions are carried by every token and AST node
// so that any error can point at the text that caused it.
package token

import "fmt"

// Pos is a position in a SQL text: a byte offset and the 1-based line and
// column (columns count bytes, like go/token). The zero Pos is "no position".
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// IsValid reports whether p names a real position.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

// Span is a half-open range [Start, End) of source text.
type Span struct {
	Start, End Pos
}
