"""The App composes what the registry gives it: a second feed (a small "notes" feed made here,
with its own event type, slice, controller and side panel group) plugs in with one spec and no
change to the App. Its group goes in the right-hand column at 160 columns; narrower, the column
is hidden, the footer lists the group's key, and the key shows it in place of the main panels.
A hidden group does no work, and catches up when shown."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from conftest import dashboard_app, market_group
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.live.controller import Controller, FeedContext
from pmdash.models import FeedError, FeedStatus, MarketInfo
from pmdash.registry import FeedSpec
from pmdash.state.store import Dirty, Slice, Store
from pmdash.widgets.group import Place

MARKET = MarketInfo("0xfed", "Will the Fed cut rates?", "fed", ("1" * 70, "2" * 70), ("Yes", "No"))
NOTES = "notes:list"


class Note(msgspec.Struct, frozen=True):
    feed: str
    text: str


class NotesState:
    """The notes feed's slice: the notes, in order."""

    feed = "notes"

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._dirty: set[str] = set()

    def bind(self, dirty: set[str]) -> None:
        self._dirty = dirty

    def routes(self) -> Mapping[type[Any], Callable[[Any], bool]]:
        return {Note: self._take}

    def distrust(self, error: FeedError) -> bool:
        return False

    def _take(self, note: Note) -> bool:
        self.notes.append(note.text)
        self._dirty.add(NOTES)
        return True


class NotesController:
    """No socket: the test puts the notes into the store."""

    feed = "notes"

    def __init__(self, ctx: FeedContext) -> None:
        self.store = ctx.store

    async def run(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def status(self) -> FeedStatus:
        return FeedStatus(feed="notes", state="live")

    def housekeep(self, now: float) -> None:
        return None


class NotesPanel(Vertical):
    """The notes, one line; counts the flushes it was given (the work a hidden one must not
    do)."""

    place: Place = "side"
    key = "n"
    title = "Notes"
    KEYS: list[Binding] = []

    def __init__(self, state: NotesState) -> None:
        super().__init__(id="notes")
        self.state = state
        self.flushes = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="notes-text")

    def on_mount(self) -> None:
        self.border_title = self.title

    def flush(self, dirty: Dirty, now: float) -> None:
        self.flushes += 1
        if NOTES in dirty.slices:
            self.show_all()

    def show_all(self) -> None:
        self.query_one("#notes-text", Static).update(" | ".join(self.state.notes) or "-")

    def focus_stops(self) -> list[Widget | None]:
        return []

    @property
    def text(self) -> str:
        return str(self.query_one("#notes-text", Static).render())


def _notes_spec() -> FeedSpec:
    made: list[NotesState] = []

    def slices(settings: Settings) -> list[Slice]:
        made.append(NotesState())
        return [made[-1]]

    def panels(controller: Controller, store: Store, settings: Settings) -> list[NotesPanel]:
        return [NotesPanel(store.slice(NotesState))]

    return FeedSpec(
        id="notes",
        title="Notes",
        path="/notes",
        url=lambda endpoints: "ws://127.0.0.1:9/notes",
        slices=slices,
        controller=NotesController,
        panels=panels,  # type: ignore[arg-type]
    )


def notes_app() -> PmdashApp:
    """The dashboard with the market feed (offline) and the notes feed beside it."""
    return dashboard_app([MARKET], refresh_hz=1.0, more_feeds=[_notes_spec()])


def notes_of(app: PmdashApp) -> NotesPanel:
    return app.query_one(NotesPanel)


async def until(pilot: Pilot[int], condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait (bounded) for a layout change to be laid out and painted."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {seconds} s"
        await pilot.pause(0.02)


async def test_a_side_group_sits_right_of_the_market_panels_at_160_columns() -> None:
    app = notes_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        notes = notes_of(app)
        group = market_group(app)
        assert notes.display and notes.region.width == 48
        assert notes.region.x >= group.region.right  # right of the list, ladder and tape
        assert group.ladder.region.width >= 40 and group.tape.display
        app.store.apply([Note(feed="notes", text="hello")])
        app.flush()
        await pilot.pause()
        assert notes.text == "hello"


async def test_a_hidden_side_group_does_no_work_and_its_key_shows_it_caught_up() -> None:
    app = notes_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        notes = notes_of(app)
        group = market_group(app)
        assert notes.region.width == 0  # its column is hidden below 160 columns
        footer = " ".join(
            str(key.render()) for key in app.screen.query("FooterKey")
        )
        assert "Notes" in footer  # the key that shows it
        before = notes.flushes
        app.store.apply([Note(feed="notes", text="a"), Note(feed="notes", text="b")])
        app.flush()
        app.flush()
        await pilot.pause()
        assert notes.flushes == before  # hidden: not called

        await pilot.press("n")
        await until(pilot, lambda: notes.region.width == 120 and notes.text == "a | b")
        # Caught up when shown.
        assert group.region.width == 0  # the main panels make room
        app.store.apply([Note(feed="notes", text="c")])
        app.flush()
        await until(pilot, lambda: notes.text == "a | b | c")

        await pilot.press("n")
        await until(pilot, lambda: notes.region.width == 0 and group.region.width == 120)


async def test_the_tape_is_one_key_away_at_80_columns() -> None:
    app = dashboard_app([MARKET])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        group = market_group(app)
        assert not group.tape.display and group.ladder.display
        await pilot.press("t")
        await until(pilot, lambda: group.tape.region.width > 40 and app.focused is group.tape)
        assert group.tape.display and not group.ladder.display
        await pilot.press("t")
        await until(pilot, lambda: group.ladder.region.width > 40)
        assert group.ladder.display and not group.tape.display


def test_dashboard_with_a_side_group_at_160x45(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see: at 160x45 the market list (28 columns), the header, a ladder of about
    48 columns and the trade tape (36), and on the right a 48-column column with the notes
    feed's group reading "a side group"; the status bar with both feeds live; the footer with
    n Notes among the keys."""
    from test_app_snapshot import LIVE, MARKETS, _events

    app = dashboard_app(MARKETS, events=_events(), status=LIVE, more_feeds=[_notes_spec()])
    app.store.apply([Note(feed="notes", text="a side group")])
    assert snap_compare(app, terminal_size=(160, 45))
