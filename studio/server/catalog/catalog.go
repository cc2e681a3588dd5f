// Package catalog is what the Studio knows about the data a user can query:
// the streams and tables with their schemas, and how SQL that names them
// without binding them is bound to them. `SELECT * FROM trades` typed into a
// notebook has no WITH clause; the catalog supplies the Kafka topic, the
// broker and the event-time column, and types the columns.
//
// Takes: declared streams (the demo's, or none) and, optionally, a Kafka
// cluster whose other topics are discovered and whose schemas are sampled
// from their data. Gives: the stream listing (Streams, Lookup, Topics) and
// the engine options that bind a script's sources (Bind), used by every
// place the Studio validates, compiles or runs SQL.
package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/kafka"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

// Column is one column of a stream.
type Column struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
}

// Stream is a stream or table the Studio can query.
type Stream struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"` // "stream" or "table"
	Description string   `json:"description,omitempty"`
	Columns     []Column `json:"columns"`
	Topic       string   `json:"topic,omitempty"`
	// Key is the record key column (a table's primary key).
	Key string `json:"key,omitempty"`
	// TimeField is the event-time column; "" means processing time.
	TimeField string `json:"time_field,omitempty"`
	// Inferred is true when the columns were sampled from the data rather
	// than declared.
	Inferred bool `json:"inferred"`
	// SchemaError says why no schema could be sampled (an empty topic,
	// values that are not JSON); Columns is then empty.
	SchemaError string `json:"schema_error,omitempty"`

	schema types.Schema
	kind   ast.RelationKind
}

// Schema is the stream's columns as the engine types them.
func (s *Stream) Schema() types.Schema { return s.schema }

// Topic is a Kafka topic of the configured cluster.
type Topic struct {
	Name       string `json:"name"`
	Partitions int    `json:"partitions"`
	// Stream is the catalog stream reading the topic, if any.
	Stream string `json:"stream,omitempty"`
}

// ErrNoKafka is returned by Topics when no Kafka cluster is configured.
var ErrNoKafka = errors.New("no Kafka cluster is configured (start the Studio with --demo or --kafka)")

// Config configures a Catalog.
type Config struct {
	// Streams are declared streams with exact schemas (demo.Catalog()).
	Streams []demo.Stream
	// Bootstrap is the Kafka cluster's host:port list; "" for none. Kafka
	// sources the SQL leaves without bootstrap.servers get it, and its
	// topics that are not declared streams are listed with sampled schemas.
	Bootstrap string
	// SampleSize is how many records of a topic are read to infer its
	// schema (default 100); SampleTimeout bounds that read (default 3s).
	SampleSize    int
	SampleTimeout time.Duration
	// SchemaTTL is how long a sampled schema is reused (default 1 minute).
	SchemaTTL time.Duration
	Logger    *slog.Logger
	Now       func() time.Time
}

// Catalog lists streams and binds SQL to them. It is safe for concurrent use.
type Catalog struct {
	cfg      Config
	declared []*Stream
	log      *slog.Logger

	mu      sync.Mutex
	sampled map[string]sampledSchema // by topic
	// topics caches the cluster's topic list briefly: validation asks for
	// it on every keystroke that names an unknown source.
	topics   []Topic
	topicsAt time.Time
}

// topicsTTL is how long a topic listing is reused.
const topicsTTL = 3 * time.Second

type sampledSchema struct {
	stream *Stream
	at     time.Time
}

