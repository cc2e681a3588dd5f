package core

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/agg"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/studio/server/catalog"
)

// CompletionRequest asks what may be typed at a cursor: Line and Col are
// 1-based, Col counting characters (not bytes).
type CompletionRequest struct {
	SQL  string `json:"sql"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// Completion kinds.
const (
	KindKeyword    = "keyword"
	KindFunction   = "function"
	KindAggregate  = "aggregate"
	KindStream     = "stream"
	KindTable      = "table"
	KindColumn     = "column"
	KindProperty   = "property"
	KindAnnotation = "annotation"
)

// Completion is one suggestion.
type Completion struct {
	Label string `json:"label"`
	Kind  string `json:"kind"`
	// Detail is a type, a signature or what a stream is.
	Detail string `json:"detail,omitempty"`
	// Insert is the text to insert when it differs from Label.
	Insert string `json:"insert,omitempty"`
}

// Completions are the suggestions for the word at the cursor, which spans
// From..the cursor (1-based line and character column).
type Completions struct {
	From  Position     `json:"from"`
	Items []Completion `json:"items"`
}

// Position is a 1-based line and character column.
type Position struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// annotationNames are the `-- @name:` annotations the Studio knows.
var annotationNames = []string{"metric", "metric_type", "metric_help", "metric_labels", "metric_field", "metric_buckets",
	"metric_condition", "alert", "alert_name", "alert_for", "alert_severity", "alert_summary", "viz", "viz_title", "assert"}

// maxCompletions keeps an answer small enough to render at every keystroke.
const maxCompletions = 200

// Complete suggests keywords, functions, streams, columns, WITH property
// keys or annotations for the word at the cursor, by what comes before it.
func (s *Studio) Complete(ctx context.Context, req CompletionRequest) (*Completions, error) {
	off, ok := offsetOf(req.SQL, req.Line, req.Col)
	if !ok {
		return nil, invalid("position %d:%d is outside the SQL", req.Line, req.Col)
	}
	src := req.SQL
	start := off
	for start > 0 {
		r, n := utf8.DecodeLastRuneInString(src[:start])
		if !token.IsIdentPart(r) {
			break
		}
		start -= n
	}
	prefix := strings.ToLower(src[start:off])
	out := &Completions{From: positionOf(src, start), Items: []Completion{}}
	ctxKind, inString := scanContext(src[:start])
	switch {
	case ctxKind == ctxComment:
		if strings.HasSuffix(strings.TrimRight(src[:start], " "), "@") || strings.HasSuffix(lineBefore(src, start), "-- @") {
			for _, a := range annotationNames {
				out.add(prefix, Completion{Label: a, Kind: KindAnnotation, Insert: a + ": "})
			}
		}
		return out.done(), nil
	case inString:
		if ctxKind == ctxWith {
			// A WITH key is quoted and dotted: the word is all of it
			// from the opening quote.
			q := strings.LastIndexByte(src[:off], '\'') + 1
			out.From = positionOf(src, q)
			s.completeProperties(ctx, src, strings.ToLower(src[q:off]), out)
		}
		return out.done(), nil
	}
	streams, _ := s.cfg.Catalog.Streams(ctx)
	rels := relations(src)
	// A qualifier: columns of that stream or alias.
	if start > 0 && src[start-1] == '.' {
		q := start - 1
		qs := q
		for qs > 0 {
			r, n := utf8.DecodeLastRuneInString(src[:qs])
			if !token.IsIdentPart(r) {
				break
			}
			qs -= n
		}
		qual := strings.ToLower(src[qs:q])
		for alias, name := range rels {
			if alias == qual {
				s.addColumns(ctx, streams, name, prefix, out)
			}
		}
		return out.done(), nil
	}
	if ctxKind == ctxFrom {
		for _, st := range streams {
			kind := KindStream
			if st.Kind == "table" {
				kind = KindTable
			}
			out.add(prefix, Completion{Label: st.Name, Kind: kind, Detail: st.Description})
		}
		return out.done(), nil
	}
	// Anywhere else: the columns of what the query reads, functions,
	// aggregates and keywords, in that order.
	names := make([]string, 0, len(rels))
	for _, n := range rels {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		s.addColumns(ctx, streams, n, prefix, out)
	}
	for _, f := range agg.Names() {
		out.add(prefix, Completion{Label: f, Kind: KindAggregate, Detail: "aggregate", Insert: f + "("})
	}
	for _, f := range functions.Names() {
		out.add(prefix, Completion{Label: f, Kind: KindFunction, Detail: functions.Signature(f), Insert: f + "("})
	}
	for _, k := range token.Keywords() {
		out.add(prefix, Completion{Label: k, Kind: KindKeyword})
	}
	return out.done(), nil
}

func (c *Completions) add(prefix string, item Completion) {
	if len(c.Items) >= maxCompletions || !strings.HasPrefix(strings.ToLower(item.Label), prefix) {
		return
	}
	for _, have := range c.Items {
		if have.Label == item.Label && have.Kind == item.Kind {
			return
		}
	}
	c.Items = append(c.Items, item)
}

func (c *Completions) done() *Completions { return c }

func (s *Studio) addColumns(ctx context.Context, streams []catalog.Stream, name, prefix string, out *Completions) {
	for _, st := range streams {
		if strings.EqualFold(st.Name, name) {
			for _, col := range st.Columns {
				out.add(prefix, Completion{Label: col.Name, Kind: KindColumn, Detail: st.Name + " " + col.Type})
			}
			return
		}
	}
}

// completeProperties suggests WITH keys: 'name.key' for each source the
// query reads.
func (s *Studio) completeProperties(_ context.Context, src, prefix string, out *Completions) {
	names := []string{}
	for _, n := range relations(src) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		names = []string{"source"}
	}
	for _, n := range names {
		for _, k := range binder.PropertyKeys() {
			out.add(prefix, Completion{Label: n + "." + k, Kind: KindProperty})
		}
	}
}

// fromRe finds `FROM name [AS] [alias]` and `JOIN ...` in text the parser
// could not read (a half-typed query).
var fromRe = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+(?:AS\s+)?([A-Za-z_][A-Za-z0-9_]*))?`)

