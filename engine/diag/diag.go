// Package diag holds positioned diagnostics: the errors every engine stage
// (parser, binder, annotation checks) reports against a SQL text, and their
// two renderings: a caret under the offending text for people, and JSON
// objects for editors and the Studio.
package diag

import (
	"fmt"
	"sort"
	"strings"

	"github.com/velostream/velostream/engine/token"
)

// Diagnostic is one error at a span of source text.
type Diagnostic struct {
	Pos  token.Pos // start of the offending text
	End  token.Pos // end of it (exclusive); may equal Pos
	Msg  string
	Hint string // optional: "did you mean ...", a suggested fix
}

func (d Diagnostic) Error() string {
	if d.Pos.IsValid() {
		return fmt.Sprintf("%d:%d: %s", d.Pos.Line, d.Pos.Col, d.Msg)
	}
	return d.Msg
}

// List is a sortable list of diagnostics; as an error it prints the first
// and how many more there are.
type List []Diagnostic

// Add appends a diagnostic.
func (l *List) Add(pos, end token.Pos, msg string) {
	*l = append(*l, Diagnostic{Pos: pos, End: end, Msg: msg})
}

// Addf appends a formatted diagnostic.
func (l *List) Addf(pos, end token.Pos, format string, args ...any) {
	l.Add(pos, end, fmt.Sprintf(format, args...))
}

// AddHint appends a diagnostic with a hint.
func (l *List) AddHint(pos, end token.Pos, hint, msg string) {
	*l = append(*l, Diagnostic{Pos: pos, End: end, Msg: msg, Hint: hint})
}

func (l List) Len() int           { return len(l) }
func (l List) Swap(i, j int)      { l[i], l[j] = l[j], l[i] }
func (l List) Less(i, j int) bool { return l[i].Pos.Offset < l[j].Pos.Offset }

// Sort orders the list by position, keeping the order of equal positions.
func (l List) Sort() { sort.Stable(l) }

func (l List) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0].Error(), len(l)-1)
}

// Err returns l as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// JSON is the machine-readable form of a diagnostic, shared by
// `velo validate --format json`, the Studio's /validate and the MCP server.
type JSON struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	EndLine int    `json:"end_line"`
	EndCol  int    `json:"end_col"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// ToJSON converts d for file.
func (d Diagnostic) ToJSON(file string) JSON {
	end := d.End
	if !end.IsValid() {
		end = d.Pos
	}
	return JSON{File: file, Line: d.Pos.Line, Col: d.Pos.Col, EndLine: end.Line, EndCol: end.Col, Message: d.Msg, Hint: d.Hint}
}

// Render writes d the way compilers do:
//
//	query.sql:3:8: unknown column "pricee"
//	  SELECT pricee FROM trades
//	         ^^^^^^
//	hint: did you mean "price"?
//
// src is the whole text the positions refer to. Tabs in the source line are
// kept so the caret lines up in a terminal.
func Render(file, src string, d Diagnostic) string {
	var b strings.Builder
	if d.Pos.IsValid() {
		fmt.Fprintf(&b, "%s:%d:%d: %s\n", file, d.Pos.Line, d.Pos.Col, d.Msg)
		line := sourceLine(src, d.Pos.Offset)
		b.WriteString("  ")
		b.WriteString(line)
		b.WriteString("\n  ")
		col := d.Pos.Col - 1
		for i := 0; i < col && i < len(line); i++ {
			if line[i] == '\t' {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
		}
		width := 1
		if d.End.IsValid() && d.End.Line == d.Pos.Line && d.End.Col > d.Pos.Col {
			width = d.End.Col - d.Pos.Col
		}
		if rest := len(line) - col; width > rest && rest > 0 {
			width = rest
		}
		b.WriteString(strings.Repeat("^", width))
		b.WriteByte('\n')
	} else {
		fmt.Fprintf(&b, "%s: %s\n", file, d.Msg)
	}
	if d.Hint != "" {
		b.WriteString("hint: ")
		b.WriteString(d.Hint)
		b.WriteByte('\n')
	}
	return b.String()
}

// RenderAll renders every diagnostic of l in order.
func RenderAll(file, src string, l List) string {
	var b strings.Builder
	for _, d := range l {
		b.WriteString(Render(file, src, d))
	}
	return b.String()
}

// sourceLine returns the line of src holding offset, without its newline.
func sourceLine(src string, offset int) string {
	if offset > len(src) {
		offset = len(src)
	}
	start := strings.LastIndexByte(src[:offset], '\n') + 1
	end := strings.IndexByte(src[offset:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += offset
	}
	return strings.TrimRight(src[start:end], "\r")
}

// Suggest returns the candidate closest to name by edit distance, if it is
// close enough to be a likely typo ("did you mean"), else "".
func Suggest(name string, candidates []string) string {
	best, bestD := "", 1<<30
	ln := strings.ToLower(name)
	for _, c := range candidates {
		d := distance(ln, strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(name) <= 3 {
		limit = 1
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
