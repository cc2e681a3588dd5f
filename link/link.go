// Package link runs a ClusterLink: it takes a validated link (link/config)
// and gives a running replication between two Kafka clusters, with consumer
// group offsets translated every sync interval, metrics and health on HTTP,
// and failover.
//
// Run is what `velo link -f FILE` and the link's pod run. In order it:
// creates the link's state topic on the target; writes a start record in a
// transaction under the link's transactional ID (fencing an older
// instance); loads the positions and offset mapping; fails over at once if
// asked to (that needs only the target); refuses source and target that
// turn out to be one cluster (a broker both advertise); then replicates
// (link/replicator), restarting from the stored positions after an error,
// and syncs groups (link/groups). A failover request, from `velo link
// failover` or spec.failover, stops replication, makes a final group sync,
// writes the report to the state topic and publishes it in the metrics; the
// process then stays up, failed over, until it is stopped.
//
// Failover is `velo link failover NAME`: it asks a running link to fail
// over and waits for its report, or does the final sync itself when no link
// answers.
//
// The subpackages do the work:
//
//	config      ClusterLink YAML -> validated Link
//	filter      the SQL filter over JSON values
//	cluster     one side: franz-go options, admin requests
//	offsets     the state: positions, offset mapping, failover records
//	replicator  source -> target records
//	groups      consumer-group offset translation, the failover report
//	metrics     Prometheus series, and the parser the operator reads them with
//	monitoring  ServiceMonitor, PrometheusRule and dashboard generators
package link

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/link/cluster"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/groups"
	"github.com/velostream/velostream/link/metrics"
	"github.com/velostream/velostream/link/offsets"
	"github.com/velostream/velostream/link/replicator"
)

// HTTP paths a link serves; the operator points probes and scrapes at them.
const (
	MetricsPath = "/metrics"
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
)

// Options are what the process around a link supplies.
type Options struct {
	// Log receives the link's logs; slog.Default when nil.
	Log *slog.Logger
	// Listener, when set, serves MetricsPath, HealthPath and ReadyPath.
	Listener net.Listener
	// MappingEvery is how many source records apart offset mapping points
	// are kept at least (offsets.DefaultEvery when 0).
	MappingEvery int
	// CheckpointInterval and LagInterval: see replicator.Options.
	CheckpointInterval time.Duration
	LagInterval        time.Duration
	// Compression of records written to the target; none when nil.
	Compression []kgo.CompressionCodec
	// RuntimeMetrics adds the Go runtime and process series.
	RuntimeMetrics bool
	// OnReady is called once the state is loaded and the link replicates
	// (or stands failed over).
	OnReady func()
}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Link is a running link, for tests and the CLI.
type Link struct {
	cfg      *config.Link
	o        Options
	log      *slog.Logger
	src, tgt *cluster.Cluster
	state    *offsets.Map
	metrics  *metrics.Metrics

	mu   sync.Mutex
	repl *replicator.Replicator

	ready      atomic.Bool
	failedOver atomic.Bool
}

// New connects (lazily) to both clusters and registers the metrics.
func New(cfg *config.Link, o Options) (*Link, error) {
	o.defaults()
	log := o.Log.With("link", cfg.ID())
	src, err := cluster.Dial("source", cfg.Source, log)
	if err != nil {
		return nil, err
	}
	tgt, err := cluster.Dial("target", cfg.Target, log)
	if err != nil {
		src.Close()
		return nil, err
	}
	lk := &Link{cfg: cfg, o: o, log: log, src: src, tgt: tgt, state: offsets.NewMap(o.MappingEvery)}
	lk.metrics = metrics.New(cfg.ID(), lk.lag, o.RuntimeMetrics)
	return lk, nil
}

// Close closes the admin clients.
func (lk *Link) Close() {
	lk.src.Close()
	lk.tgt.Close()
}

// Metrics returns the link's metrics.
func (lk *Link) Metrics() *metrics.Metrics { return lk.metrics }

// State returns the link's state (for tests).
func (lk *Link) State() *offsets.Map { return lk.state }

func (lk *Link) lag() []metrics.PartitionLag {
	lk.mu.Lock()
	r := lk.repl
	lk.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.Lag()
}

