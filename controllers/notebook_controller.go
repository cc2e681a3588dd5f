package controllers

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// +kubebuilder:rbac:groups=velostream.io,resources=notebooks,verbs=get;list;watch
// +kubebuilder:rbac:groups=velostream.io,resources=notebooks/status,verbs=get;patch
// +kubebuilder:rbac:groups=velostream.io,resources=streamingqueries,verbs=get;list;watch;create;patch;delete

// NotebookReconciler deploys a Notebook's cells: one StreamingQuery per
// cell marked deploy, and one dashboard ConfigMap with every deployed
// cell's panels. Removing a cell, or un-marking it, deletes its query.
type NotebookReconciler struct {
	client     client.Client
	scheme     *runtime.Scheme
	apply      *applier
	events     events.EventRecorder
	clock      clock.PassiveClock
	monitoring MonitoringAPIs
}

// Reconcile follows the same steps as the StreamingQuery reconciler: read,
// build the children with pure functions, apply, prune, then write a
// status computed from what was observed, only when it changed.
func (r *NotebookReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	nb := &v1alpha1.Notebook{}
	if err := r.client.Get(ctx, req.NamespacedName, nb); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get Notebook %s: %w", req.NamespacedName, err)
	}
	// The cells' queries and the dashboard are owned by the notebook and
	// garbage collected with it: no finalizer.
	if !nb.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	cells, err := r.reconcileCells(ctx, nb)
	if err == nil {
		err = r.reconcileDashboard(ctx, nb)
	}
	next := computeNotebookStatus(nb.Status, nb.Generation, cells, err, metav1.NewTime(r.clock.Now()))
	// A returned error is logged by controller-runtime and retried with
	// backoff; it is not logged here too.
	if perr := r.patchStatus(ctx, nb, next); perr != nil {
		return ctrl.Result{}, errors.Join(err, perr)
	}
	return ctrl.Result{}, err
}

// reconcileCells applies the deployed cells' queries and deletes the
// queries of cells no longer deployed.
func (r *NotebookReconciler) reconcileCells(ctx context.Context, nb *v1alpha1.Notebook) ([]cellObservation, error) {
	cells := make([]cellObservation, 0, len(nb.Spec.Cells))
	want := map[string]bool{}
	for i := range nb.Spec.Cells {
		cell := &nb.Spec.Cells[i]
		obs := cellObservation{name: cell.Name, deployed: cell.Deploy}
		if cell.Deploy {
			q := MakeCellQuery(nb, cell)
			want[q.Name] = true
			applied, err := r.apply.apply(ctx, nb, q)
			if err != nil {
				return cells, err
			}
			obs.query = applied.(*v1alpha1.StreamingQuery)
		}
		cells = append(cells, obs)
	}

	var owned v1alpha1.StreamingQueryList
	if err := r.client.List(ctx, &owned, client.InNamespace(nb.Namespace),
		client.MatchingLabels{LabelNotebook: labelValue(nb.Name)}); err != nil {
		return cells, fmt.Errorf("list the notebook's StreamingQueries: %w", err)
	}
	for i := range owned.Items {
		q := &owned.Items[i]
		if want[q.Name] || !metav1.IsControlledBy(q, nb) || !q.DeletionTimestamp.IsZero() {
			continue
		}
		if err := r.client.Delete(ctx, q, client.Preconditions{UID: ptr.To(q.UID)}); err != nil && !apierrors.IsNotFound(err) {
			return cells, fmt.Errorf("delete StreamingQuery %s of a removed cell: %w", q.Name, err)
		}
		r.apply.forget(v1alpha1.GroupVersion.WithKind(v1alpha1.StreamingQueryKind).GroupKind(), q.Namespace, q.Name)
		r.events.Eventf(nb, q, corev1.EventTypeNormal, "CellRemoved", "Delete", "deleted StreamingQuery %s: its cell is no longer deployed", q.Name)
	}
	return cells, nil
}

// patchStatus writes next when it differs from the stored status, and
// records an event when Ready changed.
func (r *NotebookReconciler) patchStatus(ctx context.Context, nb *v1alpha1.Notebook, next v1alpha1.NotebookStatus) error {
	if equality.Semantic.DeepEqual(nb.Status, next) {
		return nil
	}
	orig := nb.DeepCopy()
	nb.Status = next
	return writeStatus(ctx, r.client, r.events, "Notebook", nb, orig, orig.Status.Conditions, next.Conditions)
}

// dashboardKey is where a notebook's dashboard ConfigMap lives.
func notebookDashboardKey(nb *v1alpha1.Notebook) types.NamespacedName {
	return types.NamespacedName{Namespace: nb.Namespace, Name: dashboardName(nb.Name)}
}
