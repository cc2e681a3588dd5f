package link_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/link"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/test/kafkatest"
)

// The ClusterLink benchmarks, between two `velo broker` processes with data
// dirs on this machine (see docs/clusterlink.md for figures):
//
//	go test -run '^$' -bench Replication -benchtime 1x -count 3 ./test/e2e/link/
//	go test -run '^$' -bench SteadyLag -benchtime 1x -count 1 ./test/e2e/link/
const (
	benchRecords = 100_000
	recordSize   = 1024 // value bytes; the key adds 8
	benchParts   = 3
)

// benchValue is a 1 KB value: an 8-byte sequence number and filler.
func benchValue(i int) []byte {
	v := make([]byte, recordSize)
	binary.BigEndian.PutUint64(v, uint64(i))
	for j := 8; j < len(v); j++ {
		v[j] = byte('a' + (i+j)%26)
	}
	return v
}

// BenchmarkReplication copies benchRecords 1 KB records (3 partitions) from
// one broker to the other, per op, twice: with the ceiling, a raw kafka-go
// pipeline (a Reader per source partition feeding a Writer that keeps the
// partition, acks from all replicas), and with the link. Each op copies to
// fresh target topics, so both write into empty topics. Reported: records/s
// and MB/s of each, and the link's share of the ceiling.
func BenchmarkReplication(b *testing.B) { benchReplication(b, false) }

// BenchmarkReplicationExactlyOnce is BenchmarkReplication with
// exactlyOnce: true (transactions of 100 ms that also write the positions).
func BenchmarkReplicationExactlyOnce(b *testing.B) { benchReplication(b, true) }

func benchReplication(b *testing.B, eos bool) {
	src := kafkatest.StartBroker(b)
	tgt := kafkatest.StartBroker(b)
	const topic = "bench.src"
	createTopic(b, src.Addr(), topic, benchParts, nil)
	recs := make([]*kgo.Record, benchRecords)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Partition: int32(i % benchParts), Key: binary.BigEndian.AppendUint64(nil, uint64(i)), Value: benchValue(i)}
	}
	produce(b, src.Addr(), recs)
	recs = nil
	mb := float64(benchRecords*(recordSize+8)) / (1 << 20)

	var ceiling, linked time.Duration
	b.ResetTimer()
	for i := range b.N {
		ceiling += timeIt(b, func() { kafkaGoCopy(b, src.Addr(), tgt.Addr(), topic, fmt.Sprintf("ceiling%d.%s", i, topic)) })
		linked += timeIt(b, func() {
			linkCopy(b, src.Addr(), tgt.Addr(), fmt.Sprintf("bench%d", i), fmt.Sprintf("l%d.", i), topic, eos)
		})
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(n*benchRecords/ceiling.Seconds(), "ceiling-records/s")
	b.ReportMetric(n*mb/ceiling.Seconds(), "ceiling-MB/s")
	b.ReportMetric(n*benchRecords/linked.Seconds(), "link-records/s")
	b.ReportMetric(n*mb/linked.Seconds(), "link-MB/s")
	b.ReportMetric(100*ceiling.Seconds()/linked.Seconds(), "link-%-of-ceiling")
}

