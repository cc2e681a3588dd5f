package controllers

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// queryObservation is what one reconcile of a StreamingQuery found: the
// verdict on its spec and the state of its runners. computeQueryStatus
// turns it into a status, so every status the controller can write is
// covered by a table test without an API server.
type queryObservation struct {
	generation int64
	suspended  bool
	// sqlSourceErr says why spec.sqlFrom could not be read.
	sqlSourceErr string
	sqlErrors    []v1alpha1.SQLError
	// monitoringErr says which forced-on monitoring API is missing.
	monitoringErr string
	// applyErr is a failure to write the children; retried with backoff.
	applyErr error
	// deployment is the runners' Deployment as last seen, nil if none.
	deployment      *appsv1.Deployment
	desired         int32
	metricsEndpoint string
}

// computeQueryStatus derives the status from an observation. Conditions
// follow kstatus: Ready summarises, Reconciling is present only while work
// is in flight, Stalled only when the spec (or something it names) must
// change. observedGeneration moves whenever the reconcile reached a verdict
// on this generation, including "the SQL is invalid": kstatus reads a
// status whose observedGeneration lags as still in progress, which would
// hide the Stalled condition. It does not move when applying failed.
func computeQueryStatus(prev v1alpha1.StreamingQueryStatus, o queryObservation, now metav1.Time) v1alpha1.StreamingQueryStatus {
	st := *prev.DeepCopy()
	st.SQLErrors = nil
	conds := conditionEditor{list: &st.Conditions, generation: o.generation, now: now}
	set := conds.set
	clear := conds.clear
	stalled := func(reason, msg string) {
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, reason, msg)
		set(v1alpha1.StalledCondition, metav1.ConditionTrue, reason, msg)
		clear(v1alpha1.ReconcilingCondition)
		st.Phase = v1alpha1.QueryFailed
		st.ObservedGeneration = o.generation
	}
	if o.deployment != nil {
		st.ReadyReplicas = o.deployment.Status.ReadyReplicas
	} else {
		st.ReadyReplicas = 0
	}

	switch {
	case o.suspended:
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.SuspendedReason, "spec.suspend is true: the runners are scaled to zero")
		clear(v1alpha1.ReconcilingCondition, v1alpha1.StalledCondition)
		st.Phase = v1alpha1.QuerySuspended
		st.ObservedGeneration = o.generation
		return st

	case o.sqlSourceErr != "":
		stalled(v1alpha1.SQLSourceNotFoundReason, o.sqlSourceErr)
		return st

	case len(o.sqlErrors) > 0:
		st.SQLErrors = o.sqlErrors
		stalled(v1alpha1.InvalidSQLReason, sqlErrorsMessage(o.sqlErrors))
		return st

	case o.monitoringErr != "":
		stalled(v1alpha1.MonitoringAPIMissingReason, o.monitoringErr)
		return st

	case o.applyErr != nil:
		msg := o.applyErr.Error()
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ReconciliationFailedReason, msg)
		set(v1alpha1.ReconcilingCondition, metav1.ConditionTrue, v1alpha1.ReconciliationFailedReason, msg)
		clear(v1alpha1.StalledCondition)
		if st.Phase == "" || st.Phase == v1alpha1.QueryFailed || st.Phase == v1alpha1.QuerySuspended {
			st.Phase = v1alpha1.QueryPending
		}
		return st
	}

	st.ObservedGeneration = o.generation
	st.MetricsEndpoint = o.metricsEndpoint
	if msg, ok := rolloutStalled(o.deployment); ok {
		stalled(v1alpha1.RolloutStalledReason, msg)
		return st
	}
	clear(v1alpha1.StalledCondition)
	ready, msg := rolledOut(o.deployment, o.desired)
	switch {
	case ready && o.desired == 0:
		set(v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.ScaledToZeroReason, "spec.replicas is 0: no runner runs; the consumer group keeps its offsets")
		clear(v1alpha1.ReconcilingCondition)
		st.Phase = v1alpha1.QuerySuspended
	case ready:
		set(v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.SucceededReason, msg)
		clear(v1alpha1.ReconcilingCondition)
		st.Phase = v1alpha1.QueryRunning
	default:
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ProgressingReason, msg)
		set(v1alpha1.ReconcilingCondition, metav1.ConditionTrue, v1alpha1.ProgressingReason, msg)
		st.Phase = v1alpha1.QueryPending
	}
	return st
}

