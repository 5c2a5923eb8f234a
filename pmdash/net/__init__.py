"""The only package that does network I/O (websockets and HTTP)."""
