// Package yamlx reads YAML documents node by node (go.yaml.in/yaml/v3) so
// that every problem in a test spec or schema file is reported as a
// positioned diagnostic, rendered with a caret like a SQL error. Unknown keys
// are errors with a "did you mean" hint: a misspelt constraint must not be
// ignored silently.
//
// Takes: the text of a YAML file. Gives: its root node, typed accessors that
// record diagnostics in Doc.Errs, and token positions of nodes.
package yamlx

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/token"
)

// Doc is one parsed YAML file.
type Doc struct {
	File string
	Src  string
	Root *yaml.Node // the document's top node (a mapping for our files); nil when empty
	Errs diag.List

	lineStarts []int
}

// Parse parses src. A syntax error is returned as a positioned diagnostic in
// Errs, with Root nil.
func Parse(file, src string) *Doc {
	d := &Doc{File: file, Src: src}
	d.lineStarts = append(d.lineStarts, 0)
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			d.lineStarts = append(d.lineStarts, i+1)
		}
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		d.Errs.Add(d.lineCol(errLine(err), 1), token.Pos{}, "YAML: "+errText(err))
		return d
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		d.Root = n.Content[0]
	}
	return d
}

// errLine pulls the line number out of yaml's "yaml: line N: ..." errors.
func errLine(err error) int {
	s := err.Error()
	if i := strings.Index(s, "line "); i >= 0 {
		rest := s[i+5:]
		j := strings.IndexByte(rest, ':')
		if j > 0 {
			if n, e := strconv.Atoi(rest[:j]); e == nil {
				return n
			}
		}
	}
	return 1
}

func errText(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(s, "line ") {
		if j := strings.IndexByte(s, ':'); j > 0 {
			s = strings.TrimSpace(s[j+1:])
		}
	}
	return s
}

func (d *Doc) lineCol(line, col int) token.Pos {
	if line < 1 {
		line = 1
	}
	if line > len(d.lineStarts) {
		line = len(d.lineStarts)
	}
	off := d.lineStarts[line-1] + col - 1
	if off > len(d.Src) {
		off = len(d.Src)
	}
	return token.Pos{Offset: off, Line: line, Col: col}
}

// Pos returns the position of n.
func (d *Doc) Pos(n *yaml.Node) token.Pos {
	if n == nil {
		return token.Pos{}
	}
	return d.lineCol(n.Line, n.Column)
}

// End returns the end of a scalar n on its line (for carets under it).
func (d *Doc) End(n *yaml.Node) token.Pos {
	p := d.Pos(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return p
	}
	w := len(n.Value)
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		w += 2
	}
	if strings.ContainsRune(n.Value, '\n') {
		w = 1
	}
	return token.Pos{Offset: p.Offset + w, Line: p.Line, Col: p.Col + w}
}

// ValuePos is where the text of scalar n starts (after an opening quote),
// for positions inside it (an expression in a string).
func (d *Doc) ValuePos(n *yaml.Node) token.Pos {
	p := d.Pos(n)
	if n != nil && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		p.Offset++
		p.Col++
	}
	return p
}

// Errorf records an error at n.
func (d *Doc) Errorf(n *yaml.Node, format string, args ...any) {
	d.Errs.Addf(d.Pos(n), d.End(n), format, args...)
}

// Hintf records an error with a hint at n.
func (d *Doc) Hintf(n *yaml.Node, hint, format string, args ...any) {
	d.Errs = append(d.Errs, diag.Diagnostic{Pos: d.Pos(n), End: d.End(n), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// Render renders the recorded errors, sorted, with carets.
func (d *Doc) Render() string {
	d.Errs.Sort()
	return diag.RenderAll(d.File, d.Src, d.Errs)
}

// Pair is one key: value entry of a mapping.
type Pair struct {
	Key   string
	KeyN  *yaml.Node
	Value *yaml.Node
}

// Map returns the entries of mapping n, reporting keys not in known (when
// known is not nil) and duplicate keys. what names the mapping in messages.
func (d *Doc) Map(n *yaml.Node, what string, known ...string) []Pair {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "%s: expected a mapping (key: value lines), found %s", what, kindName(n))
		return nil
	}
	var out []Pair
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if seen[key] {
			d.Errorf(k, "%s: %q is given twice", what, key)
			continue
		}
		seen[key] = true
		if known != nil && !contains(known, key) {
			hint := "known keys: " + strings.Join(sorted(known), ", ")
			if s := diag.Suggest(key, known); s != "" {
				hint = "did you mean " + strconv.Quote(s) + "?"
			}
			d.Hintf(k, hint, "%s: unknown key %q", what, key)
			continue
		}
		out = append(out, Pair{Key: key, KeyN: k, Value: v})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sorted(list []string) []string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}

// IsNull reports whether n is absent or an explicit null.
func IsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// Str returns scalar n as text.
func (d *Doc) Str(n *yaml.Node, what string) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		if n != nil {
			d.Errorf(n, "%s: expected a value, found %s", what, kindName(n))
		}
		return "", false
	}
	return n.Value, true
}

// Float returns scalar n as a number.
func (d *Doc) Float(n *yaml.Node, what string) (float64, bool) {
	s, ok := d.Str(n, what)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.Errorf(n, "%s: expected a number, found %q", what, s)
		return 0, false
	}
	return f, true
}

// Int returns scalar n as an integer.
func (d *Doc) Int(n *yaml.Node, what string) (int64, bool) {
	s, ok := d.Str(n, what)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil {
		d.Errorf(n, "%s: expected a whole number, found %q", what, s)
		return 0, false
	}
	return i, true
}

// Bool returns scalar n as a boolean.
func (d *Doc) Bool(n *yaml.Node, what string) (bool, bool) {
	s, ok := d.Str(n, what)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	d.Errorf(n, "%s: expected true or false, found %q", what, s)
	return false, false
}

// List returns the items of sequence n; a single scalar counts as a list of one.
func (d *Doc) List(n *yaml.Node, what string) []*yaml.Node {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.SequenceNode:
		return n.Content
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return []*yaml.Node{n}
	}
	d.Errorf(n, "%s: expected a list, found %s", what, kindName(n))
	return nil
}

// StrList returns a list of scalars as text. A scalar with commas
// ("symbol, volume") is split, since that is how people write short lists.
func (d *Doc) StrList(n *yaml.Node, what string) []string {
	var out []string
	for _, it := range d.List(n, what) {
		s, ok := d.Str(it, what)
		if !ok {
			continue
		}
		if n.Kind == yaml.ScalarNode {
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			continue
		}
		out = append(out, s)
	}
	return out
}
