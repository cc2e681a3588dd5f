package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/types"
)

// DefaultBatchSize is how many records one Read returns at most.
const DefaultBatchSize = 4096

// Source reads one topic. Each assigned partition has a fetcher goroutine
// that long-polls the partition leader, decodes what arrives into a chunk
// of rows and hands the chunk over; Read returns one chunk (one partition,
// in offset order) per call.
//
// Group membership uses kafka-go's ConsumerGroup/Generation API rather than
// a Reader with a GroupID: a Reader commits on its own schedule and picks
// its start itself, while the executor must decide what is committed (only
// records whose effects are durable) and the commit must carry metadata
// (the executor's watermark), which Generation.CommitOffsets cannot send.
// So the group is used for membership and assignment only; start offsets,
// fetches and commits go through a kafka.Client on the source's own
// Transport.
//
// Reuse rule (as for the file source): a batch's rows, keys and slices
// belong to the source again at the next Read.
type Source struct {
	c      conn
	name   string
	schema types.Schema
	// deletedCol and keyCol are set for a table's changelog: a tombstone
	// (a record with no value) becomes a row with _deleted true and the
	// record key in the key column, instead of a bad record.
	deletedCol, keyCol int
	groupID            string
	start              string
	bounded            bool
	idle               time.Duration
	batch              int
	newDec             func() decoder
	log                *slog.Logger
	health             health
	tr                 *kafka.Transport
	client             *kafka.Client
	group              *kafka.ConsumerGroup
	ctx                context.Context
	cancel             context.CancelFunc
	wg                 sync.WaitGroup
	chunks             chan *chunk
	changed            chan struct{} // poked when the assignment changes
	ready              chan struct{} // closed once the first assignment has started
	failed             chan struct{} // closed on an error retrying cannot fix
	failErr            error
	failOnce           sync.Once
	closed             sync.Once

	mu        sync.Mutex
	gen       *kafka.Generation // nil between generations and without a group
	genReady  chan struct{}     // closed when gen is set; replaced when it ends
	parts     map[int32]*fetcher
	committed map[int32]int64 // last offset known committed (or the start position)
	lastMeta  []byte
	restored  []byte
	assigned  bool
	// pending and gone are news for the executor's watermark, taken by
	// the next Read: partitions assigned with records to read, and
	// partitions no longer owned (which must stop holding it back).
	pending, gone []int32

	// Read's own state (the executor reads from one goroutine).
	prev  *chunk
	reads map[int32]*readState
}

type readState struct {
	last time.Time // when a record of the partition was last handed out
	seen bool
	idle bool
	done bool // bounded: the partition reached its end offset
}

// Start positions.
const (
	startCommitted = "committed"
	startEarliest  = "earliest"
	startLatest    = "latest"
)

// OpenSource validates cfg, then joins the group and starts fetching in the
// background: it returns at once, and the first Read waits for the
// partitions to be assigned. Read reports what retrying cannot fix (a topic
// that does not exist in a bounded read, failed authentication).
func OpenSource(ctx context.Context, cfg connectors.Config, opts Options) (*Source, error) {
	c, err := parseConn(cfg)
	if err != nil {
		return nil, err
	}
	s := &Source{
		c:         c,
		name:      cfg.Name,
		schema:    cfg.Schema,
		groupID:   strings.TrimSpace(cfg.Get("group.id", "")),
		start:     strings.ToLower(strings.TrimSpace(cfg.Get("start", startCommitted))),
		batch:     DefaultBatchSize,
		log:       opts.logger(),
		chunks:    make(chan *chunk, 4),
		changed:   make(chan struct{}, 1),
		ready:     make(chan struct{}),
		failed:    make(chan struct{}),
		genReady:  make(chan struct{}),
		parts:     map[int32]*fetcher{},
		committed: map[int32]int64{},
		reads:     map[int32]*readState{},
	}
	s.deletedCol = cfg.Schema.Index("_deleted")
	s.keyCol = -1
	if kf := strings.TrimSpace(cfg.Get("key.field", "")); kf != "" && !strings.Contains(kf, ",") {
		s.keyCol = cfg.Schema.Index(kf)
	}
	switch s.start {
	case startCommitted, startEarliest, startLatest:
	default:
		return nil, fmt.Errorf("%s: 'start' %q: want committed, earliest or latest", cfg.Name, s.start)
	}
	if s.bounded, err = boolProp(cfg, "bounded", false); err != nil {
		return nil, err
	}
	if s.idle, err = durationProp(cfg, "idle.timeout", 30*time.Second); err != nil {
		return nil, err
	}
	if s.newDec, err = decoderFor(cfg); err != nil {
		return nil, err
	}
	s.health = health{log: s.log, name: cfg.Name}
	s.tr = c.transport()
	s.client = c.client(s.tr)
	// The source outlives the context it was opened with only until
	// Close; the executor may cancel its context before the last commit.
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.wg.Add(1)
	go s.run()
	return s, nil
}

