package assert

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/testkit/internal/yamlx"
)

// AnnotationName is the SQL annotation that holds an assertion.
const AnnotationName = "assert"

// FromAnnotations parses every `-- @assert:` annotation of a query.
func FromAnnotations(file, src string, anns []ast.Annotation) ([]*Assertion, diag.List) {
	var out []*Assertion
	var errs diag.List
	for _, an := range anns {
		if !strings.EqualFold(an.Name, AnnotationName) {
			continue
		}
		a, err := ParseAnnotation(an.Value, Origin{File: file, Src: src, Pos: an.ValuePos})
		if err != nil {
			errs = append(errs, *err)
			continue
		}
		out = append(out, a)
	}
	return out, errs
}

// ParseAnnotation reads "<type> <args>", e.g. "record_count > 0",
// "no_nulls symbol, volume", "field_values volume > 0",
// "field_in_set side: BUY, SELL", "aggregate_check SUM(volume) > 0",
// "join_coverage left=trades right=customers key=customer_id >= 80%",
// "execution_time < 1s", "ordering window_start asc".
func ParseAnnotation(text string, at Origin) (*Assertion, *diag.Diagnostic) {
	text = strings.TrimSpace(text)
	typ, args, _ := strings.Cut(text, " ")
	args = strings.TrimSpace(args)
	argOff := len(text) - len(args)
	if args == "" {
		argOff = len(text)
	}
	at.ExprPos = advance(at.Pos, argOff)
	a := &Assertion{Type: strings.ToLower(typ), Origin: at}
	fail := func(hint, format string, x ...any) (*Assertion, *diag.Diagnostic) {
		end := advance(at.Pos, len(text))
		return nil, &diag.Diagnostic{Pos: at.Pos, End: end, Msg: "@assert: " + fmt.Sprintf(format, x...), Hint: hint}
	}
	if !known(a.Type) {
		hint := "types: " + strings.Join(Types, ", ")
		if s := diag.Suggest(a.Type, Types); s != "" {
			hint = "did you mean " + s + "?"
		}
		if typ == "" {
			return fail(hint, "empty assertion: write a type and its arguments, e.g. record_count > 0")
		}
		return fail(hint, "unknown assertion type %q", typ)
	}
	needArgs := func() bool { return args != "" }
	switch a.Type {
	case RecordCount, ExecutionTime, Throughput, MemoryUsage, DLQCount, ErrorRate:
		if !needArgs() {
			return fail("e.g. "+example(a.Type), "%s needs a comparison", a.Type)
		}
		c, err := ParseComparison(args, units[a.Type])
		if err != nil {
			return fail("e.g. "+example(a.Type), "%s: %v", a.Type, err)
		}
		a.Cmp = &c
	case SchemaContains, NoNulls, UniqueValues:
		a.Fields = splitList(args)
		if len(a.Fields) == 0 {
			return fail("e.g. "+example(a.Type), "%s needs column names", a.Type)
		}
	case NoDuplicates:
		a.Fields = splitList(args)
	case FieldValues:
		if !needArgs() {
			return fail("e.g. "+example(a.Type), "field_values needs a condition")
		}
		a.Expr = args
	case AggregateCheck:
		if !needArgs() {
			return fail("e.g. "+example(a.Type), "aggregate_check needs a condition")
		}
		a.Expr = args
	case FieldInSet:
		f, vals, ok := splitSet(args)
		if !ok {
			return fail("e.g. "+example(a.Type), "field_in_set needs a column and its allowed values")
		}
		a.Field, a.Values = f, vals
	case Ordering:
		parts := strings.Fields(args)
		if len(parts) == 0 || len(parts) > 2 {
			return fail("e.g. "+example(a.Type), "ordering needs a column and optionally asc or desc")
		}
		a.Field = parts[0]
		if len(parts) == 2 {
			switch strings.ToLower(parts[1]) {
			case "asc", "ascending":
			case "desc", "descending":
				a.Desc = true
			default:
				return fail("e.g. "+example(a.Type), "ordering: %q is not asc or desc", parts[1])
			}
		}
	case JoinCoverage:
		rest := args
		for {
			rest = strings.TrimSpace(rest)
			word, tail, _ := strings.Cut(rest, " ")
			k, v, ok := strings.Cut(word, "=")
			if !ok || k == "" || strings.ContainsAny(k, "<>!") {
				break
			}
			switch strings.ToLower(k) {
			case "left":
				a.Left = v
			case "right":
				a.Right = v
			case "key":
				a.Key = v
			case "right_key":
				a.RKey = v
			default:
				return fail("e.g. "+example(a.Type), "join_coverage: unknown argument %q (left, right, key, right_key)", k)
			}
			rest = tail
		}
		c := Comparison{Op: Ge, A: 0.8, Unit: "%"}
		if rest != "" {
			var err error
			if c, err = ParseComparison(rest, "%"); err != nil {
				return fail("e.g. "+example(a.Type), "join_coverage: %v", err)
			}
		}
		a.Cmp = &c
	}
	return a, nil
}

