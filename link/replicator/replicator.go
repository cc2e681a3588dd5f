// Package replicator copies records from a link's source cluster to its
// target. It takes a validated link (link/config), a connection to each side
// (link/cluster), the link's state (link/offsets, loaded from the target)
// and its metrics, and gives a Replicator whose Run mirrors every selected
// topic until it is stopped:
//
//   - topics are selected by the link's patterns every sync interval, so
//     new matching topics are picked up while it runs; each gets a target
//     topic (the prefix prepended) with the source's partition count and
//     replicated configurations, and partitions added at the source are
//     added at the target;
//   - a record keeps its partition, key, headers and timestamp, and records
//     of a partition stay in order (one idempotent producer, which never
//     reorders or duplicates on retry);
//   - the optional filter drops records it does not select;
//   - source transactions are read committed: records of aborted
//     transactions are never replicated;
//   - positions and offset mapping points go to the state topic: at least
//     once, after the records they cover are acknowledged; exactly once, in
//     the transaction that writes the records.
//
// Run returns nil when stopped through its context, after writing its final
// positions, and an error when replication must restart (a write the
// producer gave up on, a transaction that could not commit); the caller
// restarts it from the stored positions.
package replicator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/link/cluster"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/filter"
	"github.com/velostream/velostream/link/metrics"
	"github.com/velostream/velostream/link/offsets"
)

// Defaults of Options.
const (
	// DefaultCheckpointInterval is, at least once, the most time between
	// position writes of a moving partition; exactly once, the length of a
	// transaction. It bounds what a crash replicates twice (at least once)
	// and adds to the lag consumers see (exactly once).
	DefaultCheckpointInterval = 100 * time.Millisecond
	// DefaultLagInterval is how often the source's end offsets are read
	// for the lag metrics and the clusters are checked.
	DefaultLagInterval = time.Second
	// maxPoll bounds the records one poll hands over, so a transaction or
	// a checkpoint is never far away.
	maxPoll = 20_000
	// maxBufferedBytes bounds the records handed to the producer and not
	// yet acknowledged: reading waits beyond it, so a slow target slows
	// the link instead of filling its memory.
	maxBufferedBytes = 64 << 20
	// defaultMaxMessageBytes is Kafka's default max.message.bytes: a batch
	// to a topic that does not set it must not be larger.
	defaultMaxMessageBytes = 1 << 20
	// stopTimeout bounds the final flush when stopping.
	stopTimeout = 20 * time.Second
	// reportEvery limits repeated warnings (a filter failing on every
	// record, a partition that cannot be fetched).
	reportEvery = 10 * time.Second
)

// Options configure a Replicator.
type Options struct {
	Link           *config.Link
	Source, Target *cluster.Cluster
	State          *offsets.Map
	Metrics        *metrics.Metrics
	Log            *slog.Logger
	// CheckpointInterval: DefaultCheckpointInterval when 0.
	CheckpointInterval time.Duration
	// LagInterval: DefaultLagInterval when 0.
	LagInterval time.Duration
	// Compression of the records written to the target; none when nil.
	Compression []kgo.CompressionCodec
	// Now is the clock of lag; time.Now when nil.
	Now func() time.Time
}

// Replicator mirrors a link's topics. It is used once: Run, then drop it.
type Replicator struct {
	o      Options
	log    *slog.Logger
	filter *filter.Filter
	every  int64
	txnID  string

	cons, prod *kgo.Client

	mu        sync.Mutex
	parts     map[offsets.TP]*partState
	topics    map[string]int // mirrored source topic -> partitions added
	maxBytes  map[string]int32
	filterCtr map[string][2]prometheus.Counter

	failed atomic.Pointer[error]
	kick   chan struct{}
	// wctx is the context of writes to the target (see Run).
	wctx context.Context

	lastFilterWarn time.Time
	lastFetchWarn  map[offsets.TP]time.Time
}

