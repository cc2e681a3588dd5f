SELECT price FROM trades t garbage more
