package link_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/test/kafkatest"
)

// feedRate is how fast the crash test's feed produces: a live stream the
// link follows, so it is always mid-run when it is killed.
const feedRate = 20_000

// feeder produces records {"seq":i} with key k-i to partition i%parts at
// about rate records per second until stopped.
type feeder struct {
	n    atomic.Int64
	stop chan struct{}
	done chan error
}

func startFeeder(t testing.TB, addr, topic string, parts, rate int) *feeder {
	t.Helper()
	cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(2*time.Millisecond))
	f := &feeder{stop: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		var first kgo.FirstErrPromise
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		per := rate / 100
		i := 0
	loop:
		for {
			select {
			case <-f.stop:
				break loop
			case <-tick.C:
			}
			for range per {
				cl.Produce(context.Background(), &kgo.Record{
					Topic: topic, Partition: int32(i % parts), Key: []byte("k-" + strconv.Itoa(i)),
					Value: fmt.Appendf(nil, `{"seq":%d}`, i),
				}, first.Promise())
				i++
			}
			f.n.Store(int64(i))
		}
		f.done <- first.Err()
	}()
	t.Cleanup(func() {
		select {
		case <-f.stop:
		default:
			close(f.stop)
			<-f.done
		}
	})
	return f
}

// Stop ends the feed once every record is acknowledged and returns how many
// were produced.
func (f *feeder) Stop(t testing.TB) int {
	t.Helper()
	close(f.stop)
	if err := <-f.done; err != nil {
		t.Fatalf("feed: %v", err)
	}
	return int(f.n.Load())
}

// TestKilledThreeTimes: a link following a live feed on a 3-partition topic
// is killed with SIGKILL three times at random points and started again;
// then the feed stops and the link drains. kcat reads both sides.
//
// At least once: every source record is on the target, in order, and the
// only repeats are, per partition and per kill, the records after the last
// position the link had written to its state topic before it died: the
// target partition is src[0:a1] + src[r1:a2] + src[r2:a3] + src[r3:] where
// r_k is that position and r_k <= a_k. Exactly once: the target partition
// is the source partition, with no repeat at all (kcat reads committed).
func TestKilledThreeTimes(t *testing.T) {
	for _, mode := range []string{"at-least-once", "exactly-once"} {
		t.Run(mode, func(t *testing.T) { killedThreeTimes(t, mode == "exactly-once") })
	}
}

func killedThreeTimes(t *testing.T, eos bool) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	src := kafkatest.StartBroker(t)
	tgt := kafkatest.StartBroker(t)
	const topic, parts = "crash.orders", 3
	createTopic(t, src.Addr(), topic, parts, nil)
	feed := startFeeder(t, src.Addr(), topic, parts, feedRate)
	cfg := linkYAML(t, "crash", src.Addr(), tgt.Addr(),
		`topics: {include: ["crash\\..*"]}`, `syncInterval: 1s`, fmt.Sprintf("exactlyOnce: %v", eos))
	stateTopic := "__velo_link.crash"

	var stateEnds []int64 // the state topic's end after each kill
	for kill := 1; kill <= 3; kill++ {
		lk := startLink(t, cfg)
		from := targetSize(t, tgt.Addr(), topic)
		waitUntil(t, lk, "progress", func() bool { return targetSize(t, tgt.Addr(), topic) >= from+30_000 })
		time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond)
		lk.kill()
		end := endOffsets(t, tgt.Addr(), stateTopic)[0]
		stateEnds = append(stateEnds, end)
		t.Logf("kill %d: target held %d records (from %d at start)", kill, targetSize(t, tgt.Addr(), topic), from)
	}
	lk := startLink(t, cfg)
	n := feed.Stop(t)
	waitUntil(t, lk, "the link to drain", func() bool {
		st, _ := lk.scrape()
		return len(st.Topics) == 1 && st.Topics[0].LagRecords == 0 && targetSize(t, tgt.Addr(), topic) >= int64(n)
	})
	lk.stop()

	source := byPartition(kafkatest.Consume(t, src.Addr(), topic, n, waitLimit))
	if eos {
		// Aborted transactions leave offsets behind (their records and
		// markers); what kcat reads, committed, must be the source exactly.
		target := byPartition(kafkatest.Consume(t, tgt.Addr(), topic, n, waitLimit))
		for p := range int32(parts) {
			if !samePayloads(source[p], target[p]) {
				t.Fatalf("partition %d: the target (%d records) is not the source (%d records) exactly", p, len(target[p]), len(source[p]))
			}
		}
		t.Logf("%d records fed; exactly once: no repeats", n)
		return
	}
	got := kafkatest.Consume(t, tgt.Addr(), topic, int(targetSize(t, tgt.Addr(), topic)), waitLimit)
	resume := resumePoints(t, tgt.Addr(), stateTopic, topic, stateEnds)
	target := byPartition(got)
	dups := 0
	for p := range int32(parts) {
		d := checkRepeats(t, p, source[p], target[p], resume[p])
		dups += d
	}
	t.Logf("%d records fed, %d on the target: %d repeated after the three kills", n, len(got), dups)
}