// New checks options and compiles the filter.
func New(o Options) (*Replicator, error) {
	if o.Link == nil || o.Source == nil || o.Target == nil || o.State == nil || o.Metrics == nil {
		return nil, errors.New("replicator: link, source, target, state and metrics are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = DefaultCheckpointInterval
	}
	if o.LagInterval <= 0 {
		o.LagInterval = DefaultLagInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Replicator{
		o: o, log: o.Log, every: o.State.Every(), txnID: TransactionalID(o.Link),
		parts: map[offsets.TP]*partState{}, topics: map[string]int{}, maxBytes: map[string]int32{},
		filterCtr: map[string][2]prometheus.Counter{}, kick: make(chan struct{}, 1),
		lastFetchWarn: map[offsets.TP]time.Time{},
	}
	if o.Link.Filter != "" {
		f, err := filter.Compile(o.Link.Filter)
		if err != nil {
			return nil, fmt.Errorf("replicator: spec.filter: %w", err)
		}
		r.filter = f
	}
	return r, nil
}

// TransactionalID is the link's transactional ID on the target: one per
// link, so a restarted instance fences the one before it.
func TransactionalID(l *config.Link) string { return "velo-link-" + l.ID() }

// fail records the first error that must restart replication.
func (r *Replicator) fail(err error) {
	r.failed.CompareAndSwap(nil, &err)
}

func (r *Replicator) err() error {
	if e := r.failed.Load(); e != nil {
		return *e
	}
	return nil
}

// Run replicates until ctx ends (then it writes the final positions and
// returns nil) or replication must restart (it returns why).
func (r *Replicator) Run(ctx context.Context) error {
	l := r.o.Link
	popts := []kgo.ProducerOpt{
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.MaxBufferedBytes(maxBufferedBytes),
		kgo.ProducerBatchMaxBytesFn(r.batchMaxBytes),
		kgo.ProducerLinger(0),
		// A target that refuses a topic for a while (being created)
		// must not fail records: the link waits.
		kgo.UnknownTopicRetries(-1),
	}
	if len(r.o.Compression) > 0 {
		popts = append(popts, kgo.ProducerBatchCompression(r.o.Compression...))
	} else {
		popts = append(popts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	}
	if l.ExactlyOnce {
		popts = append(popts, kgo.TransactionalID(r.txnID), kgo.TransactionTimeout(time.Minute))
	}
	var err error
	if r.prod, err = kgo.NewClient(r.o.Target.Opts(asOpts(popts)...)...); err != nil {
		return fmt.Errorf("target producer: %w", err)
	}
	defer r.prod.Close()
	r.cons, err = kgo.NewClient(r.o.Source.Opts(
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Markers take offsets: seeing them moves the position past a
		// partition's last transaction, so its lag can reach zero.
		kgo.KeepControlRecords(),
		kgo.FetchMaxBytes(64<<20),
		kgo.FetchMaxPartitionBytes(8<<20),
		kgo.FetchMaxWait(500*time.Millisecond),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)...)
	if err != nil {
		return fmt.Errorf("source consumer: %w", err)
	}
	defer r.cons.Close()

	// Records are written under their own context: stopping lets what was
	// read reach the target (fewer records replicated again after the
	// restart), for at most stopTimeout.
	wctx, cancelWrites := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWrites()
	r.wctx = wctx
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
		case <-stopped:
			return
		}
		select {
		case <-time.After(stopTimeout):
			cancelWrites()
		case <-stopped:
		}
	}()

	bg, stopBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(bg) }()
	}
	run(r.topicLoop)
	run(r.lagLoop)
	if !l.ExactlyOnce {
		run(r.checkpointLoop)
	}
	loopErr := r.pollLoop(ctx, wctx)
	stopBG()
	wg.Wait()
	if loopErr != nil {
		if l.ExactlyOnce {
			r.abort()
		}
		return loopErr
	}
	return r.stop(wctx)
}

func asOpts(p []kgo.ProducerOpt) []kgo.Opt {
	out := make([]kgo.Opt, len(p))
	for i, o := range p {
		out[i] = o
	}
	return out
}

func (r *Replicator) batchMaxBytes(topic string) int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.maxBytes[topic]; ok {
		return n
	}
	return defaultMaxMessageBytes
}

// pollLoop reads the source and hands records to the producer until ctx
// ends or replication fails.
func (r *Replicator) pollLoop(ctx, wctx context.Context) error {
	eos := r.o.Link.ExactlyOnce
	var txnStart time.Time
	inTxn, touched := false, false
	for {
		if err := r.err(); err != nil {
			return err
		}
		if ctx.Err() != nil {
			// Stopping: what the open transaction holds is committed, so
			// a clean stop repeats nothing at the next start.
			if eos && inTxn {
				if touched {
					return r.commit(wctx)
				}
				if err := r.prod.EndTransaction(wctx, kgo.TryAbort); err != nil {
					return fmt.Errorf("end empty transaction: %w", err)
				}
			}
			return nil
		}
		if eos && !inTxn {
			if err := r.prod.BeginTransaction(); err != nil {
				return fmt.Errorf("begin transaction: %w", err)
			}
			inTxn, touched, txnStart = true, false, r.o.Now()
		}
		wait := r.o.CheckpointInterval
		if !eos {
			wait = 500 * time.Millisecond
		} else {
			wait = max(time.Millisecond, r.o.CheckpointInterval-r.o.Now().Sub(txnStart))
		}
		pctx, cancel := context.WithTimeout(ctx, wait)
		fetches := r.cons.PollRecords(pctx, maxPoll)
		cancel()
		if fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return
			}
			r.fetchTrouble(offsets.TP{Topic: topic, Partition: p}, err)
		})
		fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
			if r.handle(wctx, fp) {
				touched = true
			}
		})
		if eos && inTxn && r.o.Now().Sub(txnStart) >= r.o.CheckpointInterval {
			if touched {
				if err := r.commit(wctx); err != nil {
					return err
				}
			} else if err := r.prod.EndTransaction(wctx, kgo.TryAbort); err != nil {
				return fmt.Errorf("end empty transaction: %w", err)
			}
			inTxn = false
		}
	}
}

