package engine

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/agg"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/functions"
)

// The dialect reference, docs/sql.md, is tested here so that it cannot drift
// from what the engine does. Its conventions (written for its authors at the
// top of the file, in an HTML comment):
//
//   - Every ```sql block must pass Validate, unless a `<!-- error: TEXT -->`
//     comment precedes it: then Validate must fail with a message holding TEXT.
//   - A ```sql block may be followed by ```jsonl input NAME (or ```csv input
//     NAME) blocks, then one ```jsonl output (or ```csv output) block, then
//     optionally ```jsonl dead_letters and ```text summary blocks. The query
//     is then compiled with each NAME bound to a file holding that input and
//     its sink (and any dead-letter sink) moved to temporary files, run, and
//     what it wrote must match exactly. A sink with no file of its own writes
//     in the output block's format; one with a path keeps its properties.
//   - `<!-- now: RFC3339 -->` before a ```sql block sets the processing-time
//     clock for it (default docClock).
//   - A table whose header has Example and Result columns is a list of
//     expression examples: each Example is run as `SELECT <example> AS r FROM
//     t` over one record, and must write {"r":<Result>}; a Result of
//     `error: TEXT` means the expression is rejected, or the record is, with
//     a message holding TEXT. Where the table has a Signature column, it
//     must equal functions.Signature of the function the row names.
//
// Expected outputs in the document are computed by hand from the rules it
// states; a mismatch is a bug in the engine or in the document, never a
// reason to paste the engine's output into the document.

const docPath = "../docs/sql.md"

// docClock is the processing-time clock of examples that set none.
var docClock = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

type docBlock struct {
	info string // the fence's info string: "sql", "jsonl input trades", ...
	body string // the lines between the fences, each ending in "\n"
	line int    // line of the opening fence
}

type docExample struct {
	sql      docBlock
	errSub   string // the query must fail Validate with this in a message
	now      time.Time
	inputs   []docBlock
	output   *docBlock
	dead     *docBlock
	summary  *docBlock
	stray    []string // problems found while reading the example
	executed bool
}

type docExprRow struct {
	line      int
	name      string // the first column (a function or operator), without backticks
	signature string // "" when the table has no Signature column or the cell is empty
	example   string
	result    string
	bad       string // why the row could not be read
}

type sqlDoc struct {
	text     string
	examples []*docExample
	rows     []docExprRow
	problems []string
}

var directiveRE = regexp.MustCompile(`^<!--\s*(error|now):\s*(.*?)\s*-->$`)

// parseSQLDoc reads the fenced blocks and expression tables of the document.
func parseSQLDoc(text string) *sqlDoc {
	d := &sqlDoc{text: text}
	var cur *docExample
	var pendingErr string
	var pendingNow time.Time
	var block *docBlock
	var header []string // the current table's header cells; nil outside a table
	sep := false        // the current table's separator row was seen
	inComment := false  // inside a multi-line <!-- ... --> (prose for the authors)
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if block != nil {
			if strings.TrimSpace(line) == "```" {
				d.addBlock(&cur, *block, &pendingErr, &pendingNow)
				block = nil
				continue
			}
			block.body += line + "\n"
			continue
		}
		trimmed := strings.TrimSpace(line)
		if inComment {
			// The comment quotes directives (`<!-- now: ... -->`): only a
			// line that closes without opening ends it.
			inComment = !strings.Contains(line, "-->") || strings.Contains(line, "<!--")
			continue
		}
		if strings.HasPrefix(trimmed, "<!--") && !strings.Contains(trimmed, "-->") {
			inComment = true
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			block = &docBlock{info: strings.TrimSpace(strings.TrimPrefix(trimmed, "```")), line: n}
			header, sep = nil, false
			continue
		}
		if m := directiveRE.FindStringSubmatch(trimmed); m != nil {
			switch m[1] {
			case "error":
				pendingErr = m[2]
			case "now":
				t, err := time.Parse(time.RFC3339Nano, m[2])
				if err != nil {
					d.problems = append(d.problems, fmt.Sprintf("line %d: bad now directive: %v", n, err))
				}
				pendingNow = t
			}
			continue
		}
		if !strings.HasPrefix(trimmed, "|") {
			header, sep = nil, false
			continue
		}
		cells := splitRow(trimmed)
		switch {
		case header == nil:
			header = cells
		case !sep:
			sep = true
		default:
			if row, ok := exprRow(header, cells, n); ok {
				d.rows = append(d.rows, row)
			}
		}
	}
	if block != nil {
		d.problems = append(d.problems, fmt.Sprintf("line %d: unterminated ``` block", block.line))
	}
	return d
}

