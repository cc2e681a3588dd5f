-- Ranking by event time per game: rows with equal times tie in RANK (which
-- then skips) and DENSE_RANK (which does not); ROW_NUMBER counts rows.
SELECT game, player,
       ROW_NUMBER() OVER (PARTITION BY game ORDER BY ts) AS rn,
       RANK() OVER (PARTITION BY game ORDER BY ts) AS rnk,
       DENSE_RANK() OVER (PARTITION BY game ORDER BY ts) AS drnk
FROM plays
