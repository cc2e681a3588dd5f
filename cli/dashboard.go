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
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/studio/notebooks"
	"github.com/velostream/velostream/studio/server"
	"github.com/velostream/velostream/studio/server/charts"
	"github.com/velostream/velostream/studio/server/core"
	"github.com/velostream/velostream/studio/server/live"
)

// velo run --dashboard: the query runs in a Studio query hub instead of
// writing to standard output, and the Studio's UI shows it on its
// single-query page (#/dashboard/ID): live rows, rates and the chart the
// Studio picks. The page follows the query through the Studio's own API
// (/api/v1/queries/ID/stream), so it is the same page and the same stream
// as in a notebook.

// addDashboardFlags adds --dashboard and --dashboard-addr to velo run.
func addDashboardFlags(cmd *cobra.Command) {
	cmd.Flags().Bool("dashboard", false, "show the results live in the browser (the Studio's dashboard page) instead of on standard output; stops on Ctrl-C")
	cmd.Flags().String("dashboard-addr", "127.0.0.1:0", "address of the dashboard's web server (port 0 picks a free port)")
}

// dashboardRequested reports whether velo run was given --dashboard.
func dashboardRequested(cmd *cobra.Command) bool {
	on, _ := cmd.Flags().GetBool("dashboard")
	return on
}

// runDashboard serves q on the dashboard page until Ctrl-C. A bounded
// query's page stays up after the query ends, so its result can be read.
// opts carries the sources run.go bound (standard input).
func runDashboard(cmd *cobra.Command, q *engine.Query, src, name string, opts executor.Options) error {
	addr, _ := cmd.Flags().GetString("dashboard-addr")
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := startDashboard(ctx, q, src, addr, opts, slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return exitCode(1, err)
	}
	defer d.Close()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "velo run dashboard for %s on %s\n", name, d.URL)
	if isTerminal(out) {
		openBrowser(d.URL)
	}
	start := time.Now()
	select {
	case <-d.Query.Done():
		info := d.Query.Info()
		fmt.Fprintf(cmd.ErrOrStderr(), "query %s (%s): %d rows from %d records in %s; the dashboard stays up until Ctrl-C\n",
			info.State, info.Reason, info.Stats.Emitted, info.Stats.Read, time.Since(start).Round(time.Millisecond))
		if info.Error != "" {
			fmt.Fprintln(cmd.ErrOrStderr(), "error:", info.Error)
		}
		<-ctx.Done()
	case <-ctx.Done():
	}
	return nil
}

// dashboard is a running dashboard: the Studio back end that runs the
// query, and its web server.
type dashboard struct {
	URL   string
	Query *live.Query
	close []func()
}

// Close stops the query and the server and removes what they kept.
func (d *dashboard) Close() {
	for i := len(d.close) - 1; i >= 0; i-- {
		d.close[i]()
	}
}

// startDashboard starts q in a Studio of its own and serves the UI and the
// Studio API on addr (loopback names only when addr is on loopback).
func startDashboard(ctx context.Context, q *engine.Query, src, addr string, opts executor.Options, log *slog.Logger) (*dashboard, error) {
	d := &dashboard{}
	fail := func(err error) (*dashboard, error) {
		d.Close()
		return nil, err
	}
	// The Studio needs a notebook store; the dashboard has no notebooks,
	// so an empty directory that goes away with it.
	dir, err := os.MkdirTemp("", "velo-dashboard-")
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	d.close = append(d.close, func() { _ = os.RemoveAll(dir) })
	store, err := notebooks.NewFileStore(dir)
	if err != nil {
		return fail(fmt.Errorf("dashboard: %w", err))
	}
	studio, err := core.New(core.Config{Notebooks: store, Logger: log, FileRoots: []string{dir},
		// The one query is the reason the page exists: keep its rows
		// for as long as the page is up, and never stop it for want of
		// a viewer (a browser reload drops the subscriber for a moment).
		Limits: live.Limits{MaxQueries: 1, Retain: 100 * 365 * 24 * time.Hour}})
	if err != nil {
		return fail(fmt.Errorf("dashboard: %w", err))
	}
	d.close = append(d.close, studio.Close)
	chart := charts.Suggest(dashboardColumns(q), annotation(q, "viz"), annotation(q, "viz_title"))
	lq, err := studio.Hub().Start(live.Spec{Query: q, SQL: src, Live: false, Sources: opts.Sources, Meta: map[string]any{"chart": chart}})
	if err != nil {
		return fail(fmt.Errorf("dashboard: %w", err))
	}
	d.Query = lq
	host, _, _ := net.SplitHostPort(addr)
	srv, err := server.New(studio, server.Options{LoopbackOnly: isLoopbackHost(host), Logger: log})
	if err != nil {
		return fail(fmt.Errorf("dashboard: %w", err))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(fmt.Errorf("dashboard: listen on %s: %w", addr, err))
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("dashboard server", "error", err)
		}
	}()
	d.close = append(d.close, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	})
	d.URL = fmt.Sprintf("http://%s/#/dashboard/%s", browsable(ln.Addr()), lq.ID())
	return d, nil
}

// dashboardColumns are the query's output columns for the chart choice,
// the window bounds the engine adds to a windowed result marked implicit
// unless the SQL names them: volume by symbol in a window is a bar chart,
// as in a notebook. (The Studio's core does the same from the syntax tree;
// this reads the text, which errs towards a time series.)
func dashboardColumns(q *engine.Query) []charts.Column {
	cols := charts.FromSchema(q.Plan.Output)
	if !q.Plan.Windowed {
		return cols
	}
	lower := strings.ToLower(q.Src)
	for i := range cols {
		n := strings.ToLower(cols[i].Name)
		if (n == "window_start" || n == "window_end") && !strings.Contains(lower, n) {
			cols[i].Implicit = true
		}
	}
	return cols
}

// annotation returns the first `-- @name:` value of the query.
func annotation(q *engine.Query, name string) string {
	for _, a := range q.Plan.Annotations {
		if strings.EqualFold(a.Name, name) {
			return a.Value
		}
	}
	return ""
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// browsable is the address as a browser should be pointed at it: a server
// listening on every interface is reached on loopback.
func browsable(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(ta.Port))
}

// openBrowser asks the desktop to open url, as the product brief's
// "browser opens" promises; where there is no desktop nothing happens and
// the printed URL is the way in.
func openBrowser(url string) {
	var name string
	var args []string
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return
		}
		name = "xdg-open"
	}
	if _, err := exec.LookPath(name); err != nil {
		return
	}
	c := exec.Command(name, append(args, url)...)
	c.Stdout, c.Stderr = io.Discard, io.Discard
	if err := c.Start(); err == nil {
		go func() { _ = c.Wait() }()
	}
}
