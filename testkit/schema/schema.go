// Package schema reads the schema files that describe synthetic test data
// (Velostream's format: `schema: {name, description}` and `fields:` with a
// type and constraints each) and checks them, reporting every problem at its
// line and column.
//
// Takes: YAML text (Parse), then the set of schemas of one test (Link) to
// resolve references between them and bind derived expressions with the
// engine's binder. Gives: *Schema values the generator (testkit/gen) runs,
// and Format, which writes a schema back as YAML (for `velo test
// --print-schema`).
package schema

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit/internal/yamlx"
)

// Field types.
const (
	String    = "string"
	Integer   = "integer"
	Decimal   = "decimal"
	Float     = "float"
	Boolean   = "boolean"
	Timestamp = "timestamp"
)

// Distributions.
const (
	Uniform   = "uniform"
	Normal    = "normal"
	LogNormal = "log_normal"
	Zipf      = "zipf"
)

// DefaultStart is the first event time of a timestamp field without a start:
// a fixed instant, so that data is the same on every run for a seed.
const DefaultStart = "2024-01-01T00:00:00Z"

// DefaultRate is the event rate (records per second of event time) of a
// timestamp field without rate or end.
const DefaultRate = 100.0

// Schema is one source's data description.
type Schema struct {
	Name        string
	Namespace   string
	Description string
	Fields      []*Field
	// File and Src are the file it came from, for positioned messages
	// (empty for inferred schemas).
	File string
	Src  string
	// Inferred marks a schema made from the query rather than read.
	Inferred bool
}

// Field is one field and its constraints, with values already converted to
// the field's type.
type Field struct {
	Name        string
	Type        string
	Description string
	Precision   int // decimal
	Scale       int // decimal

	Nullable        bool
	NullProbability float64

	Enum    []types.Value
	Weights []float64
	Min     *types.Value // in the field's kind (timestamps: not used)
	Max     *types.Value

	Pattern   *Pattern
	MinLength int // strings without enum/pattern; 0 means the default
	MaxLength int

	Distribution string
	Mean, Stddev *float64 // normal: defaults derive from min/max
	Exponent     float64  // zipf: P(rank k) ∝ 1/k^Exponent (> 1)

	Probability *float64 // boolean: chance of true

	Derived    string    // expression over other fields, e.g. "price * random(0.95, 1.05)"
	DerivedExp expr.Expr // bound by Link, over Row() with the random columns appended
	Randoms    []Random  // random(a, b) calls of Derived, as extra row columns

	References *Reference

	Sequence *Sequence
	Format   string // printf format of a string sequence, e.g. "CUST%03d"

	// Timestamps: Start (absolute or relative to now), Rate events per
	// second, Jitter out-of-orderness bound in ms; or Start..End uniformly
	// when End is given without Rate.
	Start    string
	End      string
	Rate     float64
	JitterMs int64

	Pos    token.Pos            // of the field's name
	KeyPos map[string]token.Pos // of each constraint key, for later messages
}

// Random is a random(a, b) call inside a derived expression: Link replaces
// it with a column the generator fills with a uniform draw.
type Random struct {
	Lo, Hi types.Value // both INT, or both DECIMAL at one scale
}

// Reference makes a field a foreign key into another schema's field.
type Reference struct {
	Schema string
	Field  string
	Pos    token.Pos
}

// Sequence makes values start, start+step, ...
type Sequence struct {
	Start, Step int64
}

