package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

const (
	// MaxLineBytes is the longest line (or CSV record) a source accepts; a
	// longer one is a bad record (JSON) or stops the source (CSV, where the
	// reader cannot find the next record boundary).
	MaxLineBytes = 16 << 20
	// badRawBytes is how much of an over-long line a BadRecord keeps: the
	// start is enough to recognise it, and the provenance says where the
	// whole line is.
	badRawBytes = 64 << 10
	initialBuf  = 1 << 20
)

type lineStatus uint8

const (
	lineOK       lineStatus = iota
	lineTooLong             // an over-long line ended: see tooLong
	lineNeedMore            // no complete line is buffered: fill first
	lineEOF                 // nothing left
)

// input is the buffered byte stream under both formats. JSON lines are cut
// straight out of its buffer (no copy); CSV reads it as an io.Reader while
// it retains the bytes of the record being read, so a bad record's raw text
// can be reported.
type input struct {
	src     io.Reader
	ctx     context.Context // of the Read in progress (for interruptible reads)
	buf     []byte
	keep    int   // buf[keep:start] is consumed but retained (CSV); keep <= start
	start   int   // unread data is buf[start:end]
	end     int   // ...
	base    int64 // stream offset of buf[0]
	line    int64 // lines handed out so far (JSON)
	eof     bool
	err     error // sticky error from src
	maxLine int
	bomDone bool // the start of the stream was checked for a byte order mark

	// Skipping an over-long line: its number, offset, first bytes, length.
	skipping bool
	tooLong  struct {
		line, off, n int64
		raw          []byte
	}
}

func newInput(src io.Reader, maxLine int) *input {
	return &input{src: src, ctx: context.Background(), buf: make([]byte, min(initialBuf, maxLine+1)), maxLine: maxLine}
}

// nextLine returns the next line without its '\n' (and '\r'), with its
// 1-based number and stream offset. The slice is valid until fill.
func (in *input) nextLine() (line []byte, no, off int64, st lineStatus) {
	if !in.bomDone {
		return nil, 0, 0, lineNeedMore
	}
	data := in.buf[in.start:in.end]
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		off = in.base + int64(in.start)
		in.start += i + 1
		if in.skipping {
			in.skipping = false
			in.tooLong.n += int64(i)
			return nil, in.tooLong.line, in.tooLong.off, lineTooLong
		}
		in.line++
		if i > in.maxLine {
			in.tooLong.line, in.tooLong.off, in.tooLong.n = in.line, off, int64(i)
			in.tooLong.raw = bytes.Clone(data[:badRawBytes])
			return nil, in.line, off, lineTooLong
		}
		return trimCR(data[:i]), in.line, off, lineOK
	}
	if in.skipping {
		in.tooLong.n += int64(len(data))
		in.start = in.end
		if in.eof {
			in.skipping = false
			return nil, in.tooLong.line, in.tooLong.off, lineTooLong
		}
		return nil, 0, 0, lineNeedMore
	}
	if len(data) > in.maxLine {
		in.line++
		in.skipping = true
		in.tooLong.line, in.tooLong.off, in.tooLong.n = in.line, in.base+int64(in.start), int64(len(data))
		in.tooLong.raw = bytes.Clone(data[:badRawBytes])
		in.start = in.end
		if in.eof {
			in.skipping = false
			return nil, in.tooLong.line, in.tooLong.off, lineTooLong
		}
		return nil, 0, 0, lineNeedMore
	}
	if !in.eof {
		return nil, 0, 0, lineNeedMore
	}
	if len(data) == 0 {
		return nil, 0, 0, lineEOF
	}
	// The last line has no '\n'.
	off = in.base + int64(in.start)
	in.start = in.end
	in.line++
	if len(data) > in.maxLine {
		in.tooLong.line, in.tooLong.off, in.tooLong.n = in.line, off, int64(len(data))
		in.tooLong.raw = bytes.Clone(data[:badRawBytes])
		return nil, in.line, off, lineTooLong
	}
	return trimCR(data), in.line, off, lineOK
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// fill reads once more from src, first making room: it moves the retained
// and unread bytes to the front, and grows the buffer when they fill it.
func (in *input) fill(ctx context.Context) error {
	if in.err != nil {
		return in.err
	}
	if in.eof {
		return nil
	}
	if in.keep > 0 && len(in.buf)-in.end < len(in.buf)/2 {
		n := copy(in.buf, in.buf[in.keep:in.end])
		in.base += int64(in.keep)
		in.start -= in.keep
		in.end = n
		in.keep = 0
	}
	if in.end == len(in.buf) {
		if len(in.buf) >= 2*(in.maxLine+1) {
			return fmt.Errorf("record longer than %d bytes (an unterminated quote?)", in.maxLine)
		}
		nb := make([]byte, min(2*len(in.buf), 2*(in.maxLine+1)))
		copy(nb, in.buf[:in.end])
		in.buf = nb
	}
	in.ctx = ctx
	n, err := in.src.Read(in.buf[in.end:])
	in.end += n
	defer in.checkBOM()
	switch {
	case errors.Is(err, io.EOF):
		in.eof = true
	case err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return err // not sticky: an interruptible read can be resumed
	case err != nil:
		in.err = fmt.Errorf("read: %w", err)
		return in.err
	}
	return nil
}