// advance moves p forward n bytes on its line.
func advance(p token.Pos, n int) token.Pos {
	if !p.IsValid() {
		return p
	}
	p.Offset += n
	p.Col += n
	return p
}

func known(t string) bool {
	for _, k := range Types {
		if k == t {
			return true
		}
	}
	return false
}

func example(t string) string {
	switch t {
	case RecordCount:
		return "record_count > 0"
	case ExecutionTime:
		return "execution_time < 1000ms"
	case Throughput:
		return "throughput > 100000"
	case MemoryUsage:
		return "memory_usage < 256MB"
	case DLQCount:
		return "dlq_count = 0"
	case ErrorRate:
		return "error_rate < 1%"
	case SchemaContains, NoNulls, UniqueValues, NoDuplicates:
		return t + " symbol, volume"
	case FieldValues:
		return "field_values volume > 0"
	case AggregateCheck:
		return "aggregate_check SUM(volume) > 0"
	case FieldInSet:
		return "field_in_set side: BUY, SELL"
	case Ordering:
		return "ordering window_start asc"
	case JoinCoverage:
		return "join_coverage left=trades right=customers key=customer_id >= 80%"
	}
	return t
}

// splitList splits "a, b c" (commas or spaces; brackets allowed).
func splitList(s string) []string {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		out = append(out, strings.Trim(p, `"'`))
	}
	return out
}

// splitSet reads "field: a, b" or "field IN (a, b)" or "field [a, b]".
func splitSet(s string) (string, []string, bool) {
	s = strings.TrimSpace(s)
	var f, rest string
	if i := strings.IndexAny(s, ":(["); i > 0 {
		f, rest = strings.TrimSpace(s[:i]), s[i+1:]
		if fields := strings.Fields(f); len(fields) == 2 && strings.EqualFold(fields[1], "in") {
			f = fields[0]
		}
	} else {
		return "", nil, false
	}
	rest = strings.TrimRight(strings.TrimSpace(rest), ")]")
	var vals []string
	for _, p := range strings.Split(rest, ",") {
		if p = strings.Trim(strings.TrimSpace(p), `"'`); p != "" {
			vals = append(vals, p)
		}
	}
	if strings.ContainsAny(f, " \t") || f == "" || len(vals) == 0 {
		return "", nil, false
	}
	return f, vals, true
}