// handle turns one partition's fetched records into a batch for the
// target and produces it. It reports whether the partition moved.
func (r *Replicator) handle(ctx context.Context, fp kgo.FetchTopicPartition) bool {
	if len(fp.Records) == 0 {
		return false
	}
	tp := offsets.TP{Topic: fp.Topic, Partition: fp.Partition}
	r.mu.Lock()
	ps := r.parts[tp]
	r.mu.Unlock()
	if ps == nil {
		return false // a partition removed while its fetch was in flight
	}
	end := fp.LastStableOffset
	if end < 0 {
		end = fp.HighWatermark
	}
	last := fp.Records[len(fp.Records)-1]
	b := &batch{next: last.Offset + 1, fetchedAt: r.o.Now(), end: end, recs: make([]*kgo.Record, 0, len(fp.Records))}
	var filtered, bad prometheus.Counter
	if r.filter != nil {
		filtered, bad = r.filterCounters(fp.Topic)
	}
	for _, rec := range fp.Records {
		if rec.Attrs.IsControl() {
			continue
		}
		if r.filter != nil {
			ok, err := r.filter.Match(rec.Value)
			if err != nil {
				bad.Inc()
				r.filterTrouble(tp, rec.Offset, err)
				continue
			}
			if !ok {
				filtered.Inc()
				continue
			}
		}
		if bk := rec.Offset / r.every; bk != ps.lastBucket {
			ps.lastBucket = bk
			b.points = append(b.points, pointAt{i: len(b.recs), source: rec.Offset})
		}
		b.recs = append(b.recs, &kgo.Record{
			Topic:     ps.target,
			Partition: rec.Partition,
			Key:       rec.Key,
			Value:     rec.Value,
			Headers:   rec.Headers,
			Timestamp: rec.Timestamp,
		})
	}
	ps.push(b)
	for _, out := range b.recs {
		r.prod.Produce(ctx, out, ps.promise)
	}
	ps.seen(end, b.fetchedAt)
	if !r.o.Link.ExactlyOnce && ps.due(r.every) {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
	return true
}

func (r *Replicator) filterCounters(topic string) (prometheus.Counter, prometheus.Counter) {
	c, ok := r.filterCtr[topic]
	if !ok {
		f, e := r.o.Metrics.Topic(topic)
		c = [2]prometheus.Counter{f, e}
		r.filterCtr[topic] = c
	}
	return c[0], c[1]
}

func (r *Replicator) filterTrouble(tp offsets.TP, offset int64, err error) {
	now := r.o.Now()
	if now.Sub(r.lastFilterWarn) < reportEvery {
		return
	}
	r.lastFilterWarn = now
	r.log.Warn("link: the filter cannot judge a record; it is not replicated (counted in "+metrics.FilterErrors+")",
		"topic", tp.Topic, "partition", tp.Partition, "offset", offset, "err", err)
}

func (r *Replicator) fetchTrouble(tp offsets.TP, err error) {
	now := r.o.Now()
	if now.Sub(r.lastFetchWarn[tp]) < reportEvery {
		return
	}
	r.lastFetchWarn[tp] = now
	r.log.Warn("link: fetching from the source failed; retrying", "topic", tp.Topic, "partition", tp.Partition, "err", err)
}

// promise is the producer's callback for records of ps.
func (r *Replicator) promiseFor(ps *partState) func(*kgo.Record, error) {
	return func(rec *kgo.Record, err error) {
		if err != nil {
			r.fail(fmt.Errorf("writing %s[%d] to %s: %w", ps.tp.Topic, ps.tp.Partition, ps.target, err))
			return
		}
		if !ps.ack(rec) {
			r.fail(fmt.Errorf("writing %s[%d]: acknowledgements out of order", ps.tp.Topic, ps.tp.Partition))
		}
	}
}

// checkpointLoop writes positions (at least once): every interval for the
// partitions that moved, and at once when one has moved every records.
// The final positions are written by stop.
func (r *Replicator) checkpointLoop(ctx context.Context) {
	t := time.NewTicker(r.o.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
		r.checkpoint(r.wctx)
	}
}

// checkpoint writes the acknowledged position of every partition that
// moved. The records they cover are on the target already; a position
// that fails to be written only means more is replicated again after a
// crash.
func (r *Replicator) checkpoint(ctx context.Context) {
	for _, ps := range r.partList() {
		pos, pts, ok := ps.take()
		if !ok {
			continue
		}
		kvs := r.o.State.Advance(ps.tp, pos, pts)
		for i, kv := range kvs {
			var promise func(*kgo.Record, error)
			if i == len(kvs)-1 {
				promise = func(_ *kgo.Record, err error) {
					if err != nil {
						if ctx.Err() == nil {
							r.fail(fmt.Errorf("writing the position of %s: %w", ps.tp, err))
						}
						return
					}
					ps.checkpointed(pos)
				}
			}
			r.prod.Produce(ctx, r.stateRecord(kv), promise)
		}
	}
}

func (r *Replicator) stateRecord(kv offsets.KV) *kgo.Record {
	return &kgo.Record{Topic: r.o.Link.StateTopic(), Partition: 0, Key: kv.Key, Value: kv.Value}
}

// commit ends the open transaction (exactly once): it waits for every
// record, stages the new positions and points, writes them in the same
// transaction and commits. The state moves only if the commit succeeds.
func (r *Replicator) commit(ctx context.Context) error {
	if err := r.prod.Flush(ctx); err != nil {
		return fmt.Errorf("flushing the transaction: %w", err)
	}
	if err := r.err(); err != nil {
		return err
	}
	staged := r.o.State.Stage()
	type moved struct {
		ps  *partState
		pos offsets.Point
	}
	var done []moved
	for _, ps := range r.partList() {
		pos, pts, ok := ps.take()
		if !ok {
			continue
		}
		for _, kv := range staged.Advance(ps.tp, pos, pts) {
			r.prod.Produce(ctx, r.stateRecord(kv), func(_ *kgo.Record, err error) {
				if err != nil {
					r.fail(fmt.Errorf("writing positions in the transaction: %w", err))
				}
			})
		}
		done = append(done, moved{ps, pos})
	}
	if err := r.prod.Flush(ctx); err != nil {
		return fmt.Errorf("flushing the transaction: %w", err)
	}
	if err := r.err(); err != nil {
		return err
	}
	if err := r.prod.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return fmt.Errorf("committing the transaction: %w", err)
	}
	staged.Commit()
	for _, m := range done {
		m.ps.checkpointed(m.pos)
	}
	return nil
}

