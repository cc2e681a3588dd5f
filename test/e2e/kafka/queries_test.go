package kafka_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/velostream/velostream/test/kafkatest"
)

// TestQueriesOverKafka: the hand-computed cases of engine/testdata/queries
// give the same rows when their input comes from a 3-partition topic and
// their output goes to a topic. Records that must stay in order share a key
// (and so a partition); the rows are compared as a set, since the order
// between partitions is not defined.
func TestQueriesOverKafka(t *testing.T) {
	b := kafkatest.StartBroker(t, kafkatest.WithPartitions(3))
	for _, tc := range []struct {
		dir    string
		source string // the source name, and the input file's
		key    string // the field whose value becomes the record key; "" puts every record on partition 0
	}{
		{dir: "tumbling_final", source: "trades", key: "symbol"},
		{dir: "tumbling_changes", source: "trades", key: "symbol"},
		{dir: "exact_decimals", source: "prices"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join(repoRoot(t), "engine", "testdata", "queries", tc.dir)
			in, out := tc.dir+"-in", tc.dir+"-out"
			var lines []string
			opts := kafkatest.ProduceOpts{}
			for _, l := range readLines(t, filepath.Join(dir, tc.source+".jsonl")) {
				if tc.key == "" {
					lines = append(lines, l)
					continue
				}
				lines = append(lines, strings.Trim(field(t, l, tc.key), `"`)+"|"+l)
			}
			if tc.key == "" {
				var zero int32
				opts.Partition = &zero
			} else {
				opts.KeyDelim = "|"
			}
			kafkatest.Produce(t, b.Addr(), in, lines, opts)
			if n := kafkatest.TopicPartitions(t, b.Addr(), in); n != 3 {
				t.Fatalf("%s has %d partitions, want 3", in, n)
			}

			v := startVelo(t, "run", filepath.Join(dir, "query.sql"), "-q",
				"--source", sourceURI(tc.source, b.Addr(), in, "g-"+tc.dir),
				"--sink", "kafka://"+b.Addr()+"/"+out)
			v.wait(t)

			want := readLines(t, filepath.Join(dir, "expected.jsonl"))
			got := payloads(kafkatest.Consume(t, b.Addr(), out, len(want), waitLimit))
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rows differ\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			committedAtEnd(t, b.Addr(), "g-"+tc.dir, in)
		})
	}
}