// Field returns the field called name (case-insensitive), or nil.
func (s *Schema) Field(name string) *Field {
	for _, f := range s.Fields {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// Row returns the engine schema of a generated row: every field in order.
func (s *Schema) Row() types.Schema {
	out := make(types.Schema, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = types.Column{Name: f.Name, Type: f.SQLType()}
	}
	return out
}

// SQLType is the engine type of the field's values.
func (f *Field) SQLType() types.Type {
	switch f.Type {
	case Integer:
		return types.Int
	case Decimal:
		return types.Type{Kind: types.KindDecimal, Precision: uint8(f.Precision), Scale: uint8(f.Scale)}
	case Float:
		return types.Float
	case Boolean:
		return types.Bool
	case Timestamp:
		return types.Timestamp
	}
	return types.String
}

// typeAliases maps accepted spellings to the six types.
var typeAliases = map[string]string{
	"string": String, "str": String, "varchar": String, "text": String,
	"integer": Integer, "int": Integer, "bigint": Integer, "long": Integer,
	"decimal": Decimal, "numeric": Decimal,
	"float": Float, "double": Float,
	"boolean": Boolean, "bool": Boolean,
	"timestamp": Timestamp, "datetime": Timestamp,
}

var constraintKeys = []string{"enum", "weights", "min", "max", "pattern", "min_length", "max_length",
	"distribution", "mean", "stddev", "exponent", "probability", "derived", "references", "sequence", "format",
	"start", "end", "range", "rate", "jitter", "nullable", "null_probability"}

// Parse reads one schema file. Errors come back positioned in file.
func Parse(file, src string) (*Schema, diag.List) {
	d := yamlx.Parse(file, src)
	if d.Errs != nil {
		return nil, d.Errs
	}
	s := &Schema{File: file, Src: src}
	if d.Root == nil {
		d.Errs.Add(token.Pos{Line: 1, Col: 1}, token.Pos{}, "empty schema file: expected `schema:` and `fields:`")
		return nil, d.Errs
	}
	var fieldsN *yaml.Node
	for _, p := range d.Map(d.Root, "schema file", "schema", "fields") {
		switch p.Key {
		case "schema":
			for _, q := range d.Map(p.Value, "schema", "name", "namespace", "description") {
				v, _ := d.Str(q.Value, "schema."+q.Key)
				switch q.Key {
				case "name":
					s.Name = v
				case "namespace":
					s.Namespace = v
				case "description":
					s.Description = v
				}
			}
		case "fields":
			fieldsN = p.Value
		}
	}
	if fieldsN == nil {
		d.Errs.Add(d.Pos(d.Root), d.Pos(d.Root), "schema file has no `fields:` list")
	}
	seen := map[string]bool{}
	for _, fn := range d.List(fieldsN, "fields") {
		f := parseField(d, fn)
		if f == nil {
			continue
		}
		if seen[strings.ToLower(f.Name)] {
			d.Errs.Addf(f.Pos, f.Pos, "field %q is defined twice", f.Name)
			continue
		}
		seen[strings.ToLower(f.Name)] = true
		s.Fields = append(s.Fields, f)
	}
	if fieldsN != nil && len(s.Fields) == 0 && len(d.Errs) == 0 {
		d.Errorf(fieldsN, "`fields:` is empty: a schema needs at least one field")
	}
	d.Errs.Sort()
	if len(d.Errs) > 0 {
		return nil, d.Errs
	}
	return s, nil
}

func parseField(d *yamlx.Doc, n *yaml.Node) *Field {
	f := &Field{Pos: d.Pos(n), KeyPos: map[string]token.Pos{}, Distribution: Uniform}
	var typeN, consN, precN, scaleN *yaml.Node
	var nodes = map[string]*yaml.Node{}
	for _, p := range d.Map(n, "field", "name", "type", "description", "precision", "scale", "constraints", "nullable", "null_probability") {
		switch p.Key {
		case "name":
			f.Name, _ = d.Str(p.Value, "field name")
			f.Pos = d.Pos(p.Value)
		case "type":
			typeN = p.Value
		case "description":
			f.Description, _ = d.Str(p.Value, "description")
		case "precision":
			precN = p.Value
		case "scale":
			scaleN = p.Value
		case "constraints":
			consN = p.Value
		case "nullable", "null_probability":
			nodes[p.Key] = p.Value
			f.KeyPos[p.Key] = d.Pos(p.KeyN)
		}
	}
	if f.Name == "" {
		d.Errorf(n, "field without a name")
		return nil
	}
	if typeN == nil {
		d.Hintf(n, "types: string, integer, decimal, float, boolean, timestamp", "field %q has no type", f.Name)
		return nil
	}
	ts, _ := d.Str(typeN, "type")
	t, ok := typeAliases[strings.ToLower(ts)]
	if !ok {
		hint := "types: string, integer, decimal, float, boolean, timestamp"
		d.Hintf(typeN, hint, "field %q: unknown type %q", f.Name, ts)
		return nil
	}
	f.Type = t
	if t == Decimal {
		f.Precision, f.Scale = 18, 2
		if precN != nil {
			if v, ok := d.Int(precN, "precision"); ok {
				if v < 1 || v > 18 {
					d.Errorf(precN, "field %q: precision must be 1..18 (values are exact 64-bit decimals)", f.Name)
				}
				f.Precision = int(v)
			}
		}
		if scaleN != nil {
			if v, ok := d.Int(scaleN, "scale"); ok {
				if v < 0 || int(v) > f.Precision {
					d.Errorf(scaleN, "field %q: scale must be 0..precision (%d)", f.Name, f.Precision)
				}
				f.Scale = int(v)
			}
		}
		if scaleN == nil && f.Scale > f.Precision {
			f.Scale = f.Precision // DECIMAL(1) has no room for the default 2 places
		}
	} else if precN != nil || scaleN != nil {
		at := precN
		if at == nil {
			at = scaleN
		}
		d.Errorf(at, "field %q: precision and scale apply to decimal fields only", f.Name)
	}
	for _, p := range d.Map(consN, "constraints of "+f.Name, constraintKeys...) {
		if _, dup := nodes[p.Key]; dup {
			d.Errorf(p.KeyN, "field %q: %s is given twice", f.Name, p.Key)
			continue
		}
		nodes[p.Key] = p.Value
		f.KeyPos[p.Key] = d.Pos(p.KeyN)
	}
	c := &fieldParser{d: d, f: f, n: nodes}
	c.parse()
	return f
}

type fieldParser struct {
	d *yamlx.Doc
	f *Field
	n map[string]*yaml.Node
}

func (c *fieldParser) errorf(key, format string, args ...any) {
	n := c.n[key]
	c.d.Errorf(n, "field %q: "+format, append([]any{c.f.Name}, args...)...)
}

// only reports key when the field's type is not one of ts.
func (c *fieldParser) only(key string, ts ...string) bool {
	if c.n[key] == nil {
		return false
	}
	for _, t := range ts {
		if c.f.Type == t {
			return true
		}
	}
	c.errorf(key, "%s does not apply to a %s field (only %s)", key, c.f.Type, strings.Join(ts, ", "))
	return false
}

func (c *fieldParser) parse() {
	d, f, n := c.d, c.f, c.n
	if v := n["nullable"]; v != nil {
		f.Nullable, _ = d.Bool(v, "nullable")
		if f.Nullable {
			f.NullProbability = 0.1
		}
	}
	if v := n["null_probability"]; v != nil {
		if p, ok := d.Float(v, "null_probability"); ok {
			if p < 0 || p > 1 {
				c.errorf("null_probability", "null_probability must be between 0 and 1")
			}
			f.NullProbability = p
			f.Nullable = p > 0
		}
	}
	if v := n["enum"]; v != nil {
		for _, it := range d.List(v, "enum") {
			val, ok := c.value(it, "enum value")
			if ok {
				f.Enum = append(f.Enum, val)
			}
		}
		if len(f.Enum) == 0 && v.Kind == yaml.SequenceNode {
			c.errorf("enum", "enum is empty")
		}
	}
	if v := n["weights"]; v != nil {
		if n["enum"] == nil {
			c.errorf("weights", "weights need an enum (one weight per value)")
		}
		sum := 0.0
		for _, it := range d.List(v, "weights") {
			w, ok := d.Float(it, "weight")
			if ok && w < 0 {
				d.Errorf(it, "field %q: weights must not be negative", f.Name)
			}
			f.Weights = append(f.Weights, w)
			sum += w
		}
		if n["enum"] != nil && len(f.Weights) != len(f.Enum) {
			c.errorf("weights", "%d weights for %d enum values: give one weight per value", len(f.Weights), len(f.Enum))
		} else if sum <= 0 {
			c.errorf("weights", "weights add up to 0")
		}
	}
	if c.only("min", Integer, Decimal, Float) {
		if v, ok := c.value(n["min"], "min"); ok {
			f.Min = &v
		}
	}
	if c.only("max", Integer, Decimal, Float) {
		if v, ok := c.value(n["max"], "max"); ok {
			f.Max = &v
		}
	}
	if f.Min != nil && f.Max != nil && Float64(*f.Min) > Float64(*f.Max) {
		c.errorf("max", "max (%s) is below min (%s)", Text(*f.Max), Text(*f.Min))
	}
	if f.Enum != nil && (f.Min != nil || f.Max != nil) {
		c.errorf("enum", "enum and min/max both given: use one")
	}
	if c.only("pattern", String) {
		if s, ok := d.Str(n["pattern"], "pattern"); ok {
			p, err := CompilePattern(s)
			if err != nil {
				pe := err.(*PatternError)
				at := d.ValuePos(n["pattern"])
				at.Offset += pe.Off
				at.Col += pe.Off
				d.Errs.Addf(at, at, "field %q: %v", f.Name, err)
			} else {
				f.Pattern = p
			}
		}
	}
	if c.only("min_length", String) {
		if v, ok := d.Int(n["min_length"], "min_length"); ok {
			if v < 0 {
				c.errorf("min_length", "min_length must not be negative")
			}
			f.MinLength = int(v)
		}
	}
	if c.only("max_length", String) {
		if v, ok := d.Int(n["max_length"], "max_length"); ok {
			if v < 1 || v > 1<<20 {
				c.errorf("max_length", "max_length must be 1..1048576")
			}
			f.MaxLength = int(v)
		}
	}
	if n["min_length"] != nil && n["max_length"] != nil && f.MinLength > f.MaxLength {
		c.errorf("max_length", "max_length (%d) is below min_length (%d)", f.MaxLength, f.MinLength)
	}
	if v := n["distribution"]; v != nil {
		s, _ := d.Str(v, "distribution")
		switch s {
		case Uniform, Normal, LogNormal, Zipf:
			f.Distribution = s
		default:
			d.Hintf(v, "use uniform, normal, log_normal or zipf", "field %q: unknown distribution %q", f.Name, s)
		}
		switch {
		case s == Zipf && !(f.Type == Integer || n["enum"] != nil || n["references"] != nil):
			c.errorf("distribution", "zipf applies to integer ranges, enums and references")
		case (s == Normal || s == LogNormal) && f.Type != Integer && f.Type != Decimal && f.Type != Float:
			c.errorf("distribution", "%s applies to integer, decimal and float fields", s)
		case (s == Normal || s == LogNormal) && n["enum"] != nil:
			c.errorf("distribution", "%s does not apply to an enum (use weights)", s)
		}
	}
	for _, k := range []string{"mean", "stddev"} {
		if v := n[k]; v != nil {
			x, ok := d.Float(v, k)
			if !ok {
				continue
			}
			if f.Distribution != Normal {
				c.errorf(k, "%s applies to distribution: normal", k)
			}
			if k == "mean" {
				f.Mean = &x
			} else {
				if x <= 0 {
					c.errorf(k, "stddev must be positive")
				}
				f.Stddev = &x
			}
		}
	}
	if f.Distribution == Normal && (f.Min == nil || f.Max == nil) && (f.Mean == nil || f.Stddev == nil) {
		c.errorf("distribution", "normal needs min and max, or mean and stddev")
	}
	if f.Distribution == LogNormal && (f.Min == nil || f.Max == nil) {
		c.errorf("distribution", "log_normal needs min and max")
	}
	if f.Distribution == Zipf && f.Type == Integer && n["enum"] == nil && n["references"] == nil && (f.Min == nil || f.Max == nil) {
		c.errorf("distribution", "zipf over integers needs min and max (rank 1 is min)")
	}
	f.Exponent = 1.2
	if v := n["exponent"]; v != nil {
		if x, ok := d.Float(v, "exponent"); ok {
			if f.Distribution != Zipf {
				c.errorf("exponent", "exponent applies to distribution: zipf")
			}
			if x <= 1 {
				c.errorf("exponent", "the zipf exponent must be above 1")
			}
			f.Exponent = x
		}
	}
	if c.only("probability", Boolean) {
		if x, ok := d.Float(n["probability"], "probability"); ok {
			if x < 0 || x > 1 {
				c.errorf("probability", "probability must be between 0 and 1")
			}
			f.Probability = &x
		}
	}
	if v := n["derived"]; v != nil {
		f.Derived, _ = d.Str(v, "derived")
		f.KeyPos["derived"] = d.ValuePos(v)
	}
	if v := n["references"]; v != nil {
		r := &Reference{Pos: d.Pos(v)}
		for _, p := range d.Map(v, "references", "schema", "field") {
			s, _ := d.Str(p.Value, "references."+p.Key)
			if p.Key == "schema" {
				r.Schema = s
			} else {
				r.Field = s
			}
		}
		if r.Schema == "" || r.Field == "" {
			c.errorf("references", "references needs schema and field, e.g. {schema: customers, field: customer_id}")
		}
		f.References = r
	}
	if c.only("sequence", Integer, String) {
		sq := &Sequence{Start: 1, Step: 1}
		if xs := n["sequence"]; xs.Kind == yaml.ScalarNode {
			on, _ := d.Bool(xs, "sequence")
			if !on {
				sq = nil
			}
		} else {
			for _, p := range d.Map(xs, "sequence", "start", "step") {
				if x, ok := d.Int(p.Value, "sequence."+p.Key); ok {
					if p.Key == "start" {
						sq.Start = x
					} else {
						sq.Step = x
					}
				}
			}
		}
		f.Sequence = sq
	}
	if c.only("format", String) {
		f.Format, _ = d.Str(n["format"], "format")
		if f.Sequence == nil {
			c.errorf("format", "format applies to a sequence (e.g. sequence: {start: 1} with format: \"CUST%%03d\")")
		} else if strings.Count(f.Format, "%") != 1 || !strings.Contains(f.Format, "d") {
			c.errorf("format", "format must hold one integer verb such as %%d or %%03d")
		}
	}
	if f.Type == String && f.Sequence != nil && f.Format == "" {
		f.Format = "%d"
	}
	if c.only("start", Timestamp) {
		f.Start, _ = d.Str(n["start"], "start")
		if _, err := ResolveTime(f.Start, time.Unix(0, 0)); err != nil {
			c.errorf("start", "%v", err)
		}
	}
	if c.only("end", Timestamp) {
		f.End, _ = d.Str(n["end"], "end")
		if _, err := ResolveTime(f.End, time.Unix(0, 0)); err != nil {
			c.errorf("end", "%v", err)
		}
	}
	if c.only("range", Timestamp) {
		if s, _ := d.Str(n["range"], "range"); s != "relative" && s != "absolute" {
			c.errorf("range", "range is relative or absolute")
		}
	}
	if c.only("rate", Timestamp) {
		if x, ok := d.Float(n["rate"], "rate"); ok {
			if x <= 0 {
				c.errorf("rate", "rate (events per second) must be positive")
			}
			f.Rate = x
		}
	}
	if c.only("jitter", Timestamp) {
		s, _ := d.Str(n["jitter"], "jitter")
		ms, err := binder.ParseDuration(s)
		if err != nil || ms < 0 {
			c.errorf("jitter", "jitter %q: write a duration such as 500ms, 2s or '1 minute'", s)
		}
		f.JitterMs = ms
	}
	if f.Type == Timestamp {
		if f.Start == "" {
			f.Start = DefaultStart
		}
		if f.Rate == 0 && f.End == "" {
			f.Rate = DefaultRate
		}
		if f.Rate > 0 && f.End != "" {
			c.errorf("end", "give rate (events in order from start) or end (uniform between start and end), not both")
		}
		if f.JitterMs > 0 && f.End != "" {
			c.errorf("jitter", "jitter applies to ordered events (rate), not to a start..end range")
		}
	}
	// One way of making values per field.
	var ways []string
	for _, k := range []string{"enum", "pattern", "derived", "references", "sequence"} {
		if n[k] != nil {
			ways = append(ways, k)
		}
	}
	if len(ways) > 1 {
		c.errorf(ways[1], "%s and %s both given: a field's values come from one of enum, pattern, derived, references or sequence", ways[0], ways[1])
	}
	if (f.Pattern != nil || f.Enum != nil) && (n["min_length"] != nil || n["max_length"] != nil) {
		c.errorf("min_length", "min_length/max_length apply to free text, not to an enum or pattern")
	}
	if n["min_length"] == nil && n["max_length"] != nil && f.MaxLength < 5 {
		f.MinLength = f.MaxLength
	}
}

// value converts scalar n to the field's type.
func (c *fieldParser) value(n *yaml.Node, what string) (types.Value, bool) {
	s, ok := c.d.Str(n, what)
	if !ok {
		return types.Value{}, false
	}
	v, err := ParseValue(c.f, s)
	if err != nil {
		c.d.Errorf(n, "field %q: %s %q: %v", c.f.Name, what, s, err)
		return types.Value{}, false
	}
	return v, true
}

// ParseValue converts text to a value of f's type.
func ParseValue(f *Field, s string) (types.Value, error) {
	s = strings.TrimSpace(s)
	switch f.Type {
	case Integer:
		i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
		if err != nil {
			return types.Value{}, fmt.Errorf("not a whole number")
		}
		return types.IntValue(i), nil
	case Decimal:
		m, sc, err := decimal.ParseString(s)
		if err != nil {
			return types.Value{}, fmt.Errorf("not a decimal number")
		}
		if int(sc) > f.Scale {
			return types.Value{}, fmt.Errorf("has more than %d digits after the point (the field's scale)", f.Scale)
		}
		m, ok := decimal.Rescale(m, sc, uint8(f.Scale))
		if !ok || !fits(m, f.Precision) {
			return types.Value{}, fmt.Errorf("does not fit DECIMAL(%d,%d)", f.Precision, f.Scale)
		}
		return types.DecimalValue(m, uint8(f.Scale)), nil
	case Float:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return types.Value{}, fmt.Errorf("not a number")
		}
		return types.FloatValue(x), nil
	case Boolean:
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			return types.BoolValue(true), nil
		case "false", "no", "off":
			return types.BoolValue(false), nil
		}
		return types.Value{}, fmt.Errorf("not true or false")
	case Timestamp:
		ms, err := ResolveTime(s, time.Unix(0, 0))
		if err != nil {
			return types.Value{}, err
		}
		return types.TimestampValue(ms), nil
	}
	return types.StringValue(s), nil
}

