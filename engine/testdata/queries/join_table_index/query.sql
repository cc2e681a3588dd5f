-- Joining on a table column that is not its key: the table keeps the
-- latest row per id, and the join finds every current row with the email.
-- a@x belongs to C1 and C3 (two rows out); C2 moved from b@x to c@x; a
-- NULL email matches nothing.
CREATE TABLE customers WITH ('key.field' = 'id');
SELECT t.n, c.id, c.name
FROM trades t LEFT JOIN customers c ON t.email = c.email
