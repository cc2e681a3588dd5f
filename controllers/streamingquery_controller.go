package controllers

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
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
	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/observability/annotations"
)

// The operator's RBAC is generated from these markers (make manifests):
// only the kinds and verbs the controllers use.
//
// +kubebuilder:rbac:groups=velostream.io,resources=streamingqueries,verbs=get;list;watch
// +kubebuilder:rbac:groups=velostream.io,resources=streamingqueries/status,verbs=get;patch
// Owner references with blockOwnerDeletion need update on the owner's
// finalizers where the OwnerReferencesPermissionEnforcement admission
// plugin runs (OpenShift); the operator adds no finalizer.
// +kubebuilder:rbac:groups=velostream.io,resources=streamingqueries/finalizers;notebooks/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=services;configmaps,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=list;watch
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=servicemonitors;prometheusrules,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// StreamingQueryReconciler turns a StreamingQuery into runner pods: a
// ConfigMap with the runner configuration, a Deployment, a metrics Service
// and, where the cluster serves them, monitoring objects.
type StreamingQueryReconciler struct {
	client client.Client
	// reader reads from the API server, not the cache: ConfigMaps are
	// cached as metadata only, and spec.sqlFrom needs one's data.
	reader     client.Reader
	scheme     *runtime.Scheme
	apply      *applier
	events     events.EventRecorder
	clock      clock.PassiveClock
	log        *slog.Logger
	image      string
	monitoring MonitoringAPIs
	memo       passMemo
}

// Reconcile reads the query, builds its children with the make* functions,
// applies them, and writes a status computed from what it observed, only
// when that status changed.
func (r *StreamingQueryReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	q := &v1alpha1.StreamingQuery{}
	if err := r.client.Get(ctx, req.NamespacedName, q); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get StreamingQuery %s: %w", req.NamespacedName, err)
	}
	// Everything a query makes lives in its namespace with the query as
	// controller owner, so the garbage collector removes it with the
	// query: no finalizer, and nothing to do while it is being deleted.
	if !q.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	obs, err := r.observe(ctx, q)
	next := computeQueryStatus(q.Status, obs, metav1.NewTime(r.clock.Now()))
	if perr := r.patchStatus(ctx, q, next); perr != nil {
		return ctrl.Result{}, errors.Join(err, perr)
	}
	return ctrl.Result{}, err
}

// observe does the reconcile's work and reports what it found. An error is
// transient (the API server failed) and makes the controller retry.
func (r *StreamingQueryReconciler) observe(ctx context.Context, q *v1alpha1.StreamingQuery) (queryObservation, error) {
	obs := queryObservation{
		generation:      q.Generation,
		desired:         desiredReplicas(q),
		metricsEndpoint: MetricsEndpoint(q),
	}
	current, err := r.currentDeployment(ctx, q)
	if err != nil {
		return obs, err
	}
	obs.deployment = current

	if q.Spec.Suspend {
		obs.suspended = true
		obs.deployment, err = r.scaleToZero(ctx, current)
		return obs, err
	}

	sql, missing, err := r.resolveSQL(ctx, q)
	if err != nil || missing != "" {
		obs.sqlSourceErr = missing
		return obs, err
	}
	want, missingAPI := resolveMonitoring(q.Spec.Monitoring, r.monitoring)
	in := QueryInputs{Query: q, SQL: sql, Image: r.imageFor(q)}
	in.SecretVersions, err = r.secretVersions(ctx, q)
	if err != nil {
		obs.applyErr = err
		return obs, err
	}

	// Most reconciles are set off by a child's own change (a Deployment's
	// status moving): when the inputs are those of the last full pass and
	// no child changed since, there is nothing to compile or apply.
	key := types.NamespacedName{Namespace: q.Namespace, Name: q.Name}
	inputs := inputsKey(q, in)
	if refs, ok := r.memo.get(key, q.UID, inputs); ok {
		same, err := r.apply.unchangedSince(ctx, refs)
		if err != nil {
			obs.applyErr = err
			return obs, err
		}
		if same {
			obs.monitoringErr = missingAPI
			return obs, nil
		}
	}
	r.memo.forget(key)

	// Invalid SQL leaves whatever runs now alone: the last valid version
	// keeps running until the SQL is fixed.
	checked, sqlErrs := CheckSQL(sql)
	if len(sqlErrs) > 0 {
		obs.sqlErrors = sqlErrs
		return obs, nil
	}
	obs.monitoringErr = missingAPI

	p := r.apply.newPass()
	dep, err := r.applyRunner(ctx, p, q, in)
	if dep != nil {
		obs.deployment = dep
	}
	if err != nil {
		obs.applyErr = err
		return obs, err
	}
	if err := r.reconcileMonitoring(ctx, p, q, checked, want); err != nil {
		obs.applyErr = err
		return obs, err
	}
	r.memo.set(key, q.UID, inputs, p.refs)
	return obs, nil
}