// Schema returns the columns the rows carry (those the query asked for).
func (s *Source) Schema() types.Schema { return s.schema }

// Reconnects counts failed requests to the brokers that were retried, for
// metrics: it grows while a broker is down or restarting.
func (s *Source) Reconnects() int64 { return s.health.failures.Load() }

func (s *Source) fail(err error) {
	s.failOnce.Do(func() {
		s.failErr = err
		close(s.failed)
	})
}

// run waits for the topic, then follows the group's generations (or, with
// no group, reads every partition).
func (s *Source) run() {
	defer s.wg.Done()
	parts, err := s.waitForTopic()
	if err != nil {
		s.fail(err)
		return
	}
	if s.groupID == "" {
		if err := s.assign(nil, parts); err != nil {
			s.fail(err)
		}
		return
	}
	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                s.groupID,
		Brokers:           s.c.brokers,
		Dialer:            s.c.dialer(),
		Topics:            []string{s.c.topic},
		HeartbeatInterval: heartbeat,
		SessionTimeout:    sessionTimeout,
		RebalanceTimeout:  rebalanceTimeout,
		JoinGroupBackoff:  joinBackoff,
		Timeout:           requestTimeout,
		ErrorLogger: kafka.LoggerFunc(func(f string, args ...any) {
			s.log.Debug("kafka group: "+fmt.Sprintf(f, args...), "connector", s.name)
		}),
	})
	if err != nil {
		s.fail(fmt.Errorf("%s: consumer group %q: %w", s.name, s.groupID, err))
		return
	}
	s.mu.Lock()
	s.group = group
	s.mu.Unlock()
	if s.ctx.Err() != nil {
		group.Close() // Close may have run before the group existed
		return
	}
	for {
		gen, err := group.Next(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				return
			}
			if fatal(err) {
				s.fail(fmt.Errorf("%s: consumer group %q: %w", s.name, s.groupID, err))
				return
			}
			s.health.fail("joining consumer group "+s.groupID, err)
			continue // the group backs off by itself
		}
		s.health.ok()
		var ids []int32
		for _, a := range gen.Assignments[s.c.topic] {
			ids = append(ids, int32(a.ID))
		}
		if err := s.assign(gen, ids); err != nil {
			if s.ctx.Err() != nil {
				return
			}
			if errors.Is(err, context.Canceled) {
				continue // the generation ended while we set it up
			}
			s.fail(err)
			return
		}
		gen.Start(func(gctx context.Context) {
			<-gctx.Done()
			s.endGeneration(gen)
		})
	}
}

