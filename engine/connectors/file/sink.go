package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/format"
)

// WriterOptions says how NewWriterSink treats its writer.
type WriterOptions struct {
	// Format is used when the config has no 'format' property.
	Format string
	// Header writes the CSV header (from cfg.Schema) first.
	Header bool
	// Sync makes flushed data durable (the file's fsync); nil skips it.
	Sync func() error
	// Closer is closed by Close; nil leaves the writer open.
	Closer io.Closer
}

// Sink writes each record's Value and a '\n' through a buffer. The Values
// are already encoded (format.AppendJSON or format.AppendCSV); for CSV the
// sink writes the header line itself.
type Sink struct {
	name   string
	w      *bufio.Writer
	sync   func() error
	closer io.Closer
	closed bool
}

// NewWriterSink returns a sink writing to w.
func NewWriterSink(w io.Writer, cfg connectors.Config, opts WriterOptions) (*Sink, error) {
	f, err := formatOf(cfg, opts.Format)
	if err != nil {
		return nil, err
	}
	s := &Sink{name: cfg.Name, w: bufio.NewWriterSize(w, 256<<10), sync: opts.Sync, closer: opts.Closer}
	if f == "csv" && opts.Header {
		if len(cfg.Schema) == 0 {
			return nil, fmt.Errorf("%s: a CSV sink needs the result columns (an empty schema has no header)", cfg.Name)
		}
		s.w.Write(format.AppendCSVHeader(nil, cfg.Schema))
		s.w.WriteByte('\n')
	}
	return s, nil
}

// Write buffers the records; Flush makes them durable.
func (s *Sink) Write(ctx context.Context, recs []connectors.OutRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed {
		return fmt.Errorf("%s: write after close", s.name)
	}
	for i := range recs {
		s.w.Write(recs[i].Value)
		if err := s.w.WriteByte('\n'); err != nil {
			return fmt.Errorf("%s: write: %w", s.name, err)
		}
	}
	return nil
}

// Flush writes out the buffer and syncs the file.
func (s *Sink) Flush(ctx context.Context) error {
	if s.closed {
		return fmt.Errorf("%s: flush after close", s.name)
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("%s: write: %w", s.name, err)
	}
	if s.sync != nil {
		if err := s.sync(); err != nil {
			return fmt.Errorf("%s: sync: %w", s.name, err)
		}
	}
	return nil
}

// Close flushes and closes; a second Close does nothing.
func (s *Sink) Close() error {
	if s.closed {
		return nil
	}
	err := s.Flush(context.Background())
	s.closed = true
	if s.closer != nil {
		err = errors.Join(err, s.closer.Close())
	}
	return err
}
