SELECT * FROM orders GROUP BY customer_id WHERE amount > 100
