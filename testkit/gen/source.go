package gen

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/types"
)

// Source serves n generated records to the engine in batches, laid out as
// the query reads them (the plan source's Columns), with 1-based record
// numbers as provenance lines. Rows are reused between batches, as the
// connector contract allows.
type Source struct {
	name    string
	g       *Generator
	n       int64
	columns types.Schema
	proj    []int // per column: the generator field, or -1 (metadata column)
	ident   bool  // columns are exactly the generator's fields
	batch   int
	full    types.Row
	rows    []types.Row
	recs    []connectors.Record
	// progress counts records served (for a progress bar).
	progress *atomic.Int64
	genNanos atomic.Int64
}

// NewSource serves n records of g as columns (names resolved in g's schema,
// case-insensitively; provenance columns such as _key are left NULL for the
// executor to fill). A column the schema lacks is an error.
func NewSource(name string, g *Generator, n int64, columns types.Schema, batch int, progress *atomic.Int64) (*Source, error) {
	if batch <= 0 {
		batch = 4096
	}
	fields := g.Schema()
	s := &Source{name: name, g: g, n: n, columns: columns, batch: batch, progress: progress}
	s.ident = len(columns) == len(fields)
	for i, c := range columns {
		j := fields.Index(c.Name)
		// Provenance columns and a table's _deleted marker are not data:
		// they stay NULL (a generated table never deletes a key).
		if j < 0 && !binder.IsMetaColumn(c.Name) && !strings.EqualFold(c.Name, "_deleted") {
			return nil, fmt.Errorf("source %s: the query reads column %q, which its schema does not define", name, c.Name)
		}
		s.proj = append(s.proj, j)
		if j != i {
			s.ident = false
		}
	}
	s.full = make(types.Row, len(fields))
	width := len(columns)
	slab := make([]types.Value, batch*width)
	s.rows = make([]types.Row, batch)
	for i := range s.rows {
		s.rows[i] = slab[i*width : (i+1)*width : (i+1)*width]
	}
	s.recs = make([]connectors.Record, 0, batch)
	return s, nil
}

func (s *Source) Schema() types.Schema { return s.columns }

// Read generates the next batch, or returns connectors.ErrEndOfInput.
func (s *Source) Read(ctx context.Context) (connectors.Batch, error) {
	if err := ctx.Err(); err != nil {
		return connectors.Batch{}, err
	}
	done := s.g.Index()
	if done >= s.n {
		return connectors.Batch{}, connectors.ErrEndOfInput
	}
	start := time.Now()
	k := int(min(int64(s.batch), s.n-done))
	s.recs = s.recs[:0]
	for i := 0; i < k; i++ {
		row := s.rows[i]
		if s.ident {
			s.g.Next(row)
		} else {
			s.g.Next(s.full)
			for c, j := range s.proj {
				if j >= 0 {
					row[c] = s.full[j]
				} else {
					row[c] = types.Value{}
				}
			}
		}
		s.recs = append(s.recs, connectors.Record{Row: row, Prov: connectors.Provenance{Source: s.name, Line: done + int64(i) + 1}})
	}
	s.genNanos.Add(time.Since(start).Nanoseconds())
	if s.progress != nil {
		s.progress.Add(int64(k))
	}
	return connectors.Batch{Records: s.recs}, nil
}

// GenTime is the time spent generating so far.
func (s *Source) GenTime() time.Duration { return time.Duration(s.genNanos.Load()) }

func (s *Source) Ack(context.Context, []connectors.Provenance) error { return nil }
func (s *Source) Close() error                                       { return nil }
