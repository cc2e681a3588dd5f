package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/assistant/providers"
	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/controllers"
	"github.com/velostream/velostream/demo"
	samples "github.com/velostream/velostream/examples/notebooks"
	"github.com/velostream/velostream/studio/mcp"
	"github.com/velostream/velostream/studio/notebooks"
	"github.com/velostream/velostream/studio/server"
	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/core"
	"github.com/velostream/velostream/studio/server/live"
)

func init() { register(newStudioCmd) }

// studioFlags configure a Studio back end; velo studio and velo mcp share them.
type studioFlags struct {
	dir         string
	demo        bool
	demoBroker  string
	kafka       string
	kafkaDeploy string
	kubeconfig  string
	namespace   string
	store       string
	allowDeploy bool
	maxQueries  int
	maxRows     int64
	queryTime   time.Duration
	logLevel    string
}

func (f *studioFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", "./notebooks", "directory of notebook files (Notebook YAML documents)")
	fl.BoolVar(&f.demo, "demo", false, "start the embedded broker, feed the demo streams (trades, transactions, clicks, customers) and add the sample notebook")
	fl.StringVar(&f.demoBroker, "demo-broker", "127.0.0.1:0", "address of the demo's embedded broker (port 0 picks a free port)")
	fl.StringVar(&f.kafka, "kafka", "", "host:port of a Kafka cluster whose topics to query (instead of --demo)")
	fl.StringVar(&f.kafkaDeploy, "deploy-kafka", "", "bootstrap servers deployed queries use, as the cluster sees them (default: --kafka)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster to deploy to (in a pod: the pod's service account)")
	fl.StringVar(&f.namespace, "namespace", "", "namespace of deploys and cluster notebooks (default: the kubeconfig context's, or the pod's)")
	fl.StringVar(&f.store, "notebooks", "auto", "where notebooks live: files (--dir), cluster (Notebook objects), or auto (cluster inside a pod, else files)")
	fl.BoolVar(&f.allowDeploy, "allow-deploy", false, "let agents (MCP deploy_query) apply to the cluster; without it they get dry runs")
	fl.IntVar(&f.maxQueries, "max-queries", 64, "queries that may run at once")
	fl.Int64Var(&f.maxRows, "max-rows", 1_000_000, "rows a query may emit before it is stopped (0: no limit)")
	fl.DurationVar(&f.queryTime, "query-timeout", time.Hour, "how long a query may run (0: no limit)")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error (logs go to standard error)")
}

// studioBackend is a running Studio back end and what it started.
type studioBackend struct {
	studio *core.Studio
	log    *slog.Logger
	broker *broker.Broker
	feeder *demo.Feeder
	close  []func()
}

func (b *studioBackend) Close() {
	b.studio.Close()
	for i := len(b.close) - 1; i >= 0; i-- {
		b.close[i]()
	}
}