// targetSize is the number of offsets written to topic on addr.
func targetSize(t testing.TB, addr, topic string) int64 {
	if !topicExists(t, addr, topic) {
		return 0
	}
	return total(endOffsets(t, addr, topic))
}

func byPartition(recs []kafkatest.KcatRecord) map[int32][]kafkatest.KcatRecord {
	out := map[int32][]kafkatest.KcatRecord{}
	for _, r := range recs {
		out[r.Partition] = append(out[r.Partition], r)
	}
	return out
}

func samePayloads(a, b []kafkatest.KcatRecord) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Payload != b[i].Payload || a[i].Key != b[i].Key {
			return false
		}
	}
	return true
}

// resumePoints reads, for each kill, the position of each partition of
// topic that the link had written to its state topic before it died:
// where the next life resumed.
func resumePoints(t testing.TB, addr, stateTopic, topic string, ends []int64) map[int32][]int64 {
	t.Helper()
	recs := kafkatest.Consume(t, addr, stateTopic, int(endOffsets(t, addr, stateTopic)[0]-countControl(t, addr, stateTopic)), waitLimit)
	out := map[int32][]int64{}
	for p := range int32(3) {
		key := fmt.Sprintf("p/%s/%d", topic, p)
		for _, end := range ends {
			pos := int64(0)
			for _, r := range recs {
				if r.Key == key && r.Offset < end && !r.Null {
					var v struct{ S int64 }
					if err := json.Unmarshal([]byte(r.Payload), &v); err != nil {
						t.Fatalf("state record %s: %v", r.Payload, err)
					}
					pos = v.S
				}
			}
			out[p] = append(out[p], pos)
		}
	}
	return out
}

// countControl counts the transaction markers of a partition-0 topic: the
// start records are written in transactions, whose markers take offsets.
func countControl(t testing.TB, addr, topic string) int64 {
	t.Helper()
	cl := client(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}), kgo.KeepControlRecords(), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	end := endOffsets(t, addr, topic)[0]
	var n, next int64
	for next < end {
		fs := cl.PollFetches(ctx(t))
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			next = r.Offset + 1
			if r.Attrs.IsControl() {
				n++
			}
		})
	}
	return n
}

// checkRepeats walks a target partition against its source partition: the
// target must be the source in order, except that after a kill it may go
// back to the position the link had stored before that kill (and only
// there). It returns the number of repeated records.
func checkRepeats(t testing.TB, p int32, src, tgt []kafkatest.KcatRecord, resume []int64) int {
	t.Helper()
	index := make(map[string]int, len(src))
	for i, r := range src {
		index[r.Payload] = i
	}
	next, dups, kill := 0, 0, 0
	var notes []string
	for i, r := range tgt {
		j, ok := index[r.Payload]
		if !ok {
			t.Fatalf("partition %d: target record %d (%s) is not in the source", p, i, r.Payload)
		}
		if j == next {
			next++
			continue
		}
		if j > next {
			t.Fatalf("partition %d: target record %d is source record %d; records %d..%d are missing", p, i, j, next, j-1)
		}
		// A rewind: it must go back to a stored position of a later kill.
		for kill < len(resume) && int64(j) != resume[kill] {
			kill++
		}
		if kill == len(resume) {
			t.Fatalf("partition %d: target record %d goes back to source record %d; the stored positions before the kills were %v", p, i, j, resume)
		}
		notes = append(notes, fmt.Sprintf("kill %d: back from %d to %d (%d repeated)", kill+1, next, j, next-j))
		dups += next - j
		kill++
		next = j + 1
	}
	if next != len(src) {
		t.Fatalf("partition %d: the target reached source record %d of %d", p, next, len(src))
	}
	t.Logf("partition %d: %s", p, strings.Join(append(notes, fmt.Sprintf("%d repeated", dups)), "; "))
	return dups
}
