INSERT INTO output_stream SELECT * FROM input_stream