// addBlock attaches a finished fenced block to the example it belongs to.
func (d *sqlDoc) addBlock(cur **docExample, b docBlock, pendingErr *string, pendingNow *time.Time) {
	fields := strings.Fields(b.info)
	lang := ""
	if len(fields) > 0 {
		lang = fields[0]
	}
	role := ""
	if len(fields) > 1 {
		role = fields[1]
	}
	switch {
	case lang == "sql":
		ex := &docExample{sql: b, errSub: *pendingErr, now: *pendingNow}
		if ex.now.IsZero() {
			ex.now = docClock
		}
		*pendingErr, *pendingNow = "", time.Time{}
		d.examples = append(d.examples, ex)
		*cur = ex
		return
	case role == "":
		return // an ordinary block (shell, text): not part of an example
	}
	ex := *cur
	if ex == nil {
		d.problems = append(d.problems, fmt.Sprintf("line %d: ```%s before any ```sql block", b.line, b.info))
		return
	}
	bad := func(why string) { ex.stray = append(ex.stray, fmt.Sprintf("line %d: ```%s %s", b.line, b.info, why)) }
	switch role {
	case "input":
		if len(fields) != 3 || (lang != "jsonl" && lang != "csv") {
			bad("must be ```jsonl input NAME or ```csv input NAME")
		} else if ex.output != nil {
			bad("comes after the output block")
		}
		ex.inputs = append(ex.inputs, b)
	case "output":
		if ex.output != nil || (lang != "jsonl" && lang != "csv") {
			bad("is a second output, or not jsonl/csv")
		}
		ex.output = &b
	case "dead_letters":
		if ex.dead != nil || lang != "jsonl" {
			bad("is a second dead_letters block, or not jsonl")
		}
		ex.dead = &b
	case "summary":
		if ex.summary != nil {
			bad("is a second summary block")
		}
		ex.summary = &b
	default:
		bad("has an unknown role")
	}
}

// splitRow splits a markdown table row into trimmed cells; `\|` is a pipe
// inside a cell.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	var cells []string
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			b.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(b.String()))
}

