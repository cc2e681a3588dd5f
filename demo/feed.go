package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/kafka"
)

// FeedConfig says where and how fast the feeder writes.
type FeedConfig struct {
	// Bootstrap is the broker's host:port (required).
	Bootstrap string
	// Seed makes the data reproducible.
	Seed uint64
	// Rates overrides records per second by stream name; a stream left out
	// gets its Stream.Rate, a rate of 0 turns the stream off. The
	// customers table is always written (once, at start).
	Rates map[string]int
	// Partitions of the topics the feeder creates (default 3).
	Partitions int
	// Tick is how often records are written (default 50ms): each tick
	// writes the records owed since the last one, with event times spread
	// over the interval.
	Tick time.Duration
	// Now is the clock of event times; time.Now when nil.
	Now func() time.Time
	// Logger receives connector problems; nil discards them.
	Logger *slog.Logger
}

// maxJitter is how far an event time may lag its neighbours: well inside
// MaxOutOfOrder, so no demo record is late for a window.
const maxJitter = 300 * time.Millisecond

// Feeder writes demo records into a broker until it is closed.
type Feeder struct {
	cfg     FeedConfig
	gen     *Generator
	sinks   map[string]connectors.Sink
	streams []Stream
	written map[string]*atomic.Int64
	cancel  context.CancelFunc
	done    chan struct{}
	errOnce sync.Once
	err     error
}

// Feed creates the demo topics, writes the customers table and starts
// writing the streams at their rates. It returns once the table is
// acknowledged by the broker, so a query started after Feed sees every
// customer.
func Feed(ctx context.Context, cfg FeedConfig) (*Feeder, error) {
	if cfg.Bootstrap == "" {
		return nil, errors.New("demo: feeder needs a bootstrap address")
	}
	if cfg.Partitions <= 0 {
		cfg.Partitions = 3
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 50 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Feeder{cfg: cfg, gen: NewGenerator(cfg.Seed), sinks: map[string]connectors.Sink{}, written: map[string]*atomic.Int64{}, done: make(chan struct{})}
	for _, s := range Catalog() {
		rate := s.Rate
		if r, ok := cfg.Rates[s.Name]; ok {
			if r < 0 {
				f.closeSinks()
				return nil, fmt.Errorf("demo: rate of %s is %d: want 0 or more records per second", s.Name, r)
			}
			rate = r
		}
		if !s.IsTable() && rate == 0 {
			continue
		}
		s.Rate = rate
		sink, err := kafka.OpenSink(ctx, connectors.Config{Name: s.Name, Props: map[string]string{
			"topic":             s.Topic,
			"bootstrap.servers": cfg.Bootstrap,
			"partitions":        strconv.Itoa(cfg.Partitions),
		}}, kafka.Options{Logger: log})
		if err != nil {
			f.closeSinks()
			return nil, fmt.Errorf("demo: topic %s: %w", s.Topic, err)
		}
		f.sinks[s.Name] = sink
		f.streams = append(f.streams, s)
		f.written[s.Name] = &atomic.Int64{}
	}
	if err := f.writeTable(ctx); err != nil {
		f.closeSinks()
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go f.loop(lctx)
	return f, nil
}

func (f *Feeder) writeTable(ctx context.Context) error {
	s, _ := Lookup(Customers)
	now := f.cfg.Now().UnixMilli()
	var recs []connectors.OutRecord
	for _, row := range f.gen.Customers() {
		r := Encode(s, row)
		recs = append(recs, connectors.OutRecord{Key: r.Key, Value: r.Value, Time: now})
	}
	sink := f.sinks[Customers]
	if err := sink.Write(ctx, recs); err != nil {
		return fmt.Errorf("demo: writing customers: %w", err)
	}
	if err := sink.Flush(ctx); err != nil {
		return fmt.Errorf("demo: writing customers: %w", err)
	}
	f.written[Customers].Add(int64(len(recs)))
	return nil
}

func (f *Feeder) loop(ctx context.Context) {
	defer close(f.done)
	jitter := rand.New(rand.NewPCG(f.cfg.Seed, 99))
	owed := map[string]float64{}
	last := f.cfg.Now()
	t := time.NewTicker(f.cfg.Tick)
	defer t.Stop()
	var recs []connectors.OutRecord
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := f.cfg.Now()
		dt := now.Sub(last)
		if dt <= 0 {
			continue
		}
		for _, s := range f.streams {
			if s.IsTable() {
				continue
			}
			owed[s.Name] += float64(s.Rate) * dt.Seconds()
			n := int(owed[s.Name])
			owed[s.Name] -= float64(n)
			recs = recs[:0]
			for i := range n {
				// Spread the records over the interval, then let some
				// arrive a little out of order, as real events do.
				ts := last.Add(dt * time.Duration(i+1) / time.Duration(n))
				ts = ts.Add(-time.Duration(jitter.Int64N(int64(maxJitter))))
				row, _ := f.gen.Row(s.Name, ts)
				r := Encode(s, row)
				recs = append(recs, connectors.OutRecord{Key: r.Key, Value: r.Value, Time: ts.UnixMilli()})
			}
			if n == 0 {
				continue
			}
			sink := f.sinks[s.Name]
			if err := sink.Write(ctx, recs); err != nil {
				f.fail(fmt.Errorf("demo: writing %s: %w", s.Name, err))
				return
			}
			f.written[s.Name].Add(int64(n))
		}
		last = now
	}
}

func (f *Feeder) fail(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	f.errOnce.Do(func() { f.err = err })
}

// Written returns how many records of the named relation were written.
func (f *Feeder) Written(name string) int64 {
	if c, ok := f.written[name]; ok {
		return c.Load()
	}
	return 0
}

// Done is closed when the feeder stops (Close, or a write that failed).
func (f *Feeder) Done() <-chan struct{} { return f.done }

// Close stops the feeder, waits for the records written so far to be
// acknowledged, and returns the first error the feeder met.
func (f *Feeder) Close() error {
	f.cancel()
	<-f.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for name, s := range f.sinks {
		if err := s.Flush(ctx); err != nil {
			f.fail(fmt.Errorf("demo: flushing %s: %w", name, err))
		}
	}
	f.closeSinks()
	return f.err
}

func (f *Feeder) closeSinks() {
	for _, s := range f.sinks {
		_ = s.Close()
	}
}