// fatal reports errors that retrying cannot fix.
func fatal(err error) bool {
	for _, e := range []kafka.Error{
		kafka.SASLAuthenticationFailed, kafka.GroupAuthorizationFailed, kafka.TopicAuthorizationFailed,
		kafka.ClusterAuthorizationFailed, kafka.InvalidSessionTimeout, kafka.UnsupportedSASLMechanism,
		kafka.InvalidGroupId, kafka.InconsistentGroupProtocol,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// waitForTopic returns the topic's partitions. A bounded read of a topic
// that does not exist fails; an unbounded one waits for it, saying so.
func (s *Source) waitForTopic() ([]int32, error) {
	var b backoff
	for {
		md, err := s.client.Metadata(s.ctx, &kafka.MetadataRequest{Topics: []string{s.c.topic}})
		if err == nil && len(md.Topics) == 1 {
			t := md.Topics[0]
			err = t.Error
			if err == nil && len(t.Partitions) > 0 {
				s.health.ok()
				ids := make([]int32, len(t.Partitions))
				for i, p := range t.Partitions {
					ids[i] = int32(p.ID)
				}
				slices.Sort(ids)
				return ids, nil
			}
			if err == nil {
				err = kafka.UnknownTopicOrPartition
			}
		} else if err == nil {
			err = fmt.Errorf("metadata response lists %d topics", len(md.Topics))
		}
		if fatal(err) {
			return nil, fmt.Errorf("%s: topic %s: %w", s.name, s.c.topic, err)
		}
		if errors.Is(err, kafka.UnknownTopicOrPartition) {
			if s.bounded {
				return nil, fmt.Errorf("%s: topic %q does not exist on %s", s.name, s.c.topic, strings.Join(s.c.brokers, ","))
			}
			s.health.fail("waiting for topic "+s.c.topic+" to exist", err)
		} else {
			s.health.fail("reading metadata of "+s.c.topic, err)
		}
		if b.wait(s.ctx) != nil {
			return nil, s.ctx.Err()
		}
	}
}

// position is where a newly assigned partition starts.
type position struct {
	pos, end  int64
	last      int64 // the end offset when assigned
	meta      string
	committed bool
}

// assign starts fetchers for partitions new to this source and stops those
// it no longer owns. A partition it keeps goes on from where its fetcher
// is: the records it already handed out are in the executor's state, so
// re-reading them from the committed offset would count them twice.
func (s *Source) assign(gen *kafka.Generation, ids []int32) error {
	s.mu.Lock()
	var fresh []int32
	keep := map[int32]bool{}
	for _, p := range ids {
		keep[p] = true
		if s.parts[p] == nil {
			fresh = append(fresh, p)
		}
	}
	var revoked []*fetcher
	for p, f := range s.parts {
		if !keep[p] {
			revoked = append(revoked, f)
			delete(s.parts, p)
			delete(s.committed, p)
		}
	}
	s.mu.Unlock()
	for _, f := range revoked {
		f.stop()
		s.log.Info("kafka: partition revoked", "connector", s.name, "topic", s.c.topic, "partition", f.part)
	}
	if len(revoked) > 0 {
		s.mu.Lock()
		for _, f := range revoked {
			s.gone = append(s.gone, f.part)
		}
		s.mu.Unlock()
	}

	ctx := s.ctx
	if gen != nil {
		ctx = genContext(s.ctx, gen)
	}
	starts, err := s.positions(ctx, fresh)
	if err != nil {
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != nil {
		s.gen = gen
		close(s.genReady)
	}
	var metas []string
	for _, p := range fresh {
		st := starts[p]
		f := newFetcher(s, p, st.pos, st.end)
		s.parts[p] = f
		s.committed[p] = st.pos
		if st.pos < st.last {
			s.pending = append(s.pending, p)
		}
		if st.committed {
			metas = append(metas, st.meta)
		}
		s.wg.Add(1)
		go f.run()
	}
	if !s.assigned {
		s.assigned = true
		if len(metas) > 0 {
			s.restored = []byte(metas[0])
			if slices.ContainsFunc(metas, func(m string) bool { return m != metas[0] }) {
				// One Commit writes the same metadata on every
				// partition this source owns; different values mean
				// several replicas committed.
				s.log.Warn("kafka: partitions resumed from commits with different metadata; using partition order's first",
					"connector", s.name, "group", s.groupID)
			}
		}
		close(s.ready)
	}
	if len(fresh)+len(revoked) > 0 {
		s.log.Debug("kafka: assignment", "connector", s.name, "topic", s.c.topic, "partitions", slices.Sorted(maps.Keys(s.parts)))
	}
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

// genContext ends when the source closes or the generation ends.
func genContext(parent context.Context, gen *kafka.Generation) context.Context {
	ctx, cancel := context.WithCancel(parent)
	gen.Start(func(gctx context.Context) {
		select {
		case <-gctx.Done():
		case <-ctx.Done():
		}
		cancel()
	})
	return ctx
}

func (s *Source) endGeneration(gen *kafka.Generation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen {
		s.gen = nil
		s.genReady = make(chan struct{})
	}
}

// positions finds where each partition starts (and, bounded, ends),
// retrying while the brokers cannot be reached.
func (s *Source) positions(ctx context.Context, parts []int32) (map[int32]position, error) {
	if len(parts) == 0 {
		return nil, nil
	}
	var b backoff
	for {
		out, err := s.tryPositions(ctx, parts)
		if err == nil {
			s.health.ok()
			return out, nil
		}
		if fatal(err) {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		s.health.fail("reading offsets of "+s.c.topic, err)
		if b.wait(ctx) != nil {
			return nil, ctx.Err()
		}
	}
}

func (s *Source) tryPositions(ctx context.Context, parts []int32) (map[int32]position, error) {
	reqs := make([]kafka.OffsetRequest, 0, 2*len(parts))
	ints := make([]int, len(parts))
	for i, p := range parts {
		ints[i] = int(p)
		reqs = append(reqs, kafka.FirstOffsetOf(int(p)), kafka.LastOffsetOf(int(p)))
	}
	lo, err := s.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{s.c.topic: reqs}})
	if err != nil {
		return nil, err
	}
	first, last := map[int32]int64{}, map[int32]int64{}
	for _, po := range lo.Topics[s.c.topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("partition %d: %w", po.Partition, po.Error)
		}
		first[int32(po.Partition)], last[int32(po.Partition)] = po.FirstOffset, po.LastOffset
	}
	commits := map[int32]kafka.OffsetFetchPartition{}
	if s.groupID != "" && s.start == startCommitted {
		of, err := s.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: s.groupID, Topics: map[string][]int{s.c.topic: ints}})
		if err != nil {
			return nil, err
		}
		if of.Error != nil {
			return nil, of.Error
		}
		for _, p := range of.Topics[s.c.topic] {
			if p.Error != nil {
				return nil, fmt.Errorf("committed offset of partition %d: %w", p.Partition, p.Error)
			}
			commits[int32(p.Partition)] = p
		}
	}
	out := make(map[int32]position, len(parts))
	for _, p := range parts {
		f, l := first[p], last[p]
		st := position{pos: f, end: -1, last: l}
		if s.start == startLatest {
			st.pos = l
		}
		if c, ok := commits[p]; ok && c.CommittedOffset >= 0 {
			st.pos, st.meta, st.committed = c.CommittedOffset, c.Metadata, true
			switch {
			case st.pos < f:
				s.log.Warn("kafka: records after the committed offset were deleted by retention before they were read",
					"connector", s.name, "topic", s.c.topic, "partition", p, "committed", c.CommittedOffset, "first", f)
				st.pos = f
			case st.pos > l:
				s.log.Warn("kafka: committed offset is past the end of the partition (was the topic recreated?); reading from the start",
					"connector", s.name, "topic", s.c.topic, "partition", p, "committed", c.CommittedOffset, "end", l)
				st.pos = f
			}
		}
		if s.bounded {
			st.end = l
		}
		out[p] = st
	}
	return out, nil
}

