package controllers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
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
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/metrics"
)

// The ClusterLink controller's RBAC (make rbac merges it with the others').
//
// +kubebuilder:rbac:groups=velostream.io,resources=clusterlinks,verbs=get;list;watch
// +kubebuilder:rbac:groups=velostream.io,resources=clusterlinks/status,verbs=get;patch
// +kubebuilder:rbac:groups=velostream.io,resources=clusterlinks/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=services;configmaps,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=list;watch
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=servicemonitors;prometheusrules,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// DefaultLinkStatusInterval is how often a running link's status is read
// from its metrics endpoint.
const DefaultLinkStatusInterval = 30 * time.Second

// LinkOptions configure the ClusterLink controller.
type LinkOptions struct {
	Options
	// Scrape reads a link's metrics endpoint; an HTTP GET with a 5 s
	// timeout when nil. Tests point it at a link they run.
	Scrape func(ctx context.Context, url string) ([]byte, error)
	// StatusInterval: DefaultLinkStatusInterval when 0.
	StatusInterval time.Duration
}

// indexLinkSecrets lists the Secrets a ClusterLink's pod mounts, by name.
const indexLinkSecrets = "velostream.io/link-secrets"

// SetupClusterLink registers the ClusterLink controller with mgr. Setup
// calls it with the manager's options.
func SetupClusterLink(ctx context.Context, mgr ctrl.Manager, o LinkOptions) error {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.RunnerImage == "" {
		return errors.New("controllers: a runner image is required (velo link runs from it)")
	}
	if o.Scrape == nil {
		o.Scrape = httpScrape
	}
	if o.StatusInterval <= 0 {
		o.StatusInterval = DefaultLinkStatusInterval
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 1
	}
	mon := o.Monitoring
	if mon == nil {
		found, err := DiscoverMonitoring(mgr.GetRESTMapper())
		if err != nil {
			return err
		}
		mon = &found
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.ClusterLink{}, indexLinkSecrets, func(obj client.Object) []string {
		if l, ok := obj.(*v1alpha1.ClusterLink); ok {
			return linkSecrets(l)
		}
		return nil
	}); err != nil {
		return err
	}
	r := &ClusterLinkReconciler{
		client: mgr.GetClient(), scheme: mgr.GetScheme(), events: mgr.GetEventRecorder(ManagedBy),
		apply: newApplier(mgr.GetClient(), mgr.GetScheme(), ManagedBy, appsv1.SchemeGroupVersion.WithKind("Deployment").GroupKind()),
		clock: o.Clock, log: o.Logger.With("controller", "clusterlink"), image: o.RunnerImage,
		monitoring: *mon, scrape: o.Scrape, interval: o.StatusInterval,
	}
	specChanged := predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}, predicate.AnnotationChangedPredicate{})
	b := ctrl.NewControllerManagedBy(mgr).
		Named("clusterlink").
		For(&v1alpha1.ClusterLink{}, builder.WithPredicates(specChanged)).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Service{}, builder.OnlyMetadata).
		Owns(&corev1.ConfigMap{}, builder.OnlyMetadata).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.secretReferrers)).
		WithOptions(controller.Options{MaxConcurrentReconciles: o.MaxConcurrentReconciles})
	if mon.ServiceMonitor {
		b = b.Owns(&monitoringv1.ServiceMonitor{}, builder.OnlyMetadata)
	}
	if mon.PrometheusRule {
		b = b.Owns(&monitoringv1.PrometheusRule{}, builder.OnlyMetadata)
	}
	return b.Complete(r)
}

func httpScrape(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 32<<20))
}

// ClusterLinkReconciler turns a ClusterLink into a pod running `velo link`
// (a ConfigMap with the link's YAML, a Deployment, a metrics Service) and
// its monitoring objects, and reports the link's own view of its
// replication in the status.
type ClusterLinkReconciler struct {
	client     client.Client
	scheme     *runtime.Scheme
	apply      *applier
	events     events.EventRecorder
	clock      clock.PassiveClock
	log        *slog.Logger
	image      string
	monitoring MonitoringAPIs
	scrape     func(ctx context.Context, url string) ([]byte, error)
	interval   time.Duration
}

