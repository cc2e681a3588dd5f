package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/kafka"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/types"
)

func init() { register(newDemoCmd) }

// demoSQL is the query velo demo runs unless --sql names another; the same
// text, bound to a standalone broker, is examples/demo_trades.sql.
const demoSQL = `-- Per-symbol trading volume and price range per 10-second window of event
-- time, updated with every trade (EMIT CHANGES).
SELECT symbol,
       COUNT(*)             AS trades,
       SUM(quantity)        AS volume,
       ROUND(AVG(price), 2) AS avg_price,
       MIN(price)           AS low,
       MAX(price)           AS high
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '10' SECOND)
EMIT CHANGES
WITH (
  'trades.type' = 'kafka_source',
  'trades.topic' = 'trades',
  'trades.bootstrap.servers' = '127.0.0.1:9092',
  'trades.group.id' = 'velo-demo',
  'trades.watermark.max_out_of_orderness' = '1s'
);
`

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
two topics with synthetic data at a steady rate, and runs a windowed query
over trades with live results on standard output:

  trades        symbol, price (4 decimals), quantity, side, venue, customer_id, ts
  transactions  txn_id, customer_id, amount (2 decimals), currency, region,
                merchant, fraud_score, lat, lon, ts

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
	src, name := demoSQL, "<demo>"
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

	feedCtx, stopFeeds := context.WithCancel(context.Background())
	var feeds sync.WaitGroup
	feedErr := make(chan error, 2)
	for _, topic := range []string{"trades", "transactions"} {
		sink, err := kafka.OpenSink(ctx, connectors.Config{Name: topic, Props: map[string]string{
			"topic": topic, "bootstrap.servers": b.Addr(), "partitions": "3"}}, kafka.Options{Logger: log})
		if err != nil {
			stopFeeds()
			return err
		}
		feeds.Add(1)
		go func() {
			defer feeds.Done()
			defer sink.Close()
			if err := feed(feedCtx, sink, topic, f.rate); err != nil && feedCtx.Err() == nil {
				feedErr <- fmt.Errorf("feeding %s: %w", topic, err)
			}
		}()
	}
	fmt.Fprintf(stderr, "velo demo: broker on %s (data in %s); feeding trades and transactions at %d records/s each; Ctrl-C stops.\n"+
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
		case err := <-feedErr:
			fmt.Fprintln(stderr, "velo demo:", err)
			cancelRun()
		case <-runCtx.Done():
		}
	}()
	stats, err := q.Run(runCtx, executor.Options{Emitter: em, Stderr: stderr})
	cancelRun()
	em.Close()
	stopFeeds()
	feeds.Wait()
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

// feed writes synthetic records to a topic at rate records per second,
// in small batches so that the stream looks steady.
func feed(ctx context.Context, sink *kafka.Sink, topic string, rate int) error {
	gen := newDemoGen(topic)
	const tick = 20 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	sent := 0
	var recs []connectors.OutRecord
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return sink.Flush(fctx)
		case now := <-t.C:
			due := int(now.Sub(start).Seconds()*float64(rate)) - sent
			recs = recs[:0]
			for range due {
				recs = append(recs, gen.next(now))
			}
			if err := sink.Write(ctx, recs); err != nil {
				return err
			}
			sent += due
		}
	}
}

// demoGen makes plausible records: trade prices walk randomly per symbol,
// transactions come from a fixed population of customers.
type demoGen struct {
	topic  string
	rng    *rand.Rand
	prices map[string]int64 // price in ten-thousandths
	seq    int64
}

var (
	demoSymbols   = []string{"AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "AMD"}
	demoVenues    = []string{"XNAS", "XNYS", "ARCX", "BATS"}
	demoCurrency  = []string{"USD", "EUR", "GBP", "JPY"}
	demoRegions   = []string{"NA", "EU", "APAC", "LATAM"}
	demoMerchants = []string{"grocer", "airline", "electronics", "fuel", "pharmacy", "restaurant", "marketplace"}
)

func newDemoGen(topic string) *demoGen {
	g := &demoGen{topic: topic, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7)), prices: map[string]int64{}}
	for i, s := range demoSymbols {
		g.prices[s] = int64(100+40*i) * 10_000
	}
	return g
}

func (g *demoGen) next(now time.Time) connectors.OutRecord {
	g.seq++
	ts := now.UnixMilli()
	customer := fmt.Sprintf("C-%05d", g.rng.IntN(5000))
	if g.topic == "trades" {
		sym := demoSymbols[g.rng.IntN(len(demoSymbols))]
		p := max(10_000, g.prices[sym]+int64(g.rng.IntN(2001)-1000))
		g.prices[sym] = p
		side := "BUY"
		if g.rng.IntN(2) == 0 {
			side = "SELL"
		}
		v := fmt.Sprintf(`{"symbol":"%s","price":%d.%04d,"quantity":%d,"side":"%s","venue":"%s","customer_id":"%s","ts":%d}`,
			sym, p/10_000, p%10_000, 1+g.rng.IntN(500), side, demoVenues[g.rng.IntN(len(demoVenues))], customer, ts)
		return connectors.OutRecord{Key: []byte(sym), Value: []byte(v)}
	}
	cents := 100 + g.rng.Int64N(500_000)
	if g.rng.IntN(50) == 0 {
		cents *= 20 // now and then a large one
	}
	v := fmt.Sprintf(`{"txn_id":"T-%09d","customer_id":"%s","amount":%d.%02d,"currency":"%s","region":"%s","merchant":"%s","fraud_score":%.3f,"lat":%.4f,"lon":%.4f,"ts":%d}`,
		g.seq, customer, cents/100, cents%100, demoCurrency[g.rng.IntN(len(demoCurrency))], demoRegions[g.rng.IntN(len(demoRegions))],
		demoMerchants[g.rng.IntN(len(demoMerchants))], g.rng.Float64()*g.rng.Float64(), g.rng.Float64()*140-60, g.rng.Float64()*360-180, ts)
	return connectors.OutRecord{Key: []byte(customer), Value: []byte(v)}
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
