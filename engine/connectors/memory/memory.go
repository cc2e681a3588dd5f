// Package memory is a source that serves rows already in memory: the test
// harness feeds generated records through it, and benchmarks use it to
// measure the engine without decoding. Rows are served in batches in their
// order, with 1-based line numbers as provenance, then the input ends.
package memory

import (
	"context"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/types"
)

// Source serves a fixed slice of rows.
type Source struct {
	name   string
	schema types.Schema
	rows   []types.Row
	batch  int
	pos    int
	recs   []connectors.Record
}

// NewSource serves rows (in schema's layout) batchSize at a time.
func NewSource(name string, schema types.Schema, rows []types.Row, batchSize int) *Source {
	if batchSize <= 0 {
		batchSize = 4096
	}
	return &Source{name: name, schema: schema, rows: rows, batch: batchSize}
}

func (s *Source) Schema() types.Schema { return s.schema }

// Read returns the next batch, or connectors.ErrEndOfInput.
func (s *Source) Read(ctx context.Context) (connectors.Batch, error) {
	if err := ctx.Err(); err != nil {
		return connectors.Batch{}, err
	}
	if s.pos >= len(s.rows) {
		return connectors.Batch{}, connectors.ErrEndOfInput
	}
	end := min(s.pos+s.batch, len(s.rows))
	s.recs = s.recs[:0]
	for i := s.pos; i < end; i++ {
		s.recs = append(s.recs, connectors.Record{Row: s.rows[i], Prov: connectors.Provenance{Source: s.name, Line: int64(i + 1)}})
	}
	s.pos = end
	return connectors.Batch{Records: s.recs}, nil
}

func (s *Source) Ack(context.Context, []connectors.Provenance) error { return nil }
func (s *Source) Close() error                                       { return nil }

// Reset serves the rows again from the start.
func (s *Source) Reset() { s.pos = 0 }
