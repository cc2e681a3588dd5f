package live

import (
	"runtime"
	rtmetrics "runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/connectors"
)

// BenchmarkHubFanout is the Studio's own share of the live fan-out: 20
// queries emitting 1,000 rows/s each (in-memory sources, no Kafka) with 5
// subscribers each, one of which reads nothing at all, for 5 seconds per
// iteration. It reports rows delivered per second, the rows the stalled
// subscribers were told they missed, and how much the live heap grew: the
// stalled readers must not make it grow. Run with -benchtime=1x.
func BenchmarkHubFanout(b *testing.B) {
	const queries, subscribers = 20, 5
	const window = 5 * time.Second
	sample := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	for b.Loop() {
		runtime.GC()
		rtmetrics.Read(sample)
		base := sample[0].Value.Uint64()
		h := NewHub(Limits{}, nil)
		var delivered atomic.Int64
		var wg sync.WaitGroup
		var stalled []*Subscriber
		for range queries {
			q, err := h.Start(spec(b, "SELECT symbol, n, ts FROM t", &feed{rate: 1000, interval: 10 * time.Millisecond, groups: 8}, true))
			if err != nil {
				b.Fatal(err)
			}
			for i := range subscribers {
				s := q.Subscribe()
				if i == 0 {
					stalled = append(stalled, s) // never read
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for msg := range s.C() {
						delivered.Add(rowCount(msg))
					}
				}()
			}
		}
		var peak uint64
		start := time.Now()
		for time.Since(start) < window {
			rtmetrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			time.Sleep(50 * time.Millisecond)
		}
		elapsed := time.Since(start)
		var missed int64
		for _, s := range stalled {
			missed += s.Dropped()
		}
		h.Close()
		wg.Wait()
		b.ReportMetric(float64(delivered.Load())/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(missed)/float64(len(stalled)), "dropped/stalled-subscriber")
		b.ReportMetric(float64(int64(peak)-int64(base))/(1<<20), "live-heap-growth-MB")
	}
}

var _ connectors.Source = (*feed)(nil)