// checkBOM skips a UTF-8 byte order mark (some tools, spreadsheets
// mostly, write one) once the first three bytes are in.
func (in *input) checkBOM() {
	if in.bomDone || (in.end < 3 && !in.eof) {
		return
	}
	in.bomDone = true
	if in.base == 0 && in.start == 0 && bytes.HasPrefix(in.buf[:in.end], []byte("\uFEFF")) {
		in.start = 3
		in.keep = 3
	}
}

// release lets fill drop everything consumed so far (JSON consumes lines
// as it goes and calls it before each fill).
func (in *input) release() { in.keep = in.start }

// releaseTo lets fill drop the stream bytes before off (CSV, after each
// record: the bytes after it may sit unread in the csv.Reader's buffer).
func (in *input) releaseTo(off int64) {
	k := int(off - in.base)
	in.keep = max(in.keep, min(k, in.start))
}

// Read hands buffered bytes to encoding/csv (through a bufio.Reader),
// filling when empty. The bytes stay retained until release.
func (in *input) Read(p []byte) (int, error) {
	for in.start == in.end || !in.bomDone {
		if in.eof {
			return 0, io.EOF
		}
		if in.start-in.keep > in.maxLine {
			return 0, fmt.Errorf("record longer than %d bytes (an unterminated quote?)", in.maxLine)
		}
		if err := in.fill(in.ctx); err != nil {
			return 0, err
		}
	}
	n := copy(p, in.buf[in.start:in.end])
	in.start += n
	return n, nil
}

// retained returns the stream bytes [from, to) if they are still buffered.
func (in *input) retained(from, to int64) []byte {
	lo, hi := from-in.base, to-in.base
	if lo < 0 || hi > int64(in.end) || lo > hi {
		return nil
	}
	return in.buf[lo:hi]
}

// asyncReader reads src in a goroutine so that a Read blocked on a pipe or
// terminal (stdin) can be abandoned when the caller's context ends; the
// read in flight is kept and handed to the next Read, so nothing is lost.
type asyncReader struct {
	in      *input // for the context of the Read in progress
	req     chan struct{}
	resp    chan asyncResult
	buf     []byte
	cur     []byte
	err     error
	pending bool
	closed  bool
}

type asyncResult struct {
	n   int
	err error
}

func newAsyncReader(src io.Reader) *asyncReader {
	a := &asyncReader{req: make(chan struct{}), resp: make(chan asyncResult, 1), buf: make([]byte, 256<<10)}
	go func() {
		for range a.req {
			n, err := src.Read(a.buf)
			a.resp <- asyncResult{n, err}
			if err != nil {
				return
			}
		}
	}()
	return a
}

func (a *asyncReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.err != nil {
			return 0, a.err
		}
		if !a.pending {
			a.req <- struct{}{}
			a.pending = true
		}
		ctx := a.in.ctx
		select {
		case r := <-a.resp:
			a.pending = false
			a.cur, a.err = a.buf[:r.n], r.err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// close stops the goroutine once its read in flight (if any) returns.
func (a *asyncReader) close() {
	if !a.closed {
		a.closed = true
		close(a.req)
	}
}
