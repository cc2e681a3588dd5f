package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

const (
	// DefaultBatchSize is how many records one Read returns at most.
	DefaultBatchSize = 4096
	// sampleLines and sampleBytes bound the sample a schema is inferred from.
	sampleLines = 100
	sampleBytes = 4 << 20
	// samplePause: an interruptible input (stdin) that has sent some lines
	// and then pauses this long is sampled as it is, so a slow producer does
	// not hold the query back until 100 lines have arrived.
	samplePause = 100 * time.Millisecond
)

// ReaderOptions says how NewReaderSource treats its reader.
type ReaderOptions struct {
	// Format is used when the config has no 'format' property.
	Format string
	// Interruptible reads in a goroutine so that a Read blocked on a pipe
	// or terminal returns when its context ends (stdin). Files need not.
	Interruptible bool
	// Closer is closed by Close (the opened file); nil leaves the reader open.
	Closer io.Closer
}

// Source reads line-oriented records (JSON lines or CSV with a header) from
// a byte stream and decodes them in batches.
//
// Reuse rule: the rows of a Batch are slices of one backing array that the
// next Read overwrites, and the Records and Bad slices are reused too;
// callers copy what they keep past the next Read. Strings inside rows are
// ordinary Go strings and stay valid.
type Source struct {
	name   string
	format string
	schema types.Schema
	in     *input
	async  *asyncReader
	closer io.Closer
	batch  int
	width  int
	vals   []types.Value
	recs   []connectors.Record
	bad    []connectors.BadRecord
	done   bool
	failed error // a CSV source that lost its place stays failed

	fields []format.Field
	comma  rune
	json   *format.JSONDecoder

	csvR     *csv.Reader
	csvBuf   *bufio.Reader
	csvDec   *format.CSVDecoder
	csvBase  int64 // stream offset where the csv.Reader began (after a byte order mark)
	csvOff   int64 // stream offset where the next CSV record starts
	lastLine int   // line of the last CSV record read, for errors
}

// NewReaderSource opens a source over r. cfg.Props may hold 'format'
// (json or csv), 'time_format' (epoch_millis, epoch_seconds, iso8601; for
// every TIMESTAMP column), 'required' (comma-separated column names),
// 'batch_size' and, for CSV, 'delimiter' (one character). With an empty
// cfg.Schema the schema is inferred from the first 100 lines; this reads
// them now, so opening blocks until they (or the end of input) arrive.
func NewReaderSource(ctx context.Context, r io.Reader, cfg connectors.Config, opts ReaderOptions) (*Source, error) {
	s := &Source{name: cfg.Name, closer: opts.Closer}
	fail := func(err error) (*Source, error) {
		s.Close()
		return nil, err
	}
	var err error
	if s.format, err = formatOf(cfg, opts.Format); err != nil {
		return fail(err)
	}
	if s.batch, err = intProp(cfg, "batch_size", DefaultBatchSize, 1, 1<<20); err != nil {
		return fail(err)
	}
	src := r
	if opts.Interruptible {
		s.async = newAsyncReader(r)
		src = s.async
	}
	s.in = newInput(src, MaxLineBytes)
	if s.async != nil {
		s.async.in = s.in
	}
	comma, err := delimiter(cfg)
	if err != nil {
		return fail(err)
	}
	s.comma = comma
	s.schema = cfg.Schema
	if len(s.schema) == 0 {
		sample, err := s.sample(ctx, opts.Interruptible)
		if err != nil {
			return fail(err)
		}
		if s.format == "csv" {
			s.schema, err = format.InferCSVSchema(sample, comma)
		} else {
			s.schema, err = format.InferSchema(s.format, sample)
		}
		if err != nil {
			return fail(err)
		}
	}
	fields, err := fieldsFor(cfg, s.schema)
	if err != nil {
		return fail(err)
	}
	s.fields = fields
	s.width = len(fields)
	s.vals = make([]types.Value, s.batch*s.width)
	s.recs = make([]connectors.Record, 0, s.batch)
	if s.format == "json" {
		s.json = format.NewJSONDecoder(fields)
	}
	return s, nil
}

// sample buffers the first lines (without consuming them) and returns
// them; they are views of the input buffer, used before the next fill.
// Only a source that infers its schema samples: with a declared schema,
// opening does not wait for input.
func (s *Source) sample(ctx context.Context, pause bool) ([][]byte, error) {
	in := s.in
	want := sampleLines
	if s.format == "csv" {
		want++ // the header
	}
	for {
		data := in.buf[in.start:in.end]
		nl := bytes.Count(data, []byte{'\n'})
		if in.eof || nl >= want || len(data) >= sampleBytes {
			break
		}
		if pause && nl > 0 {
			pctx, cancel := context.WithTimeout(ctx, samplePause)
			err := in.fill(pctx)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				break // the producer paused: sample what came
			}
			if err != nil {
				return nil, s.wrap(err)
			}
			continue
		}
		if err := in.fill(ctx); err != nil {
			return nil, s.wrap(err)
		}
	}
	data := in.buf[in.start:in.end]
	var lines [][]byte
	for len(lines) < want {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if in.eof && len(data) > 0 {
				lines = append(lines, trimCR(data))
			}
			break
		}
		lines = append(lines, trimCR(data[:i]))
		data = data[i+1:]
	}
	return lines, nil
}

