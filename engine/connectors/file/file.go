// Package file is the line-oriented file connector. It takes a path (or any
// io.Reader / io.Writer, which engine/connectors/stdio uses for stdin and
// stdout) and a format, JSON lines or CSV with a header, and gives a
// connectors.Source that decodes records in batches with their line number
// and byte offset, and a connectors.Sink that writes encoded rows one per
// line.
//
// Registered types: 'file_source' (props: path, format, time_format,
// required, batch_size, delimiter) and 'file_sink' (props: path, format,
// append).
package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/velostream/velostream/engine/connectors"
)

func init() {
	connectors.RegisterSource("file_source", OpenSource)
	connectors.RegisterSink("file_sink", OpenSink)
}

// OpenSource opens the file at the 'path' property. The format comes from
// the 'format' property, else from the extension (.jsonl, .ndjson, .json:
// json; .csv: csv).
func OpenSource(ctx context.Context, cfg connectors.Config) (connectors.Source, error) {
	path := cfg.Get("path", "")
	if path == "" {
		return nil, fmt.Errorf("%s: file_source needs a 'path' property", cfg.Name)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: %s is a directory", cfg.Name, path)
	}
	src, err := NewReaderSource(ctx, f, cfg, ReaderOptions{Format: formatFromPath(path), Closer: f})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return src, nil
}

// OpenSink creates (or, with 'append'='true', appends to) the file at the
// 'path' property, creating its parent directories.
func OpenSink(ctx context.Context, cfg connectors.Config) (connectors.Sink, error) {
	path := cfg.Get("path", "")
	if path == "" {
		return nil, fmt.Errorf("%s: file_sink needs a 'path' property", cfg.Name)
	}
	appendMode, err := boolProp(cfg, "append", false)
	if err != nil {
		return nil, err
	}
	fmtName, err := formatOf(cfg, formatFromPath(path))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendMode {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	header := true
	if appendMode {
		if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
			header = false // the file has its header already
		}
	}
	sink, err := NewWriterSink(f, cfg, WriterOptions{Format: fmtName, Header: header, Sync: f.Sync, Closer: f})
	if err != nil {
		f.Close()
		return nil, err
	}
	return sink, nil
}

func formatFromPath(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return "json"
	case ".csv":
		return "csv"
	}
	return ""
}

// formatOf returns the 'format' property, else def; it must be json or csv.
func formatOf(cfg connectors.Config, def string) (string, error) {
	f := strings.ToLower(cfg.Get("format", def))
	switch f {
	case "json", "csv":
		return f, nil
	case "":
		return "", fmt.Errorf("%s: cannot tell the format: set 'format' to json or csv", cfg.Name)
	}
	return "", fmt.Errorf("%s: unknown format %q (want json or csv)", cfg.Name, f)
}

func intProp(cfg connectors.Config, key string, def, lo, hi int) (int, error) {
	v, ok := cfg.Props[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s: '%s' must be a whole number from %d to %d, got %q", cfg.Name, key, lo, hi, v)
	}
	return n, nil
}

func boolProp(cfg connectors.Config, key string, def bool) (bool, error) {
	v, ok := cfg.Props[key]
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, fmt.Errorf("%s: '%s' must be true or false, got %q", cfg.Name, key, v)
	}
	return b, nil
}
