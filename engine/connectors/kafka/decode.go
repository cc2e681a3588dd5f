package kafka

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

// decoder turns one record value into a row. Each fetcher has its own:
// the format package's decoders keep per-field state and are not safe for
// concurrent use.
type decoder interface {
	decode(value []byte, row types.Row) error
}

// metaColumns are filled by the executor from the provenance, never from
// the value.
var metaColumns = map[string]bool{"_key": true, "_partition": true, "_offset": true, "_timestamp": true}

// decoderFor validates the decoding properties once and returns a factory.
func decoderFor(cfg connectors.Config) (func() decoder, error) {
	fields, err := fieldsFor(cfg)
	if err != nil {
		return nil, err
	}
	switch f := strings.ToLower(strings.TrimSpace(cfg.Get("format", "json"))); f {
	case "json":
		return func() decoder { return jsonDecoder{format.NewJSONDecoder(fields)} }, nil
	case "csv":
		cols := cfg.Get("columns", "")
		if strings.TrimSpace(cols) == "" {
			return nil, fmt.Errorf("%s: format csv needs 'columns', the comma-separated field order of each record (Kafka CSV values have no header)", cfg.Name)
		}
		var header []string
		for _, c := range strings.Split(cols, ",") {
			header = append(header, strings.TrimSpace(c))
		}
		return func() decoder { return newCSVDecoder(header, fields) }, nil
	case "raw":
		idx, err := rawColumn(cfg)
		if err != nil {
			return nil, err
		}
		return func() decoder { return rawDecoder{idx: idx} }, nil
	default:
		return nil, fmt.Errorf("%s: unknown format %q (want json, csv or raw)", cfg.Name, f)
	}
}

// fieldsFor turns the wanted columns and the 'time_format' (or
// 'event.time.format') and 'required' properties into decoder fields.
func fieldsFor(cfg connectors.Config) ([]format.Field, error) {
	tf := strings.ToLower(cfg.Get("time_format", cfg.Get("event.time.format", "")))
	if !format.ValidTimeFormat(tf) {
		return nil, fmt.Errorf("%s: time format %q: want epoch_millis, epoch_seconds or iso8601", cfg.Name, tf)
	}
	fields := make([]format.Field, len(cfg.Schema))
	for i, c := range cfg.Schema {
		fields[i] = format.Field{Name: c.Name, Type: c.Type}
		if c.Type.Kind == types.KindTimestamp {
			fields[i].TimeFormat = tf
		}
	}
	if req := cfg.Get("required", ""); req != "" {
		for _, name := range strings.Split(req, ",") {
			name = strings.TrimSpace(name)
			i := cfg.Schema.Index(name)
			if i < 0 {
				return nil, fmt.Errorf("%s: 'required' names %q, which is not a column (columns: %s)", cfg.Name, name, strings.Join(cfg.Schema.Names(), ", "))
			}
			fields[i].Required = true
		}
	}
	return fields, nil
}

// rawColumn picks the column that receives a raw value: 'value.field', or
// the only column that is not a provenance column; -1 when the query reads
// none (SELECT COUNT(*)).
func rawColumn(cfg connectors.Config) (int, error) {
	idx := -1
	if vf := strings.TrimSpace(cfg.Get("value.field", "")); vf != "" {
		idx = cfg.Schema.Index(vf)
		if idx < 0 {
			// The query does not read it: nothing to fill.
			return -1, nil
		}
	} else {
		var names []string
		for i, c := range cfg.Schema {
			if !metaColumns[strings.ToLower(c.Name)] {
				idx = i
				names = append(names, c.Name)
			}
		}
		if len(names) > 1 {
			return -1, fmt.Errorf("%s: format raw gives one column, the value as text, but the query reads %s: set 'value.field' to the one that holds it", cfg.Name, strings.Join(names, ", "))
		}
	}
	if idx >= 0 {
		if k := cfg.Schema[idx].Type.Kind; k != types.KindString && k != types.KindAny && k != types.KindNull {
			return -1, fmt.Errorf("%s: format raw gives the value as text; column %q is declared %s, want STRING", cfg.Name, cfg.Schema[idx].Name, cfg.Schema[idx].Type)
		}
	}
	return idx, nil
}

type jsonDecoder struct{ d *format.JSONDecoder }

func (j jsonDecoder) decode(v []byte, row types.Row) error { return j.d.Decode(v, row) }

// rawDecoder gives the value as a STRING; other columns are NULL.
type rawDecoder struct{ idx int }

func (r rawDecoder) decode(v []byte, row types.Row) error {
	for i := range row {
		row[i] = types.Value{}
	}
	if r.idx < 0 {
		return nil
	}
	if !utf8.Valid(v) {
		off := 0
		for off < len(v) {
			c, n := utf8.DecodeRune(v[off:])
			if c == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return &format.DecodeError{Offset: off, Msg: "value is not UTF-8 text"}
	}
	row[r.idx] = types.StringValue(string(v))
	return nil
}

// csvDecoder reads one CSV record per Kafka value with encoding/csv. One
// csv.Reader is kept for the fetcher's life, fed a value at a time through
// feeder, because a new Reader per record would allocate its 4 KB buffer
// for every record.
type csvDecoder struct {
	in  *feeder
	r   *csv.Reader
	dec *format.CSVDecoder
	at  int64 // the Reader's input offset before the current value
}

func newCSVDecoder(header []string, fields []format.Field) *csvDecoder {
	in := &feeder{}
	r := csv.NewReader(in)
	r.ReuseRecord = true
	r.FieldsPerRecord = -1 // a short or long record is the decoder's business
	return &csvDecoder{in: in, r: r, dec: format.NewCSVDecoder(header, fields)}
}

func (c *csvDecoder) decode(v []byte, row types.Row) error {
	c.in.set(v)
	end := c.at + int64(len(v)) + 1 // the feeder adds a line break
	rec, err := c.r.Read()
	got := c.r.InputOffset()
	if err == nil && got < end {
		err = &format.DecodeError{Offset: int(got - c.at), Msg: "value holds more than one CSV record"}
	}
	// Whatever happened, the Reader must be at the end of this value
	// before the next one is fed.
	for c.r.InputOffset() < end {
		if _, e := c.r.Read(); errors.Is(e, io.EOF) {
			break
		}
	}
	c.at = c.r.InputOffset()
	if c.at != end {
		// encoding/csv stopped somewhere unexpected: start over so that
		// later values are not read from the wrong place.
		c.in = &feeder{}
		c.r = csv.NewReader(c.in)
		c.r.ReuseRecord, c.r.FieldsPerRecord = true, -1
		c.at = 0
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &format.DecodeError{Offset: max(0, pe.Column-1), Msg: pe.Err.Error()}
		}
		if errors.Is(err, io.EOF) {
			return &format.DecodeError{Msg: "empty value"}
		}
		return err
	}
	if err := c.dec.Decode(rec, row); err != nil {
		var de *format.DecodeError
		if errors.As(err, &de) && de.Column > 0 {
			_, col := c.r.FieldPos(de.Column - 1)
			de.Offset += col - 1
		}
		return err
	}
	return nil
}

// feeder hands encoding/csv one value followed by a line break, then
// reports the end of input until the next value is set.
type feeder struct {
	b  []byte
	nl bool
}

func (f *feeder) set(v []byte) { f.b, f.nl = v, true }

func (f *feeder) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		if !f.nl {
			return 0, io.EOF
		}
		if len(p) == 0 {
			return 0, nil
		}
		p[0] = '\n'
		f.nl = false
		return 1, nil
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}