// Run runs a link until ctx ends; see the package doc.
func Run(ctx context.Context, cfg *config.Link, o Options) error {
	lk, err := New(cfg, o)
	if err != nil {
		return err
	}
	defer lk.Close()
	return lk.Run(ctx)
}

// Run replicates until ctx ends. It returns nil then, and an error only
// when the link cannot run at all (source and target are one cluster).
func (lk *Link) Run(ctx context.Context) error {
	if lk.o.Listener != nil {
		srv := lk.serve(lk.o.Listener)
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
	}
	// The state comes first, from the target alone: a failover must work
	// while the source is gone, which is what it is for.
	var stateEnd int64
	if err := retry(ctx, lk.log, "loading the link's state from the target", func(ctx context.Context) error {
		var err error
		stateEnd, err = lk.loadState(ctx, true)
		lk.metrics.SetConnected("target", err == nil)
		return err
	}); err != nil {
		return ignoreCancel(err)
	}
	if lk.state.Failover() != nil || lk.cfg.Failover {
		return lk.failover(ctx)
	}
	if err := retry(ctx, lk.log, "reaching both clusters", lk.checkClusters); err != nil {
		return ignoreCancel(err)
	}

	rctx, stopReplication := context.WithCancel(ctx)
	defer stopReplication()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if lk.watchFailover(rctx, stateEnd) {
			lk.log.Info("link: failover requested; stopping replication")
			stopReplication()
		}
	}()
	go func() {
		defer wg.Done()
		lk.groupLoop(rctx)
	}()
	lk.replicate(rctx)
	stopReplication()
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return lk.failover(ctx)
}

