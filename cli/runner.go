package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/runner"
)

func init() { register(newRunnerCmd) }

func newRunnerCmd() *cobra.Command {
	var (
		configPath string
		listen     string
		shutdown   time.Duration
		logFormat  string
	)
	cmd := &cobra.Command{
		Use:   "runner --config FILE",
		Short: "Run one query as a runner pod does (the operator's pod entrypoint)",
		Long: `runner runs the query a runner configuration describes (the file the
operator writes into each StreamingQuery's ConfigMap): its SQL, and the Kafka
connection whose bootstrap servers, TLS and SASL settings become the default
properties of the script's Kafka sources and sinks. It serves /metrics,
/healthz and /readyz (ready while the query runs) on the configuration's
listen address (default :9090). SIGTERM or Ctrl-C marks it not ready, stops
the query and flushes its sinks within --shutdown-timeout. A query over
bounded input completes and the runner keeps serving its final metrics.`,
		Example: `  velo runner --config /etc/velo/query.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" {
				return exitCode(2, errors.New("--config is required"))
			}
			handler, err := logHandler(cmd, logFormat)
			if err != nil {
				return exitCode(2, err)
			}
			log := slog.New(handler)
			cfg, err := runner.LoadConfig(configPath)
			if err != nil {
				return exitCode(2, err)
			}
			if listen != "" {
				cfg.Listen = listen
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err = runner.Run(ctx, cfg, runner.Options{Logger: log, Stderr: cmd.ErrOrStderr(), ShutdownTimeout: shutdown})
			var ce *runner.CompileError
			if errors.As(err, &ce) {
				fmt.Fprint(cmd.ErrOrStderr(), ce.Rendered)
				return exitCode(1, errReported)
			}
			if err != nil {
				return exitCode(1, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "runner configuration file (YAML)")
	cmd.Flags().StringVar(&listen, "listen", "", "address of /metrics, /healthz and /readyz (overrides the configuration)")
	cmd.Flags().DurationVar(&shutdown, "shutdown-timeout", runner.DefaultShutdownTimeout, "how long a stop may take to flush the query's sinks")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log format: text or json")
	return cmd
}

// logHandler is the slog handler of the long-running commands.
func logHandler(cmd *cobra.Command, format string) (slog.Handler, error) {
	switch format {
	case "text":
		return slog.NewTextHandler(cmd.ErrOrStderr(), nil), nil
	case "json":
		return slog.NewJSONHandler(cmd.ErrOrStderr(), nil), nil
	}
	return nil, fmt.Errorf("unknown --log-format %q (use text or json)", format)
}
