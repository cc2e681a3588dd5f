-- A bounded table is loaded fully before the stream starts: C2's later row
-- replaces its first, and C3's "_deleted": true line deletes it. LEFT JOIN
-- keeps trades without a customer (deleted, unknown, or a NULL key) with
-- NULLs for the customer's columns.
CREATE TABLE customers WITH ('key.field' = 'id');
SELECT t.trade_id, t.customer_id, c.name, c.tier, t.amount
FROM trades t LEFT JOIN customers c ON t.customer_id = c.id
