-- WHERE after a LEFT JOIN: the condition on the trade is applied before the
-- lookup (trades 2 and 4 are dropped there), the one on the customer after
-- it; a trade without a customer has a NULL tier.
CREATE TABLE customers WITH ('key.field' = 'id');
SELECT t.n, c.tier
FROM trades t LEFT JOIN customers c ON t.cust = c.id
WHERE t.amount >= 10 AND (c.tier IS NULL OR c.tier <> 'silver')
