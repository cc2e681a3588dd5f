package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"

	"github.com/velostream/velostream/engine/connectors"
)

const (
	// maxCall is the most records one WriteMessages call carries, and the
	// writer's BatchSize: a call the sink makes fills its batches, so the
	// writer sends without waiting for BatchTimeout unless the call is
	// smaller than this.
	maxCall = 10_000
	// batchTimeout is how long the writer holds a partial batch. kafka-go's
	// default is a second, which would make every small write (a window
	// closing, a dead letter) wait that long. The sender's calls already
	// carry everything queued, so waiting longer only adds latency: at
	// 10,000 EMIT CHANGES rows/s, 2 ms gave a p99 of 29-50 ms from input
	// append to output read, 1 ms 11-19 ms (BenchmarkKafkaLatency).
	batchTimeout = 1 * time.Millisecond
	// maxPending bounds the records Write has accepted and the broker has
	// not yet acknowledged; Write waits beyond it, so a slow broker slows
	// the query instead of filling memory.
	maxPending = 100_000
)

// Sink writes records to a topic. Write queues copies of the records and
// returns; one goroutine sends them in order with kafka-go's Writer
// (synchronous calls, acks from all in-sync replicas) and retries what
// failed until it is written, so that records of one key reach their
// partition in the order they were written even across a broker restart.
// Flush returns once everything written before it is acknowledged.
type Sink struct {
	c      conn
	name   string
	w      *kafka.Writer
	bal    *balancer
	tr     *kafka.Transport
	health health

	mu      sync.Mutex
	cond    *sync.Cond // signals queue changes both ways
	queue   []kafka.Message
	sending int   // records taken by the sender and not yet acknowledged
	err     error // a failure retrying cannot fix; the sink is then broken
	closed  bool
	done    chan struct{}
	ctx     context.Context // ends the sender's retries at Close
	cancel  context.CancelFunc
}

// OpenSink checks that the topic exists, creating it if not (with the
// 'partitions' property, else the broker's default), and starts the sender.
func OpenSink(ctx context.Context, cfg connectors.Config, opts Options) (*Sink, error) {
	c, err := parseConn(cfg)
	if err != nil {
		return nil, err
	}
	parts := -1 // the broker's default
	if v, ok := cfg.Props["partitions"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 100_000 {
			return nil, fmt.Errorf("%s: 'partitions' must be a whole number from 1 to 100000, got %q", cfg.Name, v)
		}
		parts = n
	}
	codec, err := compression(cfg)
	if err != nil {
		return nil, err
	}
	s := &Sink{c: c, name: cfg.Name, bal: &balancer{}, done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.health = health{log: opts.logger(), name: cfg.Name}
	s.cond = sync.NewCond(&s.mu)
	if err := ensureTopic(ctx, c, parts, &s.health); err != nil {
		return nil, err
	}
	// The writer's transport is made after the topic exists, so its first
	// metadata already lists it.
	s.tr = c.transport()
	s.w = &kafka.Writer{
		Addr:         kafka.TCP(c.brokers...),
		Topic:        c.topic,
		Balancer:     s.bal,
		BatchSize:    maxCall,
		BatchBytes:   1 << 20, // Kafka's default message.max.bytes
		BatchTimeout: batchTimeout,
		RequiredAcks: kafka.RequireAll,
		// The sender retries without end; the writer's own attempts only
		// smooth over a blip without a report.
		MaxAttempts:     3,
		WriteBackoffMin: 50 * time.Millisecond,
		WriteBackoffMax: 500 * time.Millisecond,
		WriteTimeout:    requestTimeout,
		ReadTimeout:     requestTimeout,
		Compression:     codec,
		Transport:       s.tr,
	}
	go s.send()
	return s, nil
}

func compression(cfg connectors.Config) (compress.Compression, error) {
	switch c := strings.ToLower(strings.TrimSpace(cfg.Get("compression", "none"))); c {
	case "none", "":
		return 0, nil
	case "gzip":
		return kafka.Gzip, nil
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	default:
		return 0, fmt.Errorf("%s: 'compression' %q: want none, gzip, snappy, lz4 or zstd", cfg.Name, c)
	}
}

// ensureTopic creates the topic unless it exists, through a kafka.Client
// (not by the writer's auto-creation, which a real cluster usually
// disables and which makes the first write wait for metadata to catch up).
func ensureTopic(ctx context.Context, c conn, parts int, h *health) error {
	tr := c.transport()
	defer tr.CloseIdleConnections()
	cl := c.client(tr)
	var b backoff
	for {
		err := tryEnsureTopic(ctx, cl, c.topic, parts)
		if err == nil {
			h.ok()
			return nil
		}
		if fatal(err) || errors.Is(err, kafka.InvalidTopic) || errors.Is(err, kafka.InvalidPartitionNumber) {
			return fmt.Errorf("%s: topic %s: %w", c.name, c.topic, err)
		}
		h.fail("creating topic "+c.topic, err)
		if b.wait(ctx) != nil {
			return fmt.Errorf("%s: topic %s: %w (after %v)", c.name, c.topic, ctx.Err(), err)
		}
	}
}

func tryEnsureTopic(ctx context.Context, cl *kafka.Client, topic string, parts int) error {
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return err
	}
	if len(md.Topics) == 1 && md.Topics[0].Error == nil && len(md.Topics[0].Partitions) > 0 {
		return nil
	}
	resp, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: parts, ReplicationFactor: -1,
	}}})
	if err != nil {
		return err
	}
	if err := resp.Errors[topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return err
	}
	return nil
}

// Reconnects counts failed writes that were retried, for metrics.
func (s *Sink) Reconnects() int64 { return s.health.failures.Load() }

