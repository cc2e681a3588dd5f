-- A table keyed by two columns, joined on both (written in another order).
-- 2.0 equals 2, so trade 4 finds customer eu/2.
CREATE TABLE customers WITH ('key.field' = 'region, id');
SELECT t.n, c.name
FROM trades t JOIN customers c ON t.cust = c.id AND t.region = c.region
