SELECT order_id, amount, FROM orders
