-- Moving aggregates per symbol, in arrival order (no ORDER BY): over the
-- current row and the two before it, over Velostream's buffer of the last
-- two rows, and (no frame) over every row so far.
SELECT symbol, price,
       AVG(price) OVER (PARTITION BY symbol ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS avg3,
       SUM(price) OVER (PARTITION BY symbol ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS sum3,
       MIN(price) OVER (PARTITION BY symbol ROWS WINDOW BUFFER 2 ROWS) AS min2,
       MAX(price) OVER (PARTITION BY symbol ROWS WINDOW BUFFER 2 ROWS) AS max2,
       COUNT(*) OVER (PARTITION BY symbol) AS n
FROM quotes