// delimiter returns the CSV 'delimiter' property (default ',').
func delimiter(cfg connectors.Config) (rune, error) {
	d := cfg.Get("delimiter", ",")
	r := []rune(d)
	if len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' || r[0] == 0xFFFD {
		return 0, fmt.Errorf("%s: 'delimiter' must be one character other than a quote or line break, got %q", cfg.Name, d)
	}
	return r[0], nil
}

// openCSV reads the header, at the first Read (so that opening a stdin
// source does not wait for input).
func (s *Source) openCSV(ctx context.Context) error {
	for !s.in.bomDone && !s.in.eof {
		if err := s.in.fill(ctx); err != nil {
			return s.wrap(err)
		}
	}
	s.in.checkBOM()
	s.csvBuf = bufio.NewReaderSize(s.in, 64<<10)
	s.csvR = csv.NewReader(s.csvBuf)
	s.csvR.ReuseRecord = true
	s.csvR.Comma = s.comma
	s.csvBase = s.in.base + int64(s.in.start)
	s.in.ctx = ctx
	header, err := s.csvR.Read()
	if errors.Is(err, io.EOF) {
		s.done = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: CSV header: %w", s.name, err)
	}
	s.csvOff = s.csvBase + s.csvR.InputOffset()
	s.in.releaseTo(s.csvOff)
	s.csvDec = format.NewCSVDecoder(append([]string(nil), header...), s.fields)
	return nil
}

// Schema returns the declared or inferred columns; rows follow this order.
func (s *Source) Schema() types.Schema { return s.schema }

// Read returns the next batch: up to batch_size records and bad records
// together. It returns early rather than wait for more input while it holds
// records, and connectors.ErrEndOfInput at the end.
func (s *Source) Read(ctx context.Context) (connectors.Batch, error) {
	if err := ctx.Err(); err != nil {
		return connectors.Batch{}, err
	}
	if s.failed != nil {
		return connectors.Batch{}, s.failed
	}
	s.recs, s.bad = s.recs[:0], s.bad[:0]
	if s.done {
		return connectors.Batch{}, connectors.ErrEndOfInput
	}
	var err error
	if s.json != nil {
		err = s.readJSON(ctx)
	} else if s.csvR == nil {
		if err = s.openCSV(ctx); err != nil {
			// An interrupted header read may have consumed part of the
			// header: like an interrupted record, the source cannot resume.
			s.failed = err
			return connectors.Batch{}, err
		}
		if !s.done {
			err = s.readCSV(ctx)
		}
	} else {
		err = s.readCSV(ctx)
	}
	if len(s.recs)+len(s.bad) > 0 {
		return connectors.Batch{Records: s.recs, Bad: s.bad}, nil
	}
	if err == nil && s.done {
		err = connectors.ErrEndOfInput
	}
	return connectors.Batch{}, err
}

func (s *Source) prov(line, off int64) connectors.Provenance {
	return connectors.Provenance{Source: s.name, Line: line, Offset: off}
}

func (s *Source) readJSON(ctx context.Context) error {
	in := s.in
	for len(s.recs)+len(s.bad) < s.batch {
		line, no, off, st := in.nextLine()
		switch st {
		case lineOK:
			if isBlank(line) {
				continue
			}
			n := len(s.recs)
			row := types.Row(s.vals[n*s.width : (n+1)*s.width : (n+1)*s.width])
			if err := s.json.Decode(line, row); err != nil {
				s.bad = append(s.bad, connectors.BadRecord{Raw: bytes.Clone(line), Prov: s.prov(no, off), Err: err})
				continue
			}
			s.recs = append(s.recs, connectors.Record{Row: row, Prov: s.prov(no, off)})
		case lineTooLong:
			s.bad = append(s.bad, s.tooLongRecord())
		case lineNeedMore:
			if len(s.recs)+len(s.bad) > 0 {
				return nil // hand over what we have rather than wait
			}
			in.release()
			if err := in.fill(ctx); err != nil {
				return s.wrap(err)
			}
		case lineEOF:
			s.done = true
			return nil
		}
	}
	return nil
}

func (s *Source) tooLongRecord() connectors.BadRecord {
	t := s.in.tooLong
	return connectors.BadRecord{
		Raw:  t.raw,
		Prov: s.prov(t.line, t.off),
		Err:  fmt.Errorf("line of %d bytes is longer than the %d-byte limit (the first %d bytes are kept)", t.n, s.in.maxLine, len(t.raw)),
	}
}

