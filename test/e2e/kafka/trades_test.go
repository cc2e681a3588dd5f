package kafka_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The crash and restart tests read a stream of trades and check a tumbling
// aggregation against totals computed here, in plain Go, from the same
// generator: an expectation that does not come from the engine.

var symbols = []string{"AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "AMD", "INTC", "ORCL", "IBM", "CSCO"}

// tradeBase is the event time of trade 0; trade i happens i ms later, so
// each symbol's trades are in time order (and so is each partition, since
// a symbol is a key).
var tradeBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

type trade struct {
	symbol string
	cents  int64 // price in cents, written with 2 decimals
	qty    int64
	ts     int64 // epoch ms
}

func genTrade(i int) trade {
	return trade{
		symbol: symbols[(i*7+i/13)%len(symbols)],
		cents:  10_000 + int64((i*37)%50_000),
		qty:    1 + int64((i*11)%500),
		ts:     tradeBase.UnixMilli() + int64(i),
	}
}

// line is the trade as kcat input: KEY|JSON.
func (t trade) line() string {
	return fmt.Sprintf(`%s|{"symbol":"%s","price":%d.%02d,"quantity":%d,"side":"BUY","venue":"XNAS","ts":%d}`,
		t.symbol, t.symbol, t.cents/100, t.cents%100, t.qty, t.ts)
}

func tradeLines(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = genTrade(i).line()
	}
	return out
}

// windowQuery is the query the crash and restart tests run.
const windowQuery = `SELECT symbol, COUNT(*) AS trades, SUM(quantity) AS volume, MIN(price) AS low, MAX(price) AS high
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '5' SECOND)`

// windowRow is one expected result row of windowQuery.
type windowRow struct {
	trades, volume int64
	low, high      int64 // cents
}

// expectedWindows computes windowQuery's rows over trades 0..n-1, keyed by
// window start (RFC 3339 as the engine writes it) and symbol.
func expectedWindows(n int) map[string]windowRow {
	out := map[string]windowRow{}
	for i := range n {
		t := genTrade(i)
		start := time.UnixMilli(t.ts - t.ts%5_000).UTC().Format("2006-01-02T15:04:05.000Z")
		k := start + " " + t.symbol
		r, ok := out[k]
		if !ok {
			r.low, r.high = t.cents, t.cents
		}
		r.trades++
		r.volume += t.qty
		r.low, r.high = min(r.low, t.cents), max(r.high, t.cents)
		out[k] = r
	}
	return out
}

// parseWindowRow reads a row windowQuery wrote, returning its key.
func parseWindowRow(t testing.TB, payload string) (string, windowRow) {
	t.Helper()
	var m struct {
		Symbol      string      `json:"symbol"`
		Trades      int64       `json:"trades"`
		Volume      int64       `json:"volume"`
		Low         json.Number `json:"low"`
		High        json.Number `json:"high"`
		WindowStart string      `json:"window_start"`
	}
	d := json.NewDecoder(strings.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("output row %s: %v", payload, err)
	}
	return m.WindowStart + " " + m.Symbol, windowRow{trades: m.Trades, volume: m.Volume, low: cents(t, m.Low), high: cents(t, m.High)}
}

func cents(t testing.TB, n json.Number) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(n.String(), ".")
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt((frac + "00")[:2], 10, 64)
	if err1 != nil || err2 != nil || len(strings.TrimRight(frac, "0")) > 2 {
		t.Fatalf("price %s is not a number of cents", n)
	}
	return w*100 + f
}

// checkWindows compares output rows with the expectation: the last row of
// each (window, symbol) must equal it, every row emitted must be right (a
// row emitted twice across a crash is the same row), and no window may be
// missing or extra.
func checkWindows(t testing.TB, payloads []string, want map[string]windowRow) {
	t.Helper()
	last := map[string]windowRow{}
	wrong := 0
	for _, p := range payloads {
		k, r := parseWindowRow(t, p)
		if w, ok := want[k]; ok && r != w {
			if wrong < 5 {
				t.Errorf("row for %s is %+v, want %+v", k, r, w)
			}
			wrong++
		}
		last[k] = r
	}
	if wrong > 0 {
		t.Errorf("%d of %d rows are wrong", wrong, len(payloads))
	}
	var missing, extra []string
	for k, w := range want {
		if r, ok := last[k]; !ok {
			missing = append(missing, k)
		} else if r != w {
			t.Errorf("last row for %s is %+v, want %+v", k, r, w)
		}
	}
	for k := range last {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("%d windows missing, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	if len(extra) > 0 {
		t.Errorf("%d windows that should not exist, e.g. %v", len(extra), extra[:min(5, len(extra))])
	}
}
