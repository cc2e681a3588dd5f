SELECT * FROM trades LIMIT ten
