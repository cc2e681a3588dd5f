package engine

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/executor"
)

var showOutput = flag.Bool("show", false, "print each case's actual output (for writing expectations by hand, never copied blindly)")

// TestQueries runs every case under testdata/queries. A case is a folder with
//
//	query.sql       the query; each source NAME reads NAME.jsonl from the folder
//	expected.jsonl  the rows it must emit, computed by hand, in order
//	stats.txt       optional: "read=N emitted=N late=N dead_lettered=N"
//	dlq.jsonl       optional: the dead letters it must write (reason and line)
//
// Expected outputs are written by hand from the time semantics in
// docs/sql.md; they are never generated from the engine's own output.
func TestQueries(t *testing.T) {
	dirs, err := filepath.Glob("testdata/queries/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no query cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { runCase(t, dir) })
	}
}

func runCase(t *testing.T, dir string) {
	src, err := os.ReadFile(filepath.Join(dir, "query.sql"))
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]map[string]string{}
	inputs, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".jsonl")
		if name == "expected" || name == "dlq" {
			continue
		}
		sources[name] = map[string]string{"type": "file_source", "path": in, "format": "json"}
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	sink := map[string]string{"type": "file_sink", "path": out, "format": "json"}
	q, errs := Compile(string(src), Options{Sources: sources, Sink: sink})
	if len(errs) > 0 {
		t.Fatalf("compile:\n%s", diag.RenderAll("query.sql", string(src), errs))
	}
	dlqPath := filepath.Join(dir, "dlq.jsonl")
	var dlqOut string
	if _, err := os.Stat(dlqPath); err == nil {
		dlqOut = filepath.Join(t.TempDir(), "dlq.jsonl")
		for _, s := range q.Plan.Sources {
			if s.DLQ != nil {
				s.DLQ.Props["path"] = dlqOut
			}
		}
	}
	var stderr bytes.Buffer
	stats, err := q.Run(context.Background(), executor.Options{Stderr: &stderr, Now: func() time.Time { return time.UnixMilli(1_700_000_000_000) }})
	if err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, stderr.String())
	}
	got := readFile(t, out)
	if *showOutput {
		fmt.Printf("== %s\n%s-- stderr\n%s", dir, got, stderr.String())
	}
	want := readFile(t, filepath.Join(dir, "expected.jsonl"))
	if got != want {
		t.Errorf("output differs\n--- got\n%s--- want\n%s", got, want)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "stats.txt")); err == nil {
		gotStats := fmt.Sprintf("read=%d emitted=%d late=%d dead_lettered=%d",
			stats.Read.Load(), stats.Emitted.Load(), stats.Late.Load(), stats.DeadLettered.Load())
		if strings.TrimSpace(string(b)) != gotStats {
			t.Errorf("stats: got %q, want %q", gotStats, strings.TrimSpace(string(b)))
		}
	}
	if dlqOut != "" {
		checkDLQ(t, readFile(t, dlqOut), readFile(t, dlqPath))
	}
}

// checkDLQ compares dead letters by their reason, line and error text
// prefix: the expectations name what matters, not every byte.
func checkDLQ(t *testing.T, got, want string) {
	t.Helper()
	g := strings.Split(strings.TrimSpace(got), "\n")
	w := strings.Split(strings.TrimSpace(want), "\n")
	if len(g) != len(w) {
		t.Fatalf("dead letters: got %d, want %d\n--- got\n%s", len(g), len(w), got)
	}
	for i := range w {
		for _, part := range strings.Split(w[i], "|") {
			if !strings.Contains(g[i], strings.TrimSpace(part)) {
				t.Errorf("dead letter %d: %s\n does not contain %q", i+1, g[i], part)
			}
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
