"""Every feed's registration, one module per feed (or pair of feeds sharing a wire): each module
that registers feeds defines ``SPECS``, a tuple of ``feedspec.FeedSpec``.
``pmdash/registry.py`` loads every module here, so adding a feed adds a module and edits none.

The modules import no feed's code at import time: each factory imports its own modules when
called, so ``pmdash tail market`` loads neither Textual nor another feed's codec."""