// FromYAML reads one assertion of a spec's `assertions:` list: either the
// short form (`- record_count: {greater_than: 0}`, `- no_nulls: [a, b]`,
// `- field_values: "volume > 0"`) or Velostream's long form
// (`- type: record_count` with `operator:` and `expected:`).
func FromYAML(d *yamlx.Doc, n *yaml.Node) *Assertion {
	at := Origin{File: d.File, Src: d.Src, Pos: d.Pos(n)}
	if n.Kind == yaml.ScalarNode {
		// "- record_count > 0": the annotation syntax in a list item.
		at.Pos = d.ValuePos(n)
		a, err := ParseAnnotation(n.Value, at)
		if err != nil {
			d.Errs = append(d.Errs, *err)
			return nil
		}
		return a
	}
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		d.Errorf(n, "assertion: expected `type: args` (e.g. record_count: {greater_than: 0})")
		return nil
	}
	var typ string
	var typN, body *yaml.Node
	var pairs []yamlx.Pair
	if n.Content[0].Value == "type" || hasKey(n, "type") {
		pairs = d.Map(n, "assertion", append([]string{"type", "message"}, argKeys...)...)
		for _, p := range pairs {
			if p.Key == "type" {
				typ, _ = d.Str(p.Value, "type")
				typN = p.Value
			}
		}
		body = n
	} else {
		typN = n.Content[0]
		typ = typN.Value
		body = n.Content[1]
		if len(n.Content) > 2 {
			for i := 2; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value != "message" {
					d.Hintf(n.Content[i], "put "+typ+"'s arguments under it: "+typ+": {...}", "assertion: unexpected key %q next to %s", n.Content[i].Value, typ)
				}
			}
		}
	}
	a := &Assertion{Type: strings.ToLower(typ), Origin: at}
	a.Origin.Pos = d.Pos(typN)
	if !known(a.Type) {
		hint := "types: " + strings.Join(Types, ", ")
		if s := diag.Suggest(a.Type, Types); s != "" {
			hint = "did you mean " + s + "?"
		}
		d.Hintf(typN, hint, "unknown assertion type %q", typ)
		return nil
	}
	for i := 2; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "message" && body != n {
			a.Message, _ = d.Str(n.Content[i+1], "message")
		}
	}
	before := len(d.Errs)
	if body.Kind == yaml.ScalarNode && body.Tag != "!!null" {
		// `record_count: "> 0"`, `no_nulls: symbol, volume`, `field_values: "x > 0"`.
		pos := d.ValuePos(body)
		pa, err := ParseAnnotation(a.Type+" "+body.Value, Origin{File: d.File, Src: d.Src, Pos: advance(pos, -len(a.Type)-1)})
		if err != nil {
			err.Pos, err.End = d.Pos(body), d.End(body)
			d.Errs = append(d.Errs, *err)
			return nil
		}
		pa.Origin.Pos = a.Origin.Pos
		pa.Message = a.Message
		return pa
	}
	if body.Kind == yaml.SequenceNode {
		switch a.Type {
		case SchemaContains, NoNulls, UniqueValues, NoDuplicates:
			a.Fields = d.StrList(body, a.Type)
			return a
		}
		d.Errorf(body, "%s: expected a mapping of arguments, not a list", a.Type)
		return nil
	}
	args := map[string]*yaml.Node{}
	for _, p := range d.Map(body, a.Type, append([]string{"type", "message"}, argKeys...)...) {
		args[p.Key] = p.Value
	}
	if len(d.Errs) > before {
		return nil // an unknown key: "needs a comparison" would only repeat it
	}
	if m := args["message"]; m != nil {
		a.Message, _ = d.Str(m, "message")
	}
	readArgs(d, a, body, args)
	if len(d.Errs) > before {
		return nil
	}
	return a
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// argKeys are the argument names any assertion may take in a spec.
var argKeys = []string{
	"equals", "not_equals", "greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal", "between",
	"operator", "expected", "min", "max", "value",
	"fields", "field", "values", "condition", "expression", "direction",
	"left", "right", "key", "right_key", "left_source", "right_source", "join_key", "min_match_rate",
	"max_ms", "min_ms", "min_records_per_second", "max_records_per_second", "max_mb", "max_errors", "max_rate", "key_fields",
}

