"""Pure reducers: events in, books, tapes and statuses out. No I/O."""