func (s *Source) readCSV(ctx context.Context) error {
	s.in.ctx = ctx
	for len(s.recs)+len(s.bad) < s.batch {
		if len(s.recs)+len(s.bad) > 0 && !s.csvReady() {
			return nil
		}
		rec, err := s.csvR.Read()
		end := s.csvBase + s.csvR.InputOffset()
		start := s.csvOff
		raw := s.in.retained(start, end)
		// encoding/csv skips blank lines before a record: they are not part of it.
		for len(raw) > 0 && (raw[0] == '\n' || raw[0] == '\r') {
			raw, start = raw[1:], start+1
		}
		raw = bytes.TrimRight(raw, "\r\n")
		s.csvOff = end
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			s.lastLine = pe.Line
			s.bad = append(s.bad, connectors.BadRecord{Raw: bytes.Clone(raw), Prov: s.prov(int64(pe.StartLine), start), Err: err})
			s.in.releaseTo(end)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				// encoding/csv may have dropped part of a record: the
				// source cannot resume.
				s.failed = fmt.Errorf("%s: CSV read interrupted: %w", s.name, ctx.Err())
				return s.failed
			}
			s.failed = fmt.Errorf("%s: CSV record after line %d: %w", s.name, s.lastLine, err)
			return s.failed
		}
		line, _ := s.csvR.FieldPos(0)
		s.lastLine = line
		n := len(s.recs)
		row := types.Row(s.vals[n*s.width : (n+1)*s.width : (n+1)*s.width])
		if err := s.csvDec.Decode(rec, row); err != nil {
			var de *format.DecodeError
			if errors.As(err, &de) && de.Column > 0 {
				fl, fc := s.csvR.FieldPos(de.Column - 1)
				de.Offset += cellOffset(raw, fl-line, fc)
			}
			s.bad = append(s.bad, connectors.BadRecord{Raw: bytes.Clone(raw), Prov: s.prov(int64(line), start), Err: err})
		} else {
			s.recs = append(s.recs, connectors.Record{Row: row, Prov: s.prov(int64(line), start)})
		}
		s.in.releaseTo(end)
	}
	return nil
}

// csvReady reports whether a whole line is buffered, so the next CSV Read
// will not wait for input.
func (s *Source) csvReady() bool {
	if s.in.eof {
		return true
	}
	if n := s.csvBuf.Buffered(); n > 0 {
		if p, _ := s.csvBuf.Peek(n); bytes.IndexByte(p, '\n') >= 0 {
			return true
		}
	}
	return bytes.IndexByte(s.in.buf[s.in.start:s.in.end], '\n') >= 0
}

// cellOffset is the byte offset in raw of the cell at (line delta, 1-based
// column), past its opening quote if it has one.
func cellOffset(raw []byte, dl, col int) int {
	at := 0
	for ; dl > 0; dl-- {
		i := bytes.IndexByte(raw[at:], '\n')
		if i < 0 {
			return 0
		}
		at += i + 1
	}
	at += col - 1
	if at < len(raw) && raw[at] == '"' {
		at++
	}
	return min(at, len(raw))
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

func (s *Source) wrap(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s: %w", s.name, err)
}

// Ack does nothing: a file is re-read from the start, not from an offset.
func (s *Source) Ack(context.Context, []connectors.Provenance) error { return nil }

// Close releases the reader (and closes it when the source opened it).
func (s *Source) Close() error {
	if s.async != nil {
		s.async.close()
	}
	if s.closer != nil {
		c := s.closer
		s.closer = nil
		return c.Close()
	}
	return nil
}

// fieldsFor turns the schema and the decoding properties into fields.
func fieldsFor(cfg connectors.Config, schema types.Schema) ([]format.Field, error) {
	tf := cfg.Get("time_format", "")
	if !format.ValidTimeFormat(tf) {
		return nil, fmt.Errorf("%s: 'time_format' must be epoch_millis, epoch_seconds or iso8601, got %q", cfg.Name, tf)
	}
	fields := make([]format.Field, len(schema))
	for i, c := range schema {
		fields[i] = format.Field{Name: c.Name, Type: c.Type}
		if c.Type.Kind == types.KindTimestamp {
			fields[i].TimeFormat = tf
		}
	}
	if req := cfg.Get("required", ""); req != "" {
		for _, name := range strings.Split(req, ",") {
			name = strings.TrimSpace(name)
			i := schema.Index(name)
			if i < 0 {
				return nil, fmt.Errorf("%s: 'required' names %q, which is not a column (columns: %s)", cfg.Name, name, strings.Join(schema.Names(), ", "))
			}
			fields[i].Required = true
		}
	}
	return fields, nil
}
