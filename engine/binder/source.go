package binder

import (
	"errors"
	"github.com/velostream/velostream/engine/diag"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// relation is one source in a query's scope.
type relation struct {
	src   *plan.Source
	alias string // name used to qualify columns (alias or source name)
	ref   *ast.SourceRef
	// open is true when the source's columns are unknown until run time:
	// any column name resolves to it, typed ANY.
	open bool
	// offset is the position of this relation's first column in the joined
	// row; fixed once every column is known.
	offset int
	// derived is set for a table defined by CREATE TABLE ... AS SELECT: its
	// columns are exactly its query's output (no provenance columns).
	derived bool
}

// column returns the index in the relation's Columns of name, adding it
// (projection pushdown: only referenced columns are decoded) when the
// relation's full schema has it or the schema is open. -1 when absent.
func (r *relation) column(name string) int {
	if i := r.src.Columns.Index(name); i >= 0 {
		return i
	}
	if r.derived {
		return -1
	}
	if r.src.Declared != nil {
		i := r.src.Declared.Index(name)
		if i < 0 {
			if meta, ok := metaColumns[strings.ToLower(name)]; ok {
				r.src.Columns = append(r.src.Columns, types.Column{Name: strings.ToLower(name), Type: meta})
				return len(r.src.Columns) - 1
			}
			return -1
		}
		r.src.Columns = append(r.src.Columns, r.src.Declared[i])
		return len(r.src.Columns) - 1
	}
	if !r.open {
		return -1
	}
	t := types.Any
	if meta, ok := metaColumns[strings.ToLower(name)]; ok {
		t = meta
		name = strings.ToLower(name)
	}
	r.src.Columns = append(r.src.Columns, types.Column{Name: name, Type: t})
	return len(r.src.Columns) - 1
}

// metaColumns are filled from a record's provenance, not its payload.
var metaColumns = map[string]types.Type{
	"_key":       types.String,
	"_partition": types.Int,
	"_offset":    types.Int,
	"_timestamp": types.Timestamp,
}

// IsMetaColumn reports whether name is a provenance column (_key, _partition,
// _offset, _timestamp).
func IsMetaColumn(name string) bool { _, ok := metaColumns[strings.ToLower(name)]; return ok }

// bindSource resolves a FROM item to a source with its properties.
func (b *binder) bindSource(ref *ast.SourceRef, withProps map[string]map[string]string) *relation {
	name := ref.Name.Name()
	if d, ok := b.derived[strings.ToLower(name)]; ok && ref.URI == "" {
		return b.bindDerivedRef(ref, d, withProps)
	}
	src := &plan.Source{Name: name, Kind: ast.Stream, Props: map[string]string{}, TimeCol: -1, DeletedCol: -1, Pos: ref.Pos()}
	if decl, ok := b.decls[strings.ToLower(name)]; ok {
		b.used[strings.ToLower(name)] = true
		src.Kind = decl.Kind
		for _, p := range decl.With {
			key := strings.ToLower(p.Key)
			if strings.HasPrefix(key, strings.ToLower(name)+".") {
				key = key[len(name)+1:]
			}
			if !knownKey(key) {
				b.hintf(propNode{p}, didYouMean(key), "unknown property %q", p.Key)
				continue
			}
			src.Props[key] = p.Value
		}
		if len(decl.Columns) > 0 {
			for _, c := range decl.Columns {
				t, ok := b.bindTypeName(&c.Type)
				if !ok {
					continue
				}
				src.Declared = append(src.Declared, types.Column{Name: c.Name.Name(), Type: t})
			}
		}
	}
	if ref.URI != "" {
		for k, v := range uriProps(ref.URI) {
			src.Props[k] = v
		}
	}
	for k, v := range withProps[strings.ToLower(name)] {
		src.Props[k] = v
	}
	for n, props := range b.opts.Sources {
		if strings.EqualFold(n, name) {
			for k, v := range props {
				src.Props[k] = v
			}
		}
	}
	src.Type = src.Props["type"]
	if src.Type == "" && src.Props["path"] != "" {
		src.Type = "file_source"
	}
	if src.Type == "" && src.Props["topic"] != "" {
		src.Type = "kafka_source"
	}
	if src.Type == "" && !b.opts.Validate {
		b.hintf(ref, "bind it with WITH ('"+name+".type' = 'file_source', '"+name+".path' = 'data.jsonl'), a CREATE STREAM "+name+" ... WITH (...) declaration, or --source "+name+"=file:PATH",
			"source %q is not bound to any data", name)
	}
	if src.Kind == ast.Table {
		src.KeyField = src.Props["key.field"]
		// A table is rebuilt from its whole changelog on every run: the
		// engine keeps no table state across restarts.
		if src.Type == "kafka_source" && src.Props["start"] == "" {
			src.Props["start"] = "earliest"
		}
	}
	b.bindTimeProps(src, ref)
	rel := &relation{src: src, alias: name, ref: ref}
	if ref.Alias != nil {
		rel.alias = ref.Alias.Name()
	}
	if src.Declared == nil && b.opts.Resolve != nil && src.Type != "" {
		schema, err := b.opts.Resolve(src)
		if err != nil {
			b.errorf(ref, "source %q: %v", name, err)
		}
		src.Declared = schema
		src.Inferred = schema != nil
	}
	rel.open = src.Declared == nil
	return rel
}

// checkDecl reports the problems of a declaration no query reads: unknown
// WITH keys and column types.
func (b *binder) checkDecl(decl *ast.CreateSourceStmt) {
	name := strings.ToLower(decl.Name.Name())
	for _, p := range decl.With {
		key := strings.ToLower(p.Key)
		key = strings.TrimPrefix(key, name+".")
		if !knownKey(key) {
			b.hintf(propNode{p}, didYouMean(key), "unknown property %q", p.Key)
		}
	}
	for _, c := range decl.Columns {
		b.bindTypeName(&c.Type)
	}
}

// bindTimeProps reads the event-time and late-data properties of a source.
func (b *binder) bindTimeProps(src *plan.Source, at ast.Node) {
	switch f := strings.ToLower(src.Props["event.time.format"]); f {
	case "", "epoch_millis", "epoch_seconds", "iso8601":
		src.TimeFormat = f
		// A declared TIMESTAMP column is decoded in the same format.
		if f != "" && src.Props["time_format"] == "" {
			src.Props["time_format"] = f
		}
	default:
		b.hintf(at, "use 'epoch_millis', 'epoch_seconds' or 'iso8601'", "source %q: unknown event.time.format %q", src.Name, f)
	}
	if s := src.Props["watermark.max_out_of_orderness"]; s != "" {
		ms, err := ParseDuration(s)
		if err != nil || ms < 0 {
			b.hintf(at, "write a duration such as '5s', '500ms' or '1 minute'", "source %q: bad watermark.max_out_of_orderness %q", src.Name, s)
		}
		src.MaxOutOfOrder = ms
	}
	switch s := strings.ToLower(src.Props["late.data.strategy"]); s {
	case "", "drop":
	case "dead_letter":
		src.LateToDLQ = true
	default:
		b.hintf(at, "use 'drop' or 'dead_letter'", "source %q: unknown late.data.strategy %q", src.Name, s)
	}
	if t := src.Props["dlq.topic"]; t != "" && src.Props["dlq.path"] == "" {
		// Dead letters of a Kafka source go to a topic on the same
		// cluster, reached the same way.
		props := map[string]string{"topic": t}
		for _, k := range []string{"bootstrap.servers", "security.protocol", "sasl.mechanism", "sasl.username", "sasl.password",
			"tls.ca.file", "tls.cert.file", "tls.key.file", "tls.insecure.skip.verify"} {
			if v, ok := src.Props[k]; ok {
				props[k] = v
			}
		}
		src.DLQ = &plan.Sink{Name: src.Name + "_dlq", Type: "kafka_sink", Props: props, Format: "json"}
		if src.Props["late.data.strategy"] == "" {
			src.LateToDLQ = true
		}
	}
	if p := src.Props["dlq.path"]; p != "" {
		// Dead letters are JSON objects whatever the file is called.
		src.DLQ = &plan.Sink{Name: src.Name + "_dlq", Type: "file_sink", Props: map[string]string{"path": p, "append": "true", "format": "json"}, Format: "json"}
		// Late records go to the dead-letter sink where one is set, unless
		// the strategy says drop.
		if src.Props["late.data.strategy"] == "" {
			src.LateToDLQ = true
		}
	}
}

func didYouMean(key string) string {
	if s := suggestKey(key); s != "" {
		return "did you mean '" + s + "'?"
	}
	return ""
}

// uriProps turns a FROM/--source/--sink URI into connector properties:
// file:PATH, a bare path, '-' (standard input/output) and
// kafka://HOST:PORT/TOPIC?group=G&format=json.
func uriProps(uri string) map[string]string {
	props := map[string]string{}
	switch {
	case uri == "-":
		props["type"] = "stdin"
	case strings.HasPrefix(uri, "kafka://"):
		u, err := url.Parse(uri)
		if err != nil {
			props["type"] = "kafka_source"
			props["topic"] = strings.TrimPrefix(uri, "kafka://")
			return props
		}
		props["type"] = "kafka_source"
		topic := strings.Trim(u.Path, "/")
		if topic == "" { // kafka://trades: the host part is the topic
			topic = u.Host
		} else {
			props["bootstrap.servers"] = u.Host
		}
		props["topic"] = topic
		for k, vs := range u.Query() {
			if len(vs) == 0 {
				continue
			}
			switch k {
			case "group":
				props["group.id"] = vs[0]
			default:
				props[k] = vs[0]
			}
		}
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(uri, "file://"), "file:")
		props["type"] = "file_source"
		props["path"] = path
		switch strings.ToLower(filepath.Ext(path)) {
		case ".csv":
			props["format"] = "csv"
		default:
			props["format"] = "json"
		}
	}
	return props
}

