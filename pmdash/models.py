"""Typed events and values shared by every layer.

Every event is a frozen, slotted ``msgspec.Struct`` (measured: ~95 ns to build against ~1.5 us
for a frozen slotted dataclass, and the codec builds one per wire event). The struct tag is the
event's ``type`` name used by ``pmdash tail`` (``book_snapshot``, ``book_delta``, ...).

Units: every price and size is an ``int`` of micro-units (see ``pmdash.units``): 0.51 is
``510_000``; a tick of 0.01 is ``10_000``. Timestamps are ``int`` Unix milliseconds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import msgspec

Side = Literal["BUY", "SELL"]
Level = tuple[int, int]
"""One book level: (price units, size units)."""


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    feed: str


# --- CLOB market channel -------------------------------------------------------------------


class BookSnapshot(_Event, tag="book_snapshot", frozen=True, kw_only=True, gc=False):
    """A full book for one asset: replaces whatever the client held."""

    asset_id: str
    market: str
    bids: tuple[Level, ...]
    """Best (highest) first."""
    asks: tuple[Level, ...]
    """Best (lowest) first."""
    timestamp: int
    hash: str = ""
    tick_size: int | None = None
    last_trade_price: int | None = None


class LevelChange(msgspec.Struct, frozen=True, gc=False):
    """One entry of a ``price_change``: the new aggregate size at ``price`` (0 removes it)."""

    asset_id: str
    side: Side
    price: int
    size: int
    best_bid: int | None = None
    best_ask: int | None = None
    hash: str = ""


class BookDelta(_Event, tag="book_delta", frozen=True, kw_only=True, gc=False):
    """A ``price_change`` message: level updates for one market, possibly several assets."""

    market: str
    timestamp: int
    changes: tuple[LevelChange, ...]


class Trade(_Event, tag="trade", frozen=True, kw_only=True, gc=False):
    """A ``last_trade_price``: a maker and a taker matched."""

    asset_id: str
    market: str
    price: int
    size: int | None = None
    side: Side | None = None
    timestamp: int
    fee_rate_bps: str = ""
    transaction_hash: str = ""


class TickSizeChange(_Event, tag="tick_size", frozen=True, kw_only=True, gc=False):
    asset_id: str
    market: str
    old_tick_size: int | None = None
    new_tick_size: int
    timestamp: int


class BestBidAsk(_Event, tag="best_bid_ask", frozen=True, kw_only=True, gc=False):
    asset_id: str
    market: str
    best_bid: int | None = None
    best_ask: int | None = None
    spread: int | None = None
    timestamp: int


class NewMarket(_Event, tag="new_market", frozen=True, kw_only=True, gc=False):
    id: str
    market: str
    question: str = ""
    slug: str = ""
    asset_ids: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    tick_size: int | None = None
    timestamp: int


class MarketResolved(_Event, tag="market_resolved", frozen=True, kw_only=True, gc=False):
    id: str
    market: str
    asset_ids: tuple[str, ...] = ()
    winning_asset_id: str = ""
    winning_outcome: str = ""
    timestamp: int


class UnknownEvent(_Event, tag="unknown", frozen=True, kw_only=True):
    """An ``event_type`` this version does not know: kept, not an error (PROTOCOLS §0.4)."""

    event_type: str
    data: dict[str, Any]


# --- Your account (both venues: the CLOB user channel and Polymarket US private) -----------
# Shared by the CLOB ``user`` feed and the US ``us-private`` feed: each codec turns its wire
# frames into these, and one ``Portfolio`` reduces them. Money amounts are micro-units (USD or
# USDC, exact); prices and sizes as above.

Venue = Literal["clob", "us"]


class OrderEvent(_Event, tag="order", frozen=True, kw_only=True, gc=False):
    """One of your orders was placed, changed (partly filled) or cancelled, or is listed in a
    snapshot (REST open orders, or the US order snapshot)."""

    venue: Venue
    order_id: str
    market: str
    """The CLOB condition id, or the US market slug."""
    asset_id: str = ""
    """The CLOB token id; on the US venue the market slug again."""
    outcome: str = ""
    side: Side
    price: int
    original_size: int
    size_matched: int = 0
    status: str
    """The venue's status, upper case (``LIVE``, ``MATCHED``, ``CANCELED``, ``FILLED``, ...)."""
    kind: str = ""
    """``PLACEMENT``, ``UPDATE``, ``CANCELLATION``, ``SNAPSHOT``, or the venue's own word."""
    order_type: str = ""
    timestamp: int


