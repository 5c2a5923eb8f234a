"""Server text in the new feeds' panels (live games, reference prices, account toasts): bidi
controls, escape sequences and emoji sequences neutralised as everywhere else, markup not
applied, and the columns after a wide (CJK) or long name at the cells the terminal gives
them, not shifted by counting code points."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.content import Content
from widget_apps.account_app import AccountApp
from widget_apps.base import NOW_MS, HarnessApp
from widget_apps.games_app import game

from pmdash.models import Fill, GameScore
from pmdash.state.games import Scoreboard
from pmdash.state.portfolio import Portfolio
from pmdash.widgets.account import AccountPanel
from pmdash.widgets.account_data import account_view
from pmdash.widgets.game_markets import GameMarkets
from pmdash.widgets.games_data import GameMarketsData, build_scoreboard, game_row
from pmdash.widgets.price_board import row_markup
from pmdash.widgets.price_data import PriceRow
from pmdash.widgets.scoreboard import ScoreboardPanel, row_text

HOSTILE_GAMES = [
    game(1, "lpl", "京东电竞", "微博电竞", "1-0", status="running", period="G2"),
    game(2, "epl", "Hearts ❤️", "United 👍🏽", "2-1", period="2H", elapsed="67:10"),
    game(3, "nba", "MIA\u202e", "BOS\u2067", "73-70", period="Q4", elapsed="7:51"),
    game(4, "nba", "The Very Long Name Of A Team", "Another Long Team Name", "99-98",
         period="Q3", elapsed="1:02"),
    game(5, "nba", "DEN", "LAL", "88-91", period="Q4", elapsed="3:42"),
]


def _board(games: list[GameScore]) -> Scoreboard:
    board = Scoreboard()
    for one in games:
        board.apply(one, NOW_MS - 60_000)
    return board


def _cells_before(plain: str, part: str) -> int:
    return cell_len(plain[: plain.index(part)])


def test_every_scoreboard_column_starts_at_the_same_cell() -> None:
    rows = {s.game.game_id: game_row(s, NOW_MS) for s in _board(HOSTILE_GAMES).games()}
    plain = {gid: row_text(row).plain for gid, row in rows.items()}
    # The score is right-aligned: where it ends is the column.
    score_end = {gid: _cells_before(plain[gid], rows[gid].score) + cell_len(rows[gid].score)
                 for gid in rows}
    assert set(score_end.values()) == {score_end[5]}, score_end
    assert "…" in plain[4]  # the long matchup is cut, with an ellipsis
    assert rows[2].home == "Hearts ❤" and rows[2].away == "United 👍"  # no VS16, no skin tone
    assert rows[3].home == "MIA\ufffd" and rows[3].away == "BOS\ufffd"  # bidi controls replaced


def _price_row(symbol: str) -> PriceRow:
    return PriceRow(key=symbol.lower(), symbol=symbol, spot="97,000.12", spot_source="binance",
                    second="96,990.00", second_source="chainlink twap", basis="+10.12",
                    change="+1.2%", change_sign=1, age="1s", note="", strike="",
                    strike_sign=0, selected=False)


def test_a_price_board_row_keeps_its_columns_under_a_wide_or_long_symbol() -> None:
    plain = {s: Content.from_markup(row_markup(_price_row(s))).plain
             for s in ("BTC", "比特币", "🚀🚀🚀🚀", "A" * 32, "X\u202eY")}
    spot_at = {s: _cells_before(text, "97,000.12") for s, text in plain.items()}
    assert set(spot_at.values()) == {spot_at["BTC"]}, spot_at
    assert "\u202e" not in plain["X\u202eY"]


class HostileScoreboardApp(HarnessApp):
    def compose(self) -> ComposeResult:
        yield ScoreboardPanel(id="games-scoreboard")

    def on_mount(self) -> None:
        panel = self.query_one(ScoreboardPanel)
        panel.update_data(build_scoreboard(_board(HOSTILE_GAMES).games(), NOW_MS))


def test_the_scoreboard_under_hostile_team_names(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Live games, leagues EPL, LPL, NBA: "United 👍 @ Hearts ❤  2-1  2H 67:10", the LPL game
    in Chinese, "BOS� @ MIA�" (bidi controls shown as U+FFFD), the long matchup cut with "…";
    in every row the score and clock columns line up and the right border is unbroken."""
    assert snap_compare(HostileScoreboardApp(), terminal_size=(64, 14))


class AccountToastApp(HarnessApp):
    def compose(self) -> ComposeResult:
        yield AccountPanel(id="account")


async def test_a_fill_toast_shows_the_servers_status_as_text() -> None:
    """A fill whose status (server text) holds markup and an escape sequence: the toast shows
    it as written, the control character replaced, no markup applied."""
    portfolio = Portfolio()
    portfolio.apply(Fill(feed="user", venue="clob", trade_id="t1", order_id="o1", market="0xm",
                         asset_id="a1", side="BUY", price=410_000, size=10_000_000,
                         status="[b]MATCHED[/b]\x1b]0;owned\x07", timestamp=NOW_MS))
    app = AccountToastApp()
    async with app.run_test(size=(100, 20), notifications=True) as pilot:
        app.query_one(AccountPanel).notify_fills(portfolio.take_notices())
        shown: list[str] = []
        for _ in range(50):  # bounded: the toast is mounted on a later refresh
            await pilot.pause(0.02)
            shown = [str(toast.render()) for toast in app.screen.query("Toast")]
            if shown:
                break
    assert len(shown) == 1
    assert "([b]MATCHED[/b]\ufffd]0;owned\ufffd)" in shown[0]
    assert "\x1b" not in shown[0]


MARKUP = "[/] [@click=app.quit]quit[/] [/b]"
"""Server text that is not valid Rich/Textual markup, with a click action in it."""


class MarkupApp(HarnessApp):
    def compose(self) -> ComposeResult:
        yield GameMarkets(id="game-markets")
        yield ScoreboardPanel(id="games-scoreboard")


async def test_markup_in_server_text_is_shown_as_text_in_titles() -> None:
    """A market question or league holding ``[/]`` raised MarkupError as a border title."""
    app = MarkupApp()
    async with app.run_test(size=(100, 20)) as pilot:
        markets = app.query_one(GameMarkets)
        markets.update_data(GameMarketsData(title=f"NBA · {MARKUP}"))
        board = app.query_one(ScoreboardPanel)
        board.update_data(build_scoreboard(
            _board([game(9, MARKUP, "MIA", "BOS", "1-0")]).games(), NOW_MS))
        board.focus()
        await pilot.press("l")  # the league filter puts the league in the title
        await pilot.pause()
        assert markets.border_title is not None and board.border_title is not None
        assert Content.from_markup(markets.border_title).plain == f"NBA · {MARKUP}"
        assert Content.from_markup(board.border_title).plain == f"Live games · {MARKUP.upper()}"


async def test_markup_in_server_text_is_shown_as_text_in_the_account_tables() -> None:
    """Market names and statuses reach a DataTable, which reads a str cell as markup."""
    portfolio = Portfolio()
    portfolio.apply(Fill(feed="user", venue="clob", trade_id="t1", order_id="o1", market="0xm",
                         asset_id="a1", side="BUY", price=410_000, size=10_000_000,
                         status=MARKUP, timestamp=NOW_MS))
    app = AccountApp(account_view(portfolio, names={"a1": f"Will {MARKUP}?"}))
    async with app.run_test(size=(140, 20)) as pilot:
        await pilot.pause()
        screen = app.export_screenshot()
    assert "Will&#160;[/]&#160;[@click=app.quit]quit[/]" in screen  # as written (SVG spaces)
