package link_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/test/kafkatest"
)

// TestGroupResumesOnTarget: a consumer group reads half of a topic on the
// source and commits (kcat -G). After a sync interval the link has
// committed translated offsets for the group on the target, and a consumer
// of the same group on the target (kcat -G) reads the rest: no record is
// lost, and the records read twice are exactly those between the last
// mapping point at or before the source commit and the commit itself.
func TestGroupResumesOnTarget(t *testing.T) {
	src := kafkatest.StartBroker(t)
	tgt := kafkatest.StartBroker(t)
	const (
		topic, group = "billing.events", "billing-app"
		parts, n     = 3, 30_000
		every        = 100
	)
	createTopic(t, src.Addr(), topic, parts, nil)
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Partition: int32(i % parts), Key: []byte("c-" + strconv.Itoa(i%97)), Value: fmt.Appendf(nil, `{"seq":%d}`, i)}
	}
	produce(t, src.Addr(), recs)

	cfg := linkYAML(t, "billing", src.Addr(), tgt.Addr(),
		`topics: {include: ["billing\\..*"]}`, `topicPrefix: "east."`,
		`consumerGroups: {include: ["billing-.*"], exclude: ["billing-tmp"]}`, `syncInterval: 1s`)
	lk := startLink(t, cfg, "--mapping-every", strconv.Itoa(every))
	const target = "east." + topic
	waitUntil(t, lk, "the topic replicated", func() bool { return targetSize(t, tgt.Addr(), target) == n })

	// Not a multiple of the mapping interval: the commit falls between
	// mapping points, so some records are read twice.
	first := kafkatest.ConsumeGroup(t, src.Addr(), group, topic, n/2+37)
	committed := groupOffsets(t, src.Addr(), group, topic)
	t.Logf("source group committed %v after reading %d records", committed, len(first))

	var onTarget map[int32]int64
	waitUntil(t, lk, "the group's offsets on the target", func() bool {
		onTarget = groupOffsets(t, tgt.Addr(), group, target)
		return len(onTarget) == len(committed)
	})
	points := mappingPoints(t, tgt.Addr(), "__velo_link.billing", topic)
	for p, c := range committed {
		want := int64(-1)
		for _, pt := range points[p] {
			if pt[0] <= c {
				want = pt[1]
			}
		}
		if onTarget[p] != want {
			t.Fatalf("partition %d: source commit %d translated to %d; the last mapping point at or before it maps to %d (points %v)", p, c, onTarget[p], want, points[p])
		}
		if c-onTarget[p] >= 2*every {
			t.Fatalf("partition %d: %d records between the translated offset %d and the commit %d; mapping points are kept every %d", p, c-onTarget[p], onTarget[p], c, every)
		}
	}
	t.Logf("target group offsets %v", onTarget)

	rest := kafkatest.ConsumeGroup(t, tgt.Addr(), group, target, -1)
	seen := map[string]int{}
	for _, r := range append(first, rest...) {
		seen[r.Payload]++
	}
	twice := 0
	for i := range n {
		switch seen[fmt.Sprintf(`{"seq":%d}`, i)] {
		case 0:
			t.Fatalf("record %d was read on neither side", i)
		case 2:
			twice++
		}
	}
	var want int64
	for p, c := range committed {
		want += c - onTarget[p]
	}
	if int64(twice) != want {
		t.Fatalf("%d records read twice; the translation allows exactly %d (records between the mapping points and the commits)", twice, want)
	}
	t.Logf("read %d on the source and %d on the target: none lost, %d read twice", len(first), len(rest), twice)

	// A group with consumers on the target is left to them.
	adm := kadm.NewClient(client(t, tgt.Addr()))
	if dg, err := adm.DescribeGroups(ctx(t), group); err != nil || dg[group].State != "Empty" {
		t.Fatalf("group %s on the target: %+v, %v", group, dg[group], err)
	}
}

// groupOffsets reads a group's committed offsets of topic.
func groupOffsets(t testing.TB, addr, group, topic string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(client(t, addr))
	resp, err := adm.FetchOffsets(ctx(t), group)
	if err != nil {
		return nil
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil && o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}

// mappingPoints reads the mapping points of topic from a link's state
// topic: per partition, [source, target] pairs in source order.
func mappingPoints(t testing.TB, addr, stateTopic, topic string) map[int32][][2]int64 {
	t.Helper()
	end := endOffsets(t, addr, stateTopic)[0]
	recs := kafkatest.Consume(t, addr, stateTopic, int(end-countControl(t, addr, stateTopic)), waitLimit)
	out := map[int32][][2]int64{}
	prefix := "m/" + topic + "/"
	for _, r := range recs {
		rest, ok := strings.CutPrefix(r.Key, prefix)
		if !ok || r.Null {
			continue
		}
		p, err := strconv.Atoi(strings.Split(rest, "/")[0])
		if err != nil {
			t.Fatalf("state key %s: %v", r.Key, err)
		}
		var v struct{ S, T int64 }
		if err := json.Unmarshal([]byte(r.Payload), &v); err != nil {
			t.Fatal(err)
		}
		out[int32(p)] = append(out[int32(p)], [2]int64{v.S, v.T})
	}
	return out
}