// Write queues copies of recs (the caller reuses its buffers). It waits
// only when more than maxPending records are unacknowledged.
func (s *Sink) Write(ctx context.Context, recs []connectors.OutRecord) error {
	if len(recs) == 0 {
		return nil
	}
	size := 0
	for i := range recs {
		size += len(recs[i].Key) + len(recs[i].Value)
		for _, h := range recs[i].Headers {
			size += len(h.Value)
		}
	}
	// One allocation holds every byte of the call.
	buf := make([]byte, 0, size)
	cp := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		at := len(buf)
		buf = append(buf, b...)
		return buf[at:len(buf):len(buf)]
	}
	msgs := make([]kafka.Message, len(recs))
	for i := range recs {
		r := &recs[i]
		msgs[i] = kafka.Message{Key: cp(r.Key), Value: cp(r.Value)}
		if len(r.Headers) > 0 {
			h := make([]kafka.Header, len(r.Headers))
			for j, x := range r.Headers {
				h[j] = kafka.Header{Key: x.Key, Value: cp(x.Value)}
			}
			msgs[i].Headers = h
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue)+s.sending >= maxPending && s.err == nil && !s.closed {
		if err := s.waitLocked(ctx); err != nil {
			return err
		}
	}
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return fmt.Errorf("%s: write after close", s.name)
	}
	s.queue = append(s.queue, msgs...)
	s.cond.Broadcast()
	return nil
}

// waitLocked waits for the queue to change or ctx to end; s.mu is held.
func (s *Sink) waitLocked(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	s.cond.Wait()
	stop()
	return ctx.Err()
}

// Flush returns once every record written so far is acknowledged by the
// broker, or the error that stopped the sink.
func (s *Sink) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for (len(s.queue) > 0 || s.sending > 0) && s.err == nil {
		if err := s.waitLocked(ctx); err != nil {
			return fmt.Errorf("%s: flush: %d records not yet acknowledged: %w", s.name, len(s.queue)+s.sending, err)
		}
	}
	return s.err
}

// send is the sender goroutine.
func (s *Sink) send() {
	defer close(s.done)
	var b backoff
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if len(s.queue) == 0 && s.closed {
			s.mu.Unlock()
			return
		}
		n := min(len(s.queue), maxCall)
		msgs := s.queue[:n:n]
		s.queue = s.queue[n:]
		if len(s.queue) == 0 {
			s.queue = nil // let the backing array go
		}
		s.sending = n
		s.mu.Unlock()

		for len(msgs) > 0 {
			s.bal.next()
			err := s.w.WriteMessages(s.ctx, msgs...)
			if s.ctx.Err() != nil {
				return // Close gave up waiting for the broker
			}
			if err == nil {
				s.health.ok()
				b.reset()
				break
			}
			failed, perr := s.retryable(msgs, err)
			if perr != nil {
				s.mu.Lock()
				s.err = perr
				s.queue, s.sending = nil, 0
				s.cond.Broadcast()
				s.mu.Unlock()
				// Nothing more is sent: the query fails on its next
				// Write or Flush with this error.
				return
			}
			s.mu.Lock()
			s.sending = len(failed)
			s.cond.Broadcast()
			s.mu.Unlock()
			msgs = failed
			s.health.fail("writing to "+s.c.topic, err)
			if b.wait(s.ctx) != nil {
				return
			}
		}
		s.mu.Lock()
		s.sending = 0
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// retryable returns the messages to send again, in their order, or the
// error that retrying will not fix.
func (s *Sink) retryable(msgs []kafka.Message, err error) ([]kafka.Message, error) {
	var we kafka.WriteErrors
	if !errors.As(err, &we) {
		if permanent(err) {
			return nil, fmt.Errorf("%s: write to %s: %w", s.name, s.c.topic, err)
		}
		return msgs, nil
	}
	var failed []kafka.Message
	for i, e := range we {
		if e == nil {
			continue
		}
		if permanent(e) {
			return nil, fmt.Errorf("%s: write to %s: %w", s.name, s.c.topic, e)
		}
		failed = append(failed, msgs[i])
	}
	return failed, nil
}

// permanent reports write errors that no retry fixes.
func permanent(err error) bool {
	var tooLarge kafka.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return true
	}
	for _, e := range []kafka.Error{kafka.MessageSizeTooLarge, kafka.InvalidTopic, kafka.RecordListTooLarge,
		kafka.InvalidRequiredAcks, kafka.UnsupportedCompressionType, kafka.InvalidRecord} {
		if errors.Is(err, e) {
			return true
		}
	}
	return fatal(err)
}

// Close sends what was written, waits for it to be acknowledged, and
// closes the writer.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.Flush(ctx)
	s.mu.Lock()
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
	if err != nil {
		s.cancel() // the broker did not take everything in time: stop trying
	}
	<-s.done
	s.cancel()
	err = errors.Join(err, s.w.Close())
	s.tr.CloseIdleConnections()
	return err
}

// balancer keeps a key on one partition, with the same hash as Kafka's
// Java client (murmur2), so that other producers agree on where a key
// lives. Records without a key go to one partition per call, switched
// round-robin between calls: kafka-go's own balancers would spread a
// call's unkeyed records over every partition, and its batches would
// rarely fill.
type balancer struct {
	keyed  kafka.Murmur2Balancer
	sticky uint
}

// next moves unkeyed records to the next partition; the sender calls it
// before each WriteMessages (which calls Balance synchronously).
func (b *balancer) next() { b.sticky++ }

func (b *balancer) Balance(msg kafka.Message, partitions ...int) int {
	if msg.Key != nil {
		return b.keyed.Balance(msg, partitions...)
	}
	return partitions[b.sticky%uint(len(partitions))]
}
