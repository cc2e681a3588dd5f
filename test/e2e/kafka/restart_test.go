package kafka_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/velostream/velostream/test/kafkatest"
)

// TestBrokerRestartUnderARunningQuery: the broker is stopped for 5 s and
// started again with the same data dir while a query reads and writes
// through it; the query says so on standard error, carries on by itself,
// and nothing is lost: every window's row is right and the group's
// offsets reach the end.
func TestBrokerRestartUnderARunningQuery(t *testing.T) {
	b := kafkatest.StartBroker(t, kafkatest.WithPartitions(3))
	const n = 600_000
	kafkatest.Produce(t, b.Addr(), "trades", tradeLines(n), kafkatest.ProduceOpts{KeyDelim: "|"})
	sql := filepath.Join(t.TempDir(), "q.sql")
	if err := os.WriteFile(sql, []byte(windowQuery), 0o644); err != nil {
		t.Fatal(err)
	}
	v := startVelo(t, "run", sql, "--source", sourceURI("trades", b.Addr(), "trades", "restart"), "--sink", "kafka://"+b.Addr()+"/out")

	deadline := time.Now().Add(waitLimit)
	for topicSize(t, b.Addr(), "out") == 0 {
		select {
		case <-v.done:
			t.Fatalf("the query ended (%v) before the broker could be stopped under it; stderr:\n%s", v.err, v.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the query wrote nothing within %v; stderr:\n%s", waitLimit, v.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.Stop(); err != nil {
		t.Fatalf("stop broker: %v", err)
	}
	time.Sleep(5 * time.Second)
	select {
	case <-v.done:
		t.Fatalf("the query exited (%v) while the broker was down; stderr:\n%s", v.err, v.stderr.String())
	default:
	}
	b.Restart()
	v.wait(t)
	if s := v.stderr.String(); !strings.Contains(s, "failed; retrying") || !strings.Contains(s, "connected again") {
		t.Errorf("standard error does not tell of the outage and the recovery:\n%s", s)
	}

	out := kafkatest.Consume(t, b.Addr(), "out", int(topicSize(t, b.Addr(), "out")), waitLimit)
	payloads := make([]string, len(out))
	for i, r := range out {
		payloads[i] = r.Payload
	}
	checkWindows(t, payloads, expectedWindows(n))
	committedAtEnd(t, b.Addr(), "restart", "trades")
}
