"""pmdash: a keyboard-driven terminal dashboard for Polymarket's real-time feeds."""

__version__ = "0.1.0"
