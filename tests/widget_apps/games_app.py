"""Live-games harnesses: a fixed scoreboard (five leagues, live, upcoming and final games), one
game's linked markets with a price history, all at the harness's fixed clock."""

from __future__ import annotations

from textual.app import ComposeResult

from pmdash.feeds.sports import parse_score
from pmdash.models import GameScore, MarketInfo
from pmdash.state.game_links import GameLinks
from pmdash.state.games import Scoreboard
from pmdash.widgets.game_chart import GameChart
from pmdash.widgets.game_markets import GameMarkets
from pmdash.widgets.games_data import (
    build_chart,
    build_game_markets,
    build_scoreboard,
    build_strip,
)
from pmdash.widgets.games_strip import GamesStrip
from pmdash.widgets.scoreboard import ScoreboardPanel
from widget_apps.base import NOW_MS, HarnessApp

MIN = 60_000
START = NOW_MS - 40 * MIN


def game(gid: int, league: str, home: str, away: str, score: str, *, status: str = "InProgress",
         period: str = "", elapsed: str = "", live: bool = True, ended: bool = False,
         turn: str = "") -> GameScore:
    return GameScore(feed="sports", game_id=gid, league=league,
                     slug=f"{league}-{away}-{home}-2026-01-02".lower(), home_team=home,
                     away_team=away, status=status, score=parse_score(score), period=period,
                     elapsed=elapsed, live=live, ended=ended, turn=turn)


NBA_PLAY = [  # (minute, score, period, clock)
    (0, "0-0", "Q1", "12:00"), (6, "7-2", "Q1", "6:10"), (14, "24-21", "Q2", "9:02"),
    (22, "48-52", "Q3", "11:40"), (31, "71-70", "Q4", "8:15"),
]


def board_and_links() -> tuple[Scoreboard, GameLinks, MarketInfo]:
    board = Scoreboard()
    for minute, score, period, clock in NBA_PLAY:
        board.apply(game(20518, "nba", "MIA", "BOS", score, period=period, elapsed=clock),
                    START + minute * MIN)
    board.apply(game(20518, "nba", "MIA", "BOS", "73-70", period="Q4", elapsed="7:51"),
                NOW_MS - 3_000)
    board.apply(game(20519, "nba", "DEN", "LAL", "118-111", status="Final", period="FT",
                     live=False, ended=True), NOW_MS - 12 * MIN)
    board.apply(game(30001, "nfl", "PHI", "KC", "14-10", period="Q2", elapsed="8:11",
                     turn="KC"), NOW_MS - 5 * MIN)
    board.apply(game(40001, "epl", "ARS", "CHE", "2-0", status="Final", period="FT", live=False,
                     ended=True), NOW_MS - 10 * MIN)
    board.apply(game(50001, "cs2", "NAVI", "FaZe", "007-004|1-1|Bo3", status="running",
                     period="3/3"), NOW_MS - 2 * MIN)
    board.apply(game(60001, "atp", "Sinner", "Alcaraz", "0-0", status="scheduled", live=False),
                NOW_MS - MIN)
    board.apply(game(60002, "atp", "Zverev", "Fritz", "6-4, 3-6, 2-1", status="inprogress",
                     period="S3"), NOW_MS - MIN)
    market = MarketInfo(condition_id="0xnba", question="NBA: Will MIA beat BOS?",
                        slug="nba-bos-mia-2026-01-02", token_ids=("1", "2"),
                        outcomes=("Yes", "No"), game_id=20518)
    spread = MarketInfo(condition_id="0xspread", question="Spread: MIA (-3.5)",
                        slug="nba-bos-mia-2026-01-02-spread-home-3pt5", token_ids=("3", "4"),
                        outcomes=("MIA", "BOS"))
    links = GameLinks()
    links.set_markets([market, spread], [s.game for s in board.games()])
    mids = [500_000, 505_000, 560_000, 575_000, 550_000, 540_000, 430_000, 420_000, 445_000,
            520_000, 530_000, 535_000, 600_000]
    state = board.get(20518)
    assert state is not None
    changes = iter(c.at_ms for c in state.changes)
    next_change = next(changes, None)
    for i, mid in enumerate(mids):
        at = START + i * 3 * MIN + MIN // 2
        while next_change is not None and next_change <= at:
            links.on_score_change(20518, next_change)
            next_change = next(changes, None)
        links.on_mid("0xnba", at, mid)
        links.on_mid("0xspread", at, 1_000_000 - mid + 20_000)
    while next_change is not None:
        links.on_score_change(20518, next_change)
        next_change = next(changes, None)
    links.on_mid("0xnba", NOW_MS - 1_000, 640_000)
    links.on_mid("0xspread", NOW_MS - 1_000, 400_000)
    return board, links, market


class ScoreboardApp(HarnessApp):
    def compose(self) -> ComposeResult:
        yield ScoreboardPanel(id="games-scoreboard")

    def on_mount(self) -> None:
        board, _, _ = board_and_links()
        panel = self.query_one(ScoreboardPanel)
        panel.update_data(build_scoreboard(board.games(), NOW_MS))
        panel.focus()


class StripApp(HarnessApp):
    def compose(self) -> ComposeResult:
        yield GamesStrip(id="games-strip")

    def on_mount(self) -> None:
        board, _, _ = board_and_links()
        self.query_one(GamesStrip).update_data(build_strip(board.games(), NOW_MS, limit=4))


class GameMarketsApp(HarnessApp):
    def compose(self) -> ComposeResult:
        yield GameMarkets(id="game-markets")

    def on_mount(self) -> None:
        board, links, _ = board_and_links()
        state = board.get(20518)
        assert state is not None
        self.query_one(GameMarkets).update_data(build_game_markets(state, links, NOW_MS))


class ChartApp(HarnessApp):
    def compose(self) -> ComposeResult:
        yield GameChart(id="game-chart")

    def on_mount(self) -> None:
        board, links, market = board_and_links()
        state = board.get(20518)
        assert state is not None
        self.query_one(GameChart).update_data(build_chart(state, market, links))
