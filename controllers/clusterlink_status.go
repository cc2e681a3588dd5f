package controllers

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/link/metrics"
)

// linkObservation is what one reconcile of a ClusterLink found: the verdict
// on its spec, the state of its pod, and what the link itself reports on
// its metrics endpoint. computeLinkStatus turns it into a status.
type linkObservation struct {
	generation int64
	suspended  bool
	// invalid says why the spec cannot run (every problem, with its path).
	invalid       string
	monitoringErr string
	applyErr      error
	deployment    *appsv1.Deployment
	desired       int32
	failover      bool // spec.failover
	prefix        string
	// name and deploymentName are the link's and its Deployment's, for
	// messages.
	name, deploymentName string
	endpoint             string
	// scraped is the link's own report; nil with scrapeErr when it could
	// not be read (or was not tried: no pod is ready).
	scraped   *metrics.Status
	scrapeErr error
}

// computeLinkStatus derives the status from an observation, by the same
// rules as a query's (kstatus conditions; observedGeneration moves when the
// reconcile reached a verdict, not when applying failed). Everything about
// replication (Ready beyond the pod's rollout, per-topic lag, the mirrored
// topic count, the failover report) comes from the link's own metrics:
// when they cannot be read, Ready says so, and the figures read last stay.
func computeLinkStatus(prev v1alpha1.ClusterLinkStatus, o linkObservation, now metav1.Time) v1alpha1.ClusterLinkStatus {
	st := *prev.DeepCopy()
	conds := conditionEditor{list: &st.Conditions, generation: o.generation, now: now}
	set := conds.set
	clear := conds.clear
	stalled := func(reason, msg string) {
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, reason, msg)
		set(v1alpha1.StalledCondition, metav1.ConditionTrue, reason, msg)
		clear(v1alpha1.ReconcilingCondition)
		st.ObservedGeneration = o.generation
	}
	switch {
	case o.suspended:
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.SuspendedReason, "spec.suspend is true: the link's pod is scaled to zero; it keeps its position")
		clear(v1alpha1.ReconcilingCondition, v1alpha1.StalledCondition)
		st.ObservedGeneration = o.generation
		return st
	case o.invalid != "":
		stalled(v1alpha1.InvalidLinkSpecReason, o.invalid)
		return st
	case o.monitoringErr != "":
		stalled(v1alpha1.MonitoringAPIMissingReason, o.monitoringErr)
		return st
	case o.applyErr != nil:
		msg := o.applyErr.Error()
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ReconciliationFailedReason, msg)
		set(v1alpha1.ReconcilingCondition, metav1.ConditionTrue, v1alpha1.ReconciliationFailedReason, msg)
		clear(v1alpha1.StalledCondition)
		return st
	}
	st.ObservedGeneration = o.generation
	st.MetricsEndpoint = o.endpoint
	if msg, ok := rolloutStalled(o.deployment); ok {
		stalled(v1alpha1.RolloutStalledReason, strings.Replace(msg, "the runners' Deployment", "the link's Deployment", 1))
		return st
	}
	clear(v1alpha1.StalledCondition)
	if o.scraped != nil {
		applyScrape(&st, o.scraped, o.prefix)
	}
	rolled, msg := rolledOut(o.deployment, o.desired)
	switch {
	case rolled && o.desired == 0:
		set(v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ScaledToZeroReason, "spec.replicas is 0: the link does not run; it keeps its position")
		clear(v1alpha1.ReconcilingCondition)
	case !rolled:
		msg = strings.ReplaceAll(msg, "runners", "link pods")
		msg = strings.ReplaceAll(msg, "runner", "link")
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ProgressingReason, msg)
		set(v1alpha1.ReconcilingCondition, metav1.ConditionTrue, v1alpha1.ProgressingReason, msg)
	case o.scraped == nil:
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.LinkStatusUnknownReason,
			fmt.Sprintf("the link's pod runs but its metrics at %s could not be read: %v", o.endpoint, o.scrapeErr))
		clear(v1alpha1.ReconcilingCondition)
	case o.failover && st.Failover != nil:
		set(v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.FailedOverReason,
			fmt.Sprintf("failed over at %s: replication stopped; status.failover lists where each consumer group resumes on the target", st.Failover.CompletedAt.UTC().Format("2006-01-02T15:04:05Z")))
		clear(v1alpha1.ReconcilingCondition)
	case st.Failover != nil:
		// Failed over by `velo link failover`, or spec.failover set back
		// to false: a failed-over link never resumes by itself, because
		// replicating again after consumers moved would copy the old
		// cluster's later writes over the new one's.
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.FailedOverReason,
			fmt.Sprintf("the link failed over at %s and does not replicate; to replicate again, cancel the failover (kubectl exec deploy/%s -- /velo link failover %s -f %s --cancel) and restart the pod",
				st.Failover.CompletedAt.UTC().Format("2006-01-02T15:04:05Z"), o.deploymentName, o.name, LinkConfigPath))
		clear(v1alpha1.ReconcilingCondition)
	case o.failover:
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.FailingOverReason, "spec.failover is true: the link stops replicating and makes the final group offset sync")
		set(v1alpha1.ReconcilingCondition, metav1.ConditionTrue, v1alpha1.FailingOverReason, "waiting for the link's failover report")
	case !o.scraped.Connected["source"] || !o.scraped.Connected["target"]:
		var down []string
		for _, side := range []string{"source", "target"} {
			if !o.scraped.Connected[side] {
				down = append(down, side)
			}
		}
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.LinkDisconnectedReason,
			fmt.Sprintf("the link cannot reach the %s cluster; it retries", strings.Join(down, " and ")))
		clear(v1alpha1.ReconcilingCondition)
	default:
		set(v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.SucceededReason,
			fmt.Sprintf("replicating %d topics; largest lag %d records", st.MirroredTopics, st.MaxLagRecords))
		clear(v1alpha1.ReconcilingCondition)
	}
	return st
}

