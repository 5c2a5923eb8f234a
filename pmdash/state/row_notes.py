"""Notes another feed adds to a market's row in the market list (the sports feed: the live
score of the market's game and the price move since that score).

Pure. A slice that has such notes implements ``RowNotes``; the market list asks the Store for
one (``row_notes_of``) and shows its note on each row, without knowing which feed wrote it.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pmdash.state.store import Store


@dataclass(frozen=True, slots=True)
class RowNote:
    """What a market's row shows beside its price."""

    text: str
    """Short and printable (``73-70``)."""
    move: int | None = None
    """The price move since ``text`` last changed (micro-units); None: none known."""
    flash: bool = False
    """``text`` changed a moment ago: the row marks it."""


@runtime_checkable
class RowNotes(Protocol):
    def row_note(self, condition_id: str, now_ms: int) -> RowNote | None:
        """The note for this market's row now, or None."""
        ...

    def notes_changed(self, dirty: Set[str]) -> bool:
        """Whether these dirty keys may change a note."""
        ...


def row_notes_of(store: Store) -> RowNotes | None:
    """The slice of ``store`` that writes row notes, if any."""
    return store.find(RowNotes)  # type: ignore[type-abstract]  # a runtime-checkable Protocol
