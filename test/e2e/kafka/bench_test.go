package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/connectors"
	vkafka "github.com/velostream/velostream/engine/connectors/kafka"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/test/kafkatest"
)

// Kafka -> tumbling aggregation -> Kafka on the dev broker (a `velo broker`
// process with a data dir, on this machine), against kafka-go's raw
// produce and consume of the same records as the ceiling:
//
//	go test -run '^$' -bench . -benchtime 1x -count 3 ./test/e2e/kafka/
//
// Figures go to docs/benchmarks.md.
const benchN = 1_000_000

// benchMessages are trades of about 170 bytes, keyed by symbol, in event
// time order per symbol.
func benchMessages(n int) []kafka.Message {
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		t := genTrade(i)
		v := fmt.Sprintf(`{"symbol":"%s","price":%d.%04d,"quantity":%d,"side":"%s","venue":"XNAS","customer_id":"C-%05d","order_id":"ord-%09d","ts":%d}`,
			t.symbol, t.cents/100, (t.cents%100)*100+int64(i%100), t.qty, []string{"BUY", "SELL"}[i%2], i%5000, i, t.ts)
		msgs[i] = kafka.Message{Key: []byte(t.symbol), Value: []byte(v)}
	}
	return msgs
}

func benchWriter(addr, topic string) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(addr),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		BatchSize:    10_000,
		BatchBytes:   1 << 20,
		BatchTimeout: 2 * time.Millisecond,
		RequiredAcks: kafka.RequireAll,
		Transport:    &kafka.Transport{},
	}
}

func createBenchTopic(tb testing.TB, addr, topic string) {
	tb.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: &kafka.Transport{}, Timeout: 30 * time.Second}
	resp, err := cl.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 3, ReplicationFactor: 1}}})
	if err != nil {
		tb.Fatal(err)
	}
	if err := resp.Errors[topic]; err != nil {
		tb.Fatal(err)
	}
}

func produceBench(tb testing.TB, addr, topic string, msgs []kafka.Message) {
	tb.Helper()
	w := benchWriter(addr, topic)
	defer w.Close()
	for i := 0; i < len(msgs); i += 10_000 {
		if err := w.WriteMessages(context.Background(), msgs[i:min(i+10_000, len(msgs))]...); err != nil {
			tb.Fatal(err)
		}
	}
}

var (
	benchOnce   sync.Once
	benchBroker *kafkatest.Proc
)

// benchInput starts one broker for the benchmarks and fills topic
// "trades" with benchN records. The records are not kept: a million
// messages on the heap would make every garbage collection of the query
// running in this process slower than in velo run.
func benchInput(b *testing.B) *kafkatest.Proc {
	benchOnce.Do(func() {
		benchBroker = kafkatest.StartBroker(&benchTB{B: b}, kafkatest.WithPartitions(3))
		createBenchTopic(b, benchBroker.Addr(), "trades")
		produceBench(b, benchBroker.Addr(), "trades", benchMessages(benchN))
		runtime.GC()
	})
	return benchBroker
}

// benchTB keeps the shared broker alive past the first benchmark: its
// cleanups run when the test binary exits rather than with b.
type benchTB struct {
	*testing.B
}

func (benchTB) Cleanup(func()) {}

// BenchmarkKafkaGoProduce is the ceiling for writing: kafka-go's Writer,
// 10,000 records a call, acks from all replicas.
func BenchmarkKafkaGoProduce(b *testing.B) {
	p := benchInput(b)
	msgs := benchMessages(benchN)
	b.ReportAllocs()
	var total time.Duration
	for i := range b.N {
		topic := "produce-" + strconv.Itoa(i) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		createBenchTopic(b, p.Addr(), topic)
		start := time.Now()
		produceBench(b, p.Addr(), topic, msgs)
		total += time.Since(start)
	}
	b.ReportMetric(float64(benchN*b.N)/total.Seconds(), "records/s")
}

