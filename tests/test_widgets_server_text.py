"""Text from servers on screen: no control characters reach the terminal, no markup is read."""

from __future__ import annotations

from dataclasses import replace

from widget_apps.header_app import LIVE as HEADER
from widget_apps.header_app import HeaderApp
from widget_apps.ladder_app import LIVE as LADDER
from widget_apps.ladder_app import LadderApp
from widget_apps.status_app import NOW

from pmdash.models import FeedStatus
from pmdash.printable import REPLACEMENT, printable
from pmdash.widgets.data import HeaderData, LadderData, MarketRow
from pmdash.widgets.status_bar import feed_texts

ESCAPES = "a\x1b]0;PWNED\x07b\x1b[2Jc\x9b31md\x7f"


def test_printable_replaces_controls_and_keeps_everything_else() -> None:
    text = "Will 漢字 🚀 win? [b]x[/b] $5"
    assert printable(text) is text
    assert printable(ESCAPES) == "a\ufffd]0;PWNED\ufffdb\ufffd[2Jc\ufffd31md\ufffd"
    assert printable("one\ntwo\tthree\r\n") == "one two three  "
    assert printable("\x00\x85") == REPLACEMENT * 2


def test_view_data_is_printable_however_it_is_built() -> None:
    header = replace(HEADER, question=ESCAPES, slug="s\x1bx", outcome="o\ny", resolved="r\x07")
    assert (header.question, header.slug, header.outcome, header.resolved) == (
        printable(ESCAPES),
        "s\ufffdx",
        "o y",
        "r\ufffd",
    )
    assert HeaderData(question="q", resolved=None).resolved is None
    ladder = LadderData(detail="d\x1b", outcome="\x1bYes", other_outcome="No\x07")
    shown = (ladder.detail, ladder.outcome, ladder.other_outcome)
    assert shown == ("d\ufffd", "\ufffdYes", "No\ufffd")
    assert MarketRow("0x1", "q\x1b[2J").label == "q\ufffd[2J"


def test_status_detail_is_printable() -> None:
    failed = FeedStatus(feed="market", state="failed", detail="HTTP 403 \x1b[2JForbidden")
    texts = [text for text, _ in feed_texts(failed, NOW)]
    assert "HTTP 403 \ufffd[2JForbidden" in texts


def _screen_text(app: HeaderApp | LadderApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_titles_show_brackets_as_they_are() -> None:
    """Textual reads a str border title as markup: a slug or outcome with ``[/x]`` in it would
    raise, and ``[@click=...]`` would make an action. They show as written."""
    slug = "[@click=app.quit]quit[/] [/x]"
    app = HeaderApp(replace(HEADER, slug=slug))
    async with app.run_test(size=(90, 4)) as pilot:
        await pilot.pause()
        assert slug in _screen_text(app)
        assert app.is_running

    ladder = replace(LADDER, outcome="[/Yes]", other_outcome="[b]No[/b]")
    app2 = LadderApp(ladder)
    async with app2.run_test(size=(70, 12)) as pilot:
        await pilot.pause()
        text = _screen_text(app2)
        assert "Book · [/Yes]" in text
        assert "o: [b]No[/b]" in text
