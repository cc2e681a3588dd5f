package parser

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/diag"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/errors")

func errorCases(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "errors", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func init() {
	files, _ := filepath.Glob(filepath.Join("testdata", "errors", "*.sql"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			seed(string(b))
		}
	}
}

// TestErrorGolden pins the exact text of error messages, carets and hints:
// testdata/errors/NAME.sql renders to NAME.golden (go test -update rewrites).
func TestErrorGolden(t *testing.T) {
	files := errorCases(t)
	if len(files) < 25 {
		t.Fatalf("only %d error cases", len(files))
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".sql"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, errs := Parse(string(src))
			if len(errs) == 0 {
				t.Fatalf("%s parses without errors; an error case must fail", name)
			}
			got := diag.RenderAll(name, string(src), errs)
			golden := strings.TrimSuffix(file, ".sql") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./engine/parser -run TestErrorGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("errors of %s changed:\n--- got\n%s--- want\n%s", name, got, want)
			}
		})
	}
}
