package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/velostream/velostream/examples"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/types"
)

func init() { register(newDemoCmd) }

type demoFlags struct {
	addr     string
	dataDir  string
	rate     int
	format   string
	sql      string
	duration time.Duration
}

func newDemoCmd() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a live demo: an embedded broker, synthetic trades and transactions, a windowed query",
		Long: `demo starts the embedded Kafka-protocol broker (as velo broker does), feeds
the demo streams with synthetic data at a steady rate, and runs a windowed
query over trades with live results on standard output:

  trades        symbol, price (4 decimals), quantity, side, venue, customer_id, ts
  transactions  txn_id, customer_id, amount (2 decimals), currency, region,
                merchant, fraud_score, lat, lon, ts
  clicks        user_id, session_id, page, referrer, ts
  customers     customer_id, name, tier, region (a table, written once;
                every customer_id of trades and transactions is one of it)

Nothing needs to be installed: the broker runs in this process. Any Kafka
client can read the topics while the demo runs (the address is printed on
standard error), e.g. kcat -b 127.0.0.1:9092 -t transactions -C.
Ctrl-C stops the query (flushing and committing), the feeds and the broker.`,
		Example: `  velo demo
  velo demo --rate 1000 --format json | head
  velo demo --sql my_query.sql --data-dir ./.velo/demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", broker.DefaultAddr, "broker address; if it is taken, a free loopback port is used")
	fl.StringVar(&f.dataDir, "data-dir", "", "keep the broker's data here across runs (default: a temporary directory, removed at exit)")
	fl.IntVar(&f.rate, "rate", 300, "records per second fed to each topic")
	fl.StringVar(&f.format, "format", "", "output: table (default on a terminal), json or csv")
	fl.StringVar(&f.sql, "sql", "", "run this query file instead of the built-in one (its Kafka sources are pointed at the demo broker)")
	fl.DurationVar(&f.duration, "duration", 0, "stop after this long (default: run until Ctrl-C)")
	return cmd
}

func runDemo(cmd *cobra.Command, f demoFlags) error {
	if f.rate < 1 || f.rate > 1_000_000 {
		return exitCode(2, fmt.Errorf("--rate %d: want 1 to 1000000 records per second", f.rate))
	}
	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.format == "" {
		f.format = "json"
		if isTerminal(out) {
			f.format = "table"
		}
	}
	switch f.format {
	case "table", "json", "csv":
	default:
		return exitCode(2, fmt.Errorf("unknown --format %q (use table, json or csv)", f.format))
	}
	src, name := examples.DemoTrades, "examples/demo_trades.sql"
	if f.sql != "" {
		b, err := os.ReadFile(f.sql)
		if err != nil {
			return exitCode(2, err)
		}
		src, name = string(b), f.sql
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	dir := f.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "velo-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	b, err := broker.Start(context.Background(), broker.Config{Addr: f.addr, DataDir: dir, Partitions: 3, Logger: log})
	if err != nil && f.addr == broker.DefaultAddr && strings.Contains(err.Error(), "address already in use") {
		fmt.Fprintf(stderr, "velo demo: %s is taken (is a broker running?); using a free port\n", f.addr)
		b, err = broker.Start(context.Background(), broker.Config{Addr: "127.0.0.1:0", DataDir: dir, Partitions: 3, Logger: log})
	}
	if err != nil {
		return err
	}
	defer b.Close()

	// Point every Kafka source of the query at the demo broker.
	q, errs := engine.Compile(src, engine.Options{NoSampling: true})
	if len(errs) == 0 {
		over := map[string]map[string]string{}
		for _, s := range q.Plan.Sources {
			if s.Type == "kafka_source" {
				over[s.Name] = map[string]string{"bootstrap.servers": b.Addr()}
			}
		}
		q, errs = engine.Compile(src, engine.Options{Sources: over, NoSampling: true})
	}
	if len(errs) > 0 {
		fmt.Fprint(stderr, diag.RenderAll(name, src, errs))
		return exitCode(1, errReported)
	}

	// The demo data is the demo package's: the same streams, schemas and
	// values velo studio --demo, the docs and the NL->SQL examples use.
	fd, err := demo.Feed(ctx, demo.FeedConfig{Bootstrap: b.Addr(), Seed: uint64(time.Now().UnixNano()), Partitions: 3, Logger: log,
		Rates: map[string]int{demo.Trades: f.rate, demo.Transactions: f.rate, demo.Clicks: f.rate}})
	if err != nil {
		return err
	}
	stopFeeds := func() {
		if err := fd.Close(); err != nil {
			fmt.Fprintln(stderr, "velo demo:", err)
		}
	}
	fmt.Fprintf(stderr, "velo demo: broker on %s (data in %s); feeding trades, transactions and clicks at %d records/s each (and the customers table); Ctrl-C stops.\n"+
		"velo demo: read the topics with any Kafka client, e.g. kcat -b %s -t transactions -C\n", b.Addr(), dir, f.rate, b.Addr())

	var em executor.Emitter
	switch f.format {
	case "table":
		em = newBoard(out, q.Plan.Output, isTerminal(out))
	default:
		if em, err = newStdoutEmitter(ctx, out, q.Plan.Output, f.format); err != nil {
			stopFeeds()
			return err
		}
	}
	start := time.Now()
	runCtx, cancelRun := context.WithCancel(ctx)
	go func() {
		select {
		case <-fd.Done():
			cancelRun() // the feeder stopped on an error; stopFeeds reports it
		case <-runCtx.Done():
		}
	}()
	stats, err := q.Run(runCtx, executor.Options{Emitter: em, Stderr: stderr})
	cancelRun()
	em.Close()
	stopFeeds()
	if stats != nil {
		fmt.Fprintln(stderr, stats.Summary(time.Since(start)))
	}
	if cerr := b.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return exitCode(1, err)
	}
	return nil
}

// board shows EMIT CHANGES results as a live table with one line per
// window and group, updated in place: the latest row of each, newest
// windows first. Off a terminal it prints the final table at the end.
type board struct {
	mu       sync.Mutex
	w        io.Writer
	schema   types.Schema
	live     bool
	winCol   int // window_start's column, -1 without one
	rows     map[string][]string
	order    []string
	lastDraw time.Time
	drawn    int
}

const boardLines = 24

func newBoard(w io.Writer, schema types.Schema, live bool) *board {
	return &board{w: w, schema: schema, live: live, rows: map[string][]string{}, winCol: schema.Index("window_start")}
}

func (b *board) Emit(row types.Row, _ int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cells := make([]string, len(row))
	for i, v := range row {
		cells[i] = cellText(v)
	}
	// A row's identity: its window and its text values (the group keys;
	// an undeclared source's columns are typed only by their values).
	var key strings.Builder
	if b.winCol >= 0 {
		key.WriteString(cells[b.winCol])
	}
	for i, v := range row {
		if v.K == types.KindString {
			key.WriteByte(0)
			key.WriteString(cells[i])
		}
	}
	k := key.String()
	if _, ok := b.rows[k]; !ok {
		b.order = append(b.order, k)
	}
	b.rows[k] = cells
	if len(b.order) > 4*boardLines {
		// Forget the oldest lines; they scrolled off long ago.
		for _, old := range b.order[:len(b.order)-boardLines] {
			delete(b.rows, old)
		}
		b.order = slices.Clone(b.order[len(b.order)-boardLines:])
	}
	if b.live && time.Since(b.lastDraw) > 250*time.Millisecond {
		b.draw()
	}
	return nil
}

func (b *board) draw() {
	keys := slices.Clone(b.order)
	// Newest window first, then by group; window_start sorts as text.
	slices.SortStableFunc(keys, func(x, y string) int {
		wx, _, _ := strings.Cut(x, "\x00")
		wy, _, _ := strings.Cut(y, "\x00")
		if c := strings.Compare(wy, wx); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	if len(keys) > boardLines {
		keys = keys[:boardLines]
	}
	widths := make([]int, len(b.schema))
	for i, c := range b.schema {
		widths[i] = len(c.Name)
	}
	for _, k := range keys {
		for i, c := range b.rows[k] {
			widths[i] = max(widths[i], len(c))
		}
	}
	var s strings.Builder
	if b.live && b.drawn > 0 {
		fmt.Fprintf(&s, "\x1b[%dA\x1b[J", b.drawn)
	}
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				s.WriteString("  ")
			}
			s.WriteString(c)
			s.WriteString(strings.Repeat(" ", widths[i]-len(c)))
		}
		s.WriteByte('\n')
	}
	line(b.schema.Names())
	sep := make([]string, len(widths))
	for i, w := range widths {
		sep[i] = strings.Repeat("-", w)
	}
	line(sep)
	for _, k := range keys {
		line(b.rows[k])
	}
	io.WriteString(b.w, s.String())
	b.drawn = len(keys) + 2
	b.lastDraw = time.Now()
}

func (b *board) Flush(context.Context) error { return nil }

func (b *board) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.order) > 0 {
		b.draw()
	}
	return nil
}
