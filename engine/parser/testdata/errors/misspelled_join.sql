SELECT * FROM orders o JION customers c ON o.cid = c.id
