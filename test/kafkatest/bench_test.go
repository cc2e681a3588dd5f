package kafkatest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// The dev broker's ceiling through kafka-go, the client Velostream's
// connectors use: benchRecords records of about 170 bytes, 3 partitions,
// the broker running as a `velo broker` process with a data dir, as a
// developer runs it.
//
//	go test -run '^$' -bench KafkaGo -benchtime 3x -count 3 ./test/kafkatest/
const benchRecords = 100_000

var benchSymbols = []string{"AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "AMD", "INTC", "ORCL", "IBM", "CSCO"}

// benchMessages returns trade records like those the demo queries read.
func benchMessages(n int) []kafka.Message {
	msgs := make([]kafka.Message, n)
	base := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	for i := range msgs {
		sym := benchSymbols[i%len(benchSymbols)]
		v := fmt.Sprintf(`{"seq":%d,"symbol":"%s","price":"%d.%04d","qty":%d,"side":"%s","exchange":"XNAS","trader":"t-%06d","order_id":"ord-%08d","ts":"%s"}`,
			i, sym, 100+i%400, i%10000, 1+i%500, []string{"BUY", "SELL"}[i%2], i%1000, i,
			base.Add(time.Duration(i)*time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00"))
		msgs[i] = kafka.Message{Key: []byte(sym), Value: []byte(v)}
	}
	return msgs
}

func messageBytes(msgs []kafka.Message) int64 {
	var n int64
	for _, m := range msgs {
		n += int64(len(m.Key) + len(m.Value))
	}
	return n
}

func TestBenchMessagesAreAbout170Bytes(t *testing.T) {
	msgs := benchMessages(1000)
	if avg := messageBytes(msgs) / int64(len(msgs)); avg < 150 || avg > 190 {
		t.Fatalf("benchmark records average %d bytes; want about 170", avg)
	}
}

// createTopic makes the topic through kafka.Client with its own transport:
// the shared default transport caches metadata for seconds, and a topic
// created behind its back looks missing (see NOTES.md).
func createTopic(tb testing.TB, addr, topic string, partitions int) {
	tb.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: &kafka.Transport{}, Timeout: 30 * time.Second}
	resp, err := cl.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}},
	})
	if err != nil {
		tb.Fatalf("create topic %s: %v", topic, err)
	}
	if err := resp.Errors[topic]; err != nil {
		tb.Fatalf("create topic %s: %v", topic, err)
	}
}

func newWriter(addr, topic string, batch int) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(addr),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		BatchSize:    batch,
		BatchBytes:   8 << 20,
		BatchTimeout: 5 * time.Millisecond, // the 1 s default makes small writes wait
		RequiredAcks: kafka.RequireAll,     // the default is no acks at all
		Transport:    &kafka.Transport{},
	}
}

func produceAll(tb testing.TB, w *kafka.Writer, msgs []kafka.Message, chunk int) {
	tb.Helper()
	ctx := context.Background()
	for i := 0; i < len(msgs); i += chunk {
		if err := w.WriteMessages(ctx, msgs[i:min(i+chunk, len(msgs))]...); err != nil {
			tb.Fatalf("write: %v", err)
		}
	}
}

// BenchmarkKafkaGoProduce writes benchRecords records per op, chunk records
// per WriteMessages call (a sink flushing), acks from all replicas.
func BenchmarkKafkaGoProduce(b *testing.B) {
	p := StartBroker(b)
	msgs := benchMessages(benchRecords)
	topics := 0 // the testing package calls each sub-benchmark more than once
	for _, chunk := range []int{1_000, 10_000} {
		b.Run("chunk="+strconv.Itoa(chunk), func(b *testing.B) {
			b.SetBytes(messageBytes(msgs))
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				topics++
				topic := fmt.Sprintf("bench-produce-%d", topics)
				createTopic(b, p.Addr(), topic, 3)
				w := newWriter(p.Addr(), topic, chunk)
				b.StartTimer()
				produceAll(b, w, msgs, chunk)
				b.StopTimer()
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkKafkaGoConsume reads benchRecords records per op as a new
// consumer group with interval commits, as a source does. The clock starts
// at the first record so that the group join is not counted.
func BenchmarkKafkaGoConsume(b *testing.B) {
	groups := 0
	p := StartBroker(b)
	msgs := benchMessages(benchRecords)
	const topic = "bench-consume"
	createTopic(b, p.Addr(), topic, 3)
	w := newWriter(p.Addr(), topic, 10_000)
	produceAll(b, w, msgs, 10_000)
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}

	b.SetBytes(messageBytes(msgs))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		groups++
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers:        []string{p.Addr()},
			GroupID:        fmt.Sprintf("bench-%d", groups),
			Topic:          topic,
			MinBytes:       1,
			MaxBytes:       10 << 20,
			MaxWait:        100 * time.Millisecond,
			CommitInterval: time.Second,
			StartOffset:    kafka.FirstOffset,
		})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		for n := 0; n < benchRecords; n++ {
			if _, err := r.ReadMessage(ctx); err != nil {
				b.Fatalf("read record %d: %v", n, err)
			}
			if n == 0 {
				b.StartTimer()
			}
		}
		b.StopTimer()
		cancel()
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}