func timeIt(b *testing.B, f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// samePartition keeps each record in its source partition number.
type samePartition struct{}

func (samePartition) Balance(m kafka.Message, _ ...int) int { return m.Partition }

// kafkaGoCopy is the ceiling: a kafka-go Reader per source partition and
// one Writer, with the settings a tuned copy uses (large fetches and
// batches, a 1 ms batch timeout instead of a second, acks from all
// replicas, own transports so new topics are seen).
func kafkaGoCopy(b *testing.B, srcAddr, tgtAddr, topic, target string) {
	createTopic(b, tgtAddr, target, benchParts, nil)
	w := &kafka.Writer{
		Addr: kafka.TCP(tgtAddr), Topic: target, Balancer: samePartition{},
		BatchSize: 1000, BatchBytes: 1 << 20, BatchTimeout: time.Millisecond,
		RequiredAcks: kafka.RequireAll, Transport: &kafka.Transport{},
	}
	defer w.Close()
	ends := endOffsets(b, srcAddr, topic)
	var wg sync.WaitGroup
	errs := make(chan error, benchParts)
	for p := range benchParts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := kafka.NewReader(kafka.ReaderConfig{
				Brokers: []string{srcAddr}, Topic: topic, Partition: p,
				MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond,
				Dialer: &kafka.Dialer{Timeout: 10 * time.Second},
			})
			defer r.Close()
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			batch := make([]kafka.Message, 0, 1000)
			for got := int64(0); got < ends[int32(p)]; {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					errs <- err
					return
				}
				got++
				batch = append(batch, kafka.Message{Key: m.Key, Value: m.Value, Headers: m.Headers, Time: m.Time, Partition: m.Partition})
				if len(batch) == cap(batch) || got == ends[int32(p)] {
					if err := w.WriteMessages(ctx, batch...); err != nil {
						errs <- err
						return
					}
					batch = batch[:0]
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("kafka-go copy: %.300s", err)
	}
}

// linkCopy runs the link in this process until the target holds every
// record of topic, then stops it.
func linkCopy(b *testing.B, srcAddr, tgtAddr, name, prefix, topic string, eos bool) {
	l, err := config.Parse(fmt.Appendf(nil, `apiVersion: velostream.io/v1alpha1
kind: ClusterLink
metadata: {name: %s}
spec:
  source: {bootstrapServers: %q}
  target: {bootstrapServers: %q}
  topics: {include: [%q]}
  topicPrefix: %q
  exactlyOnce: %v
`, name, srcAddr, tgtAddr, topic, prefix, eos), config.Local)
	if err != nil {
		b.Fatal(err)
	}
	want := total(endOffsets(b, srcAddr, topic))
	if eos {
		// Transaction markers take target offsets too: wait for the
		// positions instead, which commit with the records.
		want = -1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- link.Run(ctx, l, link.Options{Log: slog.New(slog.DiscardHandler)}) }()
	deadline := time.Now().Add(waitLimit)
	for !copied(b, tgtAddr, prefix+topic, want, srcAddr, topic, name) {
		if time.Now().After(deadline) {
			b.Fatalf("the link copied %d of %d records in %v", targetSize(b, tgtAddr, prefix+topic), want, waitLimit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// copied reports whether the target topic holds every source record: by
// its size (want >= 0), or by the positions the link committed in its state
// topic (exactly once, want < 0).
func copied(b *testing.B, tgtAddr, target string, want int64, srcAddr, topic, name string) bool {
	if want >= 0 {
		return targetSize(b, tgtAddr, target) >= want
	}
	ends := endOffsets(b, srcAddr, topic)
	cl := client(b, tgtAddr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"__velo_link." + name: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	end := endOffsets(b, tgtAddr, "__velo_link."+name)[0]
	pos := map[string]int64{}
	for next := int64(0); next < end; {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		if fs.NumRecords() == 0 {
			break
		}
		fs.EachRecord(func(r *kgo.Record) {
			next = r.Offset + 1
			if k := string(r.Key); len(k) > 2 && k[:2] == "p/" {
				var v struct{ S int64 }
				if json.Unmarshal(r.Value, &v) == nil {
					pos[k] = v.S
				}
			}
		})
	}
	cl.Close()
	for p, e := range ends {
		if pos[fmt.Sprintf("p/%s/%d", topic, p)] < e {
			return false
		}
	}
	return true
}

// BenchmarkSteadyLag feeds the source 10,000 records/s of 1 KB for 30 s
// with the link running, and measures for every record the time from its
// send (stamped in the value) to its arrival at a consumer of the target:
// the replication latency end to end. The first 3 s (the link's start)
// are left out.
func BenchmarkSteadyLag(b *testing.B) {
	const (
		rate    = 10_000
		run     = 30 * time.Second
		warmup  = 3 * time.Second
		topic   = "steady.events"
		prefix  = "dr."
		perTick = rate / 100
	)
	for range b.N {
		src := kafkatest.StartBroker(b)
		tgt := kafkatest.StartBroker(b)
		createTopic(b, src.Addr(), topic, benchParts, nil)
		l, err := config.Parse(fmt.Appendf(nil, `apiVersion: velostream.io/v1alpha1
kind: ClusterLink
metadata: {name: steady}
spec:
  source: {bootstrapServers: %q}
  target: {bootstrapServers: %q}
  topics: {include: [%q]}
  topicPrefix: %q
`, src.Addr(), tgt.Addr(), topic, prefix), config.Local)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- link.Run(ctx, l, link.Options{Log: slog.New(slog.DiscardHandler)}) }()

		// The consumer reads the target as it fills, until it has every
		// record the feed produced (known once the feed stops).
		var produced atomic.Int64
		produced.Store(math.MaxInt64)
		var lat []time.Duration
		var mu sync.Mutex
		consumed := make(chan struct{})
		start := time.Now()
		go func() {
			defer close(consumed)
			cl := client(b, tgt.Addr(), kgo.ConsumeTopics(prefix+topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
				kgo.MetadataMinAge(100*time.Millisecond), kgo.MetadataMaxAge(time.Second), kgo.FetchMaxWait(100*time.Millisecond))
			for n := 0; int64(n) < produced.Load(); {
				pctx, pcancel := context.WithTimeout(context.Background(), 5*time.Second)
				fs := cl.PollFetches(pctx)
				pcancel()
				now := time.Now()
				if time.Since(start) > run+waitLimit {
					return
				}
				fs.EachRecord(func(r *kgo.Record) {
					n++
					sent := time.Unix(0, int64(binary.BigEndian.Uint64(r.Value)))
					if sent.Sub(start) >= warmup {
						mu.Lock()
						lat = append(lat, now.Sub(sent))
						mu.Unlock()
					}
				})
			}
		}()

		pcl := client(b, src.Addr(), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
		var first kgo.FirstErrPromise
		tick := time.NewTicker(10 * time.Millisecond)
		i := 0
		for time.Since(start) < run {
			<-tick.C
			for range perTick {
				v := make([]byte, recordSize)
				binary.BigEndian.PutUint64(v, uint64(time.Now().UnixNano()))
				pcl.Produce(context.Background(), &kgo.Record{Topic: topic, Partition: int32(i % benchParts), Value: v}, first.Promise())
				i++
			}
		}
		tick.Stop()
		if err := first.Err(); err != nil {
			b.Fatal(err)
		}
		produced.Store(int64(i))
		<-consumed
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		slices.Sort(lat)
		n := len(lat)
		mu.Unlock()
		if n == 0 {
			b.Fatal("no record measured")
		}
		pct := func(p float64) float64 { return lat[min(n-1, int(p*float64(n)))].Seconds() * 1000 }
		b.ReportMetric(float64(i)/run.Seconds(), "records/s")
		b.ReportMetric(pct(0.5), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(lat[n-1].Seconds()*1000, "max-ms")
		b.ReportMetric(float64(n), "measured")
	}
}
