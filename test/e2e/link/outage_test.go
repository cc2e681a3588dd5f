package link_test

import (
	"testing"
	"time"

	"github.com/velostream/velostream/test/kafkatest"
)

// TestSourceOutage: the source broker is stopped for 10 s under a live feed
// (its producer retries). The link keeps running and retrying: it reports
// the source disconnected and its lag in seconds grows while the source is
// gone; once the source is back, the records the feed buffered arrive in a
// burst, the lag drains to zero, and kcat finds the target equal to the
// source.
func TestSourceOutage(t *testing.T) {
	src := kafkatest.StartBroker(t)
	tgt := kafkatest.StartBroker(t)
	const topic, parts = "outage.events", 3
	createTopic(t, src.Addr(), topic, parts, nil)
	feed := startFeeder(t, src.Addr(), topic, parts, 2000)
	cfg := linkYAML(t, "outage", src.Addr(), tgt.Addr(), `topics: {include: ["outage\\..*"]}`, `syncInterval: 1s`)
	lk := startLink(t, cfg)
	waitUntil(t, lk, "replication under way", func() bool { return targetSize(t, tgt.Addr(), topic) >= 5000 })

	if err := src.Stop(); err != nil {
		t.Fatalf("stopping the source: %v", err)
	}
	stopped := time.Now()
	var lagSeconds []float64
	disconnected := false
	for time.Since(stopped) < 10*time.Second {
		time.Sleep(500 * time.Millisecond)
		lk.alive()
		st, _ := lk.scrape()
		if !st.Connected["source"] {
			disconnected = true
		}
		if len(st.Topics) == 1 {
			lagSeconds = append(lagSeconds, st.Topics[0].LagSeconds)
		}
	}
	src.Restart()
	t.Logf("lag in seconds while the source was down: %v", lagSeconds)
	if !disconnected {
		t.Error("the link never reported the source disconnected")
	}
	if !growing(lagSeconds) {
		t.Errorf("lag in seconds did not grow while the source was down: %v", lagSeconds)
	}

	var maxLag int64
	waitUntil(t, lk, "the burst after the outage", func() bool {
		st, _ := lk.scrape()
		if len(st.Topics) == 1 {
			maxLag = max(maxLag, st.Topics[0].LagRecords)
		}
		return st.Connected["source"] && targetSize(t, tgt.Addr(), topic) > 5000
	})
	n := feed.Stop(t)
	waitUntil(t, lk, "the lag to drain to zero", func() bool {
		st, _ := lk.scrape()
		if len(st.Topics) == 1 {
			maxLag = max(maxLag, st.Topics[0].LagRecords)
		}
		return len(st.Topics) == 1 && st.Topics[0].LagRecords == 0 && st.Topics[0].LagSeconds == 0 && targetSize(t, tgt.Addr(), topic) == int64(n)
	})
	lk.stop()
	t.Logf("%d records fed; largest lag seen after the outage: %d records", n, maxLag)
	want := byPartition(kafkatest.Consume(t, src.Addr(), topic, n, waitLimit))
	got := byPartition(kafkatest.Consume(t, tgt.Addr(), topic, n, waitLimit))
	for p := range int32(parts) {
		if !samePayloads(want[p], got[p]) {
			t.Fatalf("partition %d: the target (%d records) differs from the source (%d records)", p, len(got[p]), len(want[p]))
		}
	}
}

// growing reports whether the last value is above the first positive one:
// the lag kept rising while the source was gone.
func growing(v []float64) bool {
	first := -1.0
	for _, x := range v {
		if x > 0 && first < 0 {
			first = x
		}
	}
	return first > 0 && len(v) > 0 && v[len(v)-1] > first
}