func readArgs(d *yamlx.Doc, a *Assertion, body *yaml.Node, args map[string]*yaml.Node) {
	str := func(k string) string {
		if args[k] == nil {
			return ""
		}
		s, _ := d.Str(args[k], k)
		return s
	}
	num := func(k string) (float64, bool) {
		if args[k] == nil {
			return 0, false
		}
		return d.Float(args[k], k)
	}
	unit := units[a.Type]
	cmp, cmpN := readComparison(d, args, unit)
	// Per-type shorthand keys.
	setCmp := func(op Op, k string) {
		if x, ok := num(k); ok {
			if cmp != nil {
				d.Errorf(args[k], "%s: %s and another comparison both given", a.Type, k)
				return
			}
			cmp = &Comparison{Op: op, A: x, Unit: unit}
			cmpN = args[k]
		}
	}
	needCmp := func(example string) {
		if cmp == nil {
			d.Hintf(body, "e.g. "+example, "%s needs a comparison", a.Type)
		}
		a.Cmp = cmp
	}
	switch a.Type {
	case RecordCount:
		needCmp("record_count: {greater_than: 0}")
	case ExecutionTime:
		setCmp(Le, "max_ms")
		if x, ok := num("min_ms"); ok && cmp != nil && cmp.Op == Le {
			cmp = &Comparison{Op: Between, A: x, B: cmp.A, Unit: unit}
		} else if ok {
			setCmp(Ge, "min_ms")
		}
		needCmp("execution_time: {max_ms: 1000}")
	case Throughput:
		setCmp(Ge, "min_records_per_second")
		if x, ok := num("max_records_per_second"); ok && cmp != nil && cmp.Op == Ge {
			cmp = &Comparison{Op: Between, A: cmp.A, B: x, Unit: unit}
		} else if ok {
			setCmp(Le, "max_records_per_second")
		}
		needCmp("throughput: {min_records_per_second: 100000}")
	case MemoryUsage:
		setCmp(Le, "max_mb")
		needCmp("memory_usage: {max_mb: 256}")
	case DLQCount:
		setCmp(Le, "max_errors")
		needCmp("dlq_count: {max: 0}")
	case ErrorRate:
		setCmp(Le, "max_rate")
		needCmp("error_rate: {max_rate: 0.01}")
	case SchemaContains, NoNulls, UniqueValues, NoDuplicates:
		for _, k := range []string{"fields", "key_fields", "field"} {
			if args[k] != nil {
				a.Fields = append(a.Fields, d.StrList(args[k], k)...)
			}
		}
		if len(a.Fields) == 0 && a.Type != NoDuplicates {
			d.Hintf(body, "e.g. "+a.Type+": [symbol, volume]", "%s needs fields", a.Type)
		}
	case FieldValues:
		cond := str("condition")
		a.Origin.ExprPos = d.ValuePos(args["condition"])
		if f := str("field"); f != "" {
			if cond != "" {
				d.Errorf(args["field"], "field_values: give a condition or a field with a comparison, not both")
				return
			}
			if v := args["value"]; v != nil && cmp == nil {
				if s, ok := d.Str(v, "value"); ok {
					x, err := strconv.ParseFloat(s, 64)
					if err != nil {
						cond = f + " = " + sqlQuote(s)
					} else {
						cmp = &Comparison{Op: Eq, A: x}
						_ = x
					}
				}
				if op := str("operator"); op != "" && cmp != nil {
					if o, ok := opNames[op]; ok {
						cmp.Op = o
					}
				}
			}
			if cond == "" {
				if cmp == nil {
					d.Hintf(body, "e.g. field_values: {field: price, greater_than: 0}", "field_values: %s needs a comparison", f)
					return
				}
				cond = sqlCondition(f, *cmp)
			}
			a.Origin.ExprPos = token.Pos{}
		}
		if cond == "" {
			d.Hintf(body, "e.g. field_values: \"volume > 0\"", "field_values needs a condition")
			return
		}
		a.Expr = cond
	case AggregateCheck:
		a.Expr = str("expression")
		a.Origin.ExprPos = d.ValuePos(args["expression"])
		if a.Expr == "" {
			a.Expr = str("condition")
			a.Origin.ExprPos = d.ValuePos(args["condition"])
		}
		if a.Expr == "" {
			d.Hintf(body, "e.g. aggregate_check: {expression: \"SUM(volume)\", greater_than: 0}", "aggregate_check needs an expression")
		}
		a.Cmp = cmp
	case FieldInSet:
		a.Field = str("field")
		a.Values = d.StrList(args["values"], "values")
		if a.Field == "" || len(a.Values) == 0 {
			d.Hintf(body, "e.g. field_in_set: {field: side, values: [BUY, SELL]}", "field_in_set needs field and values")
		}
	case Ordering:
		a.Field = str("field")
		switch strings.ToLower(str("direction")) {
		case "", "asc", "ascending":
		case "desc", "descending":
			a.Desc = true
		default:
			d.Errorf(args["direction"], "ordering: direction is ascending or descending")
		}
		if a.Field == "" {
			d.Hintf(body, "e.g. ordering: {field: window_start, direction: ascending}", "ordering needs a field")
		}
	case JoinCoverage:
		a.Left, a.Right = first(str("left"), str("left_source")), first(str("right"), str("right_source"))
		a.Key, a.RKey = first(str("key"), str("join_key")), str("right_key")
		c := Comparison{Op: Ge, A: 0.8, Unit: "%"}
		if x, ok := num("min_match_rate"); ok {
			if x > 1 {
				x /= 100 // 80 means 80%
			}
			c.A = x
		} else if cmp != nil {
			c = *cmp
		}
		a.Cmp = &c
	}
	_ = cmpN
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// readComparison reads equals/greater_than/.../between/min+max/operator+expected.
func readComparison(d *yamlx.Doc, args map[string]*yaml.Node, unit string) (*Comparison, *yaml.Node) {
	var out *Comparison
	var at *yaml.Node
	set := func(c Comparison, n *yaml.Node) {
		if out != nil {
			d.Errorf(n, "two comparisons given: use one")
			return
		}
		out, at = &c, n
	}
	qty := func(n *yaml.Node, what string) (float64, bool) {
		s, ok := d.Str(n, what)
		if !ok {
			return 0, false
		}
		x, err := parseQuantity(s, unit)
		if err != nil {
			d.Errorf(n, "%s: %v", what, err)
			return 0, false
		}
		return x, true
	}
	for name, op := range opNames {
		n := args[name]
		if n == nil {
			continue
		}
		if op == Between {
			items := d.List(n, "between")
			if len(items) != 2 {
				d.Errorf(n, "between takes two numbers: [low, high]")
				continue
			}
			lo, ok1 := qty(items[0], "between")
			hi, ok2 := qty(items[1], "between")
			if ok1 && ok2 {
				if lo > hi {
					d.Errorf(n, "between: the low end is above the high end")
				}
				set(Comparison{Op: Between, A: lo, B: hi, Unit: unit}, n)
			}
			continue
		}
		if x, ok := qty(n, name); ok {
			set(Comparison{Op: op, A: x, Unit: unit}, n)
		}
	}
	if on := args["operator"]; on != nil {
		s, _ := d.Str(on, "operator")
		op, ok := opNames[s]
		if !ok {
			d.Hintf(on, "operators: equals, not_equals, greater_than, greater_than_or_equal, less_than, less_than_or_equal, between", "unknown operator %q", s)
			return out, at
		}
		if op == Between {
			lo, ok1 := qty(args["min"], "min")
			hi, ok2 := qty(args["max"], "max")
			if ok1 && ok2 {
				set(Comparison{Op: Between, A: lo, B: hi, Unit: unit}, on)
			}
			return out, at
		}
		if args["expected"] == nil {
			d.Errorf(on, "operator %s needs expected:", s)
			return out, at
		}
		if x, ok := qty(args["expected"], "expected"); ok {
			set(Comparison{Op: op, A: x, Unit: unit}, on)
		}
		return out, at
	}
	mn, mx := args["min"], args["max"]
	switch {
	case mn != nil && mx != nil:
		lo, ok1 := qty(mn, "min")
		hi, ok2 := qty(mx, "max")
		if ok1 && ok2 {
			set(Comparison{Op: Between, A: lo, B: hi, Unit: unit}, mn)
		}
	case mn != nil:
		if x, ok := qty(mn, "min"); ok {
			set(Comparison{Op: Ge, A: x, Unit: unit}, mn)
		}
	case mx != nil:
		if x, ok := qty(mx, "max"); ok {
			set(Comparison{Op: Le, A: x, Unit: unit}, mx)
		}
	}
	return out, at
}

// sqlCondition renders field op value as SQL.
func sqlCondition(field string, c Comparison) string {
	f := field
	num := strconv.FormatFloat
	switch c.Op {
	case Between:
		return fmt.Sprintf("%s BETWEEN %s AND %s", f, num(c.A, 'f', -1, 64), num(c.B, 'f', -1, 64))
	case Eq:
		return fmt.Sprintf("%s = %s", f, num(c.A, 'f', -1, 64))
	case Ne:
		return fmt.Sprintf("%s <> %s", f, num(c.A, 'f', -1, 64))
	}
	return fmt.Sprintf("%s %s %s", f, c.Op, num(c.A, 'f', -1, 64))
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
