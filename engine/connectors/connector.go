// Package connectors defines how the engine reads and writes data: a Source
// yields batches of decoded records with their provenance, a Sink takes
// encoded result rows. Implementations live in sub-packages (file, stdio,
// kafka) and register a factory by type name ('file_source', 'kafka_sink').
//
// The contract is small on purpose (like benthos' Input): Read returns a
// batch or io.EOF at the end of a bounded input; Ack tells the source that
// every effect of the records up to a position is durable, so that a
// replayable source (Kafka) may commit.
package connectors

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/velostream/velostream/engine/types"
)

// ErrEndOfInput is returned (wrapped or as io.EOF) when a bounded source is exhausted.
var ErrEndOfInput = errors.New("end of input")

// Provenance says where a record came from, so that errors and dead letters
// can point at it.
type Provenance struct {
	Source    string // source name as bound in the query
	Line      int64  // 1-based line for line-oriented files; 0 otherwise
	Offset    int64  // byte offset in a file, or the Kafka offset
	Partition int32  // Kafka partition; 0 for files
	Timestamp int64  // Kafka record timestamp in ms; 0 when unknown
	Key       []byte
	Headers   []Header
}

// Header is a Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one decoded input record.
type Record struct {
	Row  types.Row
	Prov Provenance
}

// BadRecord is input that could not be decoded. It is never dropped: the
// executor counts it, reports it and sends it to the dead-letter sink.
type BadRecord struct {
	Raw  []byte
	Prov Provenance
	Err  error // carries the position inside the record when known
}

// Batch is what one Read returns. Records and Bad keep input order within
// each slice; Partition-level ordering is by Prov.
type Batch struct {
	Records []Record
	Bad     []BadRecord
	// Idle lists partitions that have had no data for the source's idle
	// timeout, so the watermark stops waiting for them.
	Idle []int32
	// Pending lists partitions that hold records to read but have not
	// delivered any yet (a Kafka source's newly assigned partitions): the
	// watermark waits for them as for a partition with data, until their
	// first record arrives or they are reported Idle. Without this, the
	// first partition to deliver would set the watermark alone and the
	// others' early records would be late.
	Pending []int32
}

// Source reads records. Read blocks until data is available, ctx is done, or
// the input ends (ErrEndOfInput). Rows in a batch may be reused by the source
// after the next Read: operators copy what they keep.
type Source interface {
	Schema() types.Schema
	Read(ctx context.Context) (Batch, error)
	// Ack marks everything read so far whose effects are durable; replayable
	// sources commit it. Sources that cannot replay ignore it.
	Ack(ctx context.Context, upTo []Provenance) error
	Close() error
}

// Committer is implemented by replayable sources (Kafka). The executor
// calls Commit once every effect of the records before offsets[p] (exclusive)
// of each partition p is durable: every window they fell in has been emitted
// and the sink has acknowledged that output (or the record was
// dead-lettered). meta travels with the commit (the executor stores its
// watermark there) and is handed back by Restored after a restart, so that
// re-read records of windows already emitted are recognised and skipped.
type Committer interface {
	Commit(ctx context.Context, offsets map[int32]int64, meta []byte) error
	// Restored returns the meta of the commit the source resumed from, or
	// nil when it starts without one. Valid once the first Read returned.
	Restored() []byte
}

// Lagger is implemented by sources that know how far behind the end of
// their input they are (Kafka consumer lag per partition), for metrics.
type Lagger interface {
	Lag() map[int32]int64
}

// OutRecord is an encoded result row to write.
type OutRecord struct {
	Key     []byte
	Value   []byte
	Headers []Header
	Time    int64 // event time (ms) of the result, e.g. its window end
}

// Sink writes result records. Flush returns once every record written so
// far is durable (acknowledged by the broker, written to the file).
type Sink interface {
	Write(ctx context.Context, recs []OutRecord) error
	Flush(ctx context.Context) error
	Close() error
}

// Config is the resolved configuration of one source or sink: its WITH
// properties with the `<name>.` prefix removed ('type', 'path', 'format', ...).
type Config struct {
	Name   string
	Props  map[string]string
	Schema types.Schema // declared or inferred columns wanted from the data
}

// Get returns a property or def.
func (c Config) Get(key, def string) string {
	if v, ok := c.Props[key]; ok {
		return v
	}
	return def
}

// SourceFactory opens a source of one type.
type SourceFactory func(ctx context.Context, cfg Config) (Source, error)

// SinkFactory opens a sink of one type.
type SinkFactory func(ctx context.Context, cfg Config) (Sink, error)

var (
	mu      sync.RWMutex
	sources = map[string]SourceFactory{}
	sinks   = map[string]SinkFactory{}
)

// RegisterSource makes a source type available; sub-packages call it from init.
func RegisterSource(typ string, f SourceFactory) { mu.Lock(); sources[typ] = f; mu.Unlock() }

// RegisterSink makes a sink type available; sub-packages call it from init.
func RegisterSink(typ string, f SinkFactory) { mu.Lock(); sinks[typ] = f; mu.Unlock() }

// OpenSource opens a source of the given type.
func OpenSource(ctx context.Context, typ string, cfg Config) (Source, error) {
	mu.RLock()
	f, ok := sources[typ]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown source type %q (known: %v)", typ, SourceTypes())
	}
	return f(ctx, cfg)
}

// OpenSink opens a sink of the given type.
func OpenSink(ctx context.Context, typ string, cfg Config) (Sink, error) {
	mu.RLock()
	f, ok := sinks[typ]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown sink type %q (known: %v)", typ, SinkTypes())
	}
	return f(ctx, cfg)
}

// SourceTypes lists the registered source types, sorted.
func SourceTypes() []string { return keys(sources) }

// SinkTypes lists the registered sink types, sorted.
func SinkTypes() []string { return keys(sinks) }

func keys[V any](m map[string]V) []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