// URIProps is uriProps for the CLI's --source and --sink flags.
func URIProps(uri string) map[string]string { return uriProps(uri) }

// ParseDuration parses the dialect's written durations: '5s', '500ms', '5m',
// '1h', '1d', '5 seconds', '1 minute', '2 HOURS', or Go's forms like '1m30s'.
// It returns milliseconds.
func ParseDuration(s string) (int64, error) {
	s = strings.TrimSpace(s)
	fields := strings.Fields(s)
	if len(fields) == 2 {
		n, err := parseInt(fields[0])
		if err != nil {
			return 0, err
		}
		unit, ok := unitMillis(fields[1])
		if !ok {
			return 0, errBadDuration
		}
		return n * unit, nil
	}
	lower := strings.ToLower(s)
	if strings.HasSuffix(lower, "d") {
		n, err := parseInt(strings.TrimSuffix(lower, "d"))
		if err == nil {
			return n * 86400000, nil
		}
	}
	d, err := time.ParseDuration(lower)
	if err != nil {
		if n, err2 := parseInt(lower); err2 == nil { // a bare number is milliseconds
			return n, nil
		}
		return 0, errBadDuration
	}
	return d.Milliseconds(), nil
}

var durationUnits = map[string]int64{
	"ms": 1, "milli": 1, "millis": 1, "millisecond": 1, "milliseconds": 1,
	"s": 1000, "sec": 1000, "secs": 1000, "second": 1000, "seconds": 1000,
	"m": 60000, "min": 60000, "mins": 60000, "minute": 60000, "minutes": 60000,
	"h": 3600000, "hr": 3600000, "hrs": 3600000, "hour": 3600000, "hours": 3600000,
	"d": 86400000, "day": 86400000, "days": 86400000,
}

func unitMillis(u string) (int64, bool) {
	ms, ok := durationUnits[strings.ToLower(u)]
	return ms, ok
}

var errBadDuration = errors.New("bad duration")

func parseInt(s string) (int64, error) { return strconv.ParseInt(strings.TrimSpace(s), 10, 64) }

func suggestKey(key string) string { return diag.Suggest(key, propertyKeys) }
