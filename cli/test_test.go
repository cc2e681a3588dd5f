package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/testkit/report"
)

var update = flag.Bool("update", false, "rewrite golden files")

// normalise replaces what changes from run to run (timings, throughput,
// heap) so the rest of the output can be compared exactly.
func normalise(s string) string {
	for _, r := range []struct{ re, to string }{
		{`execution_time: [0-9.,]+ms`, "execution_time: <ms>"},
		{`Execution time: [0-9.,]+ms \([0-9.,]+ms generating data\)`, "Execution time: <ms> (<ms> generating data)"},
		{`Throughput: [0-9,]+ records/sec`, "Throughput: <n> records/sec"},
		{`Peak memory: [0-9.]+ MB heap`, "Peak memory: <mb> MB heap"},
		{`time="[0-9.]+"`, `time="<s>"`},
		{`seen:     [0-9.]+ms`, "seen:     <ms>"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.to)
	}
	return s
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "test", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

const ex = "../examples/test/"

func TestVeloTestGolden(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"brief example passes", []string{"test", ex + "trades.sql", "--records", "10000"}, 0, "trades.txt"},
		{"join coverage passes", []string{"test", ex + "customer_volume.sql"}, 0, "customer_volume.txt"},
		{"join coverage fails", []string{"test", ex + "customer_volume.sql", "--spec", ex + "customer_volume_unlinked.test.yaml"}, 1, "customer_volume_unlinked.txt"},
		{"junit", []string{"test", ex + "customer_volume.sql", "--spec", ex + "customer_volume_unlinked.test.yaml", "--output", "junit"}, 1, "customer_volume_unlinked.xml"},
		{"the brief's JOIN passes", []string{"test", ex + "enriched.sql"}, 0, "enriched.txt"},
		{"the brief's JOIN fails", []string{"test", ex + "enriched.sql", "--spec", ex + "enriched_unlinked.test.yaml"}, 1, "enriched_unlinked.txt"},
		{"print schema", []string{"test", "--print-schema", "testdata/test/inferred.sql"}, 0, "inferred.schema.yaml"},
		{"defaults", []string{"test", "testdata/test/inferred.sql", "--records", "2000", "--seed", "1"}, 0, "inferred.txt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := run(t, "", c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out, errOut)
			}
			golden(t, c.golden, normalise(out))
		})
	}
}

func TestVeloTestJSON(t *testing.T) {
	out, _, code := run(t, "", "test", ex+"customer_volume.sql", "--spec", ex+"customer_volume_unlinked.test.yaml", "--output", "json")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Version != 1 || rep.Passed || rep.Total != 3 || rep.Failed != 1 || rep.Assertions[0].Type != "join_coverage" ||
		len(rep.Assertions[0].Rows) != 5 || rep.Findings[0].Kind != "join_coverage" || rep.Data[0].Name != "trades" || rep.Engine.Read != 5000 {
		t.Fatalf("%s", out)
	}
}

// --ai with no provider says so and changes nothing else.
func TestVeloTestAI(t *testing.T) {
	out, _, code := run(t, "", "test", ex+"customer_volume.sql", "--spec", ex+"customer_volume_unlinked.test.yaml", "--ai")
	if code != 1 || !strings.Contains(out, "🤖 AI Analysis:\n  No AI provider is configured, so nothing was sent anywhere; the analysis above is rule-based.") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if i, j := strings.Index(out, "Analysis:\n  • The JOIN"), strings.Index(out, "🤖"); i < 0 || j < i {
		t.Fatal("the rule-based findings come first")
	}
}

func TestVeloTestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badSQL := writeFile(t, dir, "bad.sql", "SELECT symbol,, FROM trades")
	badSpec := writeFile(t, dir, "q.test.yaml", "records: 10\nassertions:\n  - record_count: {bigger: 1}\n")
	q := writeFile(t, dir, "q.sql", "SELECT symbol FROM trades")
	badSchema := writeFile(t, dir, "s.yaml", "fields:\n  - name: symbol\n    type: strin\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"test", badSQL}, "bad.sql:1:15:"},
		{[]string{"test", q}, "q.test.yaml:3:20: record_count: unknown key \"bigger\""},
		{[]string{"test", q, "--spec", "/nonexistent.yaml"}, "no such file"},
		{[]string{"test", q, "--spec", badSpec, "--schema", "trades=" + badSchema}, "s.yaml:3:11: field \"symbol\": unknown type \"strin\""},
		{[]string{"test", q, "--output", "xml"}, "unknown --output \"xml\""},
		{[]string{"test", q, "--schema", "trades"}, "want NAME=FILE.yaml"},
	}
	for _, c := range cases {
		_, errOut, code := run(t, "", c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
}

func TestGenerateData(t *testing.T) {
	out, errOut, code := run(t, "", "generate-data", ex+"customers.schema.yaml", "--records", "3", "--seed", "1")
	if code != 0 {
		t.Fatal(errOut)
	}
	want := `{"customer_id":"C-100","tier":"gold","region":"EMEA"}
{"customer_id":"C-200","tier":"bronze","region":"EMEA"}
{"customer_id":"C-300","tier":"bronze","region":"AMER"}
`
	if out != want {
		t.Fatalf("got\n%s", out)
	}
	out, _, _ = run(t, "", "generate-data", ex+"customers.schema.yaml", "--records", "2", "--seed", "1", "--format", "csv")
	if out != "customer_id,tier,region\nC-100,gold,EMEA\nC-200,bronze,EMEA\n" {
		t.Fatalf("csv:\n%s", out)
	}
	// References resolve against the referenced schema given with --schema.
	dir := t.TempDir()
	path := filepath.Join(dir, "trades.jsonl")
	_, errOut, code = run(t, "", "generate-data", ex+"trades.schema.yaml", "--schema", "customers="+ex+"customers.schema.yaml",
		"--records", "200", "--to", "file:"+path)
	if code != 0 {
		t.Fatal(errOut)
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 200 || !strings.Contains(lines[0], `"customer_id":"C-`) {
		t.Fatalf("%d lines, first %s", len(lines), lines[0])
	}
	_, errOut, code = run(t, "", "generate-data", ex+"trades.schema.yaml", "--records", "1")
	if code != 2 || !strings.Contains(errOut, "references schema \"customers\", which this test does not have") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// generate-data --to kafka:// writes keyed records that a consumer reads
// back (the embedded broker on loopback).
func TestGenerateDataKafka(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, errOut, code := run(t, "", "generate-data", ex+"customers.schema.yaml", "--records", "500", "--key", "customer_id",
		"--to", "kafka://"+b.Addr()+"/customers")
	if code != 0 {
		t.Fatal(errOut)
	}
	src, err := connectors.OpenSource(ctx, "kafka_source", connectors.Config{Name: "customers",
		Props: map[string]string{"topic": "customers", "bootstrap.servers": b.Addr(), "bounded": "true", "start": "earliest"}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n := 0
	keys := map[string]bool{}
	for {
		batch, err := src.Read(ctx)
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range batch.Records {
			keys[string(r.Prov.Key)] = true
		}
		n += len(batch.Records)
	}
	if n != 500 || !keys["C-100"] || !keys["C-50000"] {
		t.Fatalf("read %d records, keys %d", n, len(keys))
	}
}