// relations maps the aliases and names of the sources src reads (lower
// case) to their source names: from the syntax tree, and from the text
// where the parser gave up on a half-typed query.
func relations(src string) map[string]string {
	out := map[string]string{}
	for _, m := range fromRe.FindAllStringSubmatch(src, -1) {
		out[strings.ToLower(m[1])] = m[1]
		if m[2] != "" && token.Lookup(m[2]) == token.IDENT {
			out[strings.ToLower(m[2])] = m[1]
		}
	}
	script, _ := parser.Parse(src)
	if script == nil {
		return out
	}
	for _, st := range script.Statements {
		ast.Inspect(st, func(n ast.Node) bool {
			if ref, ok := n.(*ast.SourceRef); ok && ref.Name != nil {
				name := ref.Name.Name()
				out[strings.ToLower(name)] = name
				if ref.Alias != nil {
					out[strings.ToLower(ref.Alias.Name())] = name
				}
			}
			return true
		})
	}
	return out
}

// Contexts of the text before the cursor.
const (
	ctxOther = iota
	ctxFrom
	ctxWith
	ctxComment
)

// scanContext reads src (the text before the cursor's word) and says
// where the cursor is: in a comment, in a string (and whether inside a
// WITH clause), or after FROM/JOIN.
func scanContext(src string) (kind int, inString bool) {
	lastWord := ""
	depthWith := -1
	depth := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				return ctxComment, false
			}
			i += end + 1
		case c == '\'':
			end := i + 1
			for {
				j := strings.IndexByte(src[end:], '\'')
				if j < 0 {
					if depthWith >= 0 {
						return ctxWith, true
					}
					return ctxOther, true
				}
				end += j + 1
				if end < len(src) && src[end] == '\'' { // '' escapes a quote
					end++
					continue
				}
				break
			}
			i = end
		case c == '(':
			depth++
			if lastWord == "WITH" && depthWith < 0 {
				depthWith = depth
			}
			lastWord = "("
			i++
		case c == ')':
			if depth == depthWith {
				depthWith = -1
			}
			depth--
			lastWord = ")"
			i++
		case token.IsIdentStart(rune(c)) || c >= utf8.RuneSelf:
			j := i
			for j < len(src) {
				r, n := utf8.DecodeRuneInString(src[j:])
				if !token.IsIdentPart(r) {
					break
				}
				j += n
			}
			lastWord = strings.ToUpper(src[i:j])
			i = j
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			lastWord = string(c)
			i++
		}
	}
	switch lastWord {
	case "FROM", "JOIN":
		return ctxFrom, false
	}
	if depthWith >= 0 {
		return ctxWith, false
	}
	return ctxOther, false
}

// offsetOf converts a 1-based line and character column to a byte offset.
func offsetOf(src string, line, col int) (int, bool) {
	if line < 1 || col < 1 {
		return 0, false
	}
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(src[off:], '\n')
		if i < 0 {
			return 0, false
		}
		off += i + 1
	}
	for c := 1; c < col; c++ {
		if off >= len(src) || src[off] == '\n' {
			return 0, false
		}
		_, n := utf8.DecodeRuneInString(src[off:])
		off += n
	}
	return off, true
}

// positionOf converts a byte offset to a 1-based line and character column.
func positionOf(src string, off int) Position {
	line := 1 + strings.Count(src[:off], "\n")
	ls := strings.LastIndexByte(src[:off], '\n') + 1
	return Position{Line: line, Col: 1 + utf8.RuneCountInString(src[ls:off])}
}

func lineBefore(src string, off int) string {
	ls := strings.LastIndexByte(src[:off], '\n') + 1
	return strings.TrimLeft(src[ls:off], " \t")
}
