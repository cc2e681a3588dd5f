package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

// chunksPerFetcher is how many chunks a partition cycles through: one the
// executor holds, one waiting for Read, one being filled.
const chunksPerFetcher = 3

// chunk is a batch of decoded records of one partition. It is handed to
// Read whole and given back to its fetcher at the next Read.
type chunk struct {
	f    *fetcher
	part int32
	eof  bool  // bounded: the partition reached its end; no records
	next int64 // the offset after the chunk's last record
	recs []connectors.Record
	bad  []connectors.BadRecord
	vals []types.Value
	keys []byte // keys of this chunk's records
}

func (c *chunk) reset() {
	c.eof = false
	c.recs = c.recs[:0]
	c.bad = c.bad[:0]
	c.keys = c.keys[:0]
}

// recycle gives the chunk back to its fetcher (a stopped fetcher's pool
// just fills up and is collected with it).
func (c *chunk) recycle() {
	c.reset()
	select {
	case c.f.free <- c:
	default:
	}
}

// key copies k into the chunk. The key buffer never grows in place: a
// full buffer is replaced, so that the keys handed out earlier in this
// chunk stay valid.
func (c *chunk) key(k []byte) []byte {
	if len(c.keys)+len(k) > cap(c.keys) {
		c.keys = make([]byte, 0, max(64<<10, len(k)))
	}
	at := len(c.keys)
	c.keys = append(c.keys, k...)
	return c.keys[at:len(c.keys):len(c.keys)]
}

// fetcher reads one partition.
type fetcher struct {
	s    *Source
	part int32
	pos  int64 // next offset to fetch; the fetcher goroutine's own
	end  int64 // bounded: the end offset; -1 otherwise
	dec  decoder
	buf  []byte // a record's value, read out of the fetch response

	hw        atomic.Int64 // high watermark at the last fetch; -1 unknown
	delivered atomic.Int64 // the offset after the last record Read handed out

	free   chan *chunk
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func newFetcher(s *Source, p int32, pos, end int64) *fetcher {
	f := &fetcher{s: s, part: p, pos: pos, end: end, dec: s.newDec(),
		free: make(chan *chunk, chunksPerFetcher), done: make(chan struct{})}
	f.hw.Store(-1)
	f.delivered.Store(pos)
	f.ctx, f.cancel = context.WithCancel(s.ctx)
	width := len(s.schema)
	for range chunksPerFetcher {
		f.free <- &chunk{f: f, part: p, vals: make([]types.Value, s.batch*width),
			recs: make([]connectors.Record, 0, s.batch)}
	}
	return f
}

// stop ends the fetcher and waits for it.
func (f *fetcher) stop() {
	f.cancel()
	<-f.done
}

func (f *fetcher) run() {
	defer f.s.wg.Done()
	defer close(f.done)
	s := f.s
	var b backoff
	what := fmt.Sprintf("fetching %s[%d]", s.c.topic, f.part)
	for {
		if f.end >= 0 && f.pos >= f.end {
			c := f.chunk()
			if c == nil {
				return
			}
			c.eof, c.next = true, f.pos
			f.send(c)
			return
		}
		resp, err := s.client.Fetch(f.ctx, &kafka.FetchRequest{
			Topic:     s.c.topic,
			Partition: int(f.part),
			Offset:    f.pos,
			MinBytes:  1, // answer as soon as there is a record: latency first
			MaxBytes:  fetchMaxBytes,
			MaxWait:   fetchMaxWait,
			// Explicit: kafka-go's ReadCommitted would still return
			// aborted records (its issue #1332), so asking for it would
			// promise what it does not do.
			IsolationLevel: kafka.ReadUncommitted,
		})
		if f.ctx.Err() != nil {
			return
		}
		if err == nil && resp.Error != nil {
			err = resp.Error
		}
		if errors.Is(err, kafka.OffsetOutOfRange) {
			if !f.outOfRange() {
				return
			}
			continue
		}
		if err != nil {
			if fatal(err) {
				s.fail(fmt.Errorf("%s: %s: %w", s.name, what, err))
				return
			}
			s.health.fail(what, err)
			if b.wait(f.ctx) != nil {
				return
			}
			continue
		}
		b.reset()
		s.health.ok()
		f.hw.Store(resp.HighWatermark)
		if f.end > resp.HighWatermark {
			f.end = resp.HighWatermark // the partition was truncated
		}
		if !f.consume(resp.Records) {
			return
		}
	}
}

// outOfRange handles a fetch position the partition no longer has
// (retention deleted it, or the topic was recreated): it starts again at
// the first offset, saying so. It returns false when the fetcher stops.
func (f *fetcher) outOfRange() bool {
	s := f.s
	var b backoff
	for {
		lo, err := s.client.ListOffsets(f.ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
			s.c.topic: {kafka.FirstOffsetOf(int(f.part)), kafka.LastOffsetOf(int(f.part))}}})
		if f.ctx.Err() != nil {
			return false
		}
		if err == nil {
			for _, po := range lo.Topics[s.c.topic] {
				if po.Partition != int(f.part) {
					continue
				}
				if po.Error != nil {
					err = po.Error
					break
				}
				s.log.Warn("kafka: fetch position out of range; reading from the partition's first offset",
					"connector", s.name, "topic", s.c.topic, "partition", f.part, "position", f.pos, "first", po.FirstOffset, "end", po.LastOffset)
				f.pos = po.FirstOffset
				return true
			}
		}
		if err == nil {
			err = kafka.UnknownTopicOrPartition
		}
		s.health.fail("listing offsets of "+s.c.topic, err)
		if b.wait(f.ctx) != nil {
			return false
		}
	}
}

