package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestListenAddr(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "", want: "127.0.0.1:9092"},
		{in: ":0", want: "127.0.0.1:0"},
		{in: ":9093", want: "127.0.0.1:9093"},
		{in: "127.0.0.1:0", want: "127.0.0.1:0"},
		{in: "[::1]:9092", want: "[::1]:9092"},
		{in: "localhost:19092", want: "localhost:19092"},
		{in: "192.168.1.10:9092", want: "192.168.1.10:9092"},
		{in: "0.0.0.0:9092", wantErr: "not a wildcard"},
		{in: "[::]:9092", wantErr: "not a wildcard"},
		{in: "localhost", wantErr: "want host:port"},
		{in: "127.0.0.1:99999", wantErr: `port "99999" is not a number from 0 to 65535`},
		{in: "127.0.0.1:kafka", wantErr: `port "kafka"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := listenAddr(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("listenAddr(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.in) {
					t.Errorf("error %q does not name the address %q", err, tt.in)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("listenAddr(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"negative partitions", Config{Addr: ":0", Partitions: -1}, "partitions -1: must be between 1 and 10000"},
		{"too many partitions", Config{Addr: ":0", Partitions: MaxPartitions + 1}, "partitions 10001"},
		{"wildcard", Config{Addr: "0.0.0.0:0"}, "not a wildcard"},
		{"port in use", Config{Addr: busy.Addr().String()}, "address already in use"},
		{"data dir is a file", Config{Addr: ":0", DataDir: notDir}, "data dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Start(t.Context(), tt.cfg)
			if err == nil {
				b.Close()
				t.Fatalf("Start(%+v) succeeded; want error containing %q", tt.cfg, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Start(%+v) error = %q; want it to contain %q", tt.cfg, err, tt.wantErr)
			}
		})
	}
}

func TestStartListensOnLoopbackByDefault(t *testing.T) {
	// Port 0 rather than the default 9092, which a developer's own Kafka
	// may hold; the host part is what this test pins.
	b := start(t, Config{Addr: ":0"})
	host, port, err := net.SplitHostPort(b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q; want 127.0.0.1 with a real port", b.Addr())
	}
	// Clients are told to dial what Addr reports: metadata must agree.
	cl := client(t, b.Addr())
	brokers, err := kmsg.NewPtrMetadataRequest().RequestWith(t.Context(), cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(brokers.Brokers) != 1 {
		t.Fatalf("metadata lists %d brokers; want 1", len(brokers.Brokers))
	}
	mb := brokers.Brokers[0]
	if got := net.JoinHostPort(mb.Host, fmt.Sprint(mb.Port)); got != b.Addr() {
		t.Fatalf("metadata advertises %s; want %s", got, b.Addr())
	}
}

func TestAutoCreatedTopicsGetConfiguredPartitions(t *testing.T) {
	for _, parts := range []int{0, 1, 5} {
		t.Run(fmt.Sprint(parts), func(t *testing.T) {
			b := start(t, Config{Addr: ":0", Partitions: parts})
			cl := client(t, b.Addr(), kgo.AllowAutoTopicCreation())
			produce(t, cl, "auto", []*kgo.Record{{Value: []byte("x")}})
			want := parts
			if want == 0 {
				want = DefaultPartitions
			}
			if got := partitionCount(t, cl, "auto"); got != want {
				t.Fatalf("auto-created topic has %d partitions; want %d", got, want)
			}
		})
	}
}

// TestDataSurvivesRestart pins what a data dir keeps across Close and
// Start: the topic and its partition count, every record with its key,
// headers and offset, and a committed group offset.
func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	const topic, group = "orders", "billing"
	b := start(t, Config{Addr: ":0", DataDir: dir, Partitions: 3})
	addr := b.Addr()

	cl := client(t, addr, kgo.AllowAutoTopicCreation(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var sent []*kgo.Record
	for i := range 300 {
		sent = append(sent, &kgo.Record{
			Partition: int32(i % 3),
			Key:       fmt.Appendf(nil, "k%d", i),
			Value:     fmt.Appendf(nil, `{"id":%d}`, i),
			Headers:   []kgo.RecordHeader{{Key: "seq", Value: fmt.Appendf(nil, "%d", i)}, {Key: "src", Value: []byte("test")}},
		})
	}
	produce(t, cl, topic, sent)
	commitOffsets(t, cl, group, topic, map[int32]int64{0: 40, 1: 60, 2: 100})
	cl.Close()
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Same address, as a restarted dev broker would have.
	b2 := start(t, Config{Addr: addr, DataDir: dir})
	cl2 := client(t, b2.Addr(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if got := partitionCount(t, cl2, topic); got != 3 {
		t.Fatalf("after restart the topic has %d partitions; want 3", got)
	}
	got := consumeAll(t, cl2, topic, len(sent))
	for p := range int32(3) {
		var want []*kgo.Record
		for _, r := range sent {
			if r.Partition == p {
				want = append(want, r)
			}
		}
		gotP := got[p]
		if len(gotP) != len(want) {
			t.Fatalf("partition %d: %d records after restart; want %d", p, len(gotP), len(want))
		}
		for i, r := range gotP {
			w := want[i]
			if r.Offset != int64(i) || string(r.Key) != string(w.Key) || string(r.Value) != string(w.Value) || !sameHeaders(r.Headers, w.Headers) {
				t.Fatalf("partition %d record %d after restart = offset %d key %q value %q headers %v; want offset %d key %q value %q headers %v",
					p, i, r.Offset, r.Key, r.Value, r.Headers, i, w.Key, w.Value, w.Headers)
			}
		}
	}
	if got := fetchOffsets(t, cl2, group, topic); !maps.Equal(got, map[int32]int64{0: 40, 1: 60, 2: 100}) {
		t.Fatalf("committed offsets after restart = %v; want map[0:40 1:60 2:100]", got)
	}
	// New records continue the offsets rather than restarting at 0.
	produce(t, cl2, topic, []*kgo.Record{{Partition: 0, Value: []byte("after")}})
	if off := consumeAll(t, cl2, topic, len(sent)+1)[0]; off[len(off)-1].Offset != 100 {
		t.Fatalf("first record produced after restart got offset %d; want 100", off[len(off)-1].Offset)
	}
}

func TestDataDirIsExclusive(t *testing.T) {
	dir := t.TempDir()
	b := start(t, Config{Addr: ":0", DataDir: dir})
	_, err := Start(t.Context(), Config{Addr: ":0", DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "in use by another broker") {
		t.Fatalf("second Start on %s: err = %v; want 'in use by another broker'", dir, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// The lock goes with the broker that held it.
	start(t, Config{Addr: ":0", DataDir: dir})
}

func TestContextCancelClosesBroker(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	b, err := Start(ctx, Config{Addr: ":0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	cancel()
	<-b.Done()
	if err := b.Close(); err != nil {
		t.Fatalf("Close after cancel = %v; want nil", err)
	}
	// The port is free again once Done is closed.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port still held after Done: %v", err)
	}
	ln.Close()
}

func TestStartWithCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Start(ctx, Config{Addr: ":0"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with a cancelled context: err = %v; want context.Canceled", err)
	}
}

// TestCloseReportsFailedFlush: kfake only logs a failed final save; the
// broker must turn it into an error so that `velo broker` does not exit 0
// after losing data.
func TestCloseReportsFailedFlush(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	b := start(t, Config{Addr: ":0", DataDir: dir})
	cl := client(t, b.Addr(), kgo.AllowAutoTopicCreation())
	produce(t, cl, "t", []*kgo.Record{{Value: []byte("x")}})
	cl.Close()
	// A file where the data dir was makes every write of the final save fail.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a dir"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := b.Close()
	if err == nil || !strings.Contains(err.Error(), "flush data dir") {
		t.Fatalf("Close = %v; want a flush data dir error", err)
	}
	if again := b.Close(); again == nil || again.Error() != err.Error() {
		t.Fatalf("second Close = %v; want the first call's error %v", again, err)
	}
}

func TestLogsGoToSlog(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := start(t, Config{Addr: ":0", Logger: log})
	b.Close()
	out := buf.String()
	for _, want := range []string{"level=INFO msg=\"broker started\"", "level=INFO msg=\"broker stopped\""} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
}

func TestKfakeLogLevels(t *testing.T) {
	tests := []struct {
		level  kfake.LogLevel
		minLog slog.Level
		want   string
	}{
		{kfake.LogLevelError, slog.LevelDebug, "level=ERROR msg=\"disk full 3\" component=kfake"},
		{kfake.LogLevelWarn, slog.LevelDebug, "level=WARN msg=\"disk full 3\" component=kfake"},
		{kfake.LogLevelInfo, slog.LevelDebug, "level=INFO msg=\"disk full 3\" component=kfake"},
		{kfake.LogLevelDebug, slog.LevelDebug, "level=DEBUG msg=\"disk full 3\" component=kfake"},
		{kfake.LogLevelDebug, slog.LevelInfo, ""},
		{kfake.LogLevelNone, slog.LevelDebug, ""},
		{kfake.LogLevel(42), slog.LevelDebug, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v at %v", tt.level, tt.minLog), func(t *testing.T) {
			var buf syncBuffer
			l := &kfakeLogger{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
				Level:       tt.minLog,
				ReplaceAttr: dropTime,
			})).With("component", "kfake")}
			l.Logf(tt.level, "disk full %d", 3)
			if got := strings.TrimSpace(buf.String()); got != tt.want {
				t.Fatalf("logged %q; want %q", got, tt.want)
			}
		})
	}
}

func TestKfakeLoggerKeepsErrorsOnlyWhileClosing(t *testing.T) {
	l := &kfakeLogger{log: slog.New(slog.DiscardHandler)}
	l.Logf(kfake.LogLevelError, "before close")
	l.startClosing()
	l.Logf(kfake.LogLevelWarn, "a warning")
	l.Logf(kfake.LogLevelError, "persist to disk: %v", errors.New("no space"))
	if err := l.closingErrors(); err == nil || err.Error() != "persist to disk: no space" {
		t.Fatalf("closingErrors() = %v; want only the error logged while closing", err)
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// helpers

func start(t *testing.T, cfg Config) *Broker {
	t.Helper()
	b, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Start(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func client(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produce(t *testing.T, cl *kgo.Client, topic string, rs []*kgo.Record) {
	t.Helper()
	for _, r := range rs {
		r.Topic = topic
	}
	if err := cl.ProduceSync(ctx(t), rs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// consumeAll reads n records from the start of every partition of topic
// and returns them by partition, in offset order.
func consumeAll(t *testing.T, cl *kgo.Client, topic string, n int) map[int32][]*kgo.Record {
	t.Helper()
	c := client(t, cl.OptValue(kgo.SeedBrokers).([]string)[0],
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	defer c.Close()
	out := map[int32][]*kgo.Record{}
	ctx := ctx(t)
	for got := 0; got < n; {
		fs := c.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records from %s: %v", got, n, topic, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			out[r.Partition] = append(out[r.Partition], r)
			got++
		})
	}
	return out
}

func partitionCount(t *testing.T, cl *kgo.Client, topic string) int {
	t.Helper()
	return len(topicMeta(t, cl, topic).Partitions)
}

func topicID(t *testing.T, cl *kgo.Client, topic string) [16]byte {
	t.Helper()
	return topicMeta(t, cl, topic).TopicID
}

func topicMeta(t *testing.T, cl *kgo.Client, topic string) kmsg.MetadataResponseTopic {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 {
		t.Fatalf("metadata for %s returned %d topics", topic, len(resp.Topics))
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		t.Fatalf("metadata for %s: %v", topic, err)
	}
	return resp.Topics[0]
}

// commitOffsets commits as a group with no live members, which is what
// tools like kafka-consumer-groups --reset-offsets do.
func commitOffsets(t *testing.T, cl *kgo.Client, group, topic string, offsets map[int32]int64) {
	t.Helper()
	var offs kadm.Offsets
	for p, o := range offsets {
		offs.Add(kadm.Offset{Topic: topic, Partition: p, At: o, LeaderEpoch: -1})
	}
	if err := kadm.NewClient(cl).CommitAllOffsets(ctx(t), group, offs); err != nil {
		t.Fatalf("commit %s: %v", group, err)
	}
}

func fetchOffsets(t *testing.T, cl *kgo.Client, group, topic string) map[int32]int64 {
	t.Helper()
	resp, err := kadm.NewClient(cl).FetchOffsets(ctx(t), group)
	if err != nil {
		t.Fatalf("fetch offsets of %s: %v", group, err)
	}
	if err := resp.Error(); err != nil {
		t.Fatalf("fetch offsets of %s: %v", group, err)
	}
	out := map[int32]int64{}
	for p, o := range resp[topic] {
		out[p] = o.At
	}
	return out
}

// ctx bounds a client call so that a broker bug fails the test instead of
// hanging it; it is not a performance assertion.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func sameHeaders(a, b []kgo.RecordHeader) bool {
	return slices.EqualFunc(a, b, func(x, y kgo.RecordHeader) bool {
		return x.Key == y.Key && string(x.Value) == string(y.Value)
	})
}

// syncBuffer is a bytes.Buffer safe for the broker's goroutines to log into.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
