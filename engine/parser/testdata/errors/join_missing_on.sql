SELECT * FROM orders o JOIN customers c WHERE o.amount > 1