// New builds a catalog.
func New(cfg Config) *Catalog {
	if cfg.SampleSize <= 0 {
		cfg.SampleSize = 100
	}
	if cfg.SampleTimeout <= 0 {
		cfg.SampleTimeout = 3 * time.Second
	}
	if cfg.SchemaTTL <= 0 {
		cfg.SchemaTTL = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{cfg: cfg, log: log, sampled: map[string]sampledSchema{}}
	for _, d := range cfg.Streams {
		c.declared = append(c.declared, fromDemo(d))
	}
	return c
}

func fromDemo(d demo.Stream) *Stream {
	s := &Stream{Name: d.Name, Kind: "stream", Description: d.Description, Topic: d.Topic, Key: d.Key,
		TimeField: d.TimeField, schema: d.Schema(), kind: d.Kind}
	if d.IsTable() {
		s.Kind = "table"
	}
	for _, c := range d.Columns {
		s.Columns = append(s.Columns, Column{Name: c.Name, Type: c.Type.String(), Description: c.Description})
	}
	return s
}

// Bootstrap is the configured Kafka cluster ("" for none).
func (c *Catalog) Bootstrap() string { return c.cfg.Bootstrap }

// Streams lists the declared streams, then the cluster's other topics
// (internal topics left out) with schemas sampled from their data.
func (c *Catalog) Streams(ctx context.Context) ([]Stream, error) {
	out := make([]Stream, 0, len(c.declared))
	for _, s := range c.declared {
		out = append(out, *s)
	}
	if c.cfg.Bootstrap == "" {
		return out, nil
	}
	topics, err := c.Topics(ctx)
	if err != nil {
		return out, err
	}
	for _, t := range topics {
		if t.Stream != "" {
			continue
		}
		s := c.sample(ctx, t.Name)
		out = append(out, *s)
	}
	return out, nil
}

// Lookup returns the stream called name (case-insensitive): a declared
// stream, or a topic of the cluster. ok is false when there is none.
func (c *Catalog) Lookup(ctx context.Context, name string) (*Stream, bool, error) {
	if s := c.declaredByName(name); s != nil {
		cp := *s
		return &cp, true, nil
	}
	if c.cfg.Bootstrap == "" {
		return nil, false, nil
	}
	topics, err := c.Topics(ctx)
	if err != nil {
		return nil, false, err
	}
	for _, t := range topics {
		if t.Stream == "" && t.Name == name {
			cp := *c.sample(ctx, t.Name)
			return &cp, true, nil
		}
	}
	return nil, false, nil
}

func (c *Catalog) declaredByName(name string) *Stream {
	for _, s := range c.declared {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

func (c *Catalog) declaredByTopic(topic string) *Stream {
	for _, s := range c.declared {
		if s.Topic == topic {
			return s
		}
	}
	return nil
}

// Topics lists the cluster's topics, sorted by name.
func (c *Catalog) Topics(ctx context.Context) ([]Topic, error) {
	if c.cfg.Bootstrap == "" {
		return nil, ErrNoKafka
	}
	c.mu.Lock()
	if c.topics != nil && c.cfg.Now().Sub(c.topicsAt) < topicsTTL {
		out := slices.Clone(c.topics)
		c.mu.Unlock()
		return out, nil
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs := strings.Split(c.cfg.Bootstrap, ",")
	// A transport of our own: the shared default caches metadata for
	// seconds, which would hide a topic created a moment ago.
	tr := &kafkago.Transport{DialTimeout: 3 * time.Second, MetadataTTL: time.Second}
	defer tr.CloseIdleConnections()
	cl := &kafkago.Client{Addr: kafkago.TCP(addrs...), Transport: tr, Timeout: 5 * time.Second}
	md, err := cl.Metadata(ctx, &kafkago.MetadataRequest{Addr: addr(addrs[0])})
	if err != nil {
		return nil, fmt.Errorf("listing topics on %s: %w", c.cfg.Bootstrap, err)
	}
	var out []Topic
	for _, t := range md.Topics {
		if t.Internal || strings.HasPrefix(t.Name, "__") || t.Error != nil {
			continue
		}
		tp := Topic{Name: t.Name, Partitions: len(t.Partitions)}
		if s := c.declaredByTopic(t.Name); s != nil {
			tp.Stream = s.Name
		}
		out = append(out, tp)
	}
	slices.SortFunc(out, func(a, b Topic) int { return strings.Compare(a.Name, b.Name) })
	if out == nil {
		out = []Topic{}
	}
	c.mu.Lock()
	c.topics, c.topicsAt = slices.Clone(out), c.cfg.Now()
	c.mu.Unlock()
	return out, nil
}

func addr(hostport string) net.Addr { return kafkago.TCP(strings.TrimSpace(hostport)) }

// sample infers a topic's schema from its first records (cached).
func (c *Catalog) sample(ctx context.Context, topic string) *Stream {
	c.mu.Lock()
	if s, ok := c.sampled[topic]; ok && c.cfg.Now().Sub(s.at) < c.cfg.SchemaTTL {
		c.mu.Unlock()
		return s.stream
	}
	c.mu.Unlock()
	s := &Stream{Name: topic, Kind: "stream", Topic: topic, Inferred: true, kind: ast.Stream,
		Description: "Kafka topic " + topic + " (schema sampled from its records)"}
	lines, err := c.readSample(ctx, topic)
	switch {
	case err != nil:
		s.SchemaError = err.Error()
	case len(lines) == 0:
		s.SchemaError = "the topic has no records to infer a schema from"
	default:
		schema, err := format.InferSchema("json", lines)
		if err != nil {
			s.SchemaError = fmt.Sprintf("its records are not JSON objects: %v", err)
			break
		}
		timestamps(schema, lines)
		s.schema = schema
		for _, col := range schema {
			s.Columns = append(s.Columns, Column{Name: col.Name, Type: col.Type.String()})
			if s.TimeField == "" && col.Type.Kind == types.KindTimestamp {
				s.TimeField = col.Name
			}
		}
	}
	c.mu.Lock()
	c.sampled[topic] = sampledSchema{stream: s, at: c.cfg.Now()}
	c.mu.Unlock()
	return s
}

// timestamps retypes the STRING columns whose every sampled value is an
// RFC 3339 time as TIMESTAMP: JSON has no time type, and a stream's event
// time is usually such a string. The first becomes the time field.
func timestamps(schema types.Schema, lines [][]byte) {
	for i, c := range schema {
		if c.Type.Kind != types.KindString {
			continue
		}
		seen, all := 0, true
		for _, l := range lines {
			var rec map[string]any
			if json.Unmarshal(l, &rec) != nil {
				continue
			}
			v, ok := rec[c.Name].(string)
			if !ok {
				continue
			}
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				all = false
				break
			}
			seen++
		}
		if all && seen > 0 {
			schema[i].Type = types.Timestamp
		}
	}
}

// readSample reads up to SampleSize record values from the start of topic
// with the engine's own Kafka source (raw text values).
func (c *Catalog) readSample(ctx context.Context, topic string) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.SampleTimeout)
	defer cancel()
	src, err := kafka.OpenSource(ctx, connectors.Config{
		Name: topic,
		Props: map[string]string{"topic": topic, "bootstrap.servers": c.cfg.Bootstrap, "format": "raw",
			"value.field": "value", "start": "earliest", "bounded": "true"},
		Schema: types.Schema{{Name: "value", Type: types.String}},
	}, kafka.Options{Logger: c.log})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var lines [][]byte
	for len(lines) < c.cfg.SampleSize {
		b, err := src.Read(ctx)
		if err != nil {
			if errors.Is(err, connectors.ErrEndOfInput) || errors.Is(err, context.DeadlineExceeded) {
				break
			}
			return lines, err
		}
		for _, r := range b.Records {
			if len(lines) < c.cfg.SampleSize && len(r.Row) > 0 && !r.Row[0].IsNull() {
				lines = append(lines, []byte(r.Row[0].S))
			}
		}
	}
	return lines, nil
}
