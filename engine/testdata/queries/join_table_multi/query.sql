-- Two joins in one query, the first with the table on the left: an order
-- needs its customer (order 3 has none and is dropped) and keeps its row
-- when the product is unknown (order 2: NULL title and total).
CREATE TABLE customers WITH ('customers.key.field' = 'id');
CREATE TABLE products WITH ('key.field' = 'sku');
SELECT o.order_id, c.name, p.title, o.qty * p.price AS total
FROM customers c
JOIN orders o ON c.id = o.customer_id
LEFT JOIN products p ON o.sku = p.sku
