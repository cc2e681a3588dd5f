package kafka_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/velostream/velostream/test/kafkatest"
)

// crashTrades is large enough that a run is still busy when it is killed.
const crashTrades = 600_000

// TestKilledQueryLosesAndDoublesNothing: a query over a 3-partition topic
// is killed with SIGKILL three times at random points and started again
// each time; the rows it wrote, last row per (window, symbol), are the
// expected ones, every row it wrote is right, and the consumer group's
// committed offsets reach the end of the topic.
func TestKilledQueryLosesAndDoublesNothing(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))

	b := kafkatest.StartBroker(t, kafkatest.WithPartitions(3))
	kafkatest.Produce(t, b.Addr(), "trades", tradeLines(crashTrades), kafkatest.ProduceOpts{KeyDelim: "|"})
	sql := filepath.Join(t.TempDir(), "q.sql")
	if err := os.WriteFile(sql, []byte(windowQuery), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", sql, "--source", sourceURI("trades", b.Addr(), "trades", "crash"), "--sink", "kafka://" + b.Addr() + "/out"}

	for kill := 1; kill <= 3; kill++ {
		before := topicSize(t, b.Addr(), "out")
		v := startVelo(t, args...)
		// Kill once this run has written something (it is past joining
		// the group and busy), after a random extra moment.
		deadline := time.Now().Add(waitLimit)
		for topicSize(t, b.Addr(), "out") == before {
			select {
			case <-v.done:
				t.Fatalf("run %d ended (%v) before it could be killed; stderr:\n%s", kill, v.err, v.stderr.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d wrote nothing within %v; stderr:\n%s", kill, waitLimit, v.stderr.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		v.kill()
		t.Logf("kill %d: out held %d records at the start of the run, %d now", kill, before, topicSize(t, b.Addr(), "out"))
	}
	v := startVelo(t, args...)
	v.wait(t)

	n := int(topicSize(t, b.Addr(), "out"))
	out := kafkatest.Consume(t, b.Addr(), "out", n, waitLimit)
	payloads := make([]string, len(out))
	for i, r := range out {
		payloads[i] = r.Payload
	}
	want := expectedWindows(crashTrades)
	t.Logf("%d rows written for %d windows", len(payloads), len(want))
	checkWindows(t, payloads, want)
	committedAtEnd(t, b.Addr(), "crash", "trades")
}

// topicSize is the number of records in topic (the sum of its partitions'
// end offsets), asked with kafka-go's client: polling it with kcat would
// start a process every few milliseconds.
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