// Read returns the next chunk of one partition, idle partitions, or
// connectors.ErrEndOfInput once a bounded read has reached every end offset.
func (s *Source) Read(ctx context.Context) (connectors.Batch, error) {
	if s.prev != nil {
		s.prev.recycle()
		s.prev = nil
	}
	select {
	case <-s.ready:
	case <-s.failed:
		return connectors.Batch{}, s.failErr
	case <-ctx.Done():
		return connectors.Batch{}, ctx.Err()
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		now := time.Now()
		pending, gone := s.news(now)
		idle, next := s.idlePartitions(now)
		if len(pending)+len(gone)+len(idle) > 0 {
			return connectors.Batch{Pending: pending, Idle: append(idle, gone...)}, nil
		}
		if s.bounded && s.allDone() {
			return connectors.Batch{}, connectors.ErrEndOfInput
		}
		var wake <-chan time.Time
		if !next.IsZero() {
			if timer == nil {
				timer = time.NewTimer(next.Sub(now))
			} else {
				timer.Reset(next.Sub(now))
			}
			wake = timer.C
		}
		select {
		case c := <-s.chunks:
			st := s.readState(c.part)
			if c.eof {
				// A partition at its end has nothing more to say about
				// event time: it must not hold the watermark back.
				st.done = true
				c.recycle()
				if st.seen && !st.idle {
					st.idle = true
					return connectors.Batch{Idle: []int32{c.part}}, nil
				}
				continue
			}
			// The partition's assignment may have come in while Read
			// waited: the executor must hear of it before the records.
			pending, gone := s.news(time.Now())
			st.last, st.seen, st.idle = time.Now(), true, false
			c.f.delivered.Store(c.next)
			s.prev = c
			return connectors.Batch{Records: c.recs, Bad: c.bad, Pending: pending, Idle: gone}, nil
		case <-s.changed:
		case <-wake:
		case <-s.failed:
			return connectors.Batch{}, s.failErr
		case <-ctx.Done():
			return connectors.Batch{}, ctx.Err()
		}
	}
}

