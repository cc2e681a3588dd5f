package replicator

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/link/cluster"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/offsets"
)

// retrySoon is how soon a failed topic sync is tried again: the first
// sync decides what the link replicates at all, so it does not wait a
// whole sync interval.
const retrySoon = time.Second

// topicLoop syncs the mirrored topics at once and then every sync
// interval.
func (r *Replicator) topicLoop(ctx context.Context) {
	for {
		wait := r.o.Link.SyncInterval
		if err := r.syncTopics(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			r.log.Warn("link: syncing topics failed; retrying", "err", err)
			wait = min(wait, retrySoon)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// selected reports whether the link mirrors a source topic: the patterns
// choose, but never a cluster's internal topics or a link's state.
func selected(l *config.Link, t cluster.Topic) bool {
	if t.Internal || strings.HasPrefix(t.Name, "__") {
		return false
	}
	return l.Topics.Match(t.Name)
}

// syncTopics brings the target's topics in line with the source's: it
// creates missing target topics, raises partition counts, copies changed
// configurations, and starts reading new partitions. Each topic is
// handled on its own: one that fails is reported and retried next time,
// and the others go on.
func (r *Replicator) syncTopics(ctx context.Context) error {
	l := r.o.Link
	src, err := r.o.Source.Topics(ctx)
	r.o.Metrics.SetConnected("source", err == nil)
	if err != nil {
		return err
	}
	var want []string
	for name, t := range src {
		if selected(l, t) {
			want = append(want, name)
		}
	}
	slices.Sort(want)
	r.dropGone(want)
	if len(want) == 0 {
		r.o.Metrics.SetTopics(0)
		return nil
	}
	tgt, err := r.o.Target.Topics(ctx)
	r.o.Metrics.SetConnected("target", err == nil)
	if err != nil {
		return err
	}
	srcCfgs, err := r.o.Source.TopicConfigs(ctx, want...)
	if err != nil {
		return err
	}
	var existing []string
	for _, t := range want {
		if _, ok := tgt[l.TargetTopic(t)]; ok {
			existing = append(existing, l.TargetTopic(t))
		}
	}
	tgtCfgs, err := r.o.Target.TopicConfigs(ctx, existing...)
	if err != nil {
		return err
	}

	var failed []string
	for _, t := range want {
		if err := r.syncTopic(ctx, src[t], tgt, srcCfgs[t], tgtCfgs); err != nil {
			r.log.Warn("link: cannot mirror topic yet; retrying", "topic", t, "err", err)
			failed = append(failed, t)
		}
	}
	r.mu.Lock()
	n := len(r.topics)
	r.mu.Unlock()
	r.o.Metrics.SetTopics(n)
	if len(failed) > 0 {
		return fmt.Errorf("topics not mirrored yet: %s", strings.Join(failed, ", "))
	}
	return nil
}

func (r *Replicator) syncTopic(ctx context.Context, st cluster.Topic, tgt map[string]cluster.Topic, cfgs map[string]string, tgtCfgs map[string]map[string]string) error {
	l := r.o.Link
	name := l.TargetTopic(st.Name)
	if tt, ok := tgt[name]; !ok {
		if err := r.o.Target.CreateTopic(ctx, name, st.Partitions, cfgs); err != nil {
			return err
		}
		r.log.Info("link: created target topic", "topic", name, "partitions", st.Partitions, "configs", cfgs)
	} else {
		if tt.Partitions < st.Partitions {
			if err := r.o.Target.SetPartitions(ctx, name, st.Partitions); err != nil {
				return err
			}
			r.log.Info("link: added partitions to the target topic", "topic", name, "from", tt.Partitions, "to", st.Partitions)
		}
		changed := map[string]string{}
		for k, v := range cfgs {
			if tgtCfgs[name][k] != v {
				changed[k] = v
			}
		}
		if len(changed) > 0 {
			if err := r.o.Target.AlterConfigs(ctx, name, changed); err != nil {
				return err
			}
			r.log.Info("link: copied topic configs to the target", "topic", name, "configs", changed)
		}
	}
	if v, ok := cfgs["max.message.bytes"]; ok {
		if n, err := strconv.ParseInt(v, 10, 32); err == nil && n > 0 {
			r.mu.Lock()
			r.maxBytes[name] = int32(n)
			r.mu.Unlock()
		}
	}
	return r.addPartitions(ctx, st)
}

// addPartitions starts reading the partitions of st not read yet, each at
// its stored position, or, for a partition the link has not seen, at the
// first record the source still has, mapped to the target's current end.
func (r *Replicator) addPartitions(ctx context.Context, st cluster.Topic) error {
	l := r.o.Link
	r.mu.Lock()
	have := r.topics[st.Name]
	r.mu.Unlock()
	if have >= st.Partitions {
		return nil
	}
	starts := map[int32]offsets.Point{}
	var fresh []int32
	for p := int32(have); p < int32(st.Partitions); p++ {
		tp := offsets.TP{Topic: st.Name, Partition: p}
		if pos, ok := r.o.State.Position(tp); ok {
			starts[p] = pos
		} else {
			fresh = append(fresh, p)
		}
	}
	if len(fresh) > 0 {
		srcStart, err := r.o.Source.Offsets(ctx, cluster.Start, st.Name)
		if err != nil {
			return err
		}
		tgtEnd, err := r.o.Target.Offsets(ctx, cluster.End, l.TargetTopic(st.Name))
		if err != nil {
			return err
		}
		for _, p := range fresh {
			s, ok1 := srcStart[st.Name][p]
			t, ok2 := tgtEnd[l.TargetTopic(st.Name)][p]
			if !ok1 || !ok2 {
				return fmt.Errorf("no offsets for %s[%d] yet", st.Name, p)
			}
			starts[p] = offsets.Point{Source: s, Target: t}
		}
	}
	if have > 0 {
		if err := r.producerSees(ctx, l.TargetTopic(st.Name), st.Partitions); err != nil {
			return err
		}
	}
	now := r.o.Now()
	add := map[int32]kgo.Offset{}
	r.mu.Lock()
	for _, p := range slices.Sorted(maps.Keys(starts)) {
		tp := offsets.TP{Topic: st.Name, Partition: p}
		ps := newPartState(tp, l.TargetTopic(st.Name), starts[p], r.o.Metrics, l.ExactlyOnce, now)
		ps.promise = r.promiseFor(ps)
		r.parts[tp] = ps
		add[p] = kgo.NewOffset().At(starts[p].Source)
	}
	r.topics[st.Name] = st.Partitions
	r.mu.Unlock()
	r.cons.AddConsumePartitions(map[string]map[int32]kgo.Offset{st.Name: add})
	if have == 0 {
		r.log.Info("link: mirroring topic", "topic", st.Name, "target", l.TargetTopic(st.Name), "partitions", st.Partitions)
	} else {
		r.log.Info("link: mirroring new partitions", "topic", st.Name, "from", have, "to", st.Partitions)
	}
	return nil
}

// dropGone stops reading topics that no longer exist at the source or no
// longer match. Their target topics and positions stay.
func (r *Replicator) dropGone(want []string) {
	r.mu.Lock()
	var gone []string
	for t := range r.topics {
		if _, ok := slices.BinarySearch(want, t); !ok {
			gone = append(gone, t)
		}
	}
	remove := map[string][]int32{}
	for _, t := range gone {
		for tp := range r.parts {
			if tp.Topic == t {
				remove[t] = append(remove[t], tp.Partition)
				delete(r.parts, tp)
			}
		}
		delete(r.topics, t)
	}
	r.mu.Unlock()
	if len(remove) > 0 {
		r.cons.RemoveConsumePartitions(remove)
		r.log.Info("link: stopped mirroring topics gone from the source or no longer selected", "topics", gone)
	}
}

// producerSees waits until the producer's metadata has n partitions of a
// target topic it writes to: it partitions by its own metadata and would
// refuse a record for a partition created after it last looked.
func (r *Replicator) producerSees(ctx context.Context, topic string, n int) error {
	if leader, _, _ := r.prod.PartitionLeader(topic, 0); leader < 0 {
		return nil // not written yet: the first write loads fresh metadata
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if leader, _, _ := r.prod.PartitionLeader(topic, int32(n-1)); leader >= 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the target's metadata does not show %d partitions of %s yet", n, topic)
		}
		r.prod.ForceMetadataRefresh()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