// applyScrape copies the link's report into the status.
func applyScrape(st *v1alpha1.ClusterLinkStatus, s *metrics.Status, prefix string) {
	st.MirroredTopics = int32(s.MirroredTopics)
	st.Topics = nil
	st.MaxLagRecords = 0
	for _, t := range s.Topics {
		ts := v1alpha1.TopicLagStatus{
			Name: t.Name, TargetName: prefix + t.Name,
			LagRecords: t.LagRecords, LagMillis: int64(t.LagSeconds * 1000),
		}
		if !t.LastReplicated.IsZero() {
			at := metav1.NewTime(t.LastReplicated)
			ts.LastReplicated = &at
		}
		st.Topics = append(st.Topics, ts)
		st.MaxLagRecords = max(st.MaxLagRecords, t.LagRecords)
	}
	if !s.FailedOver {
		st.Failover = nil
		return
	}
	at := metav1.NewTime(s.FailedOverAt)
	fo := &v1alpha1.FailoverStatus{CompletedAt: &at}
	groups := map[string]bool{}
	for g := range s.FailoverOffsets {
		groups[g] = true
	}
	for g := range s.FailoverSkipped {
		groups[g] = true
	}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		gs := v1alpha1.GroupFailoverStatus{Name: g}
		if why, ok := s.FailoverSkipped[g]; ok {
			gs.Message = skipMessage(why)
		}
		for _, topic := range slices.Sorted(maps.Keys(s.FailoverOffsets[g])) {
			ps := s.FailoverOffsets[g][topic]
			n := int32(0)
			for p := range ps {
				n = max(n, p+1)
			}
			offs := make([]int64, n)
			for i := range offs {
				offs[i] = -1
			}
			for p, o := range ps {
				offs[p] = o
			}
			gs.Topics = append(gs.Topics, v1alpha1.GroupTopicOffsets{Topic: topic, Offsets: offs})
		}
		fo.Groups = append(fo.Groups, gs)
	}
	st.Failover = fo
}

func skipMessage(reason string) string {
	switch reason {
	case "active_on_target":
		return "not synced: the group has consumers on the target, whose commits stand"
	case "untranslatable":
		return "not synced: its source offsets are before the replicated range"
	}
	return "not synced: " + reason
}
