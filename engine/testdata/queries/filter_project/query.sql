-- Row-by-row queries keep their input's order; decimal products are exact.
SELECT symbol,
       price * quantity AS notional,
       UPPER(side) AS side,
       CASE WHEN quantity >= 100 THEN 'big' ELSE 'small' END AS size
FROM trades
WHERE price > 100 AND symbol IN ('AAPL', 'MSFT')
