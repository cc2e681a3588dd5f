package catalog

import (
	"context"
	"strings"

	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// Mode says how a query is to read its Kafka sources.
type Mode struct {
	// Bounded reads what the topics hold when the query starts, from the
	// beginning, and then ends (previews, tests, bounded runs).
	Bounded bool
	// Start is where a live query starts reading a stream: "latest" (the
	// default: what arrives from now on) or "earliest". Tables are always
	// read from the beginning.
	Start string
	// Deploy binds for a query that will run without the Studio: every
	// catalog stream is declared (sampled ones with their sampled
	// columns), without the broker (the deployed query's Kafka connection
	// supplies it) and without a start position.
	Deploy bool
}

func (m Mode) start() string {
	if m.Bounded {
		return "earliest"
	}
	if m.Start == "" {
		return "latest"
	}
	return m.Start
}

// Binding is what the catalog adds to one script. A declared catalog
// stream or table the script reads without binding it gets a declaration
// (CREATE STREAM|TABLE name (columns) WITH (...)) appended after the
// script: appended, so every position in the user's text stays where it
// is, and a declaration, because only a declaration makes a source a table
// (a join needs that) with exact column types. Topics whose schema was
// sampled get connector properties instead (only those the script leaves
// unset: the user's WITH always wins) and their sampled schema.
type Binding struct {
	// Decls are the declarations to append (see Text).
	Decls []string
	// Sources are per-source properties for engine.Options.Sources and
	// binder.Options.Sources.
	Sources map[string]map[string]string
	// Streams maps each source name bound to a catalog stream to it.
	Streams map[string]*Stream
	// AllowFile, when set, says which files may be sampled for their
	// schema: a file the caller may not read is not opened at all (its
	// schema stays open, and the caller's policy refuses the query).
	AllowFile func(path string) bool
	// validate makes Resolve ignore files it cannot read: validation
	// checks the SQL, not the machine it runs on.
	validate bool
	declared map[string]bool
}

// Text is src with the binding's declarations appended (src when there
// are none). The break before them ends a trailing line comment, and the
// semicolon a last statement written without one.
func (b *Binding) Text(src string) string {
	if len(b.Decls) == 0 {
		return src
	}
	var sb strings.Builder
	sb.WriteString(src)
	sb.WriteString("\n")
	if !strings.HasSuffix(strings.TrimSpace(stripComment(src)), ";") {
		sb.WriteString(";\n")
	}
	sb.WriteString("-- Declared by the Velostream Studio catalog:\n")
	sb.WriteString(strings.Join(b.Decls, "\n"))
	sb.WriteString("\n")
	return sb.String()
}

// stripComment drops a trailing line comment of src's last line, so that
// `SELECT 1; -- done` counts as ending with a semicolon.
func stripComment(src string) string {
	last := src[strings.LastIndexByte(src, '\n')+1:]
	if i := strings.Index(last, "--"); i >= 0 && !strings.Contains(last[:i], "'") {
		return src[:len(src)-len(last)+i]
	}
	return src
}

// Bind works out how script's sources read catalog streams in mode.
func (c *Catalog) Bind(ctx context.Context, script *ast.Script, mode Mode) *Binding {
	b := &Binding{Sources: map[string]map[string]string{}, Streams: map[string]*Stream{}, declared: map[string]bool{}}
	if script == nil {
		return b
	}
	set := setProps(script)
	for _, st := range script.Statements {
		var sel *ast.SelectStmt
		switch s := st.(type) {
		case *ast.SelectStmt:
			sel = s
		case *ast.CreateAsStmt:
			sel = s.Select
		}
		if sel == nil {
			continue
		}
		ast.Inspect(sel, func(n ast.Node) bool {
			ref, ok := n.(*ast.SourceRef)
			if !ok || ref.Name == nil {
				return true
			}
			c.bindRef(ctx, b, ref, set, mode)
			return false
		})
	}
	return b
}

// bindRef binds one FROM item.
func (c *Catalog) bindRef(ctx context.Context, b *Binding, ref *ast.SourceRef, set scriptProps, mode Mode) {
	name := ref.Name.Name()
	key := strings.ToLower(name)
	user := map[string]string{}
	for k, v := range set.props[key] {
		user[k] = v
	}
	if ref.URI != "" {
		for k, v := range binder.URIProps(ref.URI) {
			if _, ok := user[k]; !ok {
				user[k] = v
			}
		}
	}
	typ := user["type"]
	if typ == "" && user["path"] != "" {
		typ = "file_source"
	}
	if typ == "" && user["topic"] != "" {
		typ = "kafka_source"
	}
	var stream *Stream
	switch {
	case typ == "":
		s, ok, _ := c.Lookup(ctx, name)
		if !ok {
			return
		}
		if !set.declared[key] && (mode.Deploy && s.schema != nil || !s.Inferred) {
			if !b.declared[key] {
				b.declared[key] = true
				b.Decls = append(b.Decls, c.ddl(s, mode))
			}
			return
		}
		stream = s
	case typ == "kafka_source" && set.declared[key]:
		// The user declared it: their columns and time settings stand;
		// only the connection is filled in below.
	case typ == "kafka_source":
		if s := c.declaredByTopic(user["topic"]); s != nil {
			stream = s
		} else if c.cfg.Bootstrap != "" && user["topic"] != "" && user["bootstrap.servers"] == "" {
			if s, ok, _ := c.Lookup(ctx, user["topic"]); ok {
				stream = s
			}
		}
	default:
		return // a file or stdin: nothing of the catalog's
	}
	var defaults map[string]string
	if stream != nil {
		defaults = c.props(stream, mode)
		b.Streams[key] = stream
	} else if typ == "kafka_source" {
		defaults = map[string]string{}
		if c.cfg.Bootstrap != "" {
			defaults["bootstrap.servers"] = c.cfg.Bootstrap
		}
		defaults["start"] = mode.start()
		if mode.Bounded {
			defaults["bounded"] = "true"
		}
	}
	if len(defaults) == 0 {
		return
	}
	add := b.Sources[name]
	for k, v := range defaults {
		if _, mine := user[k]; mine {
			continue
		}
		if add == nil {
			add = map[string]string{}
		}
		add[k] = v
	}
	// A bounded read must end, whatever start the user chose.
	if mode.Bounded {
		if add == nil {
			add = map[string]string{}
		}
		add["bounded"] = "true"
	}
	if add != nil {
		b.Sources[name] = add
	}
}

// props are the connector properties that bind s in mode.
func (c *Catalog) props(s *Stream, mode Mode) map[string]string {
	boot, start := c.cfg.Bootstrap, mode.start()
	if mode.Deploy {
		boot, start = "", ""
	}
	var p map[string]string
	if d, ok := demo.Lookup(s.Name); ok && c.declaredByName(s.Name) != nil {
		p = d.Props(boot, start)
	} else {
		p = map[string]string{"type": "kafka_source", "topic": s.Topic, "format": "json", "idle.timeout": "2s"}
		if start != "" {
			p["start"] = start
		}
		if boot != "" {
			p["bootstrap.servers"] = boot
		}
		if s.TimeField != "" {
			p["event.time.field"] = s.TimeField
			p["watermark.max_out_of_orderness"] = demo.MaxOutOfOrder
		}
	}
	if mode.Bounded && !mode.Deploy {
		p["bounded"] = "true"
		p["start"] = "earliest"
	}
	return p
}

// ddl declares s as mode reads it: its columns (declared, or as sampled)
// and its connector properties.
func (c *Catalog) ddl(s *Stream, mode Mode) string {
	d := demo.Stream{Name: s.Name, Kind: s.kind, Topic: s.Topic, Key: s.Key, TimeField: s.TimeField}
	for _, col := range s.schema {
		d.Columns = append(d.Columns, demo.Column{Name: col.Name, Type: col.Type})
	}
	return d.DDL(c.props(s, mode))
}

// scriptProps is what a script says about its sources: the WITH
// properties it sets per source name (lower case; in its CREATE
// STREAM/TABLE declarations and in the query's WITH, with the `name.`
// prefix removed), and which names it declares.
type scriptProps struct {
	props    map[string]map[string]string
	declared map[string]bool
}

func setProps(script *ast.Script) scriptProps {
	out := scriptProps{props: map[string]map[string]string{}, declared: map[string]bool{}}
	put := func(name, key, value string) {
		name = strings.ToLower(name)
		if out.props[name] == nil {
			out.props[name] = map[string]string{}
		}
		out.props[name][strings.ToLower(key)] = value
	}
	for _, st := range script.Statements {
		switch s := st.(type) {
		case *ast.CreateSourceStmt:
			if s.Name == nil {
				continue
			}
			name := s.Name.Name()
			out.declared[strings.ToLower(name)] = true
			for _, p := range s.With {
				k := p.Key
				if pre, rest, ok := strings.Cut(k, "."); ok && strings.EqualFold(pre, name) {
					k = rest
				}
				put(name, k, p.Value)
			}
		case *ast.SelectStmt:
			withProps(s.With, put)
		case *ast.CreateAsStmt:
			withProps(s.With, put)
			if s.Select != nil {
				withProps(s.Select.With, put)
			}
		}
	}
	return out
}

func withProps(props []ast.Property, put func(name, key, value string)) {
	for _, p := range props {
		if pre, rest, ok := strings.Cut(p.Key, "."); ok {
			put(pre, rest, p.Value)
		}
	}
}

// Resolve gives the engine the schema of each source: a catalog stream's
// columns, or a file's sampled from its first lines. Validation ignores
// files it cannot read (validating SQL does not need the data).
func (b *Binding) Resolve(src *plan.Source) (types.Schema, error) {
	if s, ok := b.Streams[strings.ToLower(src.Name)]; ok && src.Props["topic"] == s.Topic && s.schema != nil {
		return s.schema, nil
	}
	if src.Type == "file_source" && b.AllowFile != nil && !b.AllowFile(src.Props["path"]) {
		return nil, nil
	}
	schema, err := engine.SampleSchema(src)
	if err != nil && b.validate {
		return nil, nil
	}
	return schema, err
}

// ForValidation makes Resolve ignore unreadable files.
func (b *Binding) ForValidation() *Binding { b.validate = true; return b }

// Fix marks the sources bound to declared catalog streams as declared
// rather than sampled, so that the connector decodes their values into the
// declared types (a price is DECIMAL(12,4), not whatever JSON number it
// looks like).
func (b *Binding) Fix(q *plan.Query) {
	if q == nil {
		return
	}
	for _, src := range q.Sources {
		if s, ok := b.Streams[strings.ToLower(src.Name)]; ok && !s.Inferred && src.Props["topic"] == s.Topic {
			src.Inferred = false
		}
	}
}

// Options are the engine options of the binding.
func (b *Binding) Options() engine.Options {
	return engine.Options{Sources: b.Sources, Resolve: b.Resolve}
}
