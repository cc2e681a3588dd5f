package catalog

import (
	"context"
	"strings"
	"testing"

	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/parser"
)

func TestBind(t *testing.T) {
	c := New(Config{Streams: demo.Catalog(), Bootstrap: "127.0.0.1:9092"})
	tests := []struct {
		name    string
		sql     string
		mode    Mode
		decls   []string          // substrings, one per expected declaration
		sources map[string]string // source -> "k=v" pairs expected in Sources (sorted, comma separated substrings)
	}{
		{name: "an unbound demo stream is declared, live from the latest record",
			sql:   "SELECT symbol FROM trades",
			decls: []string{"CREATE STREAM trades (symbol STRING, price DECIMAL(12,4), quantity INTEGER", "'trades.start' = 'latest'", "'trades.bootstrap.servers' = '127.0.0.1:9092'", "'trades.event.time.field' = 'ts'"}},
		{name: "a table is declared as a table, read from the start",
			sql:   "SELECT t.symbol, c.tier FROM trades t JOIN customers c ON t.customer_id = c.customer_id",
			decls: []string{"CREATE STREAM trades", "CREATE TABLE customers (customer_id STRING", "'customers.key.field' = 'customer_id'", "'customers.start' = 'earliest'"}},
		{name: "bounded reads end",
			sql: "SELECT symbol FROM trades", mode: Mode{Bounded: true},
			decls: []string{"'trades.bounded' = 'true'", "'trades.start' = 'earliest'"}},
		{name: "a deploy declares without broker or start",
			sql: "SELECT symbol FROM trades", mode: Mode{Deploy: true},
			decls: []string{"CREATE STREAM trades (", "'trades.topic' = 'trades'"}},
		{name: "a stream the user declared is the user's",
			sql:   "CREATE STREAM trades (symbol STRING) WITH ('trades.type' = 'kafka_source', 'trades.topic' = 'trades');\nSELECT symbol FROM trades",
			decls: nil, sources: map[string]string{"trades": "bootstrap.servers=127.0.0.1:9092"}},
		{name: "a file is the user's",
			sql: "SELECT symbol FROM trades WITH ('trades.path' = 'x.jsonl')"},
		{name: "a Kafka URI gets the broker and the catalog's time column",
			sql:     "SELECT symbol FROM kafka://trades",
			sources: map[string]string{"trades": "bootstrap.servers=127.0.0.1:9092"}},
		{name: "unknown names are left alone",
			sql: "SELECT a FROM nowhere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script, errs := parser.Parse(tt.sql)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			b := c.Bind(context.Background(), script, tt.mode)
			joined := strings.Join(b.Decls, "\n")
			for _, want := range tt.decls {
				if !strings.Contains(joined, want) {
					t.Errorf("declarations lack %q:\n%s", want, joined)
				}
			}
			if tt.decls == nil && len(b.Decls) > 0 {
				t.Errorf("declared %v", b.Decls)
			}
			if tt.mode.Deploy && (strings.Contains(joined, "bootstrap") || strings.Contains(joined, ".start'")) {
				t.Errorf("a deploy names a broker or a start:\n%s", joined)
			}
			for src, want := range tt.sources {
				got := b.Sources[src]
				for _, kv := range strings.Split(want, ",") {
					k, v, _ := strings.Cut(kv, "=")
					if got[k] != v {
						t.Errorf("%s.%s = %q, want %q (%v)", src, k, got[k], v, got)
					}
				}
			}
			// Whatever was added, the user's text comes first, unchanged,
			// and the whole compiles (no data is read).
			text := b.Text(tt.sql)
			if !strings.HasPrefix(text, tt.sql) {
				t.Errorf("the user's text moved:\n%s", text)
			}
			if tt.name != "unknown names are left alone" && tt.name != "a file is the user's" {
				if _, errs := engine.Compile(text, engine.Options{Sources: b.Sources, Resolve: b.Resolve, NoSampling: true}); len(errs) > 0 {
					t.Errorf("compile:\n%s\n%v", text, errs)
				}
			}
		})
	}
}

func TestTextEndsTheUsersStatement(t *testing.T) {
	b := &Binding{Decls: []string{"CREATE STREAM x (a STRING) WITH ('x.type' = 'kafka_source', 'x.topic' = 'x');"}}
	for src, want := range map[string]string{
		"SELECT 1":           "SELECT 1\n;\n-- Declared",
		"SELECT 1;":          "SELECT 1;\n-- Declared",
		"SELECT 1 -- note":   "SELECT 1 -- note\n;\n-- Declared",
		"SELECT 1; -- done":  "SELECT 1; -- done\n-- Declared",
		"SELECT ';' FROM x":  "SELECT ';' FROM x\n;\n",
		"SELECT 1\n-- @x: y": "SELECT 1\n-- @x: y\n;\n",
	} {
		if got := b.Text(src); !strings.HasPrefix(got, want) {
			t.Errorf("Text(%q) = %q, want prefix %q", src, got, want)
		}
	}
	if got := (&Binding{}).Text("SELECT 1"); got != "SELECT 1" {
		t.Errorf("no declarations: %q", got)
	}
}