// news takes the partitions assigned with data and those revoked since the
// last Read. A pending partition counts as seen from now on, so that it
// goes idle after idle.timeout if it never delivers a good record.
func (s *Source) news(now time.Time) (pending, gone []int32) {
	s.mu.Lock()
	pending, gone = s.pending, s.gone
	s.pending, s.gone = nil, nil
	s.mu.Unlock()
	for _, p := range pending {
		st := s.readState(p)
		st.seen, st.idle, st.last = true, false, now
	}
	for _, p := range gone {
		delete(s.reads, p)
	}
	return pending, gone
}

func (s *Source) readState(p int32) *readState {
	st := s.reads[p]
	if st == nil {
		st = &readState{}
		s.reads[p] = st
	}
	return st
}

// idlePartitions returns the partitions that have just gone idle, and when
// the next one will if nothing arrives.
func (s *Source) idlePartitions(now time.Time) (idle []int32, next time.Time) {
	if s.idle <= 0 {
		return nil, time.Time{}
	}
	for p, st := range s.reads {
		if !st.seen || st.idle || st.done {
			continue
		}
		at := st.last.Add(s.idle)
		if !now.Before(at) {
			st.idle = true
			idle = append(idle, p)
			continue
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	slices.Sort(idle)
	return idle, next
}

// allDone reports whether every partition this source owns has reached its
// bounded end (and its last chunk was handed out).
func (s *Source) allDone() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.parts {
		if st := s.reads[p]; st == nil || !st.done {
			return false
		}
	}
	return true
}

// Restored returns the metadata stored with the committed offsets the
// source resumed from, or nil when it started without a commit (no group,
// start other than committed, or a group that never committed).
func (s *Source) Restored() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.restored)
}

