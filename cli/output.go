package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/stdio"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
)

// newStdoutEmitter writes rows to w as JSON lines or CSV.
func newStdoutEmitter(ctx context.Context, w io.Writer, schema types.Schema, fmtName string) (executor.Emitter, error) {
	sink, err := stdio.NewSink(w, connectors.Config{Name: "stdout", Props: map[string]string{"format": fmtName}, Schema: schema})
	if err != nil {
		return nil, err
	}
	return executor.NewSinkEmitter(ctx, sink, schema, fmtName, ""), nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// tableEmitter shows results as an aligned table. On a terminal it redraws
// the newest rows at most ten times a second; otherwise it prints every row
// once at the end (up to maxRows, saying how many it left out).
type tableEmitter struct {
	mu       sync.Mutex
	w        io.Writer
	schema   types.Schema
	live     bool
	rows     [][]string
	dropped  int
	total    int
	lastDraw time.Time
	drawn    int // lines drawn last time (to move the cursor back)
}

const maxRows = 10000

func newTableEmitter(w io.Writer, schema types.Schema, live bool) *tableEmitter {
	return &tableEmitter{w: w, schema: schema, live: live}
}

func (t *tableEmitter) Emit(row types.Row, _ int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	cells := make([]string, len(row))
	for i, v := range row {
		cells[i] = cellText(v)
	}
	t.total++
	keep := maxRows
	if t.live {
		keep = 20
	}
	t.rows = append(t.rows, cells)
	if len(t.rows) > keep {
		t.rows = t.rows[1:]
		t.dropped++
	}
	if t.live && time.Since(t.lastDraw) > 100*time.Millisecond {
		t.draw()
	}
	return nil
}

func cellText(v types.Value) string {
	if v.K == types.KindNull {
		return "NULL"
	}
	if v.K == types.KindString {
		return v.S
	}
	return strings.Trim(string(format.AppendJSONValue(nil, v)), `"`)
}

func (t *tableEmitter) draw() {
	var b strings.Builder
	if t.live && t.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", t.drawn)
	}
	widths := make([]int, len(t.schema))
	for i, c := range t.schema {
		widths[i] = utf8.RuneCountInString(c.Name)
	}
	for _, r := range t.rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
		}
		b.WriteByte('\n')
	}
	line(t.schema.Names())
	sep := make([]string, len(widths))
	for i, w := range widths {
		sep[i] = strings.Repeat("-", w)
	}
	line(sep)
	for _, r := range t.rows {
		line(r)
	}
	lines := len(t.rows) + 2
	if t.dropped > 0 {
		if t.live {
			fmt.Fprintf(&b, "(%d rows, showing the newest %d)\n", t.total, len(t.rows))
		} else {
			fmt.Fprintf(&b, "(%d more rows not shown)\n", t.dropped)
		}
		lines++
	}
	io.WriteString(t.w, b.String())
	t.drawn = lines
	t.lastDraw = time.Now()
}

func (t *tableEmitter) Flush(context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live {
		t.draw()
	}
	return nil
}

func (t *tableEmitter) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.live {
		t.draw()
	}
	return nil
}
