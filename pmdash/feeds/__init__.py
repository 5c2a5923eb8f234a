"""Sans-I/O codecs, one module per feed: text frames in, typed events out."""