class Fill(_Event, tag="fill", frozen=True, kw_only=True, gc=False):
    """A trade you were part of, at one step of its life (``MATCHED`` -> ``MINED`` ->
    ``CONFIRMED``, or ``RETRYING`` -> ``FAILED``; a US execution is final at once)."""

    venue: Venue
    trade_id: str
    order_id: str = ""
    market: str
    asset_id: str = ""
    outcome: str = ""
    side: Side
    """Your side of the trade (a maker fill: the maker order's side)."""
    price: int
    """Your price (a maker fill: the maker order's price)."""
    size: int
    status: str
    role: Literal["taker", "maker"] = "taker"
    timestamp: int
    fee_rate_bps: str = ""


class Position(_Event, tag="position", frozen=True, kw_only=True, gc=False):
    """What you hold of one outcome (from REST, or a US position update)."""

    venue: Venue
    asset_id: str
    market: str = ""
    outcome: str = ""
    title: str = ""
    size: int
    avg_price: int
    cost: int | None = None
    realized_pnl: int | None = None
    timestamp: int


class Balance(_Event, tag="balance", frozen=True, kw_only=True, gc=False):
    """Your cash on one venue (and, where the venue says, buying power and what open orders
    hold)."""

    venue: Venue
    currency: str = "USDC"
    cash: int
    buying_power: int | None = None
    open_orders: int | None = None
    timestamp: int


AccountEvent = OrderEvent | Fill | Position | Balance



# --- Live games (the sports socket, PROTOCOLS §4) -----------------------------------------
# Informational: Polymarket's own documentation warns these scores may be delayed or wrong.

ScoreFormat = Literal["points", "esports", "sets", "raw"]


