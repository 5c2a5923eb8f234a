"""What a panel group is to the App: the widgets of one feed, laid out together.

A feed's ``FeedSpec.panels`` makes its groups. Each group is a Textual container widget that
composes its panels and turns the feed's state into frozen view data (``widgets/data.py``) for
them; the App places it by ``place`` (``main``: the centre; ``side``: the right-hand column at
160 columns and up), and on its flush timer calls ``flush`` on every group that is shown, inside
one ``batch_update()``. A hidden group is not called (it does no work); when it is shown again
the App calls ``show_all`` and it catches up from the state.

``KEYS`` are keys that act on the group from anywhere (bound on the App as
``panel('<group id>', '<action>')``, so they work with no panel focused); ``key`` shows a group
the layout hid (``side`` groups below 160 columns) in place of the main ones, and again goes
back; the footer lists it.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from textual.binding import Binding
from textual.widget import Widget

from pmdash.latency import LatencyWindow
from pmdash.state.store import Dirty

Place = Literal["main", "side"]


class Dashboard(Protocol):
    """What a group may ask of the App that holds it."""

    refresh_hz: float
    latency: LatencyWindow
    """Screen latency of the main group's fast panels (the status bar shows its p99)."""

    def record_latency(self, oldest: float, newest: float | None, live: bool) -> None:
        """After a refresh that showed frames from ``oldest`` to ``newest`` (``perf_counter``
        stamps); ``live``: the first full frame counts from here."""
        ...


@runtime_checkable
class PanelGroup(Protocol):
    """One feed's panels (see the module docstring). Implemented by a container ``Widget``."""

    place: Place
    key: str
    """The key that shows the group when the layout hides it (``""``: always shown)."""
    title: str
    KEYS: list[Binding]

    def flush(self, dirty: Dirty, now: float) -> None:
        """Push what ``dirty`` says changed into the panels (``now``: ``perf_counter``)."""
        ...

    def show_all(self) -> None:
        """Show everything from the state now (after being hidden, or a key press)."""
        ...

    def focus_stops(self) -> list[Widget | None]:
        """The panels ``tab`` goes through, in order, that are on screen now (``None``: a
        stop with no panel focused)."""
        ...
