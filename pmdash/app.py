"""The Textual App: owns the feed controllers, the Store and the flush timer.

The App names no feed: it takes the feeds from ``registry.FEEDS`` (or the ones it is given),
builds each one's slices into one ``Store``, starts one worker per controller, and composes the
panel groups each feed makes (``widgets.group.PanelGroup``) where they say they go: ``main``
groups in the centre, ``side`` groups in a right-hand column (no column while no group goes
there). Below ``SIDE_MIN_WIDTH`` columns the side column is hidden; each side group's key shows
it in place of the main groups, and again goes back. The footer lists those keys.

Frames go into the Store as they arrive (no Textual message per frame); a timer at a fixed rate
lets each controller do its housekeeping, takes what changed and has every group on screen push
it into its panels inside one ``batch_update()``. A hidden group does no work; shown again it
catches up from the state (``show_all``). The status bar follows feed state changes at once and
its ages once a second.

``q``, ``ctrl+c`` and ``ctrl+q`` quit from any screen (Textual's own ``ctrl+c`` only says to
press ``ctrl+q``); the footer (``KeyFooter``) lists ``q`` and ``?`` first.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.latency import LatencyWindow
from pmdash.live.controller import Controller, FeedContext
from pmdash.models import FeedStatus, MarketInfo
from pmdash.net.wsclient import exc_text
from pmdash.registry import FeedSpec, enabled_feeds, read_credentials
from pmdash.state.store import STATUS, Store
from pmdash.widgets._screen import DashboardScreen
from pmdash.widgets.footer import KeyFooter
from pmdash.widgets.group import PanelGroup
from pmdash.widgets.help_screen import HelpScreen
from pmdash.widgets.status_bar import FeedStatusBar

STATUS_INTERVAL_S = 1.0
"""The status bar's clock (ages, rates); feed state changes show at the next flush."""
GC_INTERVAL_S = 0.25
"""How often the App runs a full collection of what it created after start-up (see _manage_gc)."""
GC_THRESHOLD_FULL = 100
"""Young collections between automatic full ones: only a safety net once the App runs its own."""
GC_THRESHOLD_YOUNG = 10_000
"""Tracked objects (allocations minus frees) between young collections once the App runs.
Python's 700 made 70 young collections a second at 5,000 msg/s (about 25 ms of CPU a second);
at 10,000 there is one every second or two, and a young collection still frees the cycles
among the objects it walks."""