// inputsKey hashes everything a full pass builds the children from.
func inputsKey(q *v1alpha1.StreamingQuery, in QueryInputs) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00", q.Generation, in.Image, in.SQL)
	for _, name := range referencedSecrets(q.Spec.Kafka) {
		fmt.Fprintf(h, "%s\x00%s\x00", name, in.SecretVersions[name])
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// passMemo remembers, per query, the inputs and children of its last full
// pass.
type passMemo struct {
	mu sync.Mutex
	m  map[types.NamespacedName]memoEntry
}

type memoEntry struct {
	uid    types.UID
	inputs [sha256.Size]byte
	refs   []childRef
}

func (m *passMemo) get(key types.NamespacedName, uid types.UID, inputs [sha256.Size]byte) ([]childRef, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[key]
	if !ok || e.uid != uid || e.inputs != inputs {
		return nil, false
	}
	return e.refs, true
}

func (m *passMemo) set(key types.NamespacedName, uid types.UID, inputs [sha256.Size]byte, refs []childRef) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[types.NamespacedName]memoEntry{}
	}
	m.m[key] = memoEntry{uid: uid, inputs: inputs, refs: refs}
}

func (m *passMemo) forget(key types.NamespacedName) {
	m.mu.Lock()
	delete(m.m, key)
	m.mu.Unlock()
}

func (r *StreamingQueryReconciler) imageFor(q *v1alpha1.StreamingQuery) string {
	if q.Spec.Image != "" {
		return q.Spec.Image
	}
	return r.image
}

// applyRunner applies the ConfigMap, the Deployment and the Service, and
// returns the Deployment as stored.
func (r *StreamingQueryReconciler) applyRunner(ctx context.Context, p *pass, q *v1alpha1.StreamingQuery, in QueryInputs) (*appsv1.Deployment, error) {
	cm, err := MakeQueryConfigMap(in)
	if err != nil {
		return nil, err
	}
	if _, err := p.apply(ctx, q, cm); err != nil {
		return nil, err
	}
	obj, err := p.apply(ctx, q, MakeDeployment(in, InputHash(in, cm)))
	if err != nil {
		return nil, err
	}
	if _, err := p.apply(ctx, q, MakeService(q)); err != nil {
		return obj.(*appsv1.Deployment), err
	}
	return obj.(*appsv1.Deployment), nil
}

func (r *StreamingQueryReconciler) currentDeployment(ctx context.Context, q *v1alpha1.StreamingQuery) (*appsv1.Deployment, error) {
	d := &appsv1.Deployment{}
	err := r.client.Get(ctx, types.NamespacedName{Namespace: q.Namespace, Name: deploymentName(q.Name)}, d)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get Deployment %s: %w", deploymentName(q.Name), err)
	}
	return d, nil
}

// scaleToZero stops a suspended query's runners. It patches only
// spec.replicas, leaving the rest of the last applied spec in place (an
// apply of a partial object would drop the fields left out); the next
// apply after resuming takes the field back.
func (r *StreamingQueryReconciler) scaleToZero(ctx context.Context, d *appsv1.Deployment) (*appsv1.Deployment, error) {
	if d == nil || ptr.Deref(d.Spec.Replicas, 1) == 0 {
		return d, nil
	}
	orig := d.DeepCopy()
	d.Spec.Replicas = ptr.To[int32](0)
	if err := r.client.Patch(ctx, d, client.MergeFrom(orig), client.FieldOwner(ManagedBy)); err != nil {
		return orig, fmt.Errorf("scale Deployment %s to zero: %w", d.Name, err)
	}
	return d, nil
}

// resolveSQL returns the query's SQL. A missing ConfigMap or key is not an
// error to retry but a message for the status: the watch on referenced
// ConfigMaps brings the query back when it appears. The ConfigMap is read
// from the API server (one GET per reconcile of such a query) so that the
// cache need not hold every ConfigMap's data.
func (r *StreamingQueryReconciler) resolveSQL(ctx context.Context, q *v1alpha1.StreamingQuery) (sql, missing string, err error) {
	if q.Spec.SQLFrom == nil || q.Spec.SQLFrom.ConfigMapKeyRef == nil {
		return q.Spec.SQL, "", nil
	}
	ref := q.Spec.SQLFrom.ConfigMapKeyRef
	cm := &corev1.ConfigMap{}
	err = r.reader.Get(ctx, types.NamespacedName{Namespace: q.Namespace, Name: ref.Name}, cm)
	switch {
	case apierrors.IsNotFound(err):
		return "", fmt.Sprintf("spec.sqlFrom: ConfigMap %q not found", ref.Name), nil
	case err != nil:
		return "", "", fmt.Errorf("get ConfigMap %s: %w", ref.Name, err)
	}
	sql, ok := cm.Data[ref.Key]
	if !ok {
		return "", fmt.Sprintf("spec.sqlFrom: ConfigMap %q has no key %q", ref.Name, ref.Key), nil
	}
	return sql, "", nil
}

