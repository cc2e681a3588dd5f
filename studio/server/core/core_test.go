package core

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/studio/notebooks"
	"github.com/velostream/velostream/studio/server/catalog"
)

func newStudio(t *testing.T, roots ...string) *Studio {
	t.Helper()
	store, err := notebooks.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Catalog: catalog.New(catalog.Config{Streams: demo.Catalog()}), Notebooks: store, FileRoots: roots})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// A file source may read only under the roots, however the path is
// written: .. and symbolic links do not get out.
func TestAllowedPath(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(root, "in.jsonl"), nil, 0o644)
	os.WriteFile(filepath.Join(outside, "secret.jsonl"), nil, 0o644)
	os.Symlink(filepath.Join(outside, "secret.jsonl"), filepath.Join(root, "link.jsonl"))
	os.Symlink(outside, filepath.Join(root, "dirlink"))
	s := newStudio(t, root)
	tests := map[string]bool{
		filepath.Join(root, "in.jsonl"):                   true,
		filepath.Join(root, "not-yet.jsonl"):              true,
		filepath.Join(root, "sub", "..", "in.jsonl"):      true,
		filepath.Join(root, "..", filepath.Base(outside)): false,
		filepath.Join(outside, "secret.jsonl"):            false,
		filepath.Join(root, "link.jsonl"):                 false,
		filepath.Join(root, "dirlink", "secret.jsonl"):    false,
		filepath.Join(root, "dirlink", "missing.jsonl"):   false,
		"/etc/passwd": false,
		filepath.Join(root, "..", filepath.Base(root)+"x"): false,
	}
	for path, want := range tests {
		if got := s.allowedPath(path); got != want {
			t.Errorf("allowedPath(%s) = %v, want %v", path, got, want)
		}
	}
}

// A Studio without files (in a pod) reads none, whatever the path.
func TestNoFiles(t *testing.T) {
	store, _ := notebooks.NewFileStore(t.TempDir())
	s, err := New(Config{Notebooks: store, NoFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wd, _ := os.Getwd()
	if s.allowedPath(filepath.Join(wd, "core.go")) || s.allowedPath("/var/run/secrets/kubernetes.io/serviceaccount/token") {
		t.Error("a file was allowed")
	}
	_, err = s.StartQuery(context.Background(), QueryRequest{SQL: "SELECT a FROM 'file:/var/run/secrets/kubernetes.io/serviceaccount/token.csv'"})
	var ce *Error
	if !errors.As(err, &ce) || ce.Code != CodeNotAllowed || !strings.Contains(ce.Message, "reads no files") {
		t.Errorf("got %v", err)
	}
}

func TestPositions(t *testing.T) {
	src := "SELECT é,\n  b\nFROM t"
	tests := []struct {
		line, col, off int
		ok             bool
	}{
		{1, 1, 0, true},
		{1, 9, 9, true},   // after "SELECT é" (é is 2 bytes): the comma
		{1, 10, 10, true}, // the end of line 1
		{1, 11, 0, false},
		{2, 4, 14, true},
		{3, 7, 21, true}, // end of text
		{3, 8, 0, false},
		{4, 1, 0, false},
		{0, 1, 0, false},
		{2, 5, 0, false}, // past the end of line 2
	}
	for _, tt := range tests {
		off, ok := offsetOf(src, tt.line, tt.col)
		if ok != tt.ok || ok && off != tt.off {
			t.Errorf("offsetOf(%d:%d) = %d, %v; want %d, %v", tt.line, tt.col, off, ok, tt.off, tt.ok)
			continue
		}
		if ok {
			if p := positionOf(src, off); p.Line != tt.line || p.Col != tt.col {
				t.Errorf("positionOf(%d) = %+v, want %d:%d", off, p, tt.line, tt.col)
			}
		}
	}
}

func TestScanContext(t *testing.T) {
	tests := []struct {
		before   string
		kind     int
		inString bool
	}{
		{"SELECT * FROM ", ctxFrom, false},
		{"SELECT * FROM trades t JOIN ", ctxFrom, false},
		{"SELECT * FROM trades WHERE ", ctxOther, false},
		{"-- a comment ", ctxComment, false},
		{"SELECT 1 -- trailing\nSELECT ", ctxOther, false},
		{"SELECT * FROM t WHERE s = 'it''s ", ctxOther, true},
		{"SELECT * FROM t WITH ('t.", ctxWith, true},
		{"SELECT * FROM t WITH ('t.path' = 'x', ", ctxWith, false},
		{"SELECT * FROM t WITH ('t.path' = 'x') ", ctxOther, false},
		{"SELECT COUNT(", ctxOther, false},
	}
	for _, tt := range tests {
		kind, in := scanContext(tt.before)
		if kind != tt.kind || in != tt.inString {
			t.Errorf("scanContext(%q) = %d, %v; want %d, %v", tt.before, kind, in, tt.kind, tt.inString)
		}
	}
}

// Materialize puts the declarations first and says how many lines it
// added, so deploy errors point at the user's lines.
func TestMaterialize(t *testing.T) {
	s := newStudio(t)
	ctx := context.Background()
	sql := "SELECT c.tier, COUNT(*) AS n\nFROM trades t JOIN customers c ON t.customer_id = c.customer_id\nGROUP BY c.tier"
	out, lines := s.Materialize(ctx, sql)
	if !strings.HasSuffix(out, sql) || lines != strings.Count(out[:len(out)-len(sql)], "\n") || lines < 3 {
		t.Fatalf("materialized (%d lines before):\n%s", lines, out)
	}
	for _, want := range []string{"CREATE STREAM trades (", "CREATE TABLE customers (", "'customers.key.field' = 'customer_id'"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "bootstrap") {
		t.Errorf("a deployed query names the Studio's broker:\n%s", out)
	}
	// Already self-contained, or not the catalog's: unchanged.
	for _, in := range []string{out, "SELECT a FROM nowhere", "SELEC broken"} {
		if got, n := s.Materialize(ctx, in); got != in || n != 0 {
			t.Errorf("Materialize changed %q", in)
		}
	}
}

func TestQueryName(t *testing.T) {
	for sql, want := range map[string]string{
		"CREATE STREAM Big_Trades AS SELECT symbol FROM trades": "big-trades",
		"SELECT symbol FROM trades":                             "",
		"CREATE STREAM":                                         "",
	} {
		if got := queryName(sql); got != want {
			t.Errorf("queryName(%q) = %q, want %q", sql, got, want)
		}
	}
}
