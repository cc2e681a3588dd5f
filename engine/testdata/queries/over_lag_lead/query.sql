-- LAG and LEAD per symbol. A row waits for the next row of its symbol
-- (LEAD); at the end of the input the rows still waiting are emitted with
-- LEAD's default. At each symbol's first row LAG has no row: NULL, or its
-- default (here the current price, so the first change is 0).
SELECT symbol, price,
       LAG(price) OVER (PARTITION BY symbol ORDER BY ts) AS prev,
       LEAD(price, 1, 0) OVER (PARTITION BY symbol ORDER BY ts) AS next_price,
       price - LAG(price, 1, price) OVER (PARTITION BY symbol ORDER BY ts) AS change
FROM quotes
