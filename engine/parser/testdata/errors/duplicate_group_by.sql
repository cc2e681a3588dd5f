SELECT symbol FROM trades GROUP BY symbol GROUP BY price
