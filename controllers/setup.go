// Package controllers holds the operator's reconcilers. It takes the
// velostream.io/v1alpha1 objects (api/v1alpha1) and gives the Kubernetes
// objects that run them:
//
//	StreamingQuery -> ConfigMap (runner.Config), Deployment (velo runner),
//	                  Service (/metrics), ServiceMonitor, PrometheusRule,
//	                  dashboard ConfigMap (observability/generate)
//	Notebook       -> one StreamingQuery per deployed cell, one dashboard
//	ClusterLink    -> ConfigMap (the link's YAML), Deployment (velo link),
//	                  Service (/metrics), ServiceMonitor, PrometheusRule,
//	                  dashboard ConfigMap (link/monitoring); status read
//	                  from the link's metrics
//
// Children are built by pure make* functions (golden-file tested), applied
// with server-side apply under one field owner (ManagedBy), and owned by
// their parent, so the garbage collector deletes them with it. Status
// follows kstatus (Ready, Reconciling, Stalled) and is written only when it
// changed.
package controllers

import (
	"context"
	"errors"
	"log/slog"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// Options configure the controllers.
type Options struct {
	// RunnerImage is the image of runner pods when a query names none.
	RunnerImage string
	// Monitoring says which monitoring APIs the cluster serves; nil asks
	// the manager's RESTMapper (DiscoverMonitoring).
	Monitoring *MonitoringAPIs
	// Clock stamps condition transitions; the real clock when nil.
	Clock clock.PassiveClock
	// Logger receives the controllers' logs; slog.Default when nil.
	Logger *slog.Logger
	// MaxConcurrentReconciles per controller; 1 when 0.
	MaxConcurrentReconciles int
}

// NewScheme registers every kind the operator reads or writes.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, v1alpha1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// CacheOptions narrow the manager's cache to what the controllers need, so
// its memory grows with the queries, not with the cluster: Deployments,
// Services and monitoring objects only when this operator made them (the
// label selector); ConfigMaps, Secrets, Services and monitoring objects as
// metadata only (see Setup: spec.sqlFrom is read from the API server when
// needed); no managedFields. The monitoring kinds are listed only when
// served: the cache refuses kinds the API server does not know. A
// non-empty namespace limits every watch to it (`velo operator
// --namespace`).
func CacheOptions(mon MonitoringAPIs, namespace string) cache.Options {
	managed := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy})}
	deployments := managed
	deployments.Transform = stripDeployment
	opts := cache.Options{DefaultTransform: cache.TransformStripManagedFields(), ByObject: map[client.Object]cache.ByObject{
		&appsv1.Deployment{}: deployments,
		&corev1.Service{}:    managed,
	}}
	if mon.ServiceMonitor {
		opts.ByObject[&monitoringv1.ServiceMonitor{}] = managed
	}
	if mon.PrometheusRule {
		opts.ByObject[&monitoringv1.PrometheusRule{}] = managed
	}
	if namespace != "" {
		opts.DefaultNamespaces = map[string]cache.Config{namespace: {}}
	}
	return opts
}

// stripDeployment keeps what the controllers read of a cached Deployment
// (metadata, spec.replicas, status) and drops its pod template and
// managedFields, the bulk of it. Applies send the whole desired object and
// get the whole stored one back, so nothing needs the cached template.
func stripDeployment(obj any) (any, error) {
	if d, ok := obj.(*appsv1.Deployment); ok {
		d.ManagedFields = nil
		d.Spec.Template = corev1.PodTemplateSpec{}
		d.Spec.Selector = nil
	}
	return obj, nil
}

// Index names of the field indexes the controllers register.
const (
	// indexRefs lists the Secrets and ConfigMaps a StreamingQuery's pods
	// or SQL read, as "secret/NAME" and "configmap/NAME".
	indexRefs = "velostream.io/refs"
)

// queryRefs is the index function of indexRefs.
func queryRefs(obj client.Object) []string {
	q, ok := obj.(*v1alpha1.StreamingQuery)
	if !ok {
		return nil
	}
	var out []string
	for _, s := range referencedSecrets(q.Spec.Kafka) {
		out = append(out, "secret/"+s)
	}
	if f := q.Spec.SQLFrom; f != nil && f.ConfigMapKeyRef != nil {
		out = append(out, "configmap/"+f.ConfigMapKeyRef.Name)
	}
	return out
}

