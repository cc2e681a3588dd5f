package parser

import (
	"strings"
	"testing"
)

// query50 is a realistic 50-line script: a source declaration, a windowed
// aggregate with a join, OVER clauses, CASE and annotations.
const query50 = `-- @job_name: trade-analytics
-- @metric: trade_volume
CREATE STREAM trades (
    symbol VARCHAR(8),
    price DECIMAL(12, 4),
    quantity BIGINT,
    trader_id STRING,
    event_time TIMESTAMP
) WITH (
    'topic' = 'trades',
    'bootstrap.servers' = 'localhost:9092',
    'value.format' = 'json'
);

-- @metric_condition: SUM(quantity) > 0
CREATE STREAM trade_stats AS
SELECT
    t.symbol,
    p.trader_id,
    COUNT(*) AS trade_count,
    SUM(t.quantity) AS total_qty,
    SUM(t.quantity * t.price) AS notional,
    AVG(t.price) AS avg_price,
    MIN(t.price) AS low,
    MAX(t.price) AS high,
    STDDEV(t.price) AS volatility,
    PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY t.price) AS p95,
    LAG(t.price, 1) OVER (
        ROWS WINDOW BUFFER 100 ROWS
        PARTITION BY t.symbol
        ORDER BY t.event_time
    ) AS prev_price,
    CASE
        WHEN SUM(t.quantity) > 10000 THEN 'HIGH'
        WHEN SUM(t.quantity) > 1000 THEN 'MEDIUM'
        ELSE 'LOW'
    END AS volume_class,
    CAST(AVG(t.price) AS DECIMAL(12, 2)) AS avg_rounded,
    EXTRACT(HOUR FROM t.event_time) AS hour_of_day
FROM kafka://localhost:9092/trades t
JOIN positions p ON t.symbol = p.symbol AND p.active = TRUE
WHERE t.price > 0
  AND t.symbol IN ('AAPL', 'MSFT', 'GOOG', 'AMZN')
  AND t.quantity BETWEEN 1 AND 1000000
  AND p.trader_id IS NOT NULL
GROUP BY t.symbol, p.trader_id
WINDOW TUMBLING(t.event_time, INTERVAL '1' MINUTE)
HAVING COUNT(*) > 5 AND SUM(t.quantity) * AVG(t.price) >= 1000.50
EMIT CHANGES
WITH ('trade_stats.sink' = 'kafka://localhost:9092/stats');
`

func TestQuery50IsFiftyLinesAndClean(t *testing.T) {
	if n := strings.Count(query50, "\n"); n != 50 {
		t.Errorf("query50 has %d lines", n)
	}
	if s := mustParse(t, query50); len(s.Statements) != 2 {
		t.Errorf("%d statements", len(s.Statements))
	}
}

func init() { seed(query50) }

func BenchmarkParse50Lines(b *testing.B) {
	b.SetBytes(int64(len(query50)))
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := Parse(query50); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkLex50Lines(b *testing.B) {
	b.SetBytes(int64(len(query50)))
	b.ReportAllocs()
	for b.Loop() {
		lex(query50)
	}
}