// secretVersions reads the resourceVersions of the Secrets the pods mount
// from the metadata-only cache: the operator never holds Secret values.
func (r *StreamingQueryReconciler) secretVersions(ctx context.Context, q *v1alpha1.StreamingQuery) (map[string]string, error) {
	names := referencedSecrets(q.Spec.Kafka)
	if len(names) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		err := r.client.Get(ctx, types.NamespacedName{Namespace: q.Namespace, Name: name}, m)
		switch {
		case apierrors.IsNotFound(err):
			out[name] = ""
		case err != nil:
			return nil, fmt.Errorf("get Secret %s: %w", name, err)
		default:
			out[name] = m.ResourceVersion
		}
	}
	return out, nil
}

// patchStatus writes next when it differs from the stored status, and
// records an event when Ready changed.
func (r *StreamingQueryReconciler) patchStatus(ctx context.Context, q *v1alpha1.StreamingQuery, next v1alpha1.StreamingQueryStatus) error {
	if equality.Semantic.DeepEqual(q.Status, next) {
		return nil
	}
	orig := q.DeepCopy()
	q.Status = next
	return writeStatus(ctx, r.client, r.events, "StreamingQuery", q, orig, orig.Status.Conditions, next.Conditions)
}

// forget drops what is remembered of a deleted query's children.
func (r *StreamingQueryReconciler) forget(key types.NamespacedName) {
	r.memo.forget(key)
	r.apply.forget(appsv1.SchemeGroupVersion.WithKind("Deployment").GroupKind(), key.Namespace, deploymentName(key.Name))
	r.apply.forget(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), key.Namespace, serviceName(key.Name))
	r.apply.forget(corev1.SchemeGroupVersion.WithKind("ConfigMap").GroupKind(), key.Namespace, configMapName(key.Name))
	r.apply.forget(corev1.SchemeGroupVersion.WithKind("ConfigMap").GroupKind(), key.Namespace, dashboardName(key.Name))
	r.apply.forget(serviceMonitorGK, key.Namespace, monitorName(key.Name))
	r.apply.forget(prometheusRuleGK, key.Namespace, monitorName(key.Name))
}

// CheckedSQL is a query that compiled, with its observability spec.
type CheckedSQL struct {
	Query *engine.Query
	Spec  *annotations.Spec
}

// CheckSQL compiles SQL the way a runner will and resolves its @metric and
// @alert annotations, returning every error with its position. It compiles
// rather than only validating (engine.Validate) because a runner has no
// run-time source bindings: every source must be bound in the SQL, and the
// monitoring generators need the compiled output schema. No data is
// sampled (NoSampling): the operator cannot see the runner's files, so a
// SELECT * must name sources whose columns are declared. At most
// maxSQLErrors errors are returned, so a pasted file of garbage cannot push
// the status past the API server's size limits.
func CheckSQL(sql string) (*CheckedSQL, []v1alpha1.SQLError) {
	q, errs := engine.Compile(sql, engine.Options{NoSampling: true})
	if len(errs) > 0 {
		return nil, sqlErrors(errs)
	}
	spec, errs := annotations.FromQuery(q.Plan)
	if len(errs) > 0 {
		return nil, sqlErrors(errs)
	}
	return &CheckedSQL{Query: q, Spec: spec}, nil
}

func sqlErrors(errs diag.List) []v1alpha1.SQLError {
	errs.Sort()
	out := make([]v1alpha1.SQLError, 0, min(len(errs), maxSQLErrors))
	for i, d := range errs {
		if i == maxSQLErrors {
			out[i-1].Message += fmt.Sprintf(" (and %d more errors)", len(errs)-maxSQLErrors)
			break
		}
		msg := d.Msg
		if d.Hint != "" {
			msg += " (" + d.Hint + ")"
		}
		out = append(out, v1alpha1.SQLError{Line: int32(d.Pos.Line), Column: int32(d.Pos.Col), Message: msg})
	}
	return out
}

const maxSQLErrors = 50