// secretReferrers maps a Secret to the ClusterLinks in its namespace that
// mount it.
func (r *ClusterLinkReconciler) secretReferrers(ctx context.Context, obj client.Object) []reconcile.Request {
	var list v1alpha1.ClusterLinkList
	if err := r.client.List(ctx, &list, client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexLinkSecrets: obj.GetName()}); err != nil {
		r.log.Error("cannot map a Secret to its links", "secret", obj.GetName(), "namespace", obj.GetNamespace(), "err", err)
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: list.Items[i].Namespace, Name: list.Items[i].Name}})
	}
	return out
}

// Reconcile reads the link, checks its spec, applies its children, reads
// the link's metrics, and writes the status when it changed. A running
// link is looked at again every status interval, for its lag.
func (r *ClusterLinkReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	l := &v1alpha1.ClusterLink{}
	if err := r.client.Get(ctx, req.NamespacedName, l); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get ClusterLink %s: %w", req.NamespacedName, err)
	}
	if !l.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	obs, err := r.observe(ctx, l)
	next := computeLinkStatus(l.Status, obs, metav1.NewTime(r.clock.Now()))
	if perr := r.patchStatus(ctx, l, next); perr != nil {
		return ctrl.Result{}, errors.Join(err, perr)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if obs.invalid == "" && !obs.suspended && obs.desired > 0 {
		return ctrl.Result{RequeueAfter: r.interval}, nil
	}
	return ctrl.Result{}, nil
}

func (r *ClusterLinkReconciler) observe(ctx context.Context, l *v1alpha1.ClusterLink) (linkObservation, error) {
	obs := linkObservation{
		generation: l.Generation, desired: desiredLinkReplicas(l), failover: l.Spec.Failover,
		prefix: l.Spec.TopicPrefix, endpoint: LinkMetricsEndpoint(l),
		name: l.Name, deploymentName: linkDeploymentName(l.Name),
	}
	current, err := r.currentDeployment(ctx, l)
	if err != nil {
		return obs, err
	}
	obs.deployment = current
	if l.Spec.Suspend {
		obs.suspended = true
		obs.deployment, err = r.scaleToZero(ctx, current)
		return obs, err
	}
	// An invalid spec leaves what runs alone: the last valid version of
	// the link keeps replicating until the spec is fixed.
	if msg := validateLink(l); msg != "" {
		obs.invalid = msg
		return obs, nil
	}
	want, missingAPI := resolveMonitoring(l.Spec.Monitoring, r.monitoring)
	obs.monitoringErr = missingAPI

	in := LinkInputs{Link: l, Image: l.Spec.Image}
	if in.Image == "" {
		in.Image = r.image
	}
	if in.SecretVersions, err = r.secretVersions(ctx, l); err != nil {
		obs.applyErr = err
		return obs, err
	}
	cm, err := MakeLinkConfigMap(in)
	if err != nil {
		obs.applyErr = err
		return obs, err
	}
	if _, err := r.apply.apply(ctx, l, cm); err != nil {
		obs.applyErr = err
		return obs, err
	}
	obj, err := r.apply.apply(ctx, l, MakeLinkDeployment(in, LinkInputHash(in, cm)))
	if err != nil {
		obs.applyErr = err
		return obs, err
	}
	obs.deployment = obj.(*appsv1.Deployment)
	if _, err := r.apply.apply(ctx, l, MakeLinkService(l)); err != nil {
		obs.applyErr = err
		return obs, err
	}
	if err := r.reconcileMonitoring(ctx, l, want); err != nil {
		obs.applyErr = err
		return obs, err
	}
	if ok, _ := rolledOut(obs.deployment, obs.desired); ok && obs.desired > 0 {
		obs.scraped, obs.scrapeErr = r.read(ctx, obs.endpoint)
	}
	return obs, nil
}

// validateLink checks a spec as `velo link` will (link/config, in cluster
// mode) and returns every problem in one message, or "".
func validateLink(l *v1alpha1.ClusterLink) string {
	_, err := config.New(l, config.Cluster)
	if err == nil {
		return ""
	}
	var fes config.Errors
	if !errors.As(err, &fes) {
		return err.Error()
	}
	parts := make([]string, len(fes))
	for i, fe := range fes {
		parts[i] = fe.Error()
	}
	return strings.Join(parts, "; ")
}