// rolledOut says whether the Deployment runs the current pod template on
// every desired replica and nothing else, with a message for Ready.
func rolledOut(d *appsv1.Deployment, desired int32) (bool, string) {
	if d == nil {
		return false, "waiting for the runners' Deployment"
	}
	s := d.Status
	switch {
	case s.ObservedGeneration < d.Generation:
		return false, "waiting for the Deployment controller to see the new runner spec"
	case s.UpdatedReplicas < desired:
		return false, fmt.Sprintf("rolling out: %d of %d runners updated", s.UpdatedReplicas, desired)
	case s.Replicas > s.UpdatedReplicas:
		return false, fmt.Sprintf("rolling out: %d old runners still terminating", s.Replicas-s.UpdatedReplicas)
	case s.AvailableReplicas < desired:
		return false, fmt.Sprintf("%d of %d runners ready", s.AvailableReplicas, desired)
	}
	return true, fmt.Sprintf("%d of %d runners ready", s.AvailableReplicas, desired)
}

// rolloutStalled reports the Deployment controller's verdict that the
// rollout cannot finish (ProgressDeadlineExceeded).
func rolloutStalled(d *appsv1.Deployment) (string, bool) {
	if d == nil || d.Status.ObservedGeneration < d.Generation {
		return "", false
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			return "the runners' Deployment made no progress: " + c.Message, true
		}
	}
	return "", false
}

// sqlErrorsMessage summarises SQL errors for a condition message; the full
// list is in status.sqlErrors.
func sqlErrorsMessage(errs []v1alpha1.SQLError) string {
	var b strings.Builder
	if len(errs) == 1 {
		b.WriteString("1 error in the SQL: ")
	} else {
		fmt.Fprintf(&b, "%d errors in the SQL, the first: ", len(errs))
	}
	e := errs[0]
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d, column %d: ", e.Line, e.Column)
	}
	b.WriteString(e.Message)
	return b.String()
}

// readyTransition says whether the Ready condition changed in a way worth
// an event (status or reason), and the event's type, reason and message.
func readyTransition(prev, next []metav1.Condition) (changed bool, warning bool, reason, msg string) {
	n := apimeta.FindStatusCondition(next, v1alpha1.ReadyCondition)
	if n == nil {
		return false, false, "", ""
	}
	p := apimeta.FindStatusCondition(prev, v1alpha1.ReadyCondition)
	if p != nil && p.Status == n.Status && p.Reason == n.Reason {
		return false, false, "", ""
	}
	// Progress towards Ready is expected and not worth a warning.
	warning = n.Status != metav1.ConditionTrue && n.Reason != v1alpha1.ProgressingReason && n.Reason != v1alpha1.SuspendedReason
	return true, warning, n.Reason, n.Message
}

// writeStatus patches obj's status (already set to the new one) from orig
// under the operator's field owner, and records an event when Ready changed.
// An object deleted meanwhile is not an error: there is nothing to report on.
func writeStatus(ctx context.Context, c client.Client, ev events.EventRecorder, kind string, obj, orig client.Object, prev, next []metav1.Condition) error {
	if err := c.Status().Patch(ctx, obj, client.MergeFrom(orig), client.FieldOwner(ManagedBy)); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("patch status of %s %s: %w", kind, obj.GetName(), err)
	}
	if changed, warning, reason, msg := readyTransition(prev, next); changed {
		typ := corev1.EventTypeNormal
		if warning {
			typ = corev1.EventTypeWarning
		}
		ev.Eventf(obj, nil, typ, reason, "Reconcile", "%s", msg)
	}
	return nil
}

// conditionEditor sets and removes a status's kstatus conditions for one
// observed generation at one time (every status computation does both).
type conditionEditor struct {
	list       *[]metav1.Condition
	generation int64
	now        metav1.Time
}

func (c conditionEditor) set(typ string, status metav1.ConditionStatus, reason, msg string) {
	apimeta.SetStatusCondition(c.list, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: msg,
		ObservedGeneration: c.generation, LastTransitionTime: c.now,
	})
}

func (c conditionEditor) clear(types ...string) {
	for _, t := range types {
		apimeta.RemoveStatusCondition(c.list, t)
	}
}