// startBackend builds the Studio from flags: the demo broker and feeder,
// the catalog, the cluster client, the notebook store, the NL->SQL
// provider. Logs go to stderr only (velo mcp's stdout is the protocol).
func startBackend(ctx context.Context, f *studioFlags, stderr io.Writer) (*studioBackend, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	if f.demo && f.kafka != "" {
		return nil, errors.New("--demo and --kafka: choose one (the demo runs its own broker)")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	b := &studioBackend{log: log}
	fail := func(err error) (*studioBackend, error) {
		for i := len(b.close) - 1; i >= 0; i-- {
			b.close[i]()
		}
		return nil, err
	}
	cc := catalog.Config{Bootstrap: f.kafka, Logger: log}
	if f.demo {
		br, err := broker.Start(ctx, broker.Config{Addr: f.demoBroker, Logger: log.With("component", "broker")})
		if err != nil {
			return fail(fmt.Errorf("demo broker: %w", err))
		}
		b.broker = br
		b.close = append(b.close, func() { _ = br.Close() })
		fd, err := demo.Feed(ctx, demo.FeedConfig{Bootstrap: br.Addr(), Seed: uint64(time.Now().UnixNano()), Logger: log.With("component", "demo")})
		if err != nil {
			return fail(fmt.Errorf("demo feeder: %w", err))
		}
		b.feeder = fd
		b.close = append(b.close, func() {
			if err := fd.Close(); err != nil {
				log.Warn("demo feeder", "error", err)
			}
		})
		cc.Streams, cc.Bootstrap = demo.Catalog(), br.Addr()
	}
	kube, ns, inCluster, err := studioCluster(f)
	if err != nil {
		return fail(err)
	}
	var store notebooks.Store
	switch f.store {
	case "files":
	case "cluster":
		if kube == nil {
			return fail(errors.New("--notebooks cluster needs a cluster: give --kubeconfig, or run in a pod"))
		}
	case "auto":
		if inCluster {
			f.store = "cluster"
		} else {
			f.store = "files"
		}
	default:
		return fail(fmt.Errorf("--notebooks %q: want files, cluster or auto", f.store))
	}
	if f.store == "cluster" {
		store = notebooks.NewKubeStore(kube, ns)
	} else {
		fs, err := notebooks.NewFileStore(f.dir)
		if err != nil {
			return fail(err)
		}
		store = fs
	}
	gen, err := providers.New(providers.FromEnv(os.Getenv))
	if err != nil {
		return fail(err)
	}
	var kafka *v1alpha1.KafkaConnection
	if boot := firstNonEmpty(f.kafkaDeploy, f.kafka); boot != "" {
		kafka = &v1alpha1.KafkaConnection{BootstrapServers: boot}
	}
	wd, _ := os.Getwd()
	s, err := core.New(core.Config{
		Catalog: catalog.New(cc), Notebooks: store, Assistant: gen, Kube: kube, Namespace: ns, Kafka: kafka,
		AllowDeploy: f.allowDeploy, Logger: log, FileRoots: []string{wd, f.dir}, NoFiles: f.store == "cluster",
		Limits: live.Limits{MaxQueries: f.maxQueries, MaxRows: f.maxRows, MaxDuration: f.queryTime, MaxState: 1_000_000},
	})
	if err != nil {
		return fail(err)
	}
	b.studio = s
	if f.demo {
		if err := addSample(ctx, store); err != nil {
			log.Warn("sample notebook not added", "error", err)
		}
	}
	log.Info("studio ready", "notebooks", store.Describe(), "kafka", cc.Bootstrap, "cluster", kube != nil, "assistant", gen.Name())
	return b, nil
}

// addSample adds the Trading Analytics notebook unless one of that name
// exists: a user's edits to it are never replaced.
func addSample(ctx context.Context, store notebooks.Store) error {
	nb, err := notebooks.Unmarshal(samples.TradingAnalytics())
	if err != nil {
		return err
	}
	if _, err := store.Get(ctx, nb.Name); err == nil {
		return nil
	}
	_, err = store.Create(ctx, nb)
	if errors.Is(err, notebooks.ErrExists) {
		return nil
	}
	return err
}

// studioCluster connects to the cluster named by --kubeconfig, or the
// pod's own; none otherwise (a laptop's default kubeconfig is not used
// without being asked for: deploying somewhere by surprise is worse than
// having to say where).
func studioCluster(f *studioFlags) (client.Client, string, bool, error) {
	inCluster := os.Getenv("KUBERNETES_SERVICE_HOST") != "" && f.kubeconfig == ""
	if f.kubeconfig == "" && !inCluster {
		if f.namespace == "" {
			f.namespace = "default"
		}
		return nil, f.namespace, false, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", false, fmt.Errorf("cluster: %w", err)
	}
	ns := f.namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil || ns == "" {
			ns = "default"
		}
	}
	scheme, err := controllers.NewScheme()
	if err != nil {
		return nil, "", false, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", false, fmt.Errorf("cluster: %w", err)
	}
	return c, ns, inCluster, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func newStudioCmd() *cobra.Command {
	var (
		f    studioFlags
		addr string
	)
	cmd := &cobra.Command{
		Use:   "studio",
		Short: "Run Velostream Studio: notebooks, live results, NL->SQL and deploy in the browser",
		Long: `studio serves the Studio's web UI and its API (/api/v1, described at
/api/v1/openapi.json) and the MCP server for agents (/mcp).

Notebooks are Notebook YAML files in --dir (saved atomically; a file changed on
disk since the UI loaded it is not overwritten), or Notebook objects in the
cluster when the Studio runs in a pod. --demo starts an embedded Kafka-protocol
broker fed with the demo streams (trades, transactions, clicks and the
customers table) and opens with the Trading Analytics notebook.

Deploy applies to the cluster of --kubeconfig (or the pod's); without one, the
Deploy summary offers the YAML to apply with kubectl. On a loopback address the
server answers only requests addressed to localhost, 127.0.0.1 or [::1].

When it is ready it prints one line to stdout:
  velo studio listening on http://127.0.0.1:8080
NL->SQL uses Anthropic when ANTHROPIC_API_KEY is set, an OpenAI-compatible
server with VELO_OPENAI_BASE_URL and VELO_OPENAI_MODEL, else the offline
generator (see docs/studio.md).`,
		Example: `  velo studio --demo
  velo studio --dir ./notebooks --kafka 127.0.0.1:9092
  velo studio --demo --kubeconfig ~/.kube/config --namespace analytics`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return exitCode(2, fmt.Errorf("--addr %s: %w", addr, err))
			}
			b, err := startBackend(ctx, &f, cmd.ErrOrStderr())
			if err != nil {
				ln.Close()
				return exitCode(2, err)
			}
			defer b.Close()
			loopback := false
			if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
				loopback = tcp.IP.IsLoopback()
			}
			mcpLog := b.log.With("component", "mcp")
			h, err := server.New(b.studio, server.Options{MCP: mcp.Handler(mcp.New(b.studio, mcpLog), mcpLog), LoopbackOnly: loopback, Logger: b.log})
			if err != nil {
				ln.Close()
				return exitCode(1, err)
			}
			hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(b.log.Handler(), slog.LevelWarn)}
			served := make(chan error, 1)
			go func() { served <- hs.Serve(ln) }()
			fmt.Fprintf(cmd.OutOrStdout(), "velo studio listening on http://%s\n", displayAddr(ln.Addr()))
			if b.broker != nil {
				b.log.Info("demo broker", "addr", b.broker.Addr())
			}
			select {
			case <-ctx.Done():
			case err := <-served:
				return exitCode(1, err)
			}
			stop()
			// Queries end first, so their streams (SSE requests) return
			// and the shutdown does not wait for them.
			b.studio.Close()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := hs.Shutdown(sctx); err != nil {
				return exitCode(1, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "host:port to listen on (port 0 picks a free port)")
	f.add(cmd)
	return cmd
}

// displayAddr is the address to print: a wildcard address becomes
// localhost, which a browser can open.
func displayAddr(a net.Addr) string {
	s := a.String()
	if tcp, ok := a.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
	}
	return strings.TrimSpace(s)
}
