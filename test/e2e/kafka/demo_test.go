package kafka_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestDemo: `velo demo` works with nothing installed: it starts its
// broker, feeds the topics, and its query prints rows that track the feed,
// then stops cleanly when its time is up. The example queries it can run
// instead work too.
func TestDemo(t *testing.T) {
	for _, tc := range []struct {
		sql   string
		group string // a column every row has
	}{
		{"", "symbol"},
		{"examples/demo_trades.sql", "symbol"},
		{"examples/demo_transactions.sql", "region"},
	} {
		t.Run(fmt.Sprintf("sql=%q", tc.sql), func(t *testing.T) {
			args := []string{"demo", "--addr", "127.0.0.1:0", "--duration", "3s", "--rate", "200", "--format", "json"}
			if tc.sql != "" {
				args = append(args, "--sql", tc.sql)
			}
			v := startVelo(t, args...)
			v.wait(t)
			lines := strings.Split(strings.TrimSpace(v.stdout.String()), "\n")
			// 3 s at 200 records/s: EMIT CHANGES gives a row per record
			// once the query has joined; far fewer means the feed or the
			// query stalled.
			if len(lines) < 100 {
				t.Fatalf("%d rows in 3 s at 200 records/s:\n%s\nstderr:\n%s", len(lines), v.stdout.String(), v.stderr.String())
			}
			for _, l := range lines {
				var row map[string]any
				if err := json.Unmarshal([]byte(l), &row); err != nil {
					t.Fatalf("row %q: %v", l, err)
				}
				if row[tc.group] == nil || row["window_start"] == nil {
					t.Fatalf("row %s lacks %s or window_start", l, tc.group)
				}
			}
			if s := v.stderr.String(); !strings.Contains(s, "broker on 127.0.0.1:") || !strings.Contains(s, "0 late, 0 bad") {
				t.Errorf("standard error:\n%s", s)
			}
		})
	}
}
