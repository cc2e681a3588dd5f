package kafka_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/velostream/velostream/test/kafkatest"
)

// TestPoisonRecordsGoToTheDeadLetterTopic: malformed JSON and a record
// without its time field land in the 'dlq.topic' with headers saying where
// they came from and why; the query keeps running and the good records'
// rows are those of the case without them.
func TestPoisonRecordsGoToTheDeadLetterTopic(t *testing.T) {
	b := kafkatest.StartBroker(t, kafkatest.WithPartitions(3))
	dir := filepath.Join(repoRoot(t), "engine", "testdata", "queries", "tumbling_final")
	poison := map[string]string{
		`{"symbol":"AAPL","price":1,"quantity":1,`:                  "decode",
		`{"symbol":"MSFT","price":1,"quantity":1}`:                  "time",
		`{"symbol":"MSFT","price":1,"quantity":1,"ts":"yesterday"}`: "time",
	}
	var lines []string
	for i, l := range readLines(t, filepath.Join(dir, "trades.jsonl")) {
		sym := strings.Trim(field(t, l, "symbol"), `"`)
		lines = append(lines, sym+"|"+l)
		if i == 1 { // in the middle of both symbols' records
			for p := range poison {
				sym := p[len(`{"symbol":"`) : len(`{"symbol":"`)+4]
				lines = append(lines, sym+"|"+p)
			}
		}
	}
	kafkatest.Produce(t, b.Addr(), "trades", lines, kafkatest.ProduceOpts{KeyDelim: "|"})
	input := kafkatest.Consume(t, b.Addr(), "trades", len(lines), waitLimit)

	v := startVelo(t, "run", filepath.Join(dir, "query.sql"),
		"--source", sourceURI("trades", b.Addr(), "trades", "g", "dlq.topic=trades-dlq"),
		"--sink", "kafka://"+b.Addr()+"/out")
	v.wait(t)
	if s := v.stderr.String(); !strings.Contains(s, "3 dead-lettered") {
		t.Errorf("summary does not count 3 dead letters:\n%s", s)
	}

	want := readLines(t, filepath.Join(dir, "expected.jsonl"))
	slices.Sort(want)
	if got := payloads(kafkatest.Consume(t, b.Addr(), "out", len(want), waitLimit)); !slices.Equal(got, want) {
		t.Errorf("rows differ\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	dlq := kafkatest.Consume(t, b.Addr(), "trades-dlq", len(poison), waitLimit)
	for _, d := range dlq {
		h := map[string]string{}
		for _, x := range d.Headers {
			h[x.Key] = x.Value
		}
		// Find the input record the headers point at.
		var orig *kafkatest.KcatRecord
		for i := range input {
			if fmt.Sprint(input[i].Partition) == h["velo.partition"] && fmt.Sprint(input[i].Offset) == h["velo.offset"] {
				orig = &input[i]
			}
		}
		if orig == nil || h["velo.topic"] != "trades" {
			t.Errorf("dead letter %s: headers %v point at no record of trades", d.Payload, h)
			continue
		}
		reason, isPoison := poison[orig.Payload]
		if !isPoison {
			t.Errorf("dead letter for a good record: %s", orig.Payload)
			continue
		}
		delete(poison, orig.Payload)
		if h["velo.error.reason"] != reason || h["velo.error"] == "" {
			t.Errorf("dead letter of %s: reason %q (error %q), want %q", orig.Payload, h["velo.error.reason"], h["velo.error"], reason)
		}
		if d.Key != orig.Key {
			t.Errorf("dead letter of %s has key %q, want the record's %q", orig.Payload, d.Key, orig.Key)
		}
		if !strings.Contains(d.Payload, `"reason":"`+reason+`"`) {
			t.Errorf("dead letter payload %s does not say %q", d.Payload, reason)
		}
	}
	if len(poison) > 0 {
		t.Errorf("poison records without a dead letter: %v", poison)
	}
	committedAtEnd(t, b.Addr(), "g", "trades")
}
