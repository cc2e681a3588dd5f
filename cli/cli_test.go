package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes velo with args and stdin, returning stdout, stderr and the exit code.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	root := NewRoot()
	var out, errb bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	code := 0
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
			if ee.err != nil && !errors.Is(ee.err, errReported) {
				errb.WriteString(ee.err.Error())
			}
		} else {
			code = 2
			errb.WriteString(err.Error())
		}
	}
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const trades = `{"symbol":"A","price":10.5,"quantity":2,"ts":1704067201000}
{"symbol":"B","price":20,"quantity":1,"ts":1704067202000}
{"symbol":"A","price":11.5,"quantity":3,"ts":1704067261000}
`

func TestRunFileAndSourceFlag(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "trades.jsonl", trades)
	out, errOut, code := run(t, "", "run", "-e", "SELECT symbol, SUM(quantity) AS q FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 1m)", "--source", "trades=file:"+data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `{"symbol":"A","q":2,"window_start":"2024-01-01T00:00:00.000Z","window_end":"2024-01-01T00:01:00.000Z"}
{"symbol":"B","q":1,"window_start":"2024-01-01T00:00:00.000Z","window_end":"2024-01-01T00:01:00.000Z"}
{"symbol":"A","q":3,"window_start":"2024-01-01T00:01:00.000Z","window_end":"2024-01-01T00:02:00.000Z"}
`
	if out != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "velo: read 3 records, emitted 3 rows, 0 late, 0 bad, 0 dead-lettered") {
		t.Fatalf("summary line missing: %q", errOut)
	}
}

func TestRunStdinDataAndCSV(t *testing.T) {
	out, errOut, code := run(t, trades, "run", "-q", "--format", "csv", "-e", "SELECT symbol, price FROM trades WHERE price > 11", "--source", "trades=-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != "symbol,price\nB,20\nA,11.5\n" {
		t.Fatalf("stdout %q", out)
	}
}

func TestRunSQLFromStdin(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "trades.jsonl", trades)
	out, errOut, code := run(t, "SELECT COUNT(*) AS n FROM trades", "run", "-q", "--source", "trades="+data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasSuffix(out, "{\"n\":3}\n") {
		t.Fatalf("stdout %q", out)
	}
}

func TestRunTableWhenNotATerminal(t *testing.T) {
	out, _, code := run(t, trades, "run", "-q", "--format", "table", "-e", "SELECT symbol, quantity FROM trades", "--source", "trades=-")
	if code != 0 {
		t.Fatal(code)
	}
	want := "symbol | quantity\n------ | --------\nA      | 2       \nB      | 1       \nA      | 3       \n"
	if out != want {
		t.Fatalf("stdout:\n%q\nwant:\n%q", out, want)
	}
}

func TestRunSQLErrorExitsOne(t *testing.T) {
	_, errOut, code := run(t, "", "run", "-e", "SELECT FROM trades")
	if code != 1 || !strings.Contains(errOut, "<command line>:1:8: expected expression") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"run", "-e", "SELECT 1 FROM t", "x.sql"},
		{"run", "-e", "SELECT a FROM t", "--source", "t"},
		{"run", "-e", "SELECT a FROM t", "--source", "t=-", "--format", "xml"},
		{"run"},
	} {
		if _, _, code := run(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// Validation errors render as FILE:LINE:COL, the line and a caret (golden).
func TestValidateGolden(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.sql", "SELECT symbol, COUNT(*)\nFROM trades\nGROUP BY symbol\nWINDOW TUMBLNG(ts, 1m)\n")
	good := writeFile(t, dir, "good.sql", "SELECT symbol FROM trades WITH ('trades.path' = 'x.jsonl')\n")
	out, errOut, code := run(t, "", "validate", good, bad)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	if out != good+": valid\n" {
		t.Fatalf("stdout %q", out)
	}
	want := bad + `:4:8: expected TUMBLING, SLIDING, HOPPING or SESSION, found "TUMBLNG"
  WINDOW TUMBLNG(ts, 1m)
         ^^^^^^^
hint: did you mean TUMBLING?
`
	if errOut != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
	js, _, code := run(t, "", "validate", "--format", "json", bad)
	if code != 1 || !strings.Contains(js, `"line": 4`) || !strings.Contains(js, `"col": 8`) || !strings.Contains(js, `"end_col": 15`) || !strings.Contains(js, `"hint": "did you mean TUMBLING?"`) {
		t.Fatalf("json exit %d: %s", code, js)
	}
}