// abort ends a failed transaction, best effort: the next instance's start
// fences it anyway.
func (r *Replicator) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.prod.AbortBufferedRecords(ctx)
	_ = r.prod.EndTransaction(ctx, kgo.TryAbort)
}

// stop writes what is in flight and the final positions.
func (r *Replicator) stop(ctx context.Context) error {
	if r.o.Link.ExactlyOnce {
		// The poll loop committed or aborted its last transaction.
		return nil
	}
	if err := r.prod.Flush(ctx); err != nil {
		return fmt.Errorf("stopping: flushing records: %w", err)
	}
	r.checkpoint(ctx)
	if err := r.prod.Flush(ctx); err != nil {
		return fmt.Errorf("stopping: writing positions: %w", err)
	}
	if err := r.err(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func (r *Replicator) partList() []*partState {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*partState, 0, len(r.parts))
	for _, ps := range r.parts {
		out = append(out, ps)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].tp, out[j].tp
		return a.Topic < b.Topic || a.Topic == b.Topic && a.Partition < b.Partition
	})
	return out
}

// Lag reports every mirrored partition's lag (for the metrics).
func (r *Replicator) Lag() []metrics.PartitionLag {
	now := r.o.Now()
	fresh := 3 * r.o.LagInterval
	parts := r.partList()
	out := make([]metrics.PartitionLag, 0, len(parts))
	for _, ps := range parts {
		out = append(out, ps.lag(now, fresh))
	}
	return out
}

// Topics returns the mirrored source topics.
func (r *Replicator) Topics() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.topics))
	for t := range r.topics {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// lagLoop reads the source's end offsets and checks both clusters.
func (r *Replicator) lagLoop(ctx context.Context) {
	t := time.NewTicker(r.o.LagInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		topics := r.Topics()
		if len(topics) > 0 {
			at := r.o.Now()
			ends, err := r.o.Source.Offsets(ctx, cluster.Committed, topics...)
			r.o.Metrics.SetConnected("source", err == nil)
			if err == nil {
				for _, ps := range r.partList() {
					if e, ok := ends[ps.tp.Topic][ps.tp.Partition]; ok {
						ps.seen(e, at)
					}
				}
			}
		}
		_, _, err := r.o.Target.Brokers(ctx)
		r.o.Metrics.SetConnected("target", err == nil)
	}
}