class Score(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A game's score as the feed wrote it (``raw``) and, where its format is known, parsed.

    ``points``: ``"88-91"``: ``home``/``away`` are the two numbers in wire order (the feed
    lists the home team first; unconfirmed). ``esports``: ``"000-000|2-1|Bo3"``: ``home``/``away``
    are maps won, ``parts`` holds the current map's rounds, ``best_of`` the series length.
    ``sets`` (tennis): ``"6-4, 3-6, 2-1"``: ``parts`` holds every set's games, ``home``/``away``
    the sets decided so far. ``raw``: none of these; only ``raw`` is meaningful."""

    raw: str
    format: ScoreFormat = "raw"
    home: int | None = None
    away: int | None = None
    parts: tuple[tuple[int, int], ...] = ()
    best_of: int | None = None


class GameScore(_Event, tag="game", frozen=True, kw_only=True, gc=False):
    """One game's state as the sports socket last sent it (every message is the whole game)."""

    game_id: int
    league: str
    """``leagueAbbreviation``, lower case (``nba``, ``cs2``, ...)."""
    slug: str = ""
    home_team: str = ""
    away_team: str = ""
    status: str
    """As sent (``InProgress``, ``Final``, ``running``, ...): unknown words are kept."""
    score: Score
    period: str = ""
    elapsed: str = ""
    live: bool = False
    ended: bool = False
    turn: str = ""
    """The team with possession (NFL/CFB), else empty."""
    finished_ms: int | None = None
    """``finished_timestamp`` / ``finishedTimestamp`` in Unix ms, when the game ended."""


# --- Reference prices (PolyBolt §3b, RTDS §3) ----------------------------------------------
# Both price feeds decode into these; one ``PriceBoard`` reduces them. A price is an exact
# ``Decimal`` (a Chainlink TWAP carries up to 18 places: micro-units would round it).

PriceKind = Literal["spot", "twap"]


class PriceTick(_Event, tag="price", frozen=True, kw_only=True, gc=False):
    """One reference price: an update, or one point of a subscribe snapshot (``snapshot``)."""

    source: str
    """Who priced it: ``pyth``, ``chainlink``, ``binance``, ``massive``... (``""``: the frame
    did not say, as in the 2026-09 PolyBolt capture)."""
    symbol: str
    """Normalised to lowercase ``<coin>usd`` for crypto (``btcusdt``, ``btc/usd`` -> ``btcusd``);
    equity symbols lowercase (``aapl``)."""
    kind: PriceKind
    channel: str
    """The wire channel or topic (``price.crypto``, ``crypto_prices_chainlink``, ...)."""
    value: Decimal
    """Exact: ``full_accuracy_value`` when the frame has it, else the JSON number as written."""
    timestamp: int
    """The price's own time (ms), not the frame's."""
    seq: int | None = None
    """PolyBolt's per-connection, per-channel sequence number of the frame (``None``: RTDS)."""
    snapshot: bool = False
    window_s: int | None = None
    """A TWAP's window in seconds."""


class PriceGap(_Event, tag="price_gap", frozen=True, kw_only=True, gc=False):
    """The server dropped frames of ``channel`` (PolyBolt ``dropped: n``): no replay comes."""

    channel: str
    dropped: int
    timestamp: int
    symbol: str = ""
    """The symbol of the frame that carried the count; the loss is on the whole channel."""


class FeedAck(_Event, tag="feed_ack", frozen=True, kw_only=True, gc=False):
    """A control answer from the server: ``authed``, ``subscribed``, ``unsubscribed``, ``pong``,
    ``challenge`` or ``error`` (with its ``code``: ``auth_invalid``, ``bad_filter``, ...)."""

    op: str
    rid: str = ""
    channel: str = ""
    code: str = ""
    provider: str = ""


PriceEvent = PriceTick | PriceGap | FeedAck


# --- Connection and decoding status --------------------------------------------------------

FeedState = Literal["connecting", "live", "stale", "backoff", "failed", "stopped"]


class FeedStatus(_Event, tag="feed_status", frozen=True, kw_only=True, gc=False):
    """The health of one feed's connection, as the connection loop sees it."""

    state: FeedState
    detail: str = ""
    url: str = ""
    frames: int = 0
    """Data frames received (heartbeats, ``PONG`` or an answered server ``PING``, left out)."""
    frames_per_s: float = 0.0
    """Data frames per second, recently."""
    last_frame_age_s: float | None = None
    """Seconds since the last data frame: how old what it delivered may be."""
    latency_ms: float | None = None
    """Wall clock now minus the server timestamp of the newest event (``None``: unknown)."""
    reconnects: int = 0
    """Sockets opened after the first one (not connection attempts)."""
    decode_errors: int = 0
    backoff_until: float | None = None
    """Unix time (seconds) of the next attempt while ``state == "backoff"``."""


class FeedError(_Event, tag="feed_error", frozen=True, kw_only=True, gc=False):
    """A frame, or a part of one, that could not be decoded. Never raised: returned."""

    message: str
    sample: str = ""
    """The start of the offending frame (at most 120 characters), for the log."""
    asset_ids: tuple[str, ...] = ()
    """Books the unreadable input concerned, where the codec could tell."""
    market: str = ""
    """The market (condition id) it concerned, where the codec could tell."""
    all_books: bool = False
    """True when the input could have changed any book (e.g. not JSON at all): the store then
    distrusts every book of the feed and has them rebuilt from fresh snapshots."""


# --- Market metadata (Gamma / the embedded exchange) ---------------------------------------


class MarketInfo(msgspec.Struct, frozen=True):
    """One binary market: its condition id, tokens and outcomes (index-aligned)."""

    condition_id: str
    question: str
    slug: str
    token_ids: tuple[str, ...]
    outcomes: tuple[str, ...]
    tick_size: int = 10_000
    active: bool = True
    closed: bool = False
    gamma_id: str = ""
    outcome_prices: tuple[int, ...] = ()
    """Gamma's displayed price of each outcome (micro-units, index-aligned with ``outcomes``):
    a snapshot from the REST lookup, not live; empty when Gamma gave none usable."""
    game_id: int | None = None
    """The sports game the market is on (Gamma ``gameId``, on the market or its event)."""

    def outcome_of(self, asset_id: str) -> str:
        try:
            return self.outcomes[self.token_ids.index(asset_id)]
        except (ValueError, IndexError):
            return "?"


MarketEvent = (
    BookSnapshot
    | BookDelta
    | Trade
    | TickSizeChange
    | BestBidAsk
    | NewMarket
    | MarketResolved
    | UnknownEvent
    | FeedError
)
Event = MarketEvent | AccountEvent | PriceEvent | GameScore | FeedStatus
