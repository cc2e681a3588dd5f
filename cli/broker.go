package cli

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/broker"
)

func init() { register(newBrokerCmd) }

func newBrokerCmd() *cobra.Command {
	var (
		cfg      broker.Config
		logLevel string
	)
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run a single-node Kafka-protocol broker for demos, laptops and tests",
		Long: `velo broker runs an embedded, single-node Kafka-protocol broker (franz-go's
kfake). It is for demos, laptops and tests: any Kafka client (kafka-go,
franz-go, kcat) can produce to it and consume from it. Production uses a
real Kafka cluster: this broker has no replication and no authentication.

It listens on loopback unless --addr names another interface. Topics are
created on first use with --partitions partitions. Without --data-dir all
data lives in memory; with it, topics, records and committed consumer-group
offsets survive a restart.

When it is ready it prints one line to stdout:
  velo broker listening on 127.0.0.1:9092
Logs go to stderr. SIGINT or SIGTERM stops it cleanly (flushing the data
dir) with exit status 0; a second signal stops it at once.`,
		Example: `  velo broker
  velo broker --addr 127.0.0.1:0 --data-dir ./.velo/broker
  kcat -b 127.0.0.1:9092 -t trades -P < trades.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The library reads 0 as "the default"; a user who types 0
			// made a mistake.
			if cfg.Partitions < 1 || cfg.Partitions > broker.MaxPartitions {
				return fmt.Errorf("--partitions %d: must be between 1 and %d", cfg.Partitions, broker.MaxPartitions)
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level %q: want debug, info, warn or error", logLevel)
			}
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))

			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			b, err := broker.Start(ctx, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "velo broker listening on %s\n", b.Addr())
			select {
			case <-ctx.Done():
			case <-b.Done():
			}
			// Back to the default signal handling: a second Ctrl-C kills
			// a shutdown that hangs instead of being swallowed.
			stop()
			if err := b.Close(); err != nil {
				return exitCode(1, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", broker.DefaultAddr, "host:port to listen on and advertise; port 0 picks a free port")
	f.StringVar(&cfg.DataDir, "data-dir", "", "directory that keeps topics, records and group offsets across restarts (default: in memory)")
	f.IntVar(&cfg.Partitions, "partitions", broker.DefaultPartitions, "partitions of topics created on first use")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}
