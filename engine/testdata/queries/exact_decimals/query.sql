-- Integers and fractions mix in one column, as real feeds do; SUM and AVG
-- stay exact (0.1 + 0.2 + 0.3 is 0.6, not 0.6000000000000001).
SELECT COUNT(*) AS n, SUM(price) AS total, AVG(price) AS mean, MIN(price) AS low, MAX(price) AS high
FROM prices
WINDOW TUMBLING(ts, INTERVAL '1' DAY)