func ignoreCancel(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// replicate runs the replicator until ctx ends, restarting it from the
// stored positions after an error.
func (lk *Link) replicate(ctx context.Context) {
	wait := time.Duration(0)
	for ctx.Err() == nil {
		r, err := replicator.New(replicator.Options{
			Link: lk.cfg, Source: lk.src, Target: lk.tgt, State: lk.state, Metrics: lk.metrics, Log: lk.log,
			CheckpointInterval: lk.o.CheckpointInterval, LagInterval: lk.o.LagInterval, Compression: lk.o.Compression,
		})
		if err != nil {
			// The filter compiled in config; nothing else can fail here.
			lk.log.Error("link: cannot start replication", "err", err)
			return
		}
		lk.mu.Lock()
		lk.repl = r
		lk.mu.Unlock()
		if lk.ready.CompareAndSwap(false, true) && lk.o.OnReady != nil {
			lk.o.OnReady()
		}
		start := time.Now()
		err = r.Run(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		lk.metrics.Restarted()
		if time.Since(start) > time.Minute {
			wait = 0
		}
		wait = min(max(2*wait, time.Second), 30*time.Second)
		lk.log.Warn("link: replication stopped; restarting from the stored positions", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// groupLoop syncs consumer groups every sync interval.
func (lk *Link) groupLoop(ctx context.Context) {
	if lk.cfg.Groups.Empty() {
		return
	}
	s := lk.syncer(lk.replicatedTopics)
	t := time.NewTicker(lk.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Sync(ctx); err != nil && ctx.Err() == nil {
			lk.log.Warn("link: syncing consumer groups failed; retrying next interval", "err", err)
		}
	}
}

func (lk *Link) syncer(topics func() []string) *groups.Syncer {
	return &groups.Syncer{Link: lk.cfg, Source: lk.src, Target: lk.tgt, State: lk.state, Metrics: lk.metrics, Log: lk.log, Topics: topics}
}

// replicatedTopics are the topics the replicator mirrors now.
func (lk *Link) replicatedTopics() []string {
	lk.mu.Lock()
	r := lk.repl
	lk.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.Topics()
}

// storedTopics are the topics the state has positions for: every topic the
// link ever mirrored.
func (lk *Link) storedTopics() []string {
	var out []string
	for tp := range lk.state.Positions() {
		if !slices.Contains(out, tp.Topic) {
			out = append(out, tp.Topic)
		}
	}
	slices.Sort(out)
	return out
}

// ErrSameCluster is returned when source and target are one cluster.
var ErrSameCluster = errors.New("source and target are the same cluster")

// checkClusters asks both clusters for the brokers they advertise and
// refuses a link whose sides share one: bootstrap addresses can differ
// (a load balancer, another DNS name) for one cluster.
func (lk *Link) checkClusters(ctx context.Context) error {
	_, srcBrokers, err := lk.src.Brokers(ctx)
	lk.metrics.SetConnected("source", err == nil)
	if err != nil {
		return err
	}
	_, tgtBrokers, err := lk.tgt.Brokers(ctx)
	lk.metrics.SetConnected("target", err == nil)
	if err != nil {
		return err
	}
	for _, b := range srcBrokers {
		if slices.Contains(tgtBrokers, b) {
			return permanent(fmt.Errorf("%w: both advertise broker %s", ErrSameCluster, b))
		}
	}
	return nil
}

// loadState makes sure the state topic exists, optionally fences older
// instances, and reads the state. It returns the state topic's end offset.
func (lk *Link) loadState(ctx context.Context, fence bool) (int64, error) {
	topic := lk.cfg.StateTopic()
	if err := lk.tgt.CreateTopic(ctx, topic, 1, map[string]string{"cleanup.policy": "compact"}); err != nil {
		return 0, err
	}
	if fence {
		if err := lk.fence(ctx); err != nil {
			return 0, err
		}
	}
	st := offsets.NewMap(lk.o.MappingEvery)
	end, err := loadInto(ctx, lk.tgt, topic, st, lk.log)
	if err != nil {
		return 0, err
	}
	lk.state = st
	return end, nil
}

// fence writes a start record in a transaction under the link's
// transactional ID: the broker then aborts a transaction an older instance
// left open and refuses that instance's writes.
func (lk *Link) fence(ctx context.Context) error {
	cl, err := kgo.NewClient(lk.tgt.Opts(kgo.TransactionalID(replicator.TransactionalID(lk.cfg)), kgo.TransactionTimeout(time.Minute))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		return err
	}
	mode := "at-least-once"
	if lk.cfg.ExactlyOnce {
		mode = "exactly-once"
	}
	kv := offsets.StartedRecord(time.Now(), mode)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: lk.cfg.StateTopic(), Key: kv.Key, Value: kv.Value}).FirstErr(); err != nil {
		_ = cl.EndTransaction(context.WithoutCancel(ctx), kgo.TryAbort)
		return fmt.Errorf("target: writing the start record: %w", err)
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return fmt.Errorf("target: committing the start record: %w", err)
	}
	return nil
}

// loadInto reads the state topic from its start to its last stable offset
// into st, and returns that offset.
func loadInto(ctx context.Context, tgt *cluster.Cluster, topic string, st *offsets.Map, log *slog.Logger) (int64, error) {
	ends, err := tgt.Offsets(ctx, cluster.Committed, topic)
	if err != nil {
		return 0, err
	}
	end := ends[topic][0]
	cl, err := kgo.NewClient(tgt.Opts(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	next := int64(-1)
	warned := map[string]bool{}
	for {
		if next >= end {
			return end, nil
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if fs.IsClientClosed() {
			return 0, errors.New("target: reading the state: client closed")
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) {
			if ferr == nil {
				ferr = err
			}
		})
		if ferr != nil && fs.NumRecords() == 0 {
			return 0, fmt.Errorf("target: reading the state topic %s: %w", topic, ferr)
		}
		fs.EachRecord(func(r *kgo.Record) {
			next = r.Offset + 1
			if r.Attrs.IsControl() {
				return
			}
			if err := st.Apply(r.Key, r.Value); err != nil && !warned[string(r.Key)] {
				warned[string(r.Key)] = true
				log.Warn("link: skipping a state record this version does not know", "topic", topic, "offset", r.Offset, "err", err)
			}
		})
	}
}

// watchFailover reads the state topic from offset from and reports true
// when a failover is requested, false when ctx ends first.
func (lk *Link) watchFailover(ctx context.Context, from int64) bool {
	topic := lk.cfg.StateTopic()
	cl, err := kgo.NewClient(lk.tgt.Opts(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(from)}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)...)
	if err != nil {
		lk.log.Error("link: cannot watch for failover requests", "err", err)
		<-ctx.Done()
		return false
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return false
		}
		found := false
		fs.EachRecord(func(r *kgo.Record) {
			if string(r.Key) == "failover" && r.Value != nil {
				if err := lk.state.Apply(r.Key, r.Value); err == nil {
					found = true
				}
			}
		})
		if found {
			return true
		}
	}
}

// failover makes the final group sync, writes and publishes the report,
// and waits, failed over, until ctx ends.
func (lk *Link) failover(ctx context.Context) error {
	if err := retry(ctx, lk.log, "failing over", lk.finishFailover); err != nil {
		return ignoreCancel(err)
	}
	if lk.ready.CompareAndSwap(false, true) && lk.o.OnReady != nil {
		lk.o.OnReady()
	}
	<-ctx.Done()
	return nil
}

// finishFailover is one attempt at the failover's steps; it is safe to
// repeat.
func (lk *Link) finishFailover(ctx context.Context) error {
	rep := lk.state.Report()
	if rep == nil {
		if lk.state.Failover() == nil {
			if err := lk.writeState(ctx, offsets.FailoverRecord(offsets.Failover{At: time.Now(), By: "spec.failover"})); err != nil {
				return err
			}
		}
		r, err := finalSync(ctx, lk.syncer(lk.storedTopics), lk.log)
		if err != nil {
			return err
		}
		if err := lk.writeState(ctx, offsets.ReportRecord(r)); err != nil {
			return err
		}
		if err := lk.state.Apply(offsets.ReportRecord(r).Key, offsets.ReportRecord(r).Value); err != nil {
			return err
		}
		rep = &r
	}
	offs, skipped := map[string]map[string]map[int32]int64{}, map[string]string{}
	for _, g := range rep.Groups {
		if g.Offsets != nil {
			offs[g.Group] = g.Offsets
		}
		if g.Skipped != "" {
			skipped[g.Group] = g.Skipped
		}
	}
	lk.metrics.SetFailover(rep.At, offs, skipped)
	lk.failedOver.Store(true)
	lk.log.Info("link: failed over; consumers resume on the target at the offsets reported", "groups", len(rep.Groups), "at", rep.At)
	return nil
}

// finalSync syncs the groups once more (the source may be gone: then the
// last periodic sync stands) and reports where they resume.
func finalSync(ctx context.Context, s *groups.Syncer, log *slog.Logger) (offsets.Report, error) {
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	res, err := s.Sync(sctx)
	cancel()
	if err != nil {
		log.Warn("link: the final group sync failed; reporting the offsets of the last sync", "err", err)
	}
	return s.Report(ctx, res.Skipped, err != nil)
}

// writeState writes one record to the state topic.
func (lk *Link) writeState(ctx context.Context, kv offsets.KV) error {
	return writeState(ctx, lk.tgt, lk.cfg.StateTopic(), kv)
}

func writeState(ctx context.Context, tgt *cluster.Cluster, topic string, kvs ...offsets.KV) error {
	cl, err := kgo.NewClient(tgt.Opts(kgo.RequiredAcks(kgo.AllISRAcks()))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(kvs))
	for i, kv := range kvs {
		recs[i] = &kgo.Record{Topic: topic, Key: kv.Key, Value: kv.Value}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("target: writing to the state topic %s: %w", topic, err)
	}
	return nil
}

// serve starts the HTTP endpoints.
func (lk *Link) serve(ln net.Listener) *http.Server {
	mux := http.NewServeMux()
	mux.Handle(MetricsPath, lk.metrics.Handler())
	mux.HandleFunc(HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc(ReadyPath, func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case lk.failedOver.Load():
			fmt.Fprintln(w, "failed over")
		case lk.ready.Load():
			fmt.Fprintln(w, "replicating")
		default:
			http.Error(w, "starting: reaching the clusters and loading the state", http.StatusServiceUnavailable)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			lk.log.Error("link: HTTP server stopped", "err", err)
		}
	}()
	return srv
}

// permanentError is an error retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

// retry calls f until it succeeds, fails permanently or ctx ends, waiting
// longer between attempts (1 s to 30 s) and logging each failure.
func retry(ctx context.Context, log *slog.Logger, what string, f func(context.Context) error) error {
	wait := time.Second
	for {
		err := f(ctx)
		if err == nil {
			return nil
		}
		var pe permanentError
		if errors.As(err, &pe) {
			return pe.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("link: "+what+" failed; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}
