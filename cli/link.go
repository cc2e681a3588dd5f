package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/link"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/offsets"
)

func init() { register(newLinkCmd) }

// linkReadyPrefix starts the line `velo link` prints on stdout once it
// replicates (or stands failed over), followed by its metrics URL.
const linkReadyPrefix = "velo link ready; metrics on "

type linkFlags struct {
	file        string
	listen      string
	logLevel    string
	every       int
	checkpoint  time.Duration
	compression string
}

func newLinkCmd() *cobra.Command {
	var f linkFlags
	cmd := &cobra.Command{
		Use:   "link -f FILE",
		Short: "Mirror Kafka topics and consumer-group offsets from one cluster to another",
		Long: `velo link runs a ClusterLink: the same YAML one would kubectl apply
(apiVersion velostream.io/v1alpha1, kind ClusterLink), with local files in
place of Secret references (tls.caFile, tls.certFile, tls.keyFile,
sasl.usernameFile, sasl.passwordFile).

It mirrors the selected topics from spec.source to spec.target, keeping each
record's partition, key, headers and timestamp and the order of every
partition, picks up new matching topics and partitions while it runs, and
translates the committed offsets of spec.consumerGroups every
spec.syncInterval. It keeps its position and offset mapping in the compacted
topic __velo_link.[NAMESPACE.]NAME on the target, so a restarted link
continues where it stopped. See docs/clusterlink.md.

When it replicates it prints one line to stdout:
  velo link ready; metrics on http://127.0.0.1:9090/metrics
and serves /metrics, /healthz and /readyz there. Logs go to stderr. SIGINT or
SIGTERM stops it after writing its final position.`,
		Example: `  velo link -f dr.yaml
  velo link -f dr.yaml --listen 127.0.0.1:9191
  velo link failover dr -f dr.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLink(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "the ClusterLink YAML (required)")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:9090", "host:port of /metrics, /healthz and /readyz; port 0 picks a free port")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.IntVar(&f.every, "mapping-every", offsets.DefaultEvery, "keep an offset mapping point at least every N source records")
	fl.DurationVar(&f.checkpoint, "checkpoint-interval", 100*time.Millisecond, "at least once: longest time between position writes; exactly once: transaction length")
	fl.StringVar(&f.compression, "compression", "none", "compression of records written to the target: none, gzip, snappy, lz4 or zstd")
	cmd.AddCommand(newLinkFailoverCmd())
	return cmd
}

func linkLogger(cmd *cobra.Command, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: lv})), nil
}

func compressionCodecs(name string) ([]kgo.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "", "none":
		return nil, nil
	case "gzip":
		return []kgo.CompressionCodec{kgo.GzipCompression()}, nil
	case "snappy":
		return []kgo.CompressionCodec{kgo.SnappyCompression()}, nil
	case "lz4":
		return []kgo.CompressionCodec{kgo.Lz4Compression()}, nil
	case "zstd":
		return []kgo.CompressionCodec{kgo.ZstdCompression()}, nil
	}
	return nil, fmt.Errorf("--compression %q: want none, gzip, snappy, lz4 or zstd", name)
}

func runLink(cmd *cobra.Command, f linkFlags) error {
	if f.file == "" {
		return exitCode(2, fmt.Errorf("velo link needs -f FILE (a ClusterLink YAML)"))
	}
	if f.every < 1 {
		return exitCode(2, fmt.Errorf("--mapping-every %d: must be at least 1", f.every))
	}
	if f.checkpoint < time.Millisecond {
		return exitCode(2, fmt.Errorf("--checkpoint-interval %s: must be at least 1ms", f.checkpoint))
	}
	codecs, err := compressionCodecs(f.compression)
	if err != nil {
		return exitCode(2, err)
	}
	log, err := linkLogger(cmd, f.logLevel)
	if err != nil {
		return exitCode(2, err)
	}
	cfg, err := config.Load(f.file)
	if err != nil {
		return exitCode(2, err)
	}
	if cfg.Spec.Suspend {
		return exitCode(2, fmt.Errorf("%s: spec.suspend is true: nothing to run", f.file))
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return exitCode(1, fmt.Errorf("--listen %s: %w", f.listen, err))
	}
	url := "http://" + ln.Addr().String() + link.MetricsPath
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := cmd.OutOrStdout()
	err = link.Run(ctx, cfg, link.Options{
		Log: log, Listener: ln, MappingEvery: f.every, CheckpointInterval: f.checkpoint,
		Compression: codecs, RuntimeMetrics: true,
		OnReady: func() { fmt.Fprintln(out, linkReadyPrefix+url) },
	})
	if err != nil {
		return exitCode(1, err)
	}
	return nil
}

type failoverFlags struct {
	file     string
	wait     time.Duration
	output   string
	cancel   bool
	logLevel string
}

func newLinkFailoverCmd() *cobra.Command {
	var f failoverFlags
	cmd := &cobra.Command{
		Use:   "failover NAME -f FILE",
		Short: "Stop a link, make a final consumer-group offset sync and report where consumers resume on the target",
		Long: `velo link failover records a failover request in the link's state topic on
the target. A running link (velo link, or the operator's pod) sees it, stops
replicating, translates and commits the offsets of spec.consumerGroups one
last time, and writes a report; this command waits for that report. When no
link answers within --wait (it is not running, or the source cluster is
gone), the command makes the final sync itself.

The report lists, per consumer group, the offsets on the target its
consumers resume at; consumers started on the target with the same group.id
continue from there. A failed-over link does not replicate again, even when
restarted, until --cancel removes the request. See the runbook in
docs/clusterlink.md.`,
		Example: `  velo link failover dr -f dr.yaml
  velo link failover dr -f dr.yaml -o json
  velo link failover dr -f dr.yaml --cancel`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLinkFailover(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "the link's ClusterLink YAML (required)")
	fl.DurationVar(&f.wait, "wait", 30*time.Second, "how long to wait for a running link to report")
	fl.StringVarP(&f.output, "output", "o", "text", "text or json")
	fl.BoolVar(&f.cancel, "cancel", false, "remove the failover request and report, so the link replicates again when restarted")
	fl.StringVar(&f.logLevel, "log-level", "warn", "debug, info, warn or error")
	return cmd
}

func runLinkFailover(cmd *cobra.Command, name string, f failoverFlags) error {
	if f.file == "" {
		return exitCode(2, fmt.Errorf("velo link failover needs -f FILE (the link's ClusterLink YAML)"))
	}
	if f.output != "text" && f.output != "json" {
		return exitCode(2, fmt.Errorf("-o %q: want text or json", f.output))
	}
	log, err := linkLogger(cmd, f.logLevel)
	if err != nil {
		return exitCode(2, err)
	}
	cfg, err := config.Load(f.file)
	if err != nil {
		return exitCode(2, err)
	}
	if cfg.Name != name {
		return exitCode(2, fmt.Errorf("%s holds link %q, not %q", f.file, cfg.Name, name))
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errw := cmd.ErrOrStderr()
	if f.cancel {
		if err := link.CancelFailover(ctx, cfg, link.Options{Log: log}); err != nil {
			return exitCode(1, err)
		}
		fmt.Fprintf(errw, "velo link: failover of %s cancelled; it replicates again when it next starts\n", cfg.ID())
		return nil
	}
	rep, err := link.Failover(ctx, cfg, link.FailoverOptions{
		Options:  link.Options{Log: log},
		Wait:     f.wait,
		Progress: func(msg string) { fmt.Fprintln(errw, "velo link:", msg) },
	})
	if err != nil {
		return exitCode(1, err)
	}
	if f.output == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	writeReport(cmd.OutOrStdout(), rep)
	return nil
}

// writeReport prints a failover report as a table: one line per group,
// topic and partition.
func writeReport(w io.Writer, rep *offsets.Report) {
	fmt.Fprintf(w, "failed over at %s\n", rep.At.Format(time.RFC3339))
	if len(rep.Groups) == 0 {
		fmt.Fprintln(w, "no consumer group matches spec.consumerGroups")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tTOPIC\tPARTITION\tRESUME AT\tNOTE")
	for _, g := range rep.Groups {
		if len(g.Offsets) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t%s\n", g.Group, note(g.Skipped, "no offsets on the target"))
			continue
		}
		for _, t := range slices.Sorted(maps.Keys(g.Offsets)) {
			for _, p := range slices.Sorted(maps.Keys(g.Offsets[t])) {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", g.Group, t, p, g.Offsets[t][p], note(g.Skipped, ""))
			}
		}
	}
	tw.Flush()
}

func note(skipped, def string) string {
	switch skipped {
	case "":
		return def
	case "active_on_target":
		return "not synced: the group has consumers on the target"
	case "untranslatable":
		return "not synced: its source offsets are before the replicated range"
	}
	return "not synced: " + skipped
}
