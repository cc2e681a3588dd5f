package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/velostream/velostream/controllers"
)

func init() { register(newOperatorCmd) }

// defaultRunnerImage is the runner image when neither --runner-image nor
// $VELO_RUNNER_IMAGE is given; the Helm chart and the kustomize manager set
// the variable to the operator's own image.
const defaultRunnerImage = "velostream/velo:latest"

func runnerImageDefault() string {
	if img := os.Getenv("VELO_RUNNER_IMAGE"); img != "" {
		return img
	}
	return defaultRunnerImage
}

func newOperatorCmd() *cobra.Command {
	var (
		o          controllers.ManagerOptions
		kubeconfig string
		logFormat  string
		qps        float32
		burst      int
	)
	cmd := &cobra.Command{
		Use:   "operator",
		Short: "Run the Kubernetes operator (StreamingQuery and Notebook controllers)",
		Long: `operator runs the controllers that turn StreamingQuery and Notebook objects
into runner pods (velo runner), metrics Services and, where the cluster serves
prometheus-operator's APIs, ServiceMonitors, PrometheusRules and Grafana
dashboard ConfigMaps. It reads the cluster from --kubeconfig, $KUBECONFIG or
the in-cluster service account. With --leader-elect several replicas may run;
one reconciles. --namespace limits it to one namespace (a Role instead of a
ClusterRole then suffices).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			handler, err := logHandler(cmd, logFormat)
			if err != nil {
				return exitCode(2, err)
			}
			log := slog.New(handler)
			ctrl.SetLogger(logr.FromSlogHandler(handler))
			o.Controllers.Logger = log
			if o.Controllers.RunnerImage == "" {
				return exitCode(2, errors.New("--runner-image must not be empty"))
			}
			cfg, err := restConfig(kubeconfig)
			if err != nil {
				return exitCode(2, err)
			}
			cfg.QPS, cfg.Burst = qps, burst
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			mgr, err := controllers.NewManager(ctx, cfg, o)
			if err != nil {
				return exitCode(1, err)
			}
			log.Info("starting the operator", "namespace", o.Namespace, "runnerImage", o.Controllers.RunnerImage, "leaderElection", o.LeaderElection)
			if err := mgr.Start(ctx); err != nil {
				return exitCode(1, fmt.Errorf("operator: %w", err))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then the in-cluster service account)")
	f.StringVar(&o.Namespace, "namespace", "", "watch only this namespace (default: all)")
	f.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "address of the operator's /metrics; 0 turns it off")
	f.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz; 0 turns them off")
	f.BoolVar(&o.LeaderElection, "leader-elect", false, "elect a leader so that several replicas can run")
	f.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election Lease (default: the pod's)")
	f.StringVar(&o.Controllers.RunnerImage, "runner-image", runnerImageDefault(), "image of runner pods when a query names none ($VELO_RUNNER_IMAGE)")
	f.IntVar(&o.Controllers.MaxConcurrentReconciles, "max-concurrent-reconciles", 2, "reconciles run at once per controller")
	f.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	// client-go's default (5 requests/s, controller-runtime's 20) makes
	// a thousand queries take minutes to apply; the API server's priority
	// and fairness protects it from a busy operator.
	f.Float32Var(&qps, "kube-api-qps", 100, "requests per second to the API server (client-side limit)")
	f.IntVar(&burst, "kube-api-burst", 300, "request burst to the API server (client-side limit)")
	return cmd
}

// restConfig reads the cluster's address and credentials.
func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err)
		}
		return cfg, nil
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return nil, fmt.Errorf("no cluster: give --kubeconfig or set KUBECONFIG: %w", err)
	}
	return cfg, nil
}