// chunk takes a free chunk, waiting for Read to give one back.
func (f *fetcher) chunk() *chunk {
	select {
	case c := <-f.free:
		return c
	case <-f.ctx.Done():
		return nil
	}
}

func (f *fetcher) send(c *chunk) bool {
	select {
	case f.s.chunks <- c:
		return true
	case <-f.ctx.Done():
		return false
	}
}

// consume decodes a fetch response into chunks and sends them. It returns
// false when the fetcher stops.
func (f *fetcher) consume(rr kafka.RecordReader) bool {
	var c *chunk
	flush := func() bool {
		if c == nil || len(c.recs)+len(c.bad) == 0 {
			return true
		}
		ok := f.send(c)
		c = nil
		return ok
	}
	var batches []kafka.RecordReader
	if st, ok := rr.(*protocol.RecordStream); ok {
		batches = st.Records
	} else if rr != nil {
		batches = []kafka.RecordReader{rr}
	}
	for _, batch := range batches {
		if cb, ok := batch.(*protocol.ControlBatch); ok {
			// Transaction markers take offsets but are not data: step
			// over them, or a partition ending in one is fetched forever.
			for {
				r, err := cb.ReadRecord()
				if err != nil {
					break
				}
				if r.Offset >= f.pos && (f.end < 0 || r.Offset < f.end) {
					f.pos = r.Offset + 1
				}
			}
			continue
		}
		for {
			r, err := batch.ReadRecord()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					f.s.health.fail(fmt.Sprintf("reading a record batch of %s[%d]", f.s.c.topic, f.part), err)
				}
				break
			}
			if r.Offset < f.pos {
				continue // a batch may begin before the offset asked for
			}
			if f.end >= 0 && r.Offset >= f.end {
				f.pos = f.end // past a gap (compaction) at the end
				return flush()
			}
			if c == nil {
				if c = f.chunk(); c == nil {
					return false
				}
			}
			if err := f.add(c, r); err != nil {
				f.s.health.fail(fmt.Sprintf("reading record %d of %s[%d]", r.Offset, f.s.c.topic, f.part), err)
				return flush() // fetch again from this record
			}
			f.pos = r.Offset + 1
			c.next = f.pos
			if len(c.recs)+len(c.bad) >= f.s.batch {
				if !flush() {
					return false
				}
			}
		}
	}
	return flush()
}

// add decodes one record into c. An error means the record could not be
// read out of the response (not that its value is bad: that makes a
// BadRecord).
func (f *fetcher) add(c *chunk, r *kafka.Record) error {
	prov := connectors.Provenance{Source: f.s.name, Partition: f.part, Offset: r.Offset}
	if ms := r.Time.UnixMilli(); ms > 0 {
		prov.Timestamp = ms
	}
	if r.Key != nil {
		var err error
		if f.buf, err = readBytes(f.buf, r.Key); err != nil {
			return err
		}
		prov.Key = c.key(f.buf)
	}
	if len(r.Headers) > 0 {
		// kafka-go allocates each record's headers afresh and never
		// reuses them, so they can be handed on as they are.
		h := make([]connectors.Header, len(r.Headers))
		for i, x := range r.Headers {
			h[i] = connectors.Header{Key: x.Key, Value: x.Value}
		}
		prov.Headers = h
	}
	if r.Value == nil {
		if f.s.deletedCol < 0 {
			c.bad = append(c.bad, connectors.BadRecord{Prov: prov, Err: errors.New("record has no value (a tombstone)")})
			return nil
		}
		// A table's changelog: the tombstone deletes the record key.
		width := len(f.s.schema)
		n := len(c.recs)
		row := types.Row(c.vals[n*width : (n+1)*width : (n+1)*width])
		clear(row)
		row[f.s.deletedCol] = types.BoolValue(true)
		if f.s.keyCol >= 0 && prov.Key != nil {
			row[f.s.keyCol] = types.StringValue(string(prov.Key))
		}
		c.recs = append(c.recs, connectors.Record{Row: row, Prov: prov})
		return nil
	}
	var err error
	if f.buf, err = readBytes(f.buf, r.Value); err != nil {
		return err
	}
	width := len(f.s.schema)
	n := len(c.recs)
	row := types.Row(c.vals[n*width : (n+1)*width : (n+1)*width])
	if err := f.dec.decode(f.buf, row); err != nil {
		var de *format.DecodeError
		if !errors.As(err, &de) {
			err = &format.DecodeError{Msg: err.Error()}
		}
		c.bad = append(c.bad, connectors.BadRecord{Raw: bytes.Clone(f.buf), Prov: prov, Err: err})
		return nil
	}
	c.recs = append(c.recs, connectors.Record{Row: row, Prov: prov})
	return nil
}

// readBytes reads all of b into buf (reused).
func readBytes(buf []byte, b protocol.Bytes) ([]byte, error) {
	n := b.Len()
	if cap(buf) < n {
		buf = make([]byte, n, max(n, 2*cap(buf)))
	}
	buf = buf[:n]
	if _, err := io.ReadFull(b, buf); err != nil {
		return buf[:0], err
	}
	return buf, nil
}
