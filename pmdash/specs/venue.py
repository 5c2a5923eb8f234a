"""The ``--venue`` setting the CLOB market feed and the Polymarket US feeds share."""

from __future__ import annotations

from pmdash.feedspec import Choice

VENUE = Choice(
    flag="--venue",
    config_key="venue",
    choices=("clob", "us"),
    default="clob",
    help="clob (Polymarket, the default) or us (Polymarket US: --market takes its slugs)",
)
"""Which exchange the dashboard's markets are on: ``us`` runs the US feeds instead of the
CLOB's market feed (``markets`` are US slugs)."""
