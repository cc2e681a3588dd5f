package controllers

import (
	"fmt"
	"strings"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// MakeCellQuery is the StreamingQuery a deployed notebook cell runs as,
// named <notebook>-<cell>. It takes the notebook's defaults; its own
// dashboard is off because the notebook makes one dashboard joining every
// cell's panels.
func MakeCellQuery(nb *v1alpha1.Notebook, cell *v1alpha1.NotebookCell) *v1alpha1.StreamingQuery {
	q := &v1alpha1.StreamingQuery{
		TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.StreamingQueryKind},
		ObjectMeta: metav1.ObjectMeta{
			Name:      cellQueryName(nb.Name, cell.Name),
			Namespace: nb.Namespace,
			Labels: map[string]string{
				LabelNotebook:  labelValue(nb.Name),
				LabelCell:      cell.Name,
				LabelManagedBy: ManagedBy,
			},
		},
		Spec: v1alpha1.StreamingQuerySpec{
			SQL: cell.SQL,
			// Set explicitly, equal to the schema default, so an apply
			// and the stored object agree and GitOps diffs stay empty.
			Replicas: ptr.To[int32](1),
		},
	}
	mon := &v1alpha1.MonitoringSpec{}
	if d := nb.Spec.Defaults; d != nil {
		q.Spec.Kafka = d.Kafka.DeepCopy()
		q.Spec.Image = d.Image
		if d.Monitoring != nil {
			mon = d.Monitoring.DeepCopy()
		}
	}
	mon.Dashboard = ptr.To(false)
	q.Spec.Monitoring = mon
	return q
}

// cellObservation is what the notebook controller knows of one cell.
type cellObservation struct {
	name     string
	deployed bool
	// query is the cell's StreamingQuery as stored, nil when not deployed
	// or not applied yet.
	query *v1alpha1.StreamingQuery
}

// cellStatus summarises one cell from its StreamingQuery.
func cellStatus(c cellObservation) v1alpha1.CellStatus {
	st := v1alpha1.CellStatus{Name: c.name, Phase: v1alpha1.CellDraft}
	if !c.deployed {
		return st
	}
	st.Phase = v1alpha1.CellPending
	if c.query == nil {
		return st
	}
	st.QueryName = c.query.Name
	qs := c.query.Status
	// A status written for an older generation says nothing about the
	// cell's current SQL yet.
	if qs.ObservedGeneration < c.query.Generation {
		return st
	}
	switch qs.Phase {
	case v1alpha1.QueryRunning:
		st.Phase = v1alpha1.CellRunning
	case v1alpha1.QuerySuspended:
		st.Phase = v1alpha1.CellSuspended
	case v1alpha1.QueryFailed:
		st.Phase = v1alpha1.CellFailed
		if s := apimeta.FindStatusCondition(qs.Conditions, v1alpha1.StalledCondition); s != nil {
			st.Message = s.Message
		}
	}
	return st
}

// computeNotebookStatus derives a notebook's status from its cells. Ready
// is True when every deployed cell runs (or is scaled to zero on purpose);
// Stalled when a cell failed in a way only an edit can fix; Reconciling
// while cells are on their way.
func computeNotebookStatus(prev v1alpha1.NotebookStatus, generation int64, cells []cellObservation, applyErr error, now metav1.Time) v1alpha1.NotebookStatus {
	st := *prev.DeepCopy()
	conds := conditionEditor{list: &st.Conditions, generation: generation, now: now}
	set := conds.set
	st.Cells = make([]v1alpha1.CellStatus, 0, len(cells))
	var failed, pending []string
	deployed := 0
	for _, c := range cells {
		cs := cellStatus(c)
		st.Cells = append(st.Cells, cs)
		if c.deployed {
			deployed++
		}
		switch cs.Phase {
		case v1alpha1.CellFailed:
			failed = append(failed, fmt.Sprintf("cell %s: %s", cs.Name, cs.Message))
		case v1alpha1.CellPending:
			pending = append(pending, cs.Name)
		}
	}
	if applyErr != nil {
		msg := applyErr.Error()
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ReconciliationFailedReason, msg)
		set(v1alpha1.ReconcilingCondition, metav1.ConditionTrue, v1alpha1.ReconciliationFailedReason, msg)
		apimeta.RemoveStatusCondition(&st.Conditions, v1alpha1.StalledCondition)
		return st
	}
	st.ObservedGeneration = generation
	switch {
	case len(failed) > 0:
		msg := strings.Join(failed, "; ")
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.CellsNotReadyReason, msg)
		set(v1alpha1.StalledCondition, metav1.ConditionTrue, v1alpha1.CellsNotReadyReason, msg)
		apimeta.RemoveStatusCondition(&st.Conditions, v1alpha1.ReconcilingCondition)
	case len(pending) > 0:
		msg := "waiting for cells: " + strings.Join(pending, ", ")
		set(v1alpha1.ReadyCondition, metav1.ConditionFalse, v1alpha1.ProgressingReason, msg)
		set(v1alpha1.ReconcilingCondition, metav1.ConditionTrue, v1alpha1.ProgressingReason, msg)
		apimeta.RemoveStatusCondition(&st.Conditions, v1alpha1.StalledCondition)
	default:
		set(v1alpha1.ReadyCondition, metav1.ConditionTrue, v1alpha1.SucceededReason, fmt.Sprintf("%d of %d cells deployed and running", deployed, len(cells)))
		apimeta.RemoveStatusCondition(&st.Conditions, v1alpha1.ReconcilingCondition)
		apimeta.RemoveStatusCondition(&st.Conditions, v1alpha1.StalledCondition)
	}
	return st
}