// Commit stores offsets (each partition's next offset to read) with meta
// for the group, in one OffsetCommit request. Partitions the source owns
// but offsets leaves out are committed again at their last committed
// offset, so that every partition carries the same meta. Partitions it no
// longer owns (after a rebalance) are skipped: their new owner commits them.
//
// Commit retries while the broker is unreachable or the group rebalances,
// until ctx ends. It is safe to call from another goroutine than Read's.
// Without a group.id there is nowhere to commit and Commit does nothing.
func (s *Source) Commit(ctx context.Context, offsets map[int32]int64, meta []byte) error {
	if s.groupID == "" {
		return nil
	}
	if len(meta) > maxMetadataBytes {
		return fmt.Errorf("%s: commit metadata of %d bytes is over Kafka's default limit of %d", s.name, len(meta), maxMetadataBytes)
	}
	var b backoff
	for {
		s.mu.Lock()
		gen, genReady := s.gen, s.genReady
		var commits []kafka.OffsetCommit
		next := map[int32]int64{}
		var err error
		for p, f := range s.parts {
			off := s.committed[p]
			if o, ok := offsets[p]; ok {
				if d := f.delivered.Load(); o > d {
					err = fmt.Errorf("%s: commit of offset %d on partition %d is past what was read (%d)", s.name, o, p, d)
				}
				off = o
			}
			next[p] = off
			commits = append(commits, kafka.OffsetCommit{Partition: int(p), Offset: off, Metadata: string(meta)})
		}
		s.mu.Unlock()
		if err != nil {
			return err
		}
		if gen == nil {
			select {
			case <-genReady:
				continue
			case <-s.failed:
				return s.failErr
			case <-ctx.Done():
				return fmt.Errorf("%s: commit: waiting for the consumer group: %w", s.name, ctx.Err())
			}
		}
		if len(commits) == 0 {
			return nil
		}
		slices.SortFunc(commits, func(a, b kafka.OffsetCommit) int { return cmp.Compare(a.Partition, b.Partition) })
		resp, err := s.client.OffsetCommit(ctx, &kafka.OffsetCommitRequest{
			GroupID:      s.groupID,
			GenerationID: int(gen.ID),
			MemberID:     gen.MemberID,
			Topics:       map[string][]kafka.OffsetCommit{s.c.topic: commits},
		})
		if err == nil {
			for _, p := range resp.Topics[s.c.topic] {
				if p.Error != nil {
					err = fmt.Errorf("partition %d: %w", p.Partition, p.Error)
					break
				}
			}
		}
		if err == nil {
			s.health.ok()
			s.mu.Lock()
			for p, off := range next {
				if _, owned := s.parts[p]; owned {
					s.committed[p] = off
				}
			}
			s.lastMeta = slices.Clone(meta)
			s.mu.Unlock()
			return nil
		}
		if fatal(err) || ctx.Err() != nil {
			return fmt.Errorf("%s: commit offsets of group %s: %w", s.name, s.groupID, err)
		}
		s.health.fail("committing offsets of group "+s.groupID, err)
		if b.wait(ctx) != nil {
			return fmt.Errorf("%s: commit offsets of group %s: %w (after %v)", s.name, s.groupID, ctx.Err(), err)
		}
	}
}

// Ack commits the offsets after upTo's records, keeping the metadata of
// the last Commit.
func (s *Source) Ack(ctx context.Context, upTo []connectors.Provenance) error {
	if len(upTo) == 0 {
		return nil
	}
	offsets := map[int32]int64{}
	for _, p := range upTo {
		if o, ok := offsets[p.Partition]; !ok || p.Offset+1 > o {
			offsets[p.Partition] = p.Offset + 1
		}
	}
	s.mu.Lock()
	meta := s.lastMeta
	s.mu.Unlock()
	return s.Commit(ctx, offsets, meta)
}

// Lag returns, per owned partition, how many records are behind the
// partition's high watermark (as of its last fetch) after what Read has
// handed out.
func (s *Source) Lag() map[int32]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int32]int64, len(s.parts))
	for p, f := range s.parts {
		hw := f.hw.Load()
		if hw < 0 {
			continue
		}
		out[p] = max(0, hw-f.delivered.Load())
	}
	return out
}

// Close stops the fetchers and leaves the group (so that the partitions
// are reassigned at once rather than after the session timeout).
func (s *Source) Close() error {
	s.closed.Do(func() {
		s.cancel()
		s.mu.Lock()
		group := s.group
		s.mu.Unlock()
		if group != nil {
			group.Close()
		}
		s.wg.Wait()
		s.tr.CloseIdleConnections()
	})
	return nil
}
