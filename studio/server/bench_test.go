package server

import (
	"context"
	"encoding/json"
	"runtime/metrics"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/studio/server/core"
)

// validate50 is a 50-line query over the demo streams: annotations, a
// WHERE with CASE and functions, a windowed aggregation.
var validate50 = strings.TrimSpace(`
-- Trading desk summary per symbol and venue, every minute.
-- @metric: desk_volume
-- @metric_type: counter
-- @metric_help: Shares traded per symbol and venue
-- @metric_labels: symbol, venue
-- @metric_field: volume
-- @metric: desk_avg_price
-- @metric_type: gauge
-- @metric_labels: symbol, venue
-- @metric_field: avg_price
-- @alert: desk_volume > 5000000
-- @alert_name: DeskVolumeHigh
-- @alert_for: 5m
SELECT
    symbol,
    venue,
    COUNT(*)                                    AS trades,
    SUM(quantity)                               AS volume,
    ROUND(AVG(price), 4)                        AS avg_price,
    MIN(price)                                  AS low,
    MAX(price)                                  AS high,
    MAX(price) - MIN(price)                     AS spread,
    SUM(CASE WHEN side = 'BUY' THEN quantity
             ELSE 0 END)                        AS bought,
    SUM(CASE WHEN side = 'SELL' THEN quantity
             ELSE 0 END)                        AS sold,
    SUM(price * quantity)                       AS notional,
    COUNT(DISTINCT customer_id)                 AS customers,
    SUM(CASE WHEN quantity >= 1000 THEN 1
             ELSE 0 END)                        AS block_trades,
    ROUND(SUM(price * quantity)
          / SUM(quantity), 4)                   AS vwap
FROM trades
WHERE quantity > 0
  AND price BETWEEN 1 AND 100000
  AND side IN ('BUY', 'SELL')
  AND venue <> 'TEST'
  AND UPPER(symbol) = symbol
  AND LENGTH(customer_id) > 2
  AND customer_id LIKE 'C-%'
  AND (quantity < 1000000
       OR venue = 'NASDAQ')
  AND price * quantity < 1000000000
  AND COALESCE(venue, 'UNKNOWN') <> ''
  AND symbol NOT IN ('TEST1',
                     'TEST2')
GROUP BY symbol, venue
WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)
HAVING COUNT(*) > 0
EMIT CHANGES`)

func quantiles(d []time.Duration) (p50, p99 time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2], d[len(d)*99/100]
}

// BenchmarkValidate50Lines is POST /api/v1/validate of a 50-line query,
// over HTTP on loopback: the editor's as-you-type check. Target: p99
// under 20 ms.
func BenchmarkValidate50Lines(b *testing.B) {
	if n := strings.Count(validate50, "\n") + 1; n != 50 {
		b.Fatalf("the query has %d lines", n)
	}
	e := newEnv(b, envOpts{catalogOnly: true})
	body, _ := json.Marshal(SQLBody{SQL: validate50})
	// Check it is valid (an error answer would be faster and prove nothing).
	var v core.Validation
	status, raw := e.do("POST", "/api/v1/validate", string(body))
	if status != 200 || json.Unmarshal(raw, &v) != nil || !v.Valid {
		b.Fatalf("%d %s", status, raw)
	}
	client := e.srv.Client()
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		resp, err := client.Post(e.srv.URL+"/api/v1/validate", "application/json", strings.NewReader(string(body)))
		if err != nil {
			b.Fatal(err)
		}
		var v core.Validation
		json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		durs = append(durs, time.Since(start))
		if !v.Valid {
			b.Fatal("invalid")
		}
	}
	b.StopTimer()
	p50, p99 := quantiles(durs)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

// BenchmarkFirstRowsLive is the time from POST /api/v1/queries of a live
// demo query to its first rows arriving on a WebSocket client, with the
// demo feeding at its default rates. Target: under 500 ms.
func BenchmarkFirstRowsLive(b *testing.B) {
	e := newEnv(b, envOpts{demo: true})
	wsURL := "ws" + strings.TrimPrefix(e.srv.URL, "http")
	durs := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		status, raw := e.do("POST", "/api/v1/queries", map[string]string{"sql": "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol WINDOW TUMBLING(INTERVAL '5' MINUTE) EMIT CHANGES"})
		var q QueryCreated
		if status != 201 || json.Unmarshal(raw, &q) != nil {
			b.Fatalf("%d %s", status, raw)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, _, err := websocket.Dial(ctx, wsURL+q.Stream, nil)
		if err != nil {
			b.Fatal(err)
		}
		c.SetReadLimit(1 << 24)
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(string(msg), `{"type":"rows"`) {
				break
			}
		}
		durs = append(durs, time.Since(start))
		c.Close(websocket.StatusNormalClosure, "")
		cancel()
	}
	p50, p99 := quantiles(durs)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

// BenchmarkLiveFanout runs 20 live queries over the demo's trades (fed at
// 1,000 records/s, so each query emits 1,000 rows/s) with 5 WebSocket
// subscribers each, for 15 seconds per iteration, and reports the rows
// delivered per second, the rows subscribers missed, and the process's
// peak live heap (broker, feeder and Kafka clients included). Run it with
// -benchtime=1x.
func BenchmarkLiveFanout(b *testing.B) {
	const queries, subscribers, rate = 20, 5, 1000
	const window = 15 * time.Second
	e := newEnv(b, envOpts{demo: true, rates: map[string]int{demo.Trades: rate, demo.Transactions: 0, demo.Clicks: 0}})
	wsURL := "ws" + strings.TrimPrefix(e.srv.URL, "http")
	for b.Loop() {
		var delivered, dropped atomic.Int64
		ctx, cancel := context.WithTimeout(context.Background(), window+10*time.Second)
		var wg sync.WaitGroup
		var conns []*websocket.Conn
		var mu sync.Mutex
		for range queries {
			status, raw := e.do("POST", "/api/v1/queries", map[string]string{"sql": "SELECT symbol, price, quantity, side, customer_id FROM trades"})
			var q QueryCreated
			if status != 201 || json.Unmarshal(raw, &q) != nil {
				b.Fatalf("%d %s", status, raw)
			}
			for range subscribers {
				c, _, err := websocket.Dial(ctx, wsURL+q.Stream, nil)
				if err != nil {
					b.Fatal(err)
				}
				c.SetReadLimit(1 << 24)
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						_, msg, err := c.Read(ctx)
						if err != nil {
							return
						}
						var m struct {
							Type    string `json:"type"`
							Count   int64  `json:"count"`
							Dropped int64  `json:"dropped"`
						}
						json.Unmarshal(msg, &m)
						switch m.Type {
						case "rows":
							delivered.Add(m.Count)
						case "metrics":
							dropped.Store(max(dropped.Load(), m.Dropped))
						}
					}
				}()
			}
		}
		// The live heap (what the last GC kept) shows what is retained;
		// HeapInuse would also count garbage not yet collected.
		var peak uint64
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		start := time.Now()
		for time.Since(start) < window {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			time.Sleep(100 * time.Millisecond)
		}
		got := delivered.Load()
		elapsed := time.Since(start)
		for _, c := range conns {
			c.Close(websocket.StatusNormalClosure, "")
		}
		cancel()
		wg.Wait()
		b.ReportMetric(float64(got)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(got)/elapsed.Seconds()/float64(queries*subscribers), "rows/s/subscriber")
		b.ReportMetric(float64(dropped.Load()), "max-dropped")
		b.ReportMetric(float64(peak)/(1<<20), "peak-live-heap-MB")
	}
}
