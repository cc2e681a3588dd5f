SELECT * WHERE amount > 100
