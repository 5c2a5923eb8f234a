"""Feed controllers: each feed's connection and housekeeping, without Textual (``controller``)."""
