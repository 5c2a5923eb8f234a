"""The only package that does network I/O (WebSocket clients and HTTP); the embedded
exchange in ``pmdash.sim`` serves on loopback."""