func unquoteCode(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '`' && s[len(s)-1] == '`' {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// exprRow reads a row of a table with Example and Result columns.
func exprRow(header, cells []string, line int) (docExprRow, bool) {
	ex, res, sig := -1, -1, -1
	for i, h := range header {
		switch h {
		case "Example":
			ex = i
		case "Result":
			res = i
		case "Signature":
			sig = i
		}
	}
	if ex < 0 || res < 0 {
		return docExprRow{}, false
	}
	if len(cells) != len(header) {
		return docExprRow{line: line, bad: fmt.Sprintf("the row has %d cells, its header %d (write a pipe in a cell as \\|)", len(cells), len(header))}, true
	}
	row := docExprRow{line: line, name: unquoteCode(cells[0]), example: unquoteCode(cells[ex]), result: unquoteCode(cells[res])}
	if sig >= 0 {
		row.signature = unquoteCode(cells[sig])
	}
	return row, true
}

func loadSQLDoc(t *testing.T) *sqlDoc {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("read the dialect reference: %v", err)
	}
	d := parseSQLDoc(string(b))
	for _, p := range d.problems {
		t.Error(p)
	}
	return d
}

// TestSQLDocExamples validates every SQL example in docs/sql.md and runs
// those that show their input and output.
func TestSQLDocExamples(t *testing.T) {
	d := loadSQLDoc(t)
	executed := 0
	for _, ex := range d.examples {
		t.Run(fmt.Sprintf("line_%d", ex.sql.line), func(t *testing.T) {
			runDocExample(t, ex)
		})
		if ex.executed {
			executed++
		}
	}
	t.Logf("%d SQL examples, %d executed, %d expression examples", len(d.examples), executed, len(d.rows))
	// The reference promises worked examples, not just syntax: keep it so.
	if executed < 40 {
		t.Errorf("only %d executed examples in %s, want at least 40", executed, docPath)
	}
}

func runDocExample(t *testing.T, ex *docExample) {
	for _, s := range ex.stray {
		t.Error(s)
	}
	src := ex.sql.body
	errs := Validate(src)
	if ex.errSub != "" {
		if len(errs) == 0 {
			t.Fatalf("line %d: the query is valid, but the document says it fails with %q", ex.sql.line, ex.errSub)
		}
		for _, e := range errs {
			if strings.Contains(e.Msg, ex.errSub) {
				return
			}
		}
		t.Fatalf("line %d: no error holds %q:\n%s", ex.sql.line, ex.errSub, diag.RenderAll("example.sql", src, errs))
	}
	if len(errs) > 0 {
		t.Fatalf("line %d: the example does not validate:\n%s", ex.sql.line, diag.RenderAll("example.sql", src, errs))
	}
	if ex.output == nil {
		if len(ex.inputs) > 0 || ex.dead != nil || ex.summary != nil {
			t.Fatalf("line %d: the example has inputs but no output block", ex.sql.line)
		}
		return
	}
	ex.executed = true
	res := runDocQuery(t, src, ex)
	if got, want := res.out, ex.output.body; got != want {
		t.Errorf("line %d: output differs\n--- got\n%s--- want (line %d)\n%s", ex.sql.line, got, ex.output.line, want)
	}
	if ex.dead != nil && res.dead != ex.dead.body {
		t.Errorf("line %d: dead letters differ\n--- got\n%s--- want (line %d)\n%s", ex.sql.line, res.dead, ex.dead.line, ex.dead.body)
	}
	if ex.summary != nil {
		got, _, _ := strings.Cut(res.summary, " in ")
		want, _, _ := strings.Cut(strings.TrimSpace(ex.summary.body), " in ")
		if got != want {
			t.Errorf("line %d: summary differs\n got: %s\nwant: %s", ex.sql.line, got, want)
		}
	}
}

type docRun struct {
	out, dead, summary, stderr string
	compileErrs                diag.List
}

// runDocQuery compiles src with the example's inputs bound to files, runs it
// and returns what it wrote.
func runDocQuery(t *testing.T, src string, ex *docExample) docRun {
	t.Helper()
	dir := t.TempDir()
	sources := map[string]map[string]string{}
	for _, in := range ex.inputs {
		f := strings.Fields(in.info)
		if len(f) != 3 {
			continue // reported as stray
		}
		format := "json"
		if f[0] == "csv" {
			format = "csv"
		}
		path := filepath.Join(dir, f[2]+"."+f[0])
		if err := os.WriteFile(path, []byte(in.body), 0o644); err != nil {
			t.Fatal(err)
		}
		sources[f[2]] = map[string]string{"type": "file_source", "path": path, "format": format}
	}
	outFormat := "json"
	if ex.output != nil && strings.HasPrefix(ex.output.info, "csv") {
		outFormat = "csv"
	}
	out := filepath.Join(dir, "out."+outFormat)
	sink := map[string]string{"type": "file_sink", "path": out, "format": outFormat}
	// A query that names its own output file keeps its format settings
	// (and the file's extension): only the file moves to the temporary
	// directory. Otherwise the output goes where `velo run --format`
	// would send it.
	if q, errs := Compile(src, Options{Sources: sources}); len(errs) == 0 && q.Plan.Sink.Props["path"] != "" {
		out = filepath.Join(dir, "out"+filepath.Ext(q.Plan.Sink.Props["path"]))
		sink = map[string]string{"type": "file_sink", "path": out}
	}
	q, errs := Compile(src, Options{Sources: sources, Sink: sink})
	if len(errs) > 0 {
		return docRun{compileErrs: errs}
	}
	// Dead letters never go where the example's WITH says (that would
	// write into the source tree), but to a temporary file.
	dead := filepath.Join(dir, "dead_letters.jsonl")
	for _, s := range q.Plan.Sources {
		if s.DLQ != nil {
			s.DLQ.Props["path"] = dead
		}
	}
	var stderr bytes.Buffer
	now := ex.now
	stats, err := q.Run(context.Background(), executor.Options{Stderr: &stderr, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("line %d: run: %v\nstderr: %s", ex.sql.line, err, stderr.String())
	}
	r := docRun{stderr: stderr.String(), summary: stats.Summary(0)}
	if b, err := os.ReadFile(out); err == nil {
		r.out = string(b)
	} else {
		t.Fatalf("line %d: read output: %v", ex.sql.line, err)
	}
	if b, err := os.ReadFile(dead); err == nil {
		r.dead = string(b)
	}
	return r
}

// TestSQLDocExpressions evaluates the expression tables (functions,
// operators) and checks their signatures.
func TestSQLDocExpressions(t *testing.T) {
	d := loadSQLDoc(t)
	if len(d.rows) == 0 {
		t.Fatal("no expression examples found")
	}
	input := docBlock{info: "jsonl input t", body: `{"x":1}` + "\n"}
	for _, row := range d.rows {
		t.Run(fmt.Sprintf("line_%d", row.line), func(t *testing.T) {
			if row.bad != "" {
				t.Fatalf("line %d: %s", row.line, row.bad)
			}
			if row.signature != "" {
				name, _, _ := strings.Cut(row.name, " ")
				if got := functions.Signature(name); got != row.signature {
					t.Errorf("line %d: signature of %s is %q, the document says %q", row.line, name, got, row.signature)
				}
			}
			if row.example == "" {
				t.Fatalf("line %d: empty example", row.line)
			}
			src := "SELECT " + row.example + " AS r FROM t"
			ex := &docExample{sql: docBlock{body: src, line: row.line}, now: docClock, inputs: []docBlock{input}}
			wantErr, isErr := strings.CutPrefix(row.result, "error: ")
			res := runDocQuery(t, src, ex)
			switch {
			case isErr && len(res.compileErrs) > 0:
				for _, e := range res.compileErrs {
					if strings.Contains(e.Msg, wantErr) {
						return
					}
				}
				t.Errorf("line %d: %s: no error holds %q:\n%s", row.line, src, wantErr, diag.RenderAll("example.sql", src, res.compileErrs))
			case len(res.compileErrs) > 0:
				t.Errorf("line %d: %s:\n%s", row.line, src, diag.RenderAll("example.sql", src, res.compileErrs))
			case isErr:
				if res.out != "" || !strings.Contains(res.stderr, wantErr) {
					t.Errorf("line %d: %s: want the record rejected with %q, got output %q, stderr %q", row.line, src, wantErr, res.out, res.stderr)
				}
			default:
				if want := `{"r":` + row.result + "}\n"; res.out != want {
					t.Errorf("line %d: %s\n got: %s want: %s", row.line, src, res.out, want)
				}
			}
		})
	}
}

// TestSQLDocComplete checks that the reference names every scalar
// function, aggregate and WITH property the engine knows, so that adding
// one without documenting it fails here.
func TestSQLDocComplete(t *testing.T) {
	d := loadSQLDoc(t)
	mentioned := func(name string) bool {
		re := regexp.MustCompile("`" + regexp.QuoteMeta(name) + "[`(]")
		return re.MatchString(d.text)
	}
	for _, n := range functions.Names() {
		if !mentioned(n) {
			t.Errorf("scalar function %s is not documented in %s", n, docPath)
		}
	}
	for _, n := range agg.Names() {
		if !mentioned(n) {
			t.Errorf("aggregate %s is not documented in %s", n, docPath)
		}
	}
	for _, k := range binder.PropertyKeys() {
		if !mentioned(k) {
			t.Errorf("WITH property %q is not documented in %s", k, docPath)
		}
	}
}

// timeRules are the time semantics as the engine core's issue states them;
// the reference must carry them word for word, each followed by a worked
// example.
var timeRules = []string{
	"Event time comes from the window's time column or `event.time.field`; without either, processing time.",
	"The watermark is the largest event time seen so far minus `max_out_of_orderness` (default 0).",
	"A window `[start, end)` closes when the watermark reaches `end`. A record whose every window has already closed is late: it is not counted, the late-record counter grows, and it goes to the dead-letter sink where one is set.",
	"At the end of a bounded input every open window closes, in order.",
}

// TestSQLDocTimeRules checks that each time rule is a paragraph of its own
// and that the next example after it is run.
func TestSQLDocTimeRules(t *testing.T) {
	d := loadSQLDoc(t)
	lines := strings.Split(d.text, "\n")
	for _, rule := range timeRules {
		at := -1
		for i, l := range lines {
			if strings.TrimSpace(l) == rule {
				at = i + 1
			}
		}
		if at < 0 {
			t.Errorf("%s does not state, as a paragraph of its own: %s", docPath, rule)
			continue
		}
		var next *docExample
		for _, ex := range d.examples {
			if ex.sql.line > at {
				next = ex
				break
			}
		}
		if next == nil || next.output == nil {
			t.Errorf("line %d: the rule is not followed by an example with input and output: %s", at, rule)
		}
	}
}

// TestParseSQLDoc pins the document conventions the tests above rely on.
func TestParseSQLDoc(t *testing.T) {
	doc := strings.Join([]string{
		"<!--",
		"```sql",
		"a comment for the authors quoting `<!-- now: X -->`, not an example",
		"-->",
		"<!-- error: unknown column -->",
		"```sql",
		"SELECT nope FROM t",
		"```",
		"<!-- now: 2024-02-03T04:05:06Z -->",
		"```sql",
		"SELECT a FROM t",
		"```",
		"text between blocks",
		"```jsonl input t",
		`{"a":1}`,
		"```",
		"```jsonl output",
		`{"a":1}`,
		"```",
		"```text summary",
		"velo: read 1 records",
		"```",
		"```sh",
		"velo run q.sql",
		"```",
		"| Function | Signature | Meaning | Example | Result |",
		"|---|---|---|---|---|",
		"| `UPPER` | `UPPER(s STRING) -> STRING` | upper case | `UPPER('a' \\|\\| 'b')` | `\"AB\"` |",
		"| `LOWER` | | a bare pipe | `'a' || 'b'` | `\"ab\"` |",
		"",
		"| Other | Table |",
		"|---|---|",
		"| a | b |",
	}, "\n") + "\n"
	d := parseSQLDoc(doc)
	if len(d.problems) > 0 {
		t.Fatalf("problems: %v", d.problems)
	}
	if len(d.examples) != 2 {
		t.Fatalf("got %d examples, want 2", len(d.examples))
	}
	e0, e1 := d.examples[0], d.examples[1]
	if e0.errSub != "unknown column" || e0.output != nil || !e0.now.Equal(docClock) {
		t.Errorf("first example = %+v", e0)
	}
	if e1.errSub != "" || len(e1.inputs) != 1 || e1.output == nil || e1.output.body != "{\"a\":1}\n" || e1.summary == nil ||
		!e1.now.Equal(time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)) || len(e1.stray) > 0 {
		t.Errorf("second example = %+v", e1)
	}
	if len(d.rows) != 2 {
		t.Fatalf("got %d expression rows, want 2: %+v", len(d.rows), d.rows)
	}
	r := d.rows[0]
	if r.name != "UPPER" || r.signature != "UPPER(s STRING) -> STRING" || r.example != "UPPER('a' || 'b')" || r.result != `"AB"` || r.bad != "" {
		t.Errorf("row = %+v", r)
	}
	if d.rows[1].bad == "" {
		t.Errorf("a row with an unescaped pipe was read as %+v", d.rows[1])
	}
}
