package link_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/test/kafkatest"
)

// runVelo runs velo to completion and returns its exit code, stdout and
// stderr.
func runVelo(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(kafkatest.BuildVelo(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("velo %s: %v", strings.Join(args, " "), err)
	return 0, "", ""
}

func TestLinkUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: velostream.io/v1alpha1\nkind: ClusterLink\nmetadata: {name: x}\nspec:\n  source: {bootstrapServers: \"a:1\"}\n  target: {bootstrapServers: \"b:1\"}\n  topics: {include: [\"(\"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"link"}, "velo link needs -f FILE"},
		{[]string{"link", "-f", bad}, bad + ": 7:22: spec.topics.include[0]: \"(\" is not a regular expression"},
		{[]string{"link", "-f", bad, "--compression", "brotli"}, `--compression "brotli"`},
		{[]string{"link", "-f", filepath.Join(t.TempDir(), "missing.yaml")}, "no such file"},
		{[]string{"link", "failover", "x"}, "needs -f FILE"},
		{[]string{"link", "failover", "x", "-f", bad, "-o", "yaml"}, `-o "yaml"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runVelo(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

// TestFailoverCommand: `velo link failover` against a running `velo link`
// process: the link stops replicating, reports the group's offsets (JSON),
// stays up failed over (ready, metrics say so) and replicates no more; a
// second failover prints the same report; --cancel lets a restarted link
// replicate again.
func TestFailoverCommand(t *testing.T) {
	src := kafkatest.StartBroker(t)
	tgt := kafkatest.StartBroker(t)
	const topic = "fo.orders"
	createTopic(t, src.Addr(), topic, 2, nil)
	var recs []*kgo.Record
	for i := range 2000 {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i % 2), Value: []byte(strconv.Itoa(i))})
	}
	produce(t, src.Addr(), recs)
	cfg := linkYAML(t, "fo", src.Addr(), tgt.Addr(), `topics: {include: ["fo\\..*"]}`, `consumerGroups: {include: ["app"]}`, `syncInterval: 1s`)
	lk := startLink(t, cfg, "--mapping-every", "100")
	waitUntil(t, lk, "replication", func() bool { return targetSize(t, tgt.Addr(), topic) == 2000 })
	kafkatest.ConsumeGroup(t, src.Addr(), "app", topic, 1234)

	code, stdout, stderr := runVelo(t, "link", "failover", "fo", "-f", cfg, "-o", "json")
	if code != 0 {
		t.Fatalf("failover exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "the running link stopped and reported") {
		t.Errorf("the running link did not report: %s", stderr)
	}
	var rep struct {
		Groups []struct {
			Group   string
			Offsets map[string]map[string]int64
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report %q: %v", stdout, err)
	}
	committed := groupOffsets(t, src.Addr(), "app", topic)
	if len(rep.Groups) != 1 || rep.Groups[0].Group != "app" {
		t.Fatalf("report %+v", rep)
	}
	for p, c := range committed {
		got := rep.Groups[0].Offsets[topic][strconv.Itoa(int(p))]
		if got > c || c-got >= 200 {
			t.Errorf("partition %d: resume at %d for a source commit at %d", p, got, c)
		}
	}

	// The link stands failed over, ready, and copies nothing more.
	resp, err := http.Get(strings.TrimSuffix(lk.url, "/metrics") + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "failed over") {
		t.Fatalf("/readyz: %d %s", resp.StatusCode, body)
	}
	if st, _ := lk.scrape(); !st.FailedOver {
		t.Fatal("the link's metrics do not report the failover")
	}
	produce(t, src.Addr(), []*kgo.Record{{Topic: topic, Value: []byte("after")}})
	again, stdout2, _ := runVelo(t, "link", "failover", "fo", "-f", cfg)
	if again != 0 || !strings.Contains(stdout2, "GROUP") || !strings.Contains(stdout2, fmt.Sprintf("app    %s", topic)) {
		t.Fatalf("second failover: exit %d\n%s", again, stdout2)
	}
	if n := targetSize(t, tgt.Addr(), topic); n != 2000 {
		t.Fatalf("a failed-over link copied: the target holds %d records", n)
	}
	lk.stop()

	if code, _, stderr := runVelo(t, "link", "failover", "fo", "-f", cfg, "--cancel"); code != 0 {
		t.Fatalf("--cancel exit %d: %s", code, stderr)
	}
	lk = startLink(t, cfg)
	waitUntil(t, lk, "replication after the cancel", func() bool { return targetSize(t, tgt.Addr(), topic) == 2001 })
	lk.stop()
}
