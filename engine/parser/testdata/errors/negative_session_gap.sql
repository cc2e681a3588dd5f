SELECT user_id, COUNT(*) FROM events GROUP BY user_id WINDOW SESSION('-5 minutes')