// BenchmarkKafkaGoConsume is the ceiling for reading: one kafka-go Reader
// per partition, in parallel, to the end of the topic, no decoding.
func BenchmarkKafkaGoConsume(b *testing.B) {
	p := benchInput(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		counts := make([]int, 3)
		for part := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{p.Addr()}, Topic: "trades", Partition: part,
					MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond})
				defer r.Close()
				cl := &kafka.Client{Addr: kafka.TCP(p.Addr()), Transport: &kafka.Transport{}}
				lo, err := cl.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{"trades": {kafka.LastOffsetOf(part)}}})
				if err != nil {
					b.Error(err)
					return
				}
				last := lo.Topics["trades"][0].LastOffset
				for {
					m, err := r.ReadMessage(context.Background())
					if err != nil {
						b.Error(err)
						return
					}
					counts[part]++
					if m.Offset+1 >= last {
						return
					}
				}
			}()
		}
		wg.Wait()
		if n := counts[0] + counts[1] + counts[2]; n != benchN {
			b.Fatalf("read %d records, want %d", n, benchN)
		}
	}
	b.ReportMetric(float64(benchN*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkSourceDecode is Velostream's Kafka source alone: fetch and JSON
// decode of the columns the query reads, bounded, no executor.
func BenchmarkSourceDecode(b *testing.B) {
	p := benchInput(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		src, err := vkafka.OpenSource(context.Background(), connectors.Config{Name: "trades",
			Props:  map[string]string{"topic": "trades", "bootstrap.servers": p.Addr(), "bounded": "true"},
			Schema: types.Schema{{Name: "symbol", Type: types.Any}, {Name: "quantity", Type: types.Any}, {Name: "price", Type: types.Any}, {Name: "ts", Type: types.Any}},
		}, vkafka.Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			batch, err := src.Read(context.Background())
			if errors.Is(err, connectors.ErrEndOfInput) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(batch.Records)
		}
		src.Close()
		if n != benchN {
			b.Fatalf("read %d records, want %d", n, benchN)
		}
	}
	b.ReportMetric(float64(benchN*b.N)/b.Elapsed().Seconds(), "records/s")
}

const benchQuery = `SELECT symbol, COUNT(*) AS trades, SUM(quantity) AS volume, MIN(price) AS low, MAX(price) AS high
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)`

// BenchmarkKafkaTumbling is the whole query, as velo run runs it: benchN
// trades from a 3-partition topic, a per-symbol tumbling aggregation, rows
// to a topic; a new consumer group each time, so it reads everything.
func BenchmarkKafkaTumbling(b *testing.B) {
	p := benchInput(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		q, errs := engine.Compile(benchQuery, engine.Options{
			Sources: map[string]map[string]string{"trades": {"type": "kafka_source", "topic": "trades", "bootstrap.servers": p.Addr(),
				"group.id": fmt.Sprintf("bench-%d-%d", i, time.Now().UnixNano()), "bounded": "true"}},
			Sink: map[string]string{"type": "kafka_sink", "topic": fmt.Sprintf("bench-out-%d", time.Now().UnixNano()), "bootstrap.servers": p.Addr()},
		})
		if len(errs) > 0 {
			b.Fatal(diag.RenderAll("bench", benchQuery, errs))
		}
		stats, err := q.Run(context.Background(), executor.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if n := stats.Read.Load(); n != benchN {
			b.Fatalf("read %d records, want %d", n, benchN)
		}
	}
	b.ReportMetric(float64(benchN*b.N)/b.Elapsed().Seconds(), "records/s")
}

const latencyQuery = `SELECT symbol, COUNT(*) AS trades, SUM(quantity) AS volume, MAX(_timestamp) AS appended
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '10' SECOND)
EMIT CHANGES`

// BenchmarkKafkaLatency feeds trades at latencyRate records/s for
// latencyFor and measures, for every result row, the time from the Kafka
// timestamp of the record it carries (set by the producer when it writes
// it) to the row's arrival at a consumer of the output topic: producer
// batching, the broker both ways, the query and the sink all count.
func BenchmarkKafkaLatency(b *testing.B) {
	const latencyRate, latencyFor = 10_000, 10 * time.Second
	p := benchInput(b)
	var all []float64
	for i := range b.N {
		in, out := fmt.Sprintf("lat-in-%d-%d", i, time.Now().UnixNano()), fmt.Sprintf("lat-out-%d-%d", i, time.Now().UnixNano())
		createBenchTopic(b, p.Addr(), in)
		createBenchTopic(b, p.Addr(), out)
		q, errs := engine.Compile(latencyQuery, engine.Options{
			Sources: map[string]map[string]string{"trades": {"type": "kafka_source", "topic": in, "bootstrap.servers": p.Addr(), "group.id": in}},
			Sink:    map[string]string{"type": "kafka_sink", "topic": out, "bootstrap.servers": p.Addr()},
		})
		if len(errs) > 0 {
			b.Fatal(diag.RenderAll("latency", latencyQuery, errs))
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		go func() { _, err := q.Run(ctx, executor.Options{}); ran <- err }()

		rows, err := vkafka.OpenSource(ctx, connectors.Config{Name: "out",
			Props:  map[string]string{"topic": out, "bootstrap.servers": p.Addr()},
			Schema: types.Schema{{Name: "appended", Type: types.Timestamp}}}, vkafka.Options{})
		if err != nil {
			b.Fatal(err)
		}
		w := &kafka.Writer{Addr: kafka.TCP(p.Addr()), Topic: in, Balancer: &kafka.Hash{}, BatchSize: 100,
			BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll, Transport: &kafka.Transport{}}

		var lat []float64
		var mu sync.Mutex
		measureFrom := time.Now().Add(2 * time.Second).UnixMilli() // after the group join and warm-up
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			for {
				batch, err := rows.Read(ctx)
				if err != nil {
					return
				}
				now := time.Now()
				mu.Lock()
				for _, r := range batch.Records {
					if ts := r.Row[0].Millis(); ts >= measureFrom {
						lat = append(lat, float64(now.UnixMicro()-ts*1000)/1000)
					}
				}
				mu.Unlock()
			}
		}()

		msgs := benchMessages(int(latencyRate * (latencyFor + 2*time.Second) / time.Second))
		tick := time.NewTicker(10 * time.Millisecond)
		perTick := latencyRate / 100
		b.ResetTimer()
		for sent := 0; sent < len(msgs); sent += perTick {
			<-tick.C
			batch := msgs[sent:min(sent+perTick, len(msgs))]
			now := time.Now()
			for j := range batch {
				batch[j].Time = now
				// Event time is now too, so windows close as in a live feed.
				batch[j].Value = fmt.Appendf(batch[j].Value[:0], `{"symbol":"%s","quantity":%d,"ts":%d}`, batch[j].Key, 1+j%100, now.UnixMilli())
			}
			if err := w.WriteMessages(context.Background(), batch...); err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		b.StopTimer()
		time.Sleep(500 * time.Millisecond) // the last rows in flight
		cancel()
		<-readDone
		if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
			b.Fatal(err)
		}
		rows.Close()
		w.Close()
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
		if want := int(latencyRate * latencyFor / time.Second); len(lat) < want*9/10 {
			b.Fatalf("%d rows measured, want about %d", len(lat), want)
		}
	}
	slices.Sort(all)
	pct := func(q float64) float64 { return all[min(len(all)-1, int(q*float64(len(all))))] }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(all[len(all)-1], "max-ms")
	b.ReportMetric(float64(len(all)), "rows")
}
