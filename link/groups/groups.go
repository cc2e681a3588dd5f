// Package groups translates consumer-group offsets from a link's source to
// its target. It takes the link (which groups, which topics, the prefix),
// both clusters and the link's offset mapping (link/offsets), and gives a
// Syncer: each Sync commits, on the target, the translated offsets of every
// selected group that has no members there, and Report says where each
// group's consumers resume on the target (the failover report).
//
// A committed source offset c is translated to the target offset of the
// last mapping point at or before c: a consumer resuming there loses
// nothing and reads again at most the records between that point and c. A
// group's target offset only moves forward: one already ahead on the target
// (its consumers ran there) is left alone, as is a group whose consumers
// are connected to the target, whose commits are theirs.
package groups

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/velostream/velostream/link/cluster"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/metrics"
	"github.com/velostream/velostream/link/offsets"
)

// Reasons a group is not synced (the reason label of
// velo_link_groups_skipped_total and of a failover report).
const (
	SkipActive         = "active_on_target"
	SkipUntranslatable = "untranslatable"
	SkipError          = "error"
)

// Syncer syncs a link's consumer groups.
type Syncer struct {
	Link           *config.Link
	Source, Target *cluster.Cluster
	State          *offsets.Map
	Metrics        *metrics.Metrics
	Log            *slog.Logger
	// Topics returns the mirrored source topics; offsets of other topics
	// are not translated.
	Topics func() []string
	// Now stamps the sync metrics; time.Now when nil.
	Now func() time.Time
}

// Result is what one Sync did, by group.
type Result struct {
	// Committed are the offsets committed on the target, by group, target
	// topic and partition.
	Committed map[string]map[string]map[int32]int64
	// Skipped are the groups not synced, and why.
	Skipped map[string]string
}

// Sync translates and commits the offsets of every selected source group.
// An error means the groups could not be listed at all; a problem with one
// group is reported in Result.Skipped and the others go on.
func (s *Syncer) Sync(ctx context.Context) (Result, error) {
	res := Result{Committed: map[string]map[string]map[int32]int64{}, Skipped: map[string]string{}}
	if s.Link.Groups.Empty() {
		return res, nil
	}
	all, err := s.Source.Groups(ctx)
	if err != nil {
		return res, err
	}
	var groups []string
	for _, g := range all {
		if s.Link.Groups.Match(g) {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return res, nil
	}
	onTarget, err := s.Target.DescribeGroups(ctx, groups...)
	if err != nil {
		return res, err
	}
	mirrored := map[string]bool{}
	for _, t := range s.Topics() {
		mirrored[t] = true
	}
	now := s.now()
	for _, g := range groups {
		if onTarget[g].Active() {
			s.skip(&res, g, SkipActive, nil)
			continue
		}
		commit, untranslated, err := s.translate(ctx, g, mirrored)
		if err != nil {
			s.skip(&res, g, SkipError, err)
			continue
		}
		if untranslated > 0 && len(commit) == 0 {
			s.skip(&res, g, SkipUntranslatable, nil)
			continue
		}
		if len(commit) == 0 {
			continue
		}
		if err := s.Target.CommitGroupOffsets(ctx, g, commit); err != nil {
			s.skip(&res, g, SkipError, err)
			continue
		}
		n := 0
		for _, ps := range commit {
			n += len(ps)
		}
		res.Committed[g] = commit
		s.Metrics.GroupSynced(g, n, now)
	}
	return res, nil
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Syncer) skip(res *Result, g, reason string, err error) {
	res.Skipped[g] = reason
	s.Metrics.GroupSkipped(g, reason)
	if err != nil {
		s.Log.Warn("link: cannot sync a consumer group's offsets; retrying next sync", "group", g, "err", err)
	}
}

// translate computes the target offsets to commit for group g: those of
// mirrored partitions that translate and are ahead of what the target has.
// It also counts the partitions that could not be translated.
func (s *Syncer) translate(ctx context.Context, g string, mirrored map[string]bool) (map[string]map[int32]int64, int, error) {
	src, err := s.Source.GroupOffsets(ctx, g)
	if err != nil {
		return nil, 0, err
	}
	cur, err := s.Target.GroupOffsets(ctx, g)
	if err != nil {
		return nil, 0, err
	}
	out := map[string]map[int32]int64{}
	untranslated := 0
	for _, t := range slices.Sorted(maps.Keys(src)) {
		if !mirrored[t] {
			continue
		}
		tt := s.Link.TargetTopic(t)
		for p, c := range src[t] {
			off, ok := s.State.Translate(offsets.TP{Topic: t, Partition: p}, c)
			if !ok {
				untranslated++
				continue
			}
			if have, ok := cur[tt][p]; ok && have >= off {
				continue
			}
			if out[tt] == nil {
				out[tt] = map[int32]int64{}
			}
			out[tt][p] = off
		}
	}
	return out, untranslated, nil
}

// Report reads, for every selected group, the offsets committed on the
// target for the mirrored topics: where its consumers resume there. The
// groups are those the source lists, or, when the source cannot be
// reached (the disaster failover is for) or sourceDown says so already,
// those the target knows. skipped carries the reasons of a final Sync.
func (s *Syncer) Report(ctx context.Context, skipped map[string]string, sourceDown bool) (offsets.Report, error) {
	rep := offsets.Report{At: s.now()}
	if s.Link.Groups.Empty() {
		return rep, nil
	}
	var all []string
	err := errors.New("the source could not be reached")
	if !sourceDown {
		all, err = s.Source.Groups(ctx)
	}
	if err != nil {
		s.Log.Warn("link: cannot list the source's groups; reporting the groups the target knows", "err", err)
		if all, err = s.Target.Groups(ctx); err != nil {
			return rep, fmt.Errorf("listing groups on either side: %w", err)
		}
	}
	targets := map[string]bool{}
	for _, t := range s.Topics() {
		targets[s.Link.TargetTopic(t)] = true
	}
	for _, g := range all {
		if !s.Link.Groups.Match(g) {
			continue
		}
		gr := offsets.GroupReport{Group: g, Skipped: skipped[g]}
		offs, err := s.Target.GroupOffsets(ctx, g)
		if err != nil {
			if gr.Skipped == "" {
				gr.Skipped = SkipError
			}
			s.Log.Warn("link: cannot read a group's offsets on the target", "group", g, "err", err)
		}
		for t, ps := range offs {
			if !targets[t] {
				continue
			}
			if gr.Offsets == nil {
				gr.Offsets = map[string]map[int32]int64{}
			}
			gr.Offsets[t] = ps
		}
		rep.Groups = append(rep.Groups, gr)
	}
	return rep, nil
}
