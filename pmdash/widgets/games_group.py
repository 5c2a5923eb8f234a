"""The sports feed's panel groups: the live-games strip on the dashboard, and the full
scoreboard behind one key.

- ``GamesStripGroup`` (side column, from 160 columns): the games, live first, one a line.
- ``ScoreboardGroup`` (key ``g``, shown in place of the main panels at every width): the
  scoreboard by league (``l`` filters), the highlighted game's markets with the price beside
  the live score and the move since it changed, and its first market's price over the game
  with each score change marked. ``enter`` opens the game's market in the market panels
  (highlighted in the market list, its ladder shown), ``w`` watches the game: a toast says
  each change of a watched game's score, whatever is on screen. With markets chosen on the
  command line or in the config file, the games they are on are watched from the start.

Both turn the sports slice into frozen view data (``games_data``) and push it into plain
Static views; the flash of a fresh score fades on a one-second cadence.
"""

from __future__ import annotations

import time
from typing import Any, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget

from pmdash.config import Settings
from pmdash.latency import LatencyWindow
from pmdash.state.games import GameState, ScoreChange
from pmdash.state.sports import SportsState
from pmdash.state.store import Dirty
from pmdash.widgets.game_chart import GameChart
from pmdash.widgets.game_markets import GameMarkets
from pmdash.widgets.games_data import (
    GameChartData,
    GameMarketsData,
    build_chart,
    build_game_markets,
    build_scoreboard,
    build_strip,
    score_toast,
)
from pmdash.widgets.games_strip import GamesStrip
from pmdash.widgets.group import Place
from pmdash.widgets.market_list import MarketList
from pmdash.widgets.scoreboard import ScoreboardPanel

PREFIX = "sports:"
REPAINT_S = 1.0
"""With nothing new, the panels still repaint this often (a score's flash fades)."""
DETAIL_S = 0.5
"""The highlighted game's markets and chart repaint at most this often (prices move fast)."""
TOAST_CHECK_S = 0.5
STRIP_GAMES = 12


def _wall_ms() -> int:
    return int(time.time() * 1000)


def _sports_changed(dirty: Dirty) -> bool:
    return any(key.startswith(PREFIX) for key in dirty.slices)


def _record_latency(widget: Widget, window: LatencyWindow, dirty: Dirty) -> None:
    """After the screen refresh that shows a change: the time since the oldest frame folded
    into this flush (an upper bound, as the App's own figure for the main panels)."""
    oldest = dirty.oldest_arrival
    if oldest is not None:
        widget.app.call_after_refresh(
            lambda: window.add((time.perf_counter() - oldest) * 1000.0)
        )


class GamesStripGroup(Vertical):
    """The games on the dashboard's side column, live first (a ``PanelGroup``)."""

    place: Place = "side"
    key = ""
    title = "Live games"
    KEYS: list[Binding] = []

    def __init__(self, state: SportsState) -> None:
        super().__init__(id="games-strip-group")
        self.state = state
        self._shown_at = 0.0
        self.latency = LatencyWindow()
        """A games change's arrival -> the screen refresh that shows it on the strip."""

    def compose(self) -> ComposeResult:
        yield GamesStrip(id="games-strip", stacked=True)

    def on_mount(self) -> None:
        self.border_title = "Live games · g"
        self.border_subtitle = "informational, may be delayed"

    def flush(self, dirty: Dirty, now: float) -> None:
        changed = _sports_changed(dirty)
        if (changed or now - self._shown_at >= REPAINT_S) and self._show() and changed:
            _record_latency(self, self.latency, dirty)

    def show_all(self) -> None:
        self._show()

    def _show(self) -> bool:
        self._shown_at = time.perf_counter()
        data = build_strip(self.state.board.games(), _wall_ms(), limit=STRIP_GAMES)
        strip = self.query_one(GamesStrip)
        if data == strip.data:
            return False
        strip.update_data(data)
        return True

    def focus_stops(self) -> list[Widget | None]:
        return []