// fits reports whether a mantissa has at most prec digits.
func fits(m int64, prec int) bool {
	if m < 0 {
		m = -m
	}
	lim, ok := decimal.Pow10(prec)
	return !ok || uint64(m) < lim
}

// ResolveTime reads an absolute time (RFC 3339, "2024-01-01 10:00:00",
// "2024-01-01", or epoch milliseconds) or a time relative to now ("now",
// "-1h", "now-30m", "+5m") and returns epoch milliseconds.
func ResolveTime(s string, now time.Time) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty time")
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	rel := strings.TrimPrefix(strings.ToLower(s), "now")
	if rel == "" {
		return now.UnixMilli(), nil
	}
	rel = strings.ReplaceAll(rel, " ", "")
	sign := int64(1)
	switch {
	case strings.HasPrefix(rel, "-"):
		sign, rel = -1, rel[1:]
	case strings.HasPrefix(rel, "+"):
		rel = rel[1:]
	default:
		return 0, fmt.Errorf("time %q: write RFC 3339 (2024-01-01T00:00:00Z), epoch milliseconds, now, or a relative time like -1h", s)
	}
	ms, err := binder.ParseDuration(rel)
	if err != nil {
		return 0, fmt.Errorf("time %q: write RFC 3339 (2024-01-01T00:00:00Z), epoch milliseconds, now, or a relative time like -1h", s)
	}
	return now.UnixMilli() + sign*ms, nil
}

// Float64 returns a numeric value as a float64 (for comparisons and
// distribution parameters).
func Float64(v types.Value) float64 {
	switch v.K {
	case types.KindInt, types.KindTimestamp, types.KindInterval:
		return float64(v.I)
	case types.KindFloat:
		return v.Float()
	case types.KindDecimal:
		if v.Big() {
			f, _ := strconv.ParseFloat(v.S, 64)
			return f
		}
		return decimal.ToFloat64(v.I, v.Scale)
	case types.KindBool:
		return float64(v.I)
	}
	return math.NaN()
}

// Text renders a value the way a user writes it in a schema file.
func Text(v types.Value) string {
	switch v.K {
	case types.KindNull:
		return "null"
	case types.KindString:
		return v.S
	case types.KindInt:
		return strconv.FormatInt(v.I, 10)
	case types.KindFloat:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case types.KindDecimal:
		if v.Big() {
			return v.S
		}
		return decimal.String(v.I, v.Scale)
	case types.KindBool:
		if v.I != 0 {
			return "true"
		}
		return "false"
	case types.KindTimestamp:
		return time.UnixMilli(v.I).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return fmt.Sprint(v)
}
