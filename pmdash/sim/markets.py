"""Generated binary markets: questions, slugs, condition ids and token ids shaped like real ones.

Everything comes from the caller's ``random.Random`` and fixed base dates, never the wall clock,
so one seed always yields the same markets.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

from pmdash.models import MarketInfo

_BASE_EPOCH = 1_790_000_000  # a fixed Unix time (2026-09-21) the generated dates hang off
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


@dataclass(slots=True)
class SimMarket:
    """One binary market of the embedded exchange (mutable: it can close)."""

    gamma_id: str
    question: str
    slug: str
    condition_id: str
    token_ids: tuple[str, str]
    outcomes: tuple[str, str]
    description: str
    event_id: str
    event_slug: str
    event_title: str
    group_item_title: str
    tags: tuple[str, ...]
    start_price: int
    """Initial YES price in micro-units (the flow's fair value starts here)."""
    end_date: str
    created_at: str
    fee_rate_bps: str = "0"
    edge: bool = False
    """Drifts across 0.96 and back, so tick_size_change happens in every run."""
    active: bool = True
    closed: bool = False
    winning_outcome: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    game_id: int | None = None
    """The sports game this market is about (Gamma ``gameId``), else None."""

    def info(self, tick_size: int) -> MarketInfo:
        return MarketInfo(
            condition_id=self.condition_id,
            question=self.question,
            slug=self.slug,
            token_ids=self.token_ids,
            outcomes=self.outcomes,
            tick_size=tick_size,
            active=self.active,
            closed=self.closed,
            gamma_id=self.gamma_id,
            game_id=self.game_id,
        )


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80].rstrip("-")


