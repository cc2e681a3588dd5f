package controllers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// ManagerOptions are the operator process's settings (`velo operator`).
type ManagerOptions struct {
	// Namespace limits the operator to one namespace; "" watches all.
	Namespace string
	// MetricsAddr serves the manager's Prometheus metrics; "0" turns them off.
	MetricsAddr string
	// ProbeAddr serves /healthz and /readyz; "0" turns them off.
	ProbeAddr string
	// LeaderElection makes only one of several replicas reconcile.
	LeaderElection          bool
	LeaderElectionNamespace string
	// Controllers configure the reconcilers.
	Controllers Options
	// SkipNameValidation lets tests run several managers in one process.
	SkipNameValidation bool
}

// LeaderElectionID names the Lease replicas of the operator compete for.
const LeaderElectionID = "velostream-operator.velostream.io"

// NewManager discovers the monitoring APIs, builds a manager whose cache
// holds only what the controllers need, adds health checks and registers
// the controllers. The caller starts it.
func NewManager(ctx context.Context, cfg *rest.Config, o ManagerOptions) (ctrl.Manager, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	mon := o.Controllers.Monitoring
	if mon == nil {
		httpClient, err := rest.HTTPClientFor(cfg)
		if err != nil {
			return nil, fmt.Errorf("operator: HTTP client: %w", err)
		}
		mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
		if err != nil {
			return nil, fmt.Errorf("operator: discovery: %w", err)
		}
		found, err := DiscoverMonitoring(mapper)
		if err != nil {
			return nil, fmt.Errorf("operator: %w", err)
		}
		mon = &found
	}
	o.Controllers.Monitoring = mon

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   CacheOptions(*mon, o.Namespace),
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        LeaderElectionID,
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// Release the Lease on a clean stop so a rolling update hands
		// over at once instead of after the lease expires.
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       ptr.To(20 * time.Second),
		Controller:                    config.Controller{SkipNameValidation: ptr.To(o.SkipNameValidation)},
	})
	if err != nil {
		return nil, fmt.Errorf("operator: manager: %w", err)
	}
	if o.ProbeAddr != "0" && o.ProbeAddr != "" {
		if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
			return nil, err
		}
		// Ready once the caches have synced: before that a reconcile
		// would see an empty cluster.
		if err := mgr.AddReadyzCheck("caches", func(req *http.Request) error {
			if !mgr.GetCache().WaitForCacheSync(req.Context()) {
				return errors.New("caches not synced")
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if err := Setup(ctx, mgr, o.Controllers); err != nil {
		return nil, err
	}
	return mgr, nil
}
