// Package stdio is the standard input and output connector: it takes the
// process's stdin (or any io.Reader) and stdout (or any io.Writer) and gives
// a connectors.Source and a connectors.Sink with the file connector's
// formats, batching, provenance and bad-record handling
// (engine/connectors/file). Stdin reads are interruptible: a Read waiting on
// a quiet pipe returns when its context ends.
//
// Registered types: 'stdin' (props: format, default json; time_format,
// required, batch_size, delimiter) and 'stdout' (props: format, default json).
package stdio

import (
	"context"
	"io"
	"os"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/file"
)

func init() {
	connectors.RegisterSource("stdin", func(ctx context.Context, cfg connectors.Config) (connectors.Source, error) {
		return newSource(ctx, os.Stdin, cfg)
	})
	connectors.RegisterSink("stdout", func(ctx context.Context, cfg connectors.Config) (connectors.Sink, error) {
		return NewSink(os.Stdout, cfg)
	})
}

// NewSource returns a source reading r as stdin would be read (tests inject
// a reader here). With an empty cfg.Schema it infers the schema from the
// first lines, waiting for them; see file.NewReaderSource.
func NewSource(r io.Reader, cfg connectors.Config) (connectors.Source, error) {
	return newSource(context.Background(), r, cfg)
}

func newSource(ctx context.Context, r io.Reader, cfg connectors.Config) (connectors.Source, error) {
	if cfg.Name == "" {
		cfg.Name = "stdin"
	}
	// Close leaves the reader open: stdin is the process's, not ours.
	return file.NewReaderSource(ctx, r, cfg, file.ReaderOptions{Format: "json", Interruptible: true})
}

// NewSink returns a sink writing to w (os.Stdout for 'stdout'); Flush
// flushes the buffer but does not sync (pipes and terminals cannot), and
// Close leaves w open.
func NewSink(w io.Writer, cfg connectors.Config) (connectors.Sink, error) {
	if cfg.Name == "" {
		cfg.Name = "stdout"
	}
	return file.NewWriterSink(w, cfg, file.WriterOptions{Format: "json", Header: true})
}
