package kafka_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/velostream/velostream/test/kafkatest"
)

// feedRate is how fast the crash and restart tests' feeds produce: a live
// stream the query follows, so that it is always mid-run when something
// happens to it or to the broker.
const feedRate = 20_000

// TestKilledQueryLosesAndDoublesNothing: a query following a live feed on
// a 3-partition topic is killed with SIGKILL three times at random points
// (each after it has committed progress, so that the restart resumes from
// a commit rather than from the start) and started again; then the feed
// stops and a bounded run reads to the end. The rows written, last row per
// (window, symbol), are the expected ones, every row written is right
// (one emitted twice across a crash is the same row), and the consumer
// group's committed offsets reach the end of the topic.
func TestKilledQueryLosesAndDoublesNothing(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))

	b := kafkatest.StartBroker(t, kafkatest.WithPartitions(3))
	feed := startFeeder(t, b.Addr(), "trades", 0, feedRate)
	sql := writeQuery(t)
	live := []string{"run", sql, "-q", "--source", "trades=kafka://" + b.Addr() + "/trades?group=crash", "--sink", "kafka://" + b.Addr() + "/out"}

	for kill := 1; kill <= 3; kill++ {
		from := committedSum(t, b.Addr(), "crash", "trades")
		v := startVelo(t, live...)
		waitFor(t, v, "commit progress", func() bool { return committedSum(t, b.Addr(), "crash", "trades") > from })
		time.Sleep(time.Duration(rng.IntN(2000)) * time.Millisecond)
		v.kill()
		t.Logf("kill %d: committed %d -> %d records; out holds %d rows", kill, from, committedSum(t, b.Addr(), "crash", "trades"), topicSize(t, b.Addr(), "out"))
	}
	n := feed.Stop(t)
	v := startVelo(t, "run", sql, "--source", sourceURI("trades", b.Addr(), "trades", "crash"), "--sink", "kafka://"+b.Addr()+"/out")
	v.wait(t)
	t.Logf("%d records fed; final run: %s", n, strings.TrimSpace(v.stderr.String()))

	out := kafkatest.Consume(t, b.Addr(), "out", int(topicSize(t, b.Addr(), "out")), waitLimit)
	payloads := make([]string, len(out))
	for i, r := range out {
		payloads[i] = r.Payload
	}
	want := expectedWindows(n)
	t.Logf("%d rows written for %d windows", len(payloads), len(want))
	checkWindows(t, payloads, want)
	committedAtEnd(t, b.Addr(), "crash", "trades")
}

func writeQuery(t testing.TB) string {
	t.Helper()
	sql := filepath.Join(t.TempDir(), "q.sql")
	if err := os.WriteFile(sql, []byte(windowQuery), 0o644); err != nil {
		t.Fatal(err)
	}
	return sql
}

// waitFor polls cond while the query runs; the query exiting first, or
// cond never holding, fails the test.
func waitFor(t testing.TB, v *proc, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		select {
		case <-v.done:
			t.Fatalf("the query exited (%v) while waiting for %s; stderr:\n%s", v.err, what, v.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v; stderr:\n%s", what, waitLimit, v.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// committedSum is the number of records of topic the group has committed
// (the sum over partitions; no commit counts 0), asked with kafka-go's
// client: polling with kcat would start a process every few milliseconds.
func committedSum(t testing.TB, addr, group, topic string) int64 {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: &kafka.Transport{}, Timeout: 10 * time.Second}
	defer cl.Transport.(*kafka.Transport).CloseIdleConnections()
	of, err := cl.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0, 1, 2}}})
	if err != nil {
		t.Fatalf("offsets of group %s: %v", group, err)
	}
	var n int64
	for _, p := range of.Topics[topic] {
		n += max(0, p.CommittedOffset)
	}
	return n
}

// topicSize is the number of records in topic (the sum of its partitions'
// end offsets).
func topicSize(t testing.TB, addr, topic string) int64 {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: &kafka.Transport{}, Timeout: 10 * time.Second}
	defer cl.Transport.(*kafka.Transport).CloseIdleConnections()
	md, err := cl.Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatalf("metadata of %s: %v", topic, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		return 0 // not created yet
	}
	var reqs []kafka.OffsetRequest
	for _, p := range md.Topics[0].Partitions {
		reqs = append(reqs, kafka.LastOffsetOf(p.ID))
	}
	lo, err := cl.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		t.Fatalf("offsets of %s: %v", topic, err)
	}
	var n int64
	for _, p := range lo.Topics[topic] {
		if p.Error != nil {
			t.Fatalf("offsets of %s[%d]: %v", topic, p.Partition, p.Error)
		}
		n += p.LastOffset
	}
	return n
}