class ScoreboardGroup(Horizontal):
    """The full scoreboard, the highlighted game's markets and chart (a ``PanelGroup``)."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    ScoreboardGroup { display: none; layout: vertical; }
    ScoreboardGroup #games-scoreboard { height: 2fr; }
    ScoreboardGroup #games-detail { height: 3fr; }
    Screen.-full ScoreboardGroup, Screen.-wide ScoreboardGroup { layout: horizontal; }
    Screen.-full #games-scoreboard, Screen.-wide #games-scoreboard { width: 66; height: 1fr; }
    Screen.-full #games-detail, Screen.-wide #games-detail { height: 1fr; }
    """

    place: Place = "side"
    key = "g"
    title = "Games"
    KEYS: list[Binding] = []

    def __init__(self, state: SportsState, *, watch_selected: bool = False) -> None:
        super().__init__(id="games-group")
        self.state = state
        self.watch_selected = watch_selected
        """Watch the games of every linked market (markets the user chose)."""
        self.watched: set[int] = set()
        self.unwatched: set[int] = set()
        """Games the user stopped watching (``w``), even where ``watch_selected`` says."""
        self._toasted: dict[int, ScoreChange] = {}
        """Game id -> its last score change already toasted (or seen)."""
        self._shown_at = 0.0
        self._detail_at = 0.0
        self._detail_pending = False
        self._shown_watched: frozenset[int] = frozenset()
        self.latency = LatencyWindow()
        """A games change's arrival -> the screen refresh that shows it on the scoreboard."""

    def compose(self) -> ComposeResult:
        yield ScoreboardPanel(id="games-scoreboard")
        with Vertical(id="games-detail"):
            yield GameMarkets(id="game-markets")
            yield GameChart(id="game-chart")

    @property
    def scoreboard(self) -> ScoreboardPanel:
        return self.query_one(ScoreboardPanel)

    def on_mount(self) -> None:
        self._note_seen()
        self.set_interval(TOAST_CHECK_S, self.toast_scores)

    def on_show(self) -> None:
        self.scoreboard.focus()

    # -- the PanelGroup protocol ----------------------------------------------------------------

    def flush(self, dirty: Dirty, now: float) -> None:
        changed = _sports_changed(dirty)
        if changed or now - self._shown_at >= REPAINT_S:
            if self._show_board() and changed:
                _record_latency(self, self.latency, dirty)
            self._detail_pending = True
        if self._detail_pending and now - self._detail_at >= DETAIL_S:
            self._show_detail()

    def show_all(self) -> None:
        self._show_board()
        self._show_detail()

    def focus_stops(self) -> list[Widget | None]:
        return [self.scoreboard]

    # -- views ----------------------------------------------------------------------------------

    def watched_games(self) -> frozenset[int]:
        """The games whose score changes are toasted."""
        games = set(self.watched)
        if self.watch_selected:
            games.update(game_id for _, game_id in self.state.links.linked())
        return frozenset(games - self.unwatched)

    def _show_board(self) -> bool:
        """Push the scoreboard if it changed; whether it did."""
        self._shown_at = time.perf_counter()
        watched = self.watched_games()
        data = build_scoreboard(self.state.board.games(), _wall_ms())
        panel = self.scoreboard
        if data == panel.data and watched == self._shown_watched:
            return False
        self._shown_watched = watched
        panel.update_data(data, watched)
        return True

    def _highlighted(self) -> GameState | None:
        game_id = self.scoreboard.highlighted
        return self.state.board.get(game_id) if game_id is not None else None

    def _show_detail(self) -> None:
        self._detail_at = time.perf_counter()
        self._detail_pending = False
        state = self._highlighted()
        markets = self.query_one(GameMarkets)
        chart = self.query_one(GameChart)
        if state is None:
            markets.update_data(GameMarketsData(title="no game"))
            chart.update_data(GameChartData(title="no game"))
            return
        links = self.state.links
        market_data = build_game_markets(state, links, _wall_ms())
        if market_data != markets.data:
            markets.update_data(market_data)
        linked = links.markets_of(state.game.game_id)
        chart_data = (
            build_chart(state, linked[0], links) if linked
            else GameChartData(title=f"{market_data.title} · no linked market")
        )
        if chart_data != chart.data:
            chart.update_data(chart_data)

    # -- toasts ---------------------------------------------------------------------------------

    def _note_seen(self) -> None:
        """Score changes held now are not news."""
        for state in self.state.board.games():
            if state.changes:
                self._toasted[state.game.game_id] = state.changes[-1]

    def toast_scores(self) -> None:
        """A toast for each watched game whose score changed since the last check."""
        watched = self.watched_games()
        for state in self.state.board.games():
            game_id = state.game.game_id
            changed = state.changes[-1] if state.changes else None
            if changed is None or self._toasted.get(game_id) == changed:
                continue
            self._toasted[game_id] = changed
            if game_id in watched:
                self.app.notify(score_toast(state), title="Score", timeout=6, markup=False)
        held = {s.game.game_id for s in self.state.board.games()}
        for game_id in [g for g in self._toasted if g not in held]:
            del self._toasted[game_id]

    # -- messages -------------------------------------------------------------------------------

    def on_scoreboard_panel_game_highlighted(
        self, message: ScoreboardPanel.GameHighlighted
    ) -> None:
        message.stop()
        self._show_detail()

    def on_scoreboard_panel_watch_toggled(self, message: ScoreboardPanel.WatchToggled) -> None:
        message.stop()
        game_id = message.game_id
        if game_id in self.watched_games():
            self.watched.discard(game_id)
            self.unwatched.add(game_id)
        else:
            self.unwatched.discard(game_id)
            self.watched.add(game_id)
        self._show_board()

    def on_scoreboard_panel_game_opened(self, message: ScoreboardPanel.GameOpened) -> None:
        """Open the game's first market in the market panels (and go back to them)."""
        message.stop()
        linked = self.state.links.markets_of(message.game_id)
        lists = self.app.query(MarketList)
        if not linked or not lists:
            self.app.notify("no market of this game is listed", timeout=4, markup=False)
            return
        market_list = lists.first()
        if not market_list.select_market(linked[0].condition_id):
            self.app.notify("the game's market is not listed", timeout=4, markup=False)
            return
        if self.has_class("-solo"):
            app = cast(Any, self.app)
            app.action_show_group(list(app.groups).index(self))
        self.call_after_refresh(market_list.focus)


def games_groups(state: SportsState, settings: Settings) -> list[Widget]:
    """The sports feed's groups: the strip, then the full scoreboard."""
    watch = bool(settings.markets or settings.assets)
    return [GamesStripGroup(state), ScoreboardGroup(state, watch_selected=watch)]
