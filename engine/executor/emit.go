package executor

import (
	"context"
	"sync"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

// Emitter receives the query's result rows. The row is only valid during
// the call: an emitter that keeps it copies it.
type Emitter interface {
	Emit(row types.Row, eventTime int64) error
	Flush(ctx context.Context) error
	Close() error
}

// SinkEmitter encodes rows in a format and writes them to a connector sink
// in batches.
type SinkEmitter struct {
	sink     connectors.Sink
	schema   types.Schema
	format   string
	keyIdx   int // column whose value becomes the record key, -1 for none
	buf      []byte
	recs     []connectors.OutRecord
	batchMax int
	ctx      context.Context
}

// NewSinkEmitter writes rows of schema to sink in format ("json" or "csv").
// keyField names the column that becomes each record's key ("" for none).
func NewSinkEmitter(ctx context.Context, sink connectors.Sink, schema types.Schema, format, keyField string) *SinkEmitter {
	e := &SinkEmitter{sink: sink, schema: schema, format: format, keyIdx: -1, batchMax: 512, ctx: ctx}
	if keyField != "" {
		e.keyIdx = schema.Index(keyField)
	}
	return e
}

func (e *SinkEmitter) Emit(row types.Row, t int64) error {
	e.add(row, t)
	return e.writeIfFull()
}

// add encodes row into the buffer and queues its record.
func (e *SinkEmitter) add(row types.Row, t int64) *connectors.OutRecord {
	start := len(e.buf)
	switch e.format {
	case "csv":
		e.buf = format.AppendCSV(e.buf, row)
	default:
		e.buf = format.AppendJSON(e.buf, e.schema, row)
	}
	rec := connectors.OutRecord{Value: e.buf[start:len(e.buf):len(e.buf)], Time: t}
	if e.keyIdx >= 0 {
		kstart := len(e.buf)
		e.buf = appendKey(e.buf, row[e.keyIdx])
		rec.Key = e.buf[kstart:len(e.buf):len(e.buf)]
	}
	e.recs = append(e.recs, rec)
	return &e.recs[len(e.recs)-1]
}

func (e *SinkEmitter) writeIfFull() error {
	if len(e.recs) >= e.batchMax {
		return e.write(e.ctx)
	}
	return nil
}

// provEmitter is implemented by emitters that keep an input record's key
// and headers on the row it produced (row-by-row queries: a projection of a
// Kafka topic keeps each record's key and copies its headers through).
type provEmitter interface {
	emitFrom(row types.Row, t int64, p *connectors.Provenance) error
}

// emitFrom is Emit for a row made from one input record: without a
// key.field the record's key becomes the row's key, and its headers are
// copied. Both are copied into the emitter's buffer, since the source
// reuses their memory after its next Read.
func (e *SinkEmitter) emitFrom(row types.Row, t int64, p *connectors.Provenance) error {
	rec := e.add(row, t)
	if p != nil {
		if e.keyIdx < 0 && p.Key != nil {
			start := len(e.buf)
			e.buf = append(e.buf, p.Key...)
			rec.Key = e.buf[start:len(e.buf):len(e.buf)]
		}
		if len(p.Headers) > 0 {
			rec.Headers = make([]connectors.Header, len(p.Headers))
			for i, h := range p.Headers {
				start := len(e.buf)
				e.buf = append(e.buf, h.Value...)
				rec.Headers[i] = connectors.Header{Key: h.Key, Value: e.buf[start:len(e.buf):len(e.buf)]}
			}
		}
	}
	return e.writeIfFull()
}

// appendKey renders a key column as bytes: strings as themselves, other
// values as their JSON text.
func appendKey(dst []byte, v types.Value) []byte {
	if v.K == types.KindString {
		return append(dst, v.S...)
	}
	if v.K == types.KindNull {
		return dst
	}
	return format.AppendJSONValue(dst, v)
}

func (e *SinkEmitter) push() error { return e.write(e.ctx) }

// write hands the buffered rows to the sink. Flush passes its own context:
// the run's may be cancelled (Ctrl-C, LIMIT) when the rows are saved.
func (e *SinkEmitter) write(ctx context.Context) error {
	if len(e.recs) == 0 {
		return nil
	}
	err := e.sink.Write(ctx, e.recs)
	e.recs = e.recs[:0]
	e.buf = e.buf[:0]
	return err
}

func (e *SinkEmitter) Flush(ctx context.Context) error {
	if err := e.write(ctx); err != nil {
		return err
	}
	return e.sink.Flush(ctx)
}

func (e *SinkEmitter) Close() error { return e.sink.Close() }

// Collector keeps every emitted row (copied), for tests, the test harness
// and bounded API queries.
type Collector struct {
	mu   sync.Mutex
	Rows []types.Row
}

func (c *Collector) Emit(row types.Row, _ int64) error {
	c.mu.Lock()
	c.Rows = append(c.Rows, append(types.Row(nil), row...))
	c.mu.Unlock()
	return nil
}
func (c *Collector) Flush(context.Context) error { return nil }
func (c *Collector) Close() error                { return nil }

// Snapshot returns a copy of the rows collected so far.
func (c *Collector) Snapshot() []types.Row {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]types.Row(nil), c.Rows...)
}

// FuncEmitter calls F for every row.
type FuncEmitter struct {
	F func(row types.Row, eventTime int64) error
}

func (f FuncEmitter) Emit(row types.Row, t int64) error { return f.F(row, t) }
func (FuncEmitter) Flush(context.Context) error         { return nil }
func (FuncEmitter) Close() error                        { return nil }

// Tee sends every row to each emitter in order.
type Tee []Emitter

func (t Tee) Emit(row types.Row, ts int64) error {
	for _, e := range t {
		if err := e.Emit(row, ts); err != nil {
			return err
		}
	}
	return nil
}

func (t Tee) emitFrom(row types.Row, ts int64, p *connectors.Provenance) error {
	for _, e := range t {
		var err error
		if pe, ok := e.(provEmitter); ok {
			err = pe.emitFrom(row, ts, p)
		} else {
			err = e.Emit(row, ts)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (t Tee) push() error {
	for _, e := range t {
		if p, ok := e.(pusher); ok {
			if err := p.push(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t Tee) Flush(ctx context.Context) error {
	for _, e := range t {
		if err := e.Flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (t Tee) Close() error {
	var first error
	for _, e := range t {
		if err := e.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
