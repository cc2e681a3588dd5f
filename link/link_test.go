package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/metrics"
)

// These tests run the link in-process between two in-process brokers
// (franz-go's kfake, as `velo broker` runs it), for behaviour the
// process-level tests in test/e2e/link do not cover: the filter, source
// transactions, topics changing at the source, same-cluster refusal,
// restarts and failover.

// waitLimit bounds waits; it is not a performance check.
const waitLimit = time.Minute

func startBroker(t *testing.T) string {
	t.Helper()
	b, err := broker.Start(context.Background(), broker.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.Addr()
}

func newClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func testCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return c
}

func createTopic(t *testing.T, addr, topic string, parts int, configs map[string]string) {
	t.Helper()
	cfg := map[string]*string{}
	for k, v := range configs {
		cfg[k] = &v
	}
	resp, err := kadm.NewClient(newClient(t, addr)).CreateTopic(testCtx(t), int32(parts), -1, cfg, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatal(err)
	}
}

func produce(t *testing.T, addr string, recs ...*kgo.Record) {
	t.Helper()
	if err := newClient(t, addr).ProduceSync(testCtx(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func parse(t *testing.T, src, tgt string, spec ...string) *config.Link {
	t.Helper()
	y := fmt.Sprintf("apiVersion: velostream.io/v1alpha1\nkind: ClusterLink\nmetadata: {name: t}\nspec:\n  source: {bootstrapServers: %q}\n  target: {bootstrapServers: %q}\n", src, tgt)
	for _, s := range spec {
		y += "  " + s + "\n"
	}
	if !strings.Contains(y, "syncInterval:") {
		y += "  syncInterval: 200ms\n"
	}
	l, err := config.Parse([]byte(y), config.Local)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// running is a link run in a goroutine.
type running struct {
	lk     *Link
	url    string
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, cfg *config.Link) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lk, err := New(cfg, Options{
		Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})), Listener: ln,
		MappingEvery: 10, CheckpointInterval: 20 * time.Millisecond, LagInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{lk: lk, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- lk.Run(ctx)
		lk.Close()
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop stops the link and returns what Run returned.
func (r *running) stop(t *testing.T) error {
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(waitLimit):
		t.Fatal("link did not stop")
		return nil
	}
}

func (r *running) status(t *testing.T) *metrics.Status {
	t.Helper()
	resp, err := http.Get(r.url + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	st, err := metrics.ParseStatus(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// readAll reads topic from the start (committed records only) until it
// holds n records or waitLimit passes.
func readAll(t *testing.T, addr, topic string, n int) []*kgo.Record {
	t.Helper()
	// A short metadata age: partitions the link adds must be seen within
	// the wait, not after kgo's default 5 minutes.
	cl := newClient(t, addr, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.MetadataMinAge(100*time.Millisecond), kgo.MetadataMaxAge(250*time.Millisecond))
	var out []*kgo.Record
	deadline := time.Now().Add(waitLimit)
	for len(out) < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		out = append(out, fs.Records()...)
	}
	// A little longer, to see records beyond n.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	out = append(out, cl.PollFetches(ctx).Records()...)
	cancel()
	return out
}

func values(recs []*kgo.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", waitLimit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFilter(t *testing.T) {
	src, tgt := startBroker(t), startBroker(t)
	createTopic(t, src, "orders", 1, nil)
	var recs []*kgo.Record
	for i, v := range []string{`{"region":"west","n":1}`, `{"region":"east","n":2}`, `not json`, `{"region":"west","n":3}`, `{"n":4}`} {
		recs = append(recs, &kgo.Record{Topic: "orders", Value: []byte(v), Key: []byte(strconv.Itoa(i))})
	}
	produce(t, src, recs...)
	r := start(t, parse(t, src, tgt, `topics: {include: [orders]}`, `filter: "region = 'west'"`))
	got := readAll(t, tgt, "orders", 2)
	if v := values(got); len(v) != 2 || v[0] != `{"region":"west","n":1}` || v[1] != `{"region":"west","n":3}` {
		t.Fatalf("target holds %q; want the two west records", v)
	}
	waitFor(t, "lag zero", func() bool {
		st := r.status(t)
		return len(st.Topics) == 1 && st.Topics[0].LagRecords == 0
	})
	resp, err := http.Get(r.url + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`velo_link_records_filtered_total{link="t",topic="orders"} 2`,
		`velo_link_filter_errors_total{link="t",topic="orders"} 1`,
		`velo_link_records_replicated_total{link="t",partition="0",topic="orders"} 2`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestSourceTransactions: records of an aborted source transaction are not
// replicated, in either mode, and the lag reaches zero past the markers.
func TestSourceTransactions(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactlyOnce=%v", eos), func(t *testing.T) {
			src, tgt := startBroker(t), startBroker(t)
			createTopic(t, src, "payments", 1, nil)
			txn := newClient(t, src, kgo.TransactionalID("app"))
			write := func(commit bool, vals ...string) {
				if err := txn.BeginTransaction(); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					if err := txn.ProduceSync(testCtx(t), &kgo.Record{Topic: "payments", Value: []byte(v)}).FirstErr(); err != nil {
						t.Fatal(err)
					}
				}
				if err := txn.EndTransaction(testCtx(t), kgo.TransactionEndTry(commit)); err != nil {
					t.Fatal(err)
				}
			}
			write(true, "a1", "a2")
			write(false, "b1", "b2", "b3")
			write(true, "c1")
			r := start(t, parse(t, src, tgt, `topics: {include: [payments]}`, fmt.Sprintf("exactlyOnce: %v", eos)))
			waitFor(t, "lag zero", func() bool {
				st := r.status(t)
				return len(st.Topics) == 1 && st.Topics[0].LagRecords == 0 && st.Topics[0].LagSeconds == 0
			})
			if v := strings.Join(values(readAll(t, tgt, "payments", 3)), ","); v != "a1,a2,c1" {
				t.Fatalf("target holds %s; want a1,a2,c1", v)
			}
		})
	}
}

// TestTopicsChangeAtTheSource: a matching topic created later is mirrored,
// partitions added at the source are added at the target and read, and a
// changed config is copied; the prefix names the target topics.
func TestTopicsChangeAtTheSource(t *testing.T) {
	src, tgt := startBroker(t), startBroker(t)
	createTopic(t, src, "events.a", 2, map[string]string{"retention.ms": "3600000"})
	produce(t, src, &kgo.Record{Topic: "events.a", Partition: 1, Value: []byte("a-1")})
	r := start(t, parse(t, src, tgt, `topics: {include: ["events\\..*"], exclude: ["events\\.tmp"]}`, `topicPrefix: "east."`))
	readAll(t, tgt, "east.events.a", 1)

	adm := kadm.NewClient(newClient(t, src))
	if _, err := adm.UpdatePartitions(testCtx(t), 4, "events.a"); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AlterTopicConfigs(testCtx(t), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: ptr("7200000")}}, "events.a"); err != nil {
		t.Fatal(err)
	}
	createTopic(t, src, "events.b", 1, nil)
	createTopic(t, src, "events.tmp", 1, nil)
	produce(t, src, &kgo.Record{Topic: "events.a", Partition: 3, Value: []byte("a-3")},
		&kgo.Record{Topic: "events.b", Value: []byte("b-0")}, &kgo.Record{Topic: "events.tmp", Value: []byte("tmp")})

	got := readAll(t, tgt, "east.events.a", 2)
	byPart := map[int32]string{}
	for _, rec := range got {
		byPart[rec.Partition] = string(rec.Value)
	}
	if len(got) != 2 || byPart[1] != "a-1" || byPart[3] != "a-3" {
		t.Fatalf("east.events.a holds %v by partition; want a-1 in 1 and a-3 in 3", byPart)
	}
	if got := values(readAll(t, tgt, "east.events.b", 1)); len(got) != 1 || got[0] != "b-0" {
		t.Fatalf("east.events.b holds %v", got)
	}
	tadm := kadm.NewClient(newClient(t, tgt))
	waitFor(t, "the config copied", func() bool {
		rcs, err := tadm.DescribeTopicConfigs(testCtx(t), "east.events.a")
		if err != nil {
			return false
		}
		rc, _ := rcs.On("east.events.a", nil)
		for _, c := range rc.Configs {
			if c.Key == "retention.ms" {
				return c.MaybeValue() == "7200000"
			}
		}
		return false
	})
	td, err := tadm.ListTopics(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if td.Has("east.events.tmp") || td.Has("events.a") {
		t.Fatalf("target topics %v: an excluded topic or an unprefixed name", td.Names())
	}
	if n := len(td["east.events.a"].Partitions); n != 4 {
		t.Fatalf("east.events.a has %d partitions; want 4", n)
	}
	if st := r.status(t); st.MirroredTopics != 2 {
		t.Fatalf("mirrored topics %d; want 2", st.MirroredTopics)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSameClusterRefused: two addresses of one broker pass the spec's
// checks (different strings) but not the link's: both advertise the same
// broker.
func TestSameClusterRefused(t *testing.T) {
	addr := startBroker(t)
	_, port, _ := net.SplitHostPort(addr)
	cfg := parse(t, addr, "localhost:"+port, `topics: {include: [x]}`)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	err := Run(ctx, cfg, Options{Log: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, ErrSameCluster) {
		t.Fatalf("Run = %v; want ErrSameCluster", err)
	}
}

// TestCleanRestartRepeatsNothing: a link stopped cleanly writes (or
// commits) its final positions; the next run continues there and writes
// nothing twice.
func TestCleanRestartRepeatsNothing(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactlyOnce=%v", eos), func(t *testing.T) {
			src, tgt := startBroker(t), startBroker(t)
			createTopic(t, src, "t", 2, nil)
			var recs []*kgo.Record
			for i := range 100 {
				recs = append(recs, &kgo.Record{Topic: "t", Partition: int32(i % 2), Value: []byte(strconv.Itoa(i))})
			}
			produce(t, src, recs[:60]...)
			cfg := parse(t, src, tgt, `topics: {include: [t]}`, fmt.Sprintf("exactlyOnce: %v", eos))
			r := start(t, cfg)
			readAll(t, tgt, "t", 60)
			if err := r.stop(t); err != nil {
				t.Fatal(err)
			}
			produce(t, src, recs[60:]...)
			start(t, cfg)
			got := readAll(t, tgt, "t", 100)
			if len(got) != 100 {
				t.Fatalf("target holds %d records after a clean restart; want 100", len(got))
			}
		})
	}
}

// TestFailover: `velo link failover` asks the running link to stop; it
// makes the final group sync and reports; it replicates no more, even when
// restarted, until the failover is cancelled.
func TestFailover(t *testing.T) {
	src, tgt := startBroker(t), startBroker(t)
	createTopic(t, src, "orders", 2, nil)
	var recs []*kgo.Record
	for i := range 40 {
		recs = append(recs, &kgo.Record{Topic: "orders", Partition: int32(i % 2), Value: []byte(strconv.Itoa(i))})
	}
	produce(t, src, recs...)
	// billing-1 consumed 15 and 7 records on the source.
	if _, err := kadm.NewClient(newClient(t, src)).CommitOffsets(testCtx(t), "billing-1", kadm.OffsetsFromRecords(
		kgo.Record{Topic: "orders", Partition: 0, Offset: 14}, kgo.Record{Topic: "orders", Partition: 1, Offset: 6})); err != nil {
		t.Fatal(err)
	}
	cfg := parse(t, src, tgt, `topics: {include: [orders]}`, `consumerGroups: {include: ["billing-.*"]}`, `syncInterval: 1h`)
	r := start(t, cfg)
	readAll(t, tgt, "orders", 40)

	rep, err := Failover(testCtx(t), cfg, FailoverOptions{Options: Options{Log: slog.New(slog.DiscardHandler), MappingEvery: 10}, Wait: waitLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != 1 || rep.Groups[0].Group != "billing-1" {
		t.Fatalf("report %+v", rep)
	}
	// Mapping points every 10 records: 15 -> 10, 7 -> 0 at worst, never
	// past the exact offsets.
	offs := rep.Groups[0].Offsets["orders"]
	if offs[0] > 15 || offs[1] > 7 || 15-offs[0] >= 20 || 7-offs[1] >= 20 {
		t.Fatalf("billing-1 resumes at %v; source committed 15 and 7", offs)
	}
	waitFor(t, "the link to report the failover", func() bool {
		st := r.status(t)
		return st.FailedOver && st.FailoverOffsets["billing-1"]["orders"][0] == offs[0]
	})

	// No more replication, also after a restart.
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	produce(t, src, &kgo.Record{Topic: "orders", Value: []byte("after")})
	r = start(t, cfg)
	waitFor(t, "the restarted link to stand failed over", func() bool { return r.status(t).FailedOver })
	// A failed-over link starts no replication at all (it mirrors no topic),
	// so the target has what it had.
	if st := r.status(t); st.MirroredTopics != 0 {
		t.Fatalf("the failed-over link mirrors %d topics", st.MirroredTopics)
	}
	if got := readAll(t, tgt, "orders", 40); len(got) != 40 {
		t.Fatalf("a failed-over link replicated: target holds %d records", len(got))
	}
	again, err := Failover(testCtx(t), cfg, FailoverOptions{Options: Options{Log: slog.New(slog.DiscardHandler)}, Wait: time.Second})
	if err != nil || !again.At.Equal(rep.At) {
		t.Fatalf("a second failover gave %+v, %v; want the first report", again, err)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}

	if err := CancelFailover(testCtx(t), cfg, Options{Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	start(t, cfg)
	if got := readAll(t, tgt, "orders", 41); len(got) != 41 {
		t.Fatalf("after cancelling the failover the target holds %d records; want 41", len(got))
	}
}

// TestFailoverWithoutRunningLink: no link answers, so `velo link failover`
// makes the final sync itself; spec.failover does the same at start.
func TestFailoverWithoutRunningLink(t *testing.T) {
	src, tgt := startBroker(t), startBroker(t)
	createTopic(t, src, "orders", 1, nil)
	var recs []*kgo.Record
	for i := range 30 {
		recs = append(recs, &kgo.Record{Topic: "orders", Value: []byte(strconv.Itoa(i))})
	}
	produce(t, src, recs...)
	cfg := parse(t, src, tgt, `topics: {include: [orders]}`, `consumerGroups: {include: ["billing-.*"]}`, `syncInterval: 1h`)
	r := start(t, cfg)
	readAll(t, tgt, "orders", 30)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if _, err := kadm.NewClient(newClient(t, src)).CommitOffsets(testCtx(t), "billing-2", kadm.OffsetsFromRecords(kgo.Record{Topic: "orders", Offset: 19})); err != nil {
		t.Fatal(err)
	}

	t.Run("velo link failover", func(t *testing.T) {
		var said []string
		rep, err := Failover(testCtx(t), cfg, FailoverOptions{
			Options: Options{Log: slog.New(slog.DiscardHandler), MappingEvery: 10}, Wait: 500 * time.Millisecond,
			Progress: func(m string) { said = append(said, m) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Groups[0].Offsets["orders"][0]; got != 20 {
			t.Fatalf("billing-2 resumes at %d; want 20 (a mapping point: exact)", got)
		}
		if !strings.Contains(strings.Join(said, "\n"), "making the final group sync here") {
			t.Fatalf("progress did not say the sync was made here: %q", said)
		}
	})
	t.Run("spec.failover with the source gone", func(t *testing.T) {
		if err := CancelFailover(testCtx(t), cfg, Options{Log: slog.New(slog.DiscardHandler)}); err != nil {
			t.Fatal(err)
		}
		down := parse(t, "127.0.0.1:1", tgt, `topics: {include: [orders]}`, `consumerGroups: {include: ["billing-.*"]}`, `syncInterval: 1h`, `failover: true`)
		r := start(t, down)
		// The report comes from the target alone: billing-2's offsets
		// as the last sync (the CLI's, above) committed them.
		waitFor(t, "the failover report", func() bool {
			st := r.status(t)
			return st.FailedOver && st.FailoverOffsets["billing-2"]["orders"][0] == 20
		})
	})
	t.Run("spec.failover", func(t *testing.T) {
		if err := CancelFailover(testCtx(t), cfg, Options{Log: slog.New(slog.DiscardHandler)}); err != nil {
			t.Fatal(err)
		}
		cfg2 := *cfg
		cfg2.Failover = true
		r := start(t, &cfg2)
		waitFor(t, "the failover report", func() bool {
			st := r.status(t)
			return st.FailedOver && st.FailoverOffsets["billing-2"]["orders"][0] == 20
		})
	})
}