class PmdashApp(App[int]):
    """pmdash's dashboard."""

    CSS_PATH = str(Path(__file__).parent / "styles.tcss")
    TITLE = "pmdash"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("tab", "focus_next", "Focus", priority=True),
        Binding("shift+tab", "focus_previous", "Focus", show=False, priority=True),
    ]

    status_bar: FeedStatusBar

    def __init__(
        self,
        endpoints: Endpoints,
        markets: Sequence[MarketInfo],
        *,
        settings: Settings | None = None,
        refresh_hz: float | None = None,
        feeds: Sequence[FeedSpec] | None = None,
    ) -> None:
        super().__init__()
        settings = settings or Settings()
        self.settings = settings
        self.refresh_hz = refresh_hz or settings.refresh_hz
        specs = list(feeds) if feeds is not None else enabled_feeds(settings)
        self.store = Store(one for spec in specs for one in spec.slices(settings))
        self.controllers: dict[str, Controller] = {}
        self.groups: list[PanelGroup] = []
        for spec in specs:
            ctx = FeedContext(
                store=self.store,
                endpoints=endpoints,
                settings=settings,
                markets=markets,
                credentials=read_credentials(spec, settings),
            )
            controller = spec.controller(ctx)
            self.controllers[spec.id] = controller
            if spec.panels is not None:
                self.groups.extend(spec.panels(controller, self.store, settings))
        self.endpoints = endpoints
        self.latency = LatencyWindow()
        """Main panels: oldest frame folded into a flush -> the screen refresh after it (an
        upper bound of each frame's latency; the status bar shows its p99)."""
        self.latency_newest = LatencyWindow()
        """The same flushes measured from their newest frame (a lower bound)."""
        self.first_frame_at: float | None = None
        self._gc_thresholds = gc.get_threshold()
        self._behind: set[int] = set()
        """Groups (by id()) that were hidden while their state changed: caught up when shown."""
        self._solo: PanelGroup | None = None
        """The side group shown in place of the main ones on a narrow terminal, or None."""
        for group in self.groups:
            for binding in group.KEYS:
                self.bind(
                    binding.key,
                    f"panel({self.groups.index(group)}, {binding.action!r})",
                    description=binding.description,
                    show=binding.show,
                    key_display=binding.key_display,
                )
            if group.key:
                self.bind(
                    group.key,
                    f"show_group({self.groups.index(group)})",
                    description=group.title,
                )

    # -- layout -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return DashboardScreen(id="_default")

    def compose(self) -> ComposeResult:
        side = [g for g in self.groups if g.place == "side"]
        with Horizontal(id="body", classes="-with-side" if side else ""):
            for group in self.groups:
                if group.place == "main":
                    yield group  # type: ignore[misc]  # a PanelGroup is a Widget
            if side:
                with Vertical(id="side"):
                    for group in side:
                        yield group  # type: ignore[misc]
        yield FeedStatusBar(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.status_bar = self.query_one(FeedStatusBar)
        self.start_feeds()
        self._catch_sigterm(True)
        self.set_interval(1 / self.refresh_hz, self.flush)
        self.set_interval(STATUS_INTERVAL_S, self.refresh_status)
        self.set_interval(GC_INTERVAL_S, self._manage_gc)
        for group in self.groups:
            group.show_all()
        self.refresh_status()
        self._focus_first()
        self.call_after_refresh(self._show_warnings)

    def _show_warnings(self) -> None:
        """What the settings warn of (a config file with credentials others can read), as
        toasts once the screen is up (one posted earlier would not be shown)."""
        for warning in self.settings.warnings:
            self.notify(warning, title="Warning", severity="warning", timeout=30, markup=False)

    def start_feeds(self) -> None:
        """One async worker per feed; a failing feed never takes the App down."""
        for feed, controller in self.controllers.items():
            self.run_worker(
                controller.run(), name=f"feed:{feed}", group="feeds", exit_on_error=False
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A feed worker that dies says so: its status turns failed (red) with the error's
        type and text (the connection's own texts carry no secret); the other workers, and
        the screen, run on."""
        worker = event.worker
        feed = worker.name.removeprefix("feed:")
        if event.state != WorkerState.ERROR or feed not in self.controllers:
            return
        error = worker.error
        why = exc_text(error) if error is not None else "no error given"
        self.controllers[feed].mark_failed(f"feed worker died: {why}")
        self.refresh_status()

    def _focus_first(self) -> None:
        for group in self.groups:
            stops = [s for s in group.focus_stops() if s is not None]
            if stops:
                stops[0].focus()
                return

    def _shown(self, group: PanelGroup) -> bool:
        """Whether ``group`` is on screen (neither it nor its column hidden)."""
        widget: Widget | None = group  # type: ignore[assignment]
        while widget is not None and widget is not self.screen:
            if not widget.display:
                return False
            parent = widget.parent
            widget = parent if isinstance(parent, Widget) else None
        return True

    # -- the flush timer ----------------------------------------------------------------------

    def flush(self) -> None:
        """Let each controller do its housekeeping, then push what changed since the last
        flush into the groups on screen."""
        if not self.screen_stack:  # the timer can fire once more while the App exits
            return
        now = time.perf_counter()
        for controller in self.controllers.values():
            controller.housekeep(now)
        dirty = self.store.take_dirty()
        with self.batch_update():
            for group in self.groups:
                if not self._shown(group):
                    if dirty:
                        self._behind.add(id(group))
                    continue
                if id(group) in self._behind:
                    self._behind.discard(id(group))
                    group.show_all()
                group.flush(dirty, now)
            if STATUS in dirty.slices:
                self.refresh_status()

    def record_latency(self, oldest: float, newest: float | None, live: bool) -> None:
        now = time.perf_counter()
        started = self.first_frame_at
        if started is not None and oldest >= started:
            # Frames that arrived before the first full frame waited for start-up (the
            # initial dump, the first layout), not for a refresh: the status bar's p99 is
            # the steady state, so they add no sample.
            self.latency.add((now - oldest) * 1000.0)
            if newest is not None:
                self.latency_newest.add((now - newest) * 1000.0)
        if live and started is None:
            self.first_frame_at = now
            self._freeze_start_up()

    def feed_statuses(self) -> list[FeedStatus]:
        return [controller.status() for controller in self.controllers.values()]

    def refresh_status(self) -> None:
        """The status bar: it changes with time (ages, rates), not only with frames."""
        self.status_bar.update_statuses(
            self.feed_statuses(), now=time.time(), screen_latency_ms=self.latency.percentile(0.99)
        )

    # -- garbage collection ---------------------------------------------------------------------
    #
    # Full collections walk every tracked object; with Textual's start-up heap (styles, widgets,
    # render caches) they took 50-100 ms and dominated p99 latency. So once the first frame is
    # up, everything alive is frozen (never walked again), and from then on the App runs the full
    # collection itself, at most four times a second and only when something reached the old
    # generation, right after a screen refresh: it walks only what was created since start-up,
    # and it lands in the gap before the next flush, where the frames it delays would wait
    # anyway. Young collections wait for GC_THRESHOLD_YOUNG new objects: most of what a frame
    # or a repaint allocates is freed by reference counting long before that, so a collection
    # every 700 (Python's default) walked the same few live objects 70 times a second.
    # Cyclic garbage is rare: LineView breaks the self-reference of the Strips it drops (a Strip
    # caches its own division). Freezing again later would leak what is cached at that moment:
    # frozen objects that become garbage are only freed by a full collection of the frozen set
    # (measured: +0.7 MB/s, and a 600 ms collection after a minute).

    def _freeze_start_up(self) -> None:
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD_YOUNG, self._gc_thresholds[1], GC_THRESHOLD_FULL)

    def _manage_gc(self) -> None:
        # Nothing reached the old generation since the last run (an idle feed): skip it.
        if self.first_frame_at is not None and gc.get_count()[2] > 0:
            self.call_after_refresh(gc.collect, 2)

    def _catch_sigterm(self, on: bool) -> None:
        """``kill`` (SIGTERM) and a closed terminal (SIGHUP) quit as ``q`` does, so the
        terminal is given back in order (the default action would leave it in the alternate
        screen with the mouse captured)."""
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop = asyncio.get_running_loop()
                if on:
                    loop.add_signal_handler(sig, self._on_sigterm)
                else:
                    loop.remove_signal_handler(sig)

    def _on_sigterm(self) -> None:
        self._stop_feeds()
        self.exit(0)

    def on_unmount(self) -> None:
        self._catch_sigterm(False)
        gc.set_threshold(*self._gc_thresholds)
        gc.unfreeze()

    # -- actions ------------------------------------------------------------------------------

    def action_panel(self, index: int, action: str) -> None:
        """A group's key (``PanelGroup.KEYS``), whatever has the focus."""
        group: Widget = self.groups[index]  # type: ignore[assignment]
        method = getattr(group, f"action_{action}", None)
        if method is not None:
            method()

    def action_show_group(self, index: int) -> None:
        """A group's key: shown in place of the main groups when the layout hides it (and
        back again); on screen already, it takes the focus."""
        group = self.groups[index]
        body = self.query_one("#body")
        if self._solo is group:
            self._solo = None
            body.remove_class("-solo")
            group.remove_class("-solo")  # type: ignore[attr-defined]
        elif self._shown(group) and self._solo is None:
            stops = [s for s in group.focus_stops() if s is not None]
            if stops:
                stops[0].focus()
            return
        else:
            if self._solo is not None:
                self._solo.remove_class("-solo")  # type: ignore[attr-defined]
            self._solo = group
            body.add_class("-solo")
            group.add_class("-solo")  # type: ignore[attr-defined]
        self.call_after_refresh(self._catch_up_shown)

    def _catch_up_shown(self) -> None:
        """Groups shown after a layout change catch up at once, not at the next change."""
        with self.batch_update():
            for group in self.groups:
                if id(group) in self._behind and self._shown(group):
                    self._behind.discard(id(group))
                    group.show_all()

    def action_focus_next(self) -> None:
        self._cycle_focus(1)

    def action_focus_previous(self) -> None:
        self._cycle_focus(-1)

    def _cycle_focus(self, step: int) -> None:
        """Move the focus ``step`` panels along the groups' focus stops, skipping the panels
        the layout hides."""
        screen = self.screen
        if not isinstance(screen, DashboardScreen):  # the help: Textual's own focus chain
            if step > 0:
                super().action_focus_next()
            else:
                super().action_focus_previous()
            return
        stops: list[Widget | None] = []
        for group in self.groups:
            if self._shown(group):
                stops.extend(s for s in group.focus_stops() if s not in stops or s is None)
        if not stops:
            return
        focused = screen.focused
        if focused is not None and focused not in stops and None in stops:
            focused = None  # given the focus while hidden (the help closing)
        if focused in stops:
            target = stops[(stops.index(focused) + step) % len(stops)]
        else:
            target = stops[0] if step > 0 else stops[-1]
        screen.set_focus(target)

    def action_help(self) -> None:
        more = tuple(
            (group.key, f"{group.title}: show it (on a narrow terminal, in the main panels' place)")
            for group in self.groups
            if group.key
        )
        self.push_screen(HelpScreen(more))

    def _stop_feeds(self) -> None:
        for controller in self.controllers.values():
            controller.stop()

    async def action_quit(self) -> None:
        self._stop_feeds()
        self.exit(0)
