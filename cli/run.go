package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/stdio"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/observability"
	"github.com/velostream/velostream/observability/annotations"
	"github.com/velostream/velostream/observability/metrics"
)

func init() { register(newRunCmd) }

type runFlags struct {
	expr    string
	format  string
	sources []string
	sink    string
	quiet   bool
	// metricsAddr serves /metrics while the query runs (observability).
	metricsAddr string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [FILE.sql]",
		Short: "Run a streaming SQL query",
		Long: `run executes one query: from FILE.sql, from -e 'SQL', or from standard input.
A plain SELECT writes its rows to standard output as JSON lines (--format
json|csv|table; table redraws a live table on a terminal). Sources are bound
in the SQL's WITH clause, by CREATE STREAM declarations, or with
--source NAME=URI where URI is file:PATH (format from the extension: .jsonl,
.ndjson, .json, .csv), kafka://HOST:PORT/TOPIC?group=G&format=json, or - for
standard input. A bounded input is processed fully, every open window is
closed, and velo exits 0. Ctrl-C stops cleanly: sinks are flushed first.
A summary line (records read, rows emitted, late and dead-lettered records)
goes to standard error.`,
		Example: `  velo run examples/trades_per_minute.sql
  velo run -e "SELECT symbol, COUNT(*) FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 1m)" --source trades=file:examples/data/trades.jsonl
  cat trades.jsonl | velo run -e "SELECT * FROM trades WHERE price > 100" --source trades=-`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runQuery(cmd, args, f)
		},
	}
	cmd.Flags().StringVarP(&f.expr, "execute", "e", "", "SQL to run instead of a file")
	cmd.Flags().StringVar(&f.format, "format", "json", "standard output format: json, csv or table")
	cmd.Flags().StringArrayVar(&f.sources, "source", nil, "bind a source: NAME=URI (repeatable)")
	cmd.Flags().StringVar(&f.sink, "sink", "", "write results to URI instead of the query's sink")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "do not print the summary line")
	cmd.Flags().StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics (@metric annotations and engine series) at http://ADDR/metrics, e.g. 127.0.0.1:9464")
	addDashboardFlags(cmd)
	return cmd
}

// readSQL returns the SQL to run and a name for messages.
func readSQL(args []string, expr string, stdin io.Reader) (string, string, error) {
	switch {
	case expr != "" && len(args) > 0:
		return "", "", errors.New("give either FILE.sql or -e, not both")
	case expr != "":
		return expr, "<command line>", nil
	case len(args) == 1:
		b, err := os.ReadFile(args[0])
		return string(b), args[0], err
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", "", errors.New("no SQL: give FILE.sql, -e 'SQL', or SQL on standard input")
	}
	return string(b), "<stdin>", nil
}

// parseBindings turns --source NAME=URI flags into source properties.
func parseBindings(flags []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, s := range flags {
		name, uri, ok := strings.Cut(s, "=")
		if !ok || name == "" || uri == "" {
			return nil, fmt.Errorf("--source %q: want NAME=URI, e.g. trades=file:trades.jsonl", s)
		}
		out[name] = binder.URIProps(uri)
	}
	return out, nil
}

// sinkProps turns a --sink URI into sink properties.
func sinkProps(uri string) map[string]string {
	if uri == "" {
		return nil
	}
	p := binder.URIProps(uri)
	switch p["type"] {
	case "stdin":
		p["type"] = "stdout"
	case "file_source":
		p["type"] = "file_sink"
	case "kafka_source":
		p["type"] = "kafka_sink"
	}
	return p
}

func runQuery(cmd *cobra.Command, args []string, f runFlags) error {
	stdin := cmd.InOrStdin()
	src, name, err := readSQL(args, f.expr, stdin)
	if err != nil {
		return exitCode(2, err)
	}
	sources, err := parseBindings(f.sources)
	if err != nil {
		return exitCode(2, err)
	}
	q, errs := engine.Compile(src, engine.Options{Sources: sources, Sink: sinkProps(f.sink)})
	if len(errs) > 0 {
		fmt.Fprint(cmd.ErrOrStderr(), diag.RenderAll(name, src, errs))
		return exitCode(1, errReported)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts := executor.Options{Stderr: cmd.ErrOrStderr()}
	// Standard input is the command's own (tests and pipes set it).
	for _, ps := range q.Plan.Sources {
		if ps.Type != "stdin" {
			continue
		}
		src, err := stdio.NewSource(stdin, connectors.Config{Name: ps.Name, Props: ps.Props, Schema: ps.DecodeSchema()})
		if err != nil {
			return exitCode(2, fmt.Errorf("source %s: %w", ps.Name, err))
		}
		if opts.Sources == nil {
			opts.Sources = map[string]connectors.Source{}
		}
		opts.Sources[ps.Name] = src
	}
	if dashboardRequested(cmd) {
		return runDashboard(cmd, q, src, name, opts)
	}
	if q.Plan.Sink.Type == "stdout" {
		switch f.format {
		case "json", "csv":
			q.Plan.Sink.Format = f.format
			em, err := newStdoutEmitter(ctx, cmd.OutOrStdout(), q.Plan.Output, f.format)
			if err != nil {
				return exitCode(2, err)
			}
			opts.Emitter = em
		case "table":
			opts.Emitter = newTableEmitter(cmd.OutOrStdout(), q.Plan.Output, isTerminal(cmd.OutOrStdout()))
		default:
			return exitCode(2, fmt.Errorf("unknown --format %q (use json, csv or table)", f.format))
		}
	}
	if f.metricsAddr != "" {
		srv, err := serveMetrics(ctx, cmd, q, name, f.metricsAddr, &opts)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	start := time.Now()
	stats, err := q.Run(ctx, opts)
	if opts.Emitter != nil {
		_ = opts.Emitter.Close()
	}
	if !f.quiet && stats != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), stats.Summary(time.Since(start)))
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return exitCode(1, err)
	}
	return nil
}

// serveMetrics serves q's metrics at addr while it runs, and wires them
// into opts: every output row also updates the @metrics, and the engine
// series read opts.Stats. Annotation errors are reported like SQL errors.
func serveMetrics(ctx context.Context, cmd *cobra.Command, q *engine.Query, file, addr string, opts *executor.Options) (*metrics.Server, error) {
	spec, errs := annotations.FromQuery(q.Plan)
	if len(errs) > 0 {
		fmt.Fprint(cmd.ErrOrStderr(), diag.RenderAll(file, q.Src, errs))
		return nil, exitCode(1, errReported)
	}
	m, err := metrics.New(spec, metrics.Options{Query: observability.QueryName(q.Plan, file)})
	if err != nil {
		return nil, exitCode(1, err)
	}
	srv, err := metrics.Listen(addr, m.Handler())
	if err != nil {
		return nil, exitCode(1, err)
	}
	if *opts, err = m.Instrument(ctx, q.Plan, *opts); err != nil {
		srv.Close()
		return nil, exitCode(1, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "velo: serving metrics at %s\n", srv.URL())
	return srv, nil
}
