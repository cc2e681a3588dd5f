-- FULL OUTER join of two streams within two minutes. Matches are emitted
-- when the second row arrives; y (left) and q (right) never match and are
-- emitted with NULLs once the watermark (the slower stream's time) passes
-- their two minutes: when b reaches 00:11 and a is at 00:10, in the order
-- their intervals end (y at 00:03, q at 00:04).
SELECT a.k AS ak, a.v, b.k AS bk, b.w
FROM a FULL OUTER JOIN b ON a.k = b.k WITHIN INTERVAL '2' MINUTE
WITH ('a.event.time.field' = 'ts', 'b.event.time.field' = 'ts')
