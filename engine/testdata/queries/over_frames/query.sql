-- Frames reaching following rows make a row wait for them, as LEAD does;
-- at the end of the input the frame holds what there is. A frame ending
-- before the current row is empty for the first row (SUM of nothing: NULL).
SELECT v,
       SUM(v) OVER (ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS s3,
       SUM(v) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before,
       SUM(v) OVER (ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) AS next2,
       LEAD(v, 2) OVER () AS lead2
FROM nums