// read scrapes the link's metrics and parses its status.
func (r *ClusterLinkReconciler) read(ctx context.Context, url string) (*metrics.Status, error) {
	b, err := r.scrape(ctx, url)
	if err != nil {
		return nil, err
	}
	return metrics.ParseStatus(bytes.NewReader(b))
}

func (r *ClusterLinkReconciler) reconcileMonitoring(ctx context.Context, l *v1alpha1.ClusterLink, want monitoringWanted) error {
	key := func(obj client.Object) client.Object {
		obj.SetNamespace(l.Namespace)
		obj.SetName(linkMonitorName(l.Name))
		return obj
	}
	if r.monitoring.ServiceMonitor {
		if want.serviceMonitor {
			if _, err := r.apply.apply(ctx, l, MakeLinkServiceMonitor(l)); err != nil {
				return err
			}
		} else if err := r.apply.deleteIfExists(ctx, key(&monitoringv1.ServiceMonitor{})); err != nil {
			return err
		}
	}
	if r.monitoring.PrometheusRule {
		if want.prometheusRule {
			if _, err := r.apply.apply(ctx, l, MakeLinkPrometheusRule(l)); err != nil {
				return err
			}
		} else if err := r.apply.deleteIfExists(ctx, key(&monitoringv1.PrometheusRule{})); err != nil {
			return err
		}
	}
	if want.dashboard {
		cm, err := MakeLinkDashboardConfigMap(l)
		if err != nil {
			return err
		}
		_, err = r.apply.apply(ctx, l, cm)
		return err
	}
	return r.apply.deleteIfExists(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: l.Namespace, Name: linkDashboardName(l.Name)}})
}

func (r *ClusterLinkReconciler) currentDeployment(ctx context.Context, l *v1alpha1.ClusterLink) (*appsv1.Deployment, error) {
	d := &appsv1.Deployment{}
	err := r.client.Get(ctx, types.NamespacedName{Namespace: l.Namespace, Name: linkDeploymentName(l.Name)}, d)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get Deployment %s: %w", linkDeploymentName(l.Name), err)
	}
	return d, nil
}

// scaleToZero stops a suspended link's pod, patching only spec.replicas
// (as a suspended query's runners are).
func (r *ClusterLinkReconciler) scaleToZero(ctx context.Context, d *appsv1.Deployment) (*appsv1.Deployment, error) {
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

// secretVersions reads the mounted Secrets' resourceVersions from the
// metadata-only cache.
func (r *ClusterLinkReconciler) secretVersions(ctx context.Context, l *v1alpha1.ClusterLink) (map[string]string, error) {
	names := linkSecrets(l)
	if len(names) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		err := r.client.Get(ctx, types.NamespacedName{Namespace: l.Namespace, Name: name}, m)
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

func (r *ClusterLinkReconciler) patchStatus(ctx context.Context, l *v1alpha1.ClusterLink, next v1alpha1.ClusterLinkStatus) error {
	if equality.Semantic.DeepEqual(l.Status, next) {
		return nil
	}
	orig := l.DeepCopy()
	l.Status = next
	return writeStatus(ctx, r.client, r.events, "ClusterLink", l, orig, orig.Status.Conditions, next.Conditions)
}

func (r *ClusterLinkReconciler) forget(key types.NamespacedName) {
	cm := corev1.SchemeGroupVersion.WithKind("ConfigMap").GroupKind()
	r.apply.forget(appsv1.SchemeGroupVersion.WithKind("Deployment").GroupKind(), key.Namespace, linkDeploymentName(key.Name))
	r.apply.forget(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), key.Namespace, linkServiceName(key.Name))
	r.apply.forget(cm, key.Namespace, linkConfigMapName(key.Name))
	r.apply.forget(cm, key.Namespace, linkDashboardName(key.Name))
	r.apply.forget(serviceMonitorGK, key.Namespace, linkMonitorName(key.Name))
	r.apply.forget(prometheusRuleGK, key.Namespace, linkMonitorName(key.Name))
}
