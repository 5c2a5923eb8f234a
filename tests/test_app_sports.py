"""The sports feed plugged in: ``pmdash tail sports`` as a subprocess, the dashboard against the
embedded exchange on loopback (strip, scoreboard key, opening a game's market, toasts, scores on
market rows), and snapshots of the live games in the dashboard and of a market row with its
live score (fixed data, no clock)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from conftest import dashboard_app, market_group
from textual.widgets._toast import Toast
from waiting import until_shown
from widget_apps.base import NOW_MS
from widget_apps.games_app import board_and_links
from widget_apps.market_list_app import ROWS, MarketListApp

from pmdash.app import PmdashApp
from pmdash.config import Settings
from pmdash.endpoints import Endpoints
from pmdash.live.controller import Controller, FeedContext
from pmdash.live.sports import SportsController
from pmdash.models import FeedStatus, MarketInfo
from pmdash.registry import FEEDS, FeedSpec
from pmdash.selection import resolve_markets
from pmdash.sim.runner import serve_exchange, start_exchange
from pmdash.sim.sports import SportsSettings
from pmdash.state.row_notes import RowNote
from pmdash.state.sports import SportsState
from pmdash.state.store import Slice
from pmdash.widgets.games_group import ScoreboardGroup
from pmdash.widgets.games_strip import GamesStrip
from pmdash.widgets.market_list import MarketList
from pmdash.widgets.scoreboard import ScoreboardPanel

PMDASH = [sys.executable, "-m", "pmdash"]
REPO = Path(__file__).resolve().parents[1]
QUICK = SportsSettings(step_s=0.2, markets=True)


def run(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PMDASH_CONFIG", "PMDASH_BASE_URL")}
    env["XDG_CONFIG_HOME"] = str(REPO / "tests" / "no-config-home")
    return subprocess.run(
        [*PMDASH, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO
    )


# --- tail --------------------------------------------------------------------------------------


def test_tail_sports_prints_game_events_as_ndjson() -> None:
    with start_exchange(seed=3, rate=20, markets=2, sports=QUICK) as running:
        url = running.urls()["sports"]
        result = run("tail", "sports", "--url", url, "--max-events", "6")
        assert result.returncode == 0, result.stderr
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        games = [line for line in lines if line["type"] != "feed_status"]
        assert len(games) == 6
        assert {g["type"] for g in games} == {"game"} and {g["feed"] for g in games} == {"sports"}
        assert all(isinstance(g["game_id"], int) and g["league"] for g in games)
        assert any(s["state"] == "live" for s in lines if s["type"] == "feed_status")

        # --base-url finds /sports on the same server; --quiet ends with the summary.
        quiet = run("tail", "sports", "--base-url", running.base_url, "--seconds", "1.5",
                    "--quiet")
        assert quiet.returncode == 0, quiet.stderr
        (summary,) = [json.loads(line) for line in quiet.stdout.splitlines()]
        assert summary["type"] == "summary" and summary["feed"] == "sports"
        assert summary["games"] >= 1 and summary["errors"] == 0 and summary["state"] == "live"


def test_tail_sports_with_demo_and_nothing_listening() -> None:
    demo = run("--demo", "tail", "sports", "--max-events", "2")
    assert demo.returncode == 0, demo.stderr
    assert [json.loads(x)["type"] for x in demo.stdout.splitlines()].count("game") == 2

    gone = run("tail", "sports", "--url", "ws://127.0.0.1:9/sports", "--seconds", "1")
    assert gone.returncode == 1
    assert gone.stderr.count("\n") == 1 and "the sports feed never went live" in gone.stderr


# --- the dashboard against the embedded exchange ------------------------------------------------


def list_text(market_list: MarketList) -> str:
    return "\n".join(
        "".join(market_list.render_line(y).text) for y in range(market_list.size.height)
    )


async def test_dashboard_games_scores_on_market_rows_and_opening_a_game() -> None:
    async with serve_exchange(seed=5, rate=50, markets=2, lifecycle_s=0, sports=QUICK) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        app = PmdashApp(endpoints, await resolve_markets(endpoints, Settings()))
        async with app.run_test(size=(160, 45)) as pilot:
            sports = app.store.slice(SportsState)
            strip = app.query_one(GamesStrip)
            board = app.query_one(ScoreboardGroup)
            truth = {g["gameId"] for g in running.sports.games()}
            await until_shown(
                pilot, lambda: {s.game.game_id for s in sports.board.games()} >= truth
            )
            await until_shown(pilot, lambda: len(strip.data.rows) >= 1)
            assert strip.region.width > 0 and board.region.width == 0

            # A game's market shows its score on its row in the market list.
            cid, game_id = next(iter(running.sports.market_of.items()))[::-1]
            market_list = app.query_one(MarketList)
            await until_shown(pilot, lambda: sports.links.game_of(cid) == game_id)

            def noted() -> bool:
                note = sports.row_note(cid, int(time.time() * 1000))
                return note is not None and note.text in list_text(market_list)

            await until_shown(pilot, noted)

            # g: the full scoreboard in place of the market panels, focused.
            await pilot.press("g")
            panel = app.query_one(ScoreboardPanel)
            await until_shown(pilot, lambda: board.region.width == 160 and app.focused is panel)
            assert market_group(app).region.width == 0
            # Highlight the game and open it: its market is selected in the market panels.
            for _ in range(len(panel.rows)):
                if panel.highlighted == game_id:
                    break
                await pilot.press("j")
            assert panel.highlighted == game_id
            await pilot.press("enter")
            await until_shown(pilot, lambda: board.region.width == 0)
            await until_shown(pilot, lambda: market_group(app).selected == cid)
            assert market_list.highlighted_id == cid


async def test_a_watched_games_score_change_is_a_toast() -> None:
    async with serve_exchange(seed=8, rate=20, markets=1, lifecycle_s=0,
                              sports=SportsSettings(step_s=0, markets=True)) as running:
        endpoints = Endpoints.from_base_url(running.base_url)
        app = PmdashApp(endpoints, await resolve_markets(endpoints, Settings()))
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            sports = app.store.slice(SportsState)
            await until_shown(pilot, lambda: len(sports.board) == len(running.sports.games()))
            await pilot.press("g")
            panel = app.query_one(ScoreboardPanel)
            await until_shown(pilot, lambda: app.focused is panel and panel.highlighted is not None)
            watched = panel.highlighted
            await pilot.press("w")
            # Step the games until the watched one scores (bounded).
            for _ in range(400):
                if any(g.game_id == watched for g in running.sports.step_scored()):
                    break
            else:
                raise AssertionError("the watched game never scored")
            state = sports.board
            await until_shown(pilot, lambda: bool(app.screen.query(Toast)))
            toast = str(app.screen.query(Toast).first().render())
            game = state.get(watched)
            assert game is not None and game.game.home_team in toast


# --- snapshots ---------------------------------------------------------------------------------


class OfflineSports(SportsController):
    """No socket: the test puts the games into the store; reports live."""

    async def run(self) -> None:
        return None

    def status(self) -> FeedStatus:
        return FeedStatus(feed="sports", state="live", frames=120, frames_per_s=1.0,
                          last_frame_age_s=0.4)


def offline_sports() -> FeedSpec:
    def slices(settings: Settings) -> list[Slice]:
        return [SportsState(clock=lambda: NOW_MS)]

    def controller(ctx: FeedContext) -> Controller:
        return OfflineSports.from_context(ctx)

    return replace(FEEDS["sports"], slices=slices, controller=controller)


def games_dashboard() -> PmdashApp:
    from test_app_snapshot import LIVE, MARKETS, _events

    app = dashboard_app(MARKETS, events=_events(), status=LIVE, more_feeds=[offline_sports()])
    board, _, _ = board_and_links()
    app.store.apply([state.game for state in board.games()])
    return app


def test_dashboard_with_the_live_games_strip_at_160x45(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see: the market panels, and on the right "Live games · g": ATP Fritz@Zverev
    6-4 3-6 2-1 S3, CS2 FaZe@NAVI 1-1 Bo3 (7-4) 3/3, NBA BOS@MIA 73-70 Q4 7:51, NFL KC@PHI 14-10,
    then the upcoming and final games dimmed; "informational, may be delayed" in its bottom
    border; sports live in the status bar; g Games in the footer."""
    assert snap_compare(games_dashboard(), terminal_size=(160, 45))


