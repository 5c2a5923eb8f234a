"""The embedded exchange: serves every feed and REST endpoint on loopback."""