// Setup registers the StreamingQuery, Notebook and ClusterLink controllers
// and their indexes with mgr.
func Setup(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RunnerImage == "" {
		return errors.New("controllers: a runner image is required")
	}
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 1
	}
	mon := opts.Monitoring
	if mon == nil {
		found, err := DiscoverMonitoring(mgr.GetRESTMapper())
		if err != nil {
			return err
		}
		mon = &found
	}
	opts.Logger.Info("monitoring APIs", "serviceMonitor", mon.ServiceMonitor, "prometheusRule", mon.PrometheusRule)

	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.StreamingQuery{}, indexRefs, queryRefs); err != nil {
		return err
	}
	// The controllers read back the status of Deployments and of a
	// notebook's StreamingQueries; every other child is cached as metadata.
	apply := newApplier(mgr.GetClient(), mgr.GetScheme(), ManagedBy,
		appsv1.SchemeGroupVersion.WithKind("Deployment").GroupKind(),
		v1alpha1.GroupVersion.WithKind(v1alpha1.StreamingQueryKind).GroupKind())
	recorder := mgr.GetEventRecorder(ManagedBy)

	sq := &StreamingQueryReconciler{
		client: mgr.GetClient(), reader: mgr.GetAPIReader(), scheme: mgr.GetScheme(), apply: apply, events: recorder,
		clock: opts.Clock, log: opts.Logger.With("controller", "streamingquery"),
		image: opts.RunnerImage, monitoring: *mon,
	}
	// The query's own status patches change neither its generation nor
	// its metadata, so they do not wake the controller again.
	specChanged := predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}, predicate.AnnotationChangedPredicate{})
	b := ctrl.NewControllerManagedBy(mgr).
		Named("streamingquery").
		For(&v1alpha1.StreamingQuery{}, builder.WithPredicates(specChanged)).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Service{}, builder.OnlyMetadata).
		Owns(&corev1.ConfigMap{}, builder.OnlyMetadata).
		WatchesMetadata(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(referrers(mgr.GetClient(), sq.log, "configmap/"))).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(referrers(mgr.GetClient(), sq.log, "secret/"))).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles})
	if mon.ServiceMonitor {
		b = b.Owns(&monitoringv1.ServiceMonitor{}, builder.OnlyMetadata)
	}
	if mon.PrometheusRule {
		b = b.Owns(&monitoringv1.PrometheusRule{}, builder.OnlyMetadata)
	}
	if err := b.Complete(sq); err != nil {
		return err
	}

	nb := &NotebookReconciler{
		client: mgr.GetClient(), scheme: mgr.GetScheme(), apply: apply, events: recorder,
		clock: opts.Clock, monitoring: *mon,
	}
	if err := ctrl.NewControllerManagedBy(mgr).
		Named("notebook").
		For(&v1alpha1.Notebook{}, builder.WithPredicates(specChanged)).
		Owns(&v1alpha1.StreamingQuery{}).
		Owns(&corev1.ConfigMap{}, builder.OnlyMetadata).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(nb); err != nil {
		return err
	}
	opts.Monitoring = mon
	return SetupClusterLink(ctx, mgr, LinkOptions{Options: opts})
}

// referrers maps a Secret or ConfigMap to the StreamingQueries in its
// namespace that reference it, through the indexRefs index.
func referrers(c client.Client, log *slog.Logger, prefix string) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		var list v1alpha1.StreamingQueryList
		if err := c.List(ctx, &list, client.InNamespace(obj.GetNamespace()),
			client.MatchingFields{indexRefs: prefix + obj.GetName()}); err != nil {
			// A cache list cannot fail once the cache has synced; should
			// it, the next resync or spec change repairs the miss.
			log.Error("cannot map a referenced object to its queries", "object", prefix+obj.GetName(), "namespace", obj.GetNamespace(), "err", err)
			return nil
		}
		out := make([]reconcile.Request, 0, len(list.Items))
		for i := range list.Items {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{
				Namespace: list.Items[i].Namespace, Name: list.Items[i].Name,
			}})
		}
		return out
	}
}