def test_dashboard_scoreboard_behind_g(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see, after g: the full scoreboard in place of the market panels (ATP, CS2,
    NBA, NFL with their live games, then EPL; the first game highlighted), beside it the
    highlighted game's markets ("no linked markets") and its chart ("no prices yet"); the
    footer lists l League, Move, ⏎ Markets and w Watch."""
    assert snap_compare(games_dashboard(), terminal_size=(160, 45), press=["g"])


def test_market_row_with_its_live_score(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """You should see: "Lakers win the NBA title?" with "73-70" highlighted (it just changed),
    "+0.040" in green and its bid/ask 0.08/0.09; "Ethereum above $5k by June?" with "1-1 Bo3
    (7-4)" and "-0.020" in red, then 0.12/0.13; the other rows as before."""
    rows = list(ROWS)
    rows[4] = replace(rows[4], note=RowNote("73-70", 40_000, flash=True))
    rows[2] = replace(rows[2], note=RowNote("1-1 Bo3 (7-4)", -20_000))
    assert snap_compare(MarketListApp(rows), terminal_size=(40, 12))


async def test_the_games_of_chosen_markets_are_watched_from_the_start() -> None:
    """With markets chosen (``--market``), a score change of a game one of them is on is a
    toast without pressing ``w``; another game's is not."""
    from widget_apps.games_app import game

    nba = MarketInfo("0xnba", "NBA: Will MIA beat BOS?", "nba-bos-mia-2026-01-02", ("1", "2"),
                     ("Yes", "No"), game_id=20518)
    app = dashboard_app([nba], settings=Settings(markets=["nba-bos-mia-2026-01-02"]),
                        more_feeds=[offline_sports()])
    app.store.apply([game(20518, "nba", "MIA", "BOS", "70-70"),
                     game(30001, "nfl", "PHI", "KC", "7-7")])
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        sports = app.store.slice(SportsState)
        await until_shown(pilot, lambda: sports.links.game_of("0xnba") == 20518)
        app.store.apply([game(30001, "nfl", "PHI", "KC", "14-7")])
        await pilot.pause(0.8)
        assert not app.screen.query(Toast)
        app.store.apply([game(20518, "nba", "MIA", "BOS", "73-70")])
        await until_shown(pilot, lambda: bool(app.screen.query(Toast)))
        assert "BOS @ MIA 73-70" in str(app.screen.query(Toast).first().render())
