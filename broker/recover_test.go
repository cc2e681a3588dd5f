package broker

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRecoverTopics(t *testing.T) {
	const meta1 = `{"version":1,"cluster_id":"velostream-dev"}`
	const kept = `{"name":"kept","id":"2l812BbgvH+ge59XGHquLQ==","partitions":2,"replicas":1,"configs":{"retention.ms":"1000"}}`
	tests := []struct {
		name       string
		meta       string // "" for none
		topics     string // "" for none
		dirs       []string
		partitions int
		wantAdded  []string
		wantParts  map[string]int
		wantErr    string
	}{
		{name: "new data dir", dirs: []string{"a-0"}, partitions: 3},
		{name: "nothing missing", meta: meta1, topics: `{"version":1,"topics":[` + kept + `]}`,
			dirs: []string{"kept-0", "kept-1"}, partitions: 3, wantParts: map[string]int{"kept": 2}},
		{name: "orphans recovered", meta: meta1, topics: `{"version":1,"topics":[` + kept + `]}`,
			dirs:       []string{"kept-0", "orders-0", "orders-2", "my-topic-2-0", "a%2Fb-4", "not-a-partition", "x-y"},
			partitions: 3, wantAdded: []string{"a/b", "my-topic-2", "orders"},
			wantParts: map[string]int{"kept": 2, "orders": 3, "my-topic-2": 3, "a/b": 5}},
		{name: "no topics.json yet", meta: meta1, dirs: []string{"t-0"}, partitions: 1,
			wantAdded: []string{"t"}, wantParts: map[string]int{"t": 1}},
		{name: "unknown meta version", meta: `{"version":2}`, topics: `{"version":1,"topics":[]}`, dirs: []string{"t-0"}, partitions: 3,
			wantParts: map[string]int{}},
		{name: "unknown topics version", meta: meta1, topics: `{"version":9,"topics":[]}`, dirs: []string{"t-0"}, partitions: 3,
			wantParts: map[string]int{}},
		{name: "corrupt topics.json", meta: meta1, topics: `{"version":1,"topics":[`, dirs: []string{"t-0"}, wantErr: "topics.json"},
		{name: "corrupt meta.json", meta: `{`, wantErr: "meta.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, s string) {
				if s != "" {
					if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			write("meta.json", tt.meta)
			write("topics.json", tt.topics)
			for _, d := range tt.dirs {
				if err := os.MkdirAll(filepath.Join(dir, "partitions", d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			// A file, not a partition directory.
			if err := os.MkdirAll(filepath.Join(dir, "partitions"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(filepath.Join("partitions", "stray-0"), "x")

			added, err := recoverTopics(dir, tt.partitions, slog.New(slog.DiscardHandler))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(added, tt.wantAdded) {
				t.Fatalf("added %q; want %q", added, tt.wantAdded)
			}
			if tt.wantParts == nil {
				return
			}
			var got struct {
				Version int
				Topics  []struct {
					Name       string
					ID         []byte
					Partitions int
					Replicas   int
					Configs    map[string]string
				}
			}
			b, err := os.ReadFile(filepath.Join(dir, "topics.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("topics.json after recovery: %v\n%s", err, b)
			}
			parts := map[string]int{}
			for _, tp := range got.Topics {
				parts[tp.Name] = tp.Partitions
				if len(tp.ID) != 16 || tp.Replicas != 1 {
					t.Errorf("topic %s: id %x replicas %d; want a 16-byte id and 1 replica", tp.Name, tp.ID, tp.Replicas)
				}
				if tp.Name == "kept" && tp.Configs["retention.ms"] != "1000" {
					t.Errorf("existing topic lost its configs: %s", b)
				}
			}
			for name, want := range tt.wantParts {
				if parts[name] != want {
					t.Errorf("topic %s has %d partitions; want %d (topics.json %s)", name, parts[name], want, b)
				}
			}
			if len(parts) != len(tt.wantParts) {
				t.Errorf("topics.json lists %v; want %v", parts, tt.wantParts)
			}
		})
	}
}
