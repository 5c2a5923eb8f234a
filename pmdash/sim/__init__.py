"""The embedded exchange: serves every feed and REST endpoint on loopback.

Start it with ``pmdash.sim.runner``: ``start_exchange()`` (background thread),
``serve_exchange()`` (async context manager) or ``sim_main()`` (``pmdash sim``).

Modules: ``markets`` (generated binary markets), ``book`` (ground-truth books, NO mirrors YES),
``flow`` (the seeded order-flow process), ``wire`` (market-channel and /book payloads),
``gamma`` (Gamma Market/Event objects), ``exchange`` (rate, pause/step, ground truth),
``session`` (per-connection send queue), ``market_channel`` (``/ws/market``), ``rest``,
``control`` (``/sim/...`` HTTP control), ``faults``, ``server`` (one port, feeds by path).
"""
