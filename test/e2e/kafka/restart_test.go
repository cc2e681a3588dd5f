package kafka_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/velostream/velostream/test/kafkatest"
)

// TestBrokerRestartUnderARunningQuery: while a query follows a live feed,
// the broker is stopped for 5 s and started again with the same data dir.
// (The feed pauses meanwhile: kcat gives up when every broker is down.)
// The query says so on standard error, carries on by itself, and nothing
// is lost: after the feed ends, the query stops on SIGTERM (flushing and
// committing), a bounded run closes the last windows, every window's row
// is right and the group's offsets reach the end.
func TestBrokerRestartUnderARunningQuery(t *testing.T) {
	b := kafkatest.StartBroker(t, kafkatest.WithPartitions(3))
	feed := startFeeder(t, b.Addr(), "trades", 0, feedRate)
	sql := writeQuery(t)
	v := startVelo(t, "run", sql, "--source", "trades=kafka://"+b.Addr()+"/trades?group=restart", "--sink", "kafka://"+b.Addr()+"/out")
	waitFor(t, v, "commit progress", func() bool { return committedSum(t, b.Addr(), "restart", "trades") > 0 })
	fed := feed.Stop(t)

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
	feed = startFeeder(t, b.Addr(), "trades", fed, feedRate)
	after := committedSum(t, b.Addr(), "restart", "trades")
	waitFor(t, v, "commit progress after the restart", func() bool { return committedSum(t, b.Addr(), "restart", "trades") > after })
	n := feed.Stop(t)

	v.cmd.Process.Signal(syscall.SIGTERM)
	v.wait(t)
	if s := v.stderr.String(); !strings.Contains(s, "failed; retrying") || !strings.Contains(s, "connected again") {
		t.Errorf("standard error does not tell of the outage and the recovery:\n%s", s)
	}
	last := startVelo(t, "run", sql, "--source", sourceURI("trades", b.Addr(), "trades", "restart"), "--sink", "kafka://"+b.Addr()+"/out")
	last.wait(t)

	out := kafkatest.Consume(t, b.Addr(), "out", int(topicSize(t, b.Addr(), "out")), waitLimit)
	payloads := make([]string, len(out))
	for i, r := range out {
		payloads[i] = r.Payload
	}
	t.Logf("%d records fed, %d rows written", n, len(payloads))
	checkWindows(t, payloads, expectedWindows(n))
	committedAtEnd(t, b.Addr(), "restart", "trades")
}
