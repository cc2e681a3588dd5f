package groups

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/link/cluster"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/metrics"
	"github.com/velostream/velostream/link/offsets"
)

func startBroker(t *testing.T) string {
	t.Helper()
	b, err := broker.Start(context.Background(), broker.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.Addr()
}

func testCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func admin(t *testing.T, addr string) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

func commit(t *testing.T, addr, group, topic string, offs map[int32]int64) {
	t.Helper()
	os := kadm.Offsets{}
	for p, o := range offs {
		os.AddOffset(topic, p, o, -1)
	}
	resp, err := admin(t, addr).CommitOffsets(testCtx(t), group, os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
}

func fetch(t *testing.T, addr, group, topic string) map[int32]int64 {
	t.Helper()
	resp, err := admin(t, addr).FetchOffsets(testCtx(t), group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}

// TestSync pins the rules of a sync, one group per rule: translated and
// committed; left alone while it has consumers on the target; never moved
// backwards on the target; skipped when its offsets are before the mapped
// range; excluded by the selector; and only mirrored topics translated.
func TestSync(t *testing.T) {
	src, tgt := startBroker(t), startBroker(t)
	for _, a := range []string{src, tgt} {
		for _, topic := range []string{"orders", "src.orders", "unmirrored"} {
			if _, err := admin(t, a).CreateTopic(testCtx(t), 1, -1, nil, topic); err != nil {
				t.Fatal(err)
			}
		}
	}
	l, err := config.Parse([]byte(fmt.Sprintf(`apiVersion: velostream.io/v1alpha1
kind: ClusterLink
metadata: {name: g}
spec:
  source: {bootstrapServers: %q}
  target: {bootstrapServers: %q}
  topics: {include: [orders]}
  topicPrefix: src.
  consumerGroups: {include: ["app-.*"], exclude: ["app-skip"]}
`, src, tgt)), config.Local)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	s, err := cluster.Dial("source", l.Source, log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := cluster.Dial("target", l.Target, log)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	state := offsets.NewMap(10)
	// Source offsets 100.. were replicated to target offsets 0.. (the
	// source had deleted older records).
	state.Advance(offsets.TP{Topic: "orders"}, offsets.Point{Source: 200, Target: 100}, []offsets.Point{{Source: 100, Target: 0}, {Source: 150, Target: 50}})

	commit(t, src, "app-new", "orders", map[int32]int64{0: 155})   // -> 50
	commit(t, src, "app-ahead", "orders", map[int32]int64{0: 160}) // target already at 90
	commit(t, tgt, "app-ahead", "src.orders", map[int32]int64{0: 90})
	commit(t, src, "app-old", "orders", map[int32]int64{0: 20})    // before the mapped range
	commit(t, src, "app-skip", "orders", map[int32]int64{0: 180})  // excluded
	commit(t, src, "other", "orders", map[int32]int64{0: 180})     // not selected
	commit(t, src, "app-live", "orders", map[int32]int64{0: 180})  // has a consumer on the target
	commit(t, src, "app-new", "unmirrored", map[int32]int64{0: 5}) // a topic the link does not mirror
	live, err := kgo.NewClient(kgo.SeedBrokers(tgt), kgo.ConsumerGroup("app-live"), kgo.ConsumeTopics("src.orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	ad := admin(t, tgt)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		live.PollFetches(ctx)
		cancel()
		dg, err := ad.DescribeGroups(testCtx(t), "app-live")
		if err == nil && len(dg["app-live"].Members) > 0 {
			break
		}
		if testCtx(t).Err() != nil {
			t.Fatal("app-live never joined on the target")
		}
	}

	m := metrics.New("g", func() []metrics.PartitionLag { return nil }, false)
	sy := &Syncer{Link: l, Source: s, Target: d, State: state, Metrics: m, Log: log, Topics: func() []string { return []string{"orders"} }}
	res, err := sy.Sync(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Committed["app-new"]; len(got) != 1 || got["src.orders"][0] != 50 {
		t.Errorf("app-new committed %v; want src.orders[0] = 50", got)
	}
	if got := fetch(t, tgt, "app-new", "src.orders"); got[0] != 50 {
		t.Errorf("app-new on the target at %v; want 50", got)
	}
	if _, ok := res.Committed["app-ahead"]; ok || fetch(t, tgt, "app-ahead", "src.orders")[0] != 90 {
		t.Errorf("app-ahead moved backwards on the target: %v", fetch(t, tgt, "app-ahead", "src.orders"))
	}
	wantSkipped := map[string]string{"app-old": SkipUntranslatable, "app-live": SkipActive}
	for g, why := range wantSkipped {
		if res.Skipped[g] != why {
			t.Errorf("%s skipped for %q; want %q", g, res.Skipped[g], why)
		}
	}
	for _, g := range []string{"app-skip", "other"} {
		if _, ok := res.Committed[g]; ok {
			t.Errorf("%s is not selected but was synced", g)
		}
		if _, ok := res.Skipped[g]; ok {
			t.Errorf("%s is not selected but was considered", g)
		}
	}

	rep, err := sy.Report(testCtx(t), res.Skipped, false)
	if err != nil {
		t.Fatal(err)
	}
	byGroup := map[string]offsets.GroupReport{}
	for _, g := range rep.Groups {
		byGroup[g.Group] = g
	}
	if g := byGroup["app-new"]; g.Offsets["src.orders"][0] != 50 || g.Skipped != "" {
		t.Errorf("report of app-new %+v", g)
	}
	if g := byGroup["app-live"]; g.Skipped != SkipActive {
		t.Errorf("report of app-live %+v", g)
	}
	if _, ok := byGroup["other"]; ok {
		t.Error("the report lists a group the link does not select")
	}
}