def _iso(epoch: int) -> str:
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class MarketFactory:
    """Makes markets from a seeded RNG; ``make(edge=True)`` makes the one that nears 1.0."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._count = 0
        self._slugs: set[str] = set()

    def _hex(self, nbytes: int) -> str:
        return "0x" + f"{self._rng.getrandbits(nbytes * 8):0{nbytes * 2}x}"

    def _token_id(self) -> str:
        # Real token ids are uint256 written in decimal: 76-78 digits.
        return str(self._rng.randrange(10**76, 10**77))

    def _unique(self, slug: str) -> str:
        if slug not in self._slugs:
            self._slugs.add(slug)
            return slug
        n = 2
        while f"{slug}-{n}" in self._slugs:
            n += 1
        self._slugs.add(f"{slug}-{n}")
        return f"{slug}-{n}"

    def make(self, *, edge: bool = False) -> SimMarket:
        rng = self._rng
        self._count += 1
        spec = _edge_spec(rng) if edge else rng.choice(_TEMPLATES)(rng)
        question, outcomes, event_title, group, tags, slug_hint, description, fee = spec
        slug = self._unique(slug_hint or slugify(question))
        created = _BASE_EPOCH + self._count * 3_600 + rng.randrange(3_600)
        end = created + rng.randrange(3, 120) * 86_400
        price = 950_000 if edge else rng.randrange(15, 86) * 10_000
        return SimMarket(
            gamma_id=str(500_000 + rng.randrange(1_500_000)),
            question=question,
            slug=slug,
            condition_id=self._hex(32),
            token_ids=(self._token_id(), self._token_id()),
            outcomes=outcomes,
            description=description,
            event_id=str(20_000 + rng.randrange(300_000)),
            event_slug=slug,
            event_title=event_title,
            group_item_title=group,
            tags=tags,
            start_price=price,
            end_date=_iso(end),
            created_at=_iso(created),
            fee_rate_bps=fee,
            edge=edge,
        )


    def make_game(self, *, game_id: int, slug: str, home: str, away: str, league: str,
                  price: int) -> SimMarket:
        """A moneyline market on one game ("will the home side win?"), linked by
        ``game_id`` and by its slug, which is the game's (as Gamma's game markets are)."""
        question = f"{league.upper()}: Will {home} beat {away}?"
        spec = _yes_no(question, ("sports", "games", league))
        market = self.make()  # ids, dates and the fee from the same seeded generator
        market.question, market.outcomes, market.description = question, spec[1], spec[6]
        market.slug = self._unique(slug)
        market.event_slug = slug
        market.event_title = f"{away} vs. {home}"
        market.group_item_title, market.tags, market.fee_rate_bps = "", spec[4], "0"
        market.start_price = price
        market.game_id = game_id
        return market


Spec = tuple[str, tuple[str, str], str, str, tuple[str, ...], str, str, str]
_YES_NO = ("Yes", "No")


def _yes_no(question: str, tags: tuple[str, ...], group: str = "") -> Spec:
    description = (
        f'This market will resolve to "Yes" if {question[0].lower() + question[1:-1]}. '
        'Otherwise, this market will resolve to "No".'
    )
    return question, _YES_NO, question, group, tags, "", description, "0"


def _fed(rng: random.Random) -> Spec:
    month = rng.choice(_MONTHS)
    bps = rng.choice((25, 50))
    return _yes_no(f"Will the Fed cut rates by {bps} bps in {month}?", ("economy", "fed-rates"))


def _crypto_updown(rng: random.Random) -> Spec:
    coin, ticker = rng.choice((("Bitcoin", "btc"), ("Ethereum", "eth"), ("Solana", "sol"),
                               ("XRP", "xrp")))
    start = _BASE_EPOCH + rng.randrange(0, 90 * 288) * 300
    minutes = rng.choice((5, 15))
    et = dt.timezone(dt.timedelta(hours=-4))
    a = dt.datetime.fromtimestamp(start, tz=et)
    b = dt.datetime.fromtimestamp(start + minutes * 60, tz=et)

    def hm(t: dt.datetime) -> str:
        return t.strftime("%I:%M%p").lstrip("0")

    question = f"{coin} Up or Down - {_MONTHS[a.month - 1]} {a.day}, {hm(a)}-{hm(b)} ET"
    slug = f"{ticker}-updown-{minutes}m-{start}"
    description = (
        f'This market will resolve to "Up" if the {coin} price at the end of the time range '
        "specified in the title is greater than or equal to the price at the beginning of that "
        'range. Otherwise, it will resolve to "Down".'
    )
    return question, ("Up", "Down"), question, "", ("crypto", "up-or-down"), slug, description, \
        "1000"


def _stock(rng: random.Random) -> Spec:
    name, ticker, base = rng.choice((("NVIDIA", "NVDA", 240), ("Apple", "AAPL", 260),
                                     ("Tesla", "TSLA", 420), ("Microsoft", "MSFT", 520)))
    level = base + rng.randrange(-4, 5) * 10
    month = rng.choice(_MONTHS)
    question = f"Will {name} ({ticker}) close above ${level} end of {month}?"
    return _yes_no(question, ("stocks",), f"{ticker} above ${level}")


def _sports(rng: random.Random) -> Spec:
    team, league = rng.choice((("Boston Celtics", "NBA Finals"), ("Denver Nuggets", "NBA Finals"),
                               ("Kansas City Chiefs", "Super Bowl LXI"),
                               ("Philadelphia Eagles", "Super Bowl LXI"),
                               ("Real Madrid", "Champions League"), ("Arsenal", "Premier League")))
    return _yes_no(f"Will the {team} win the {league}?", ("sports",), team)


def _politics(rng: random.Random) -> Spec:
    person = rng.choice(("Gavin Newsom", "Josh Shapiro", "Pete Buttigieg", "Gretchen Whitmer",
                         "Andy Beshear", "Wes Moore"))
    question = f"Will {person} win the 2028 Democratic presidential nomination?"
    return _yes_no(question, ("politics", "elections"), person)


def _crypto_level(rng: random.Random) -> Spec:
    coin, base = rng.choice((("Bitcoin", 120_000), ("Ethereum", 5_000), ("Solana", 300)))
    level = base + rng.randrange(-3, 4) * base // 20
    month = rng.choice(_MONTHS)
    question = f"Will {coin} reach ${level:,} in {month}?"
    return _yes_no(question, ("crypto",), f"${level:,}")


def _misc(rng: random.Random) -> Spec:
    question = rng.choice((
        "Will OpenAI release GPT-6 before the end of the year?",
        "US recession in 2026?",
        "Will it snow in New York City on Christmas Day?",
        "Will Taylor Swift announce a new album before December?",
        "Will SpaceX land Starship on Mars before 2027?",
    ))
    return _yes_no(question, ("culture",))


def _edge_spec(rng: random.Random) -> Spec:
    level = rng.choice((60_000, 70_000, 80_000))
    month = rng.choice(_MONTHS)
    question = f"Will Bitcoin stay above ${level:,} through {month}?"
    return _yes_no(question, ("crypto",), f"${level:,}")


_TEMPLATES = (_fed, _crypto_updown, _stock, _sports, _politics, _crypto_level, _misc,
              _crypto_updown)


def default_tick(price: int) -> int:
    """The tick a market gets at ``price``: 0.001 beyond 0.96 / below 0.04, else 0.01."""
    if price > 960_000 or price < 40_000:
        return 1_000
    return 10_000

