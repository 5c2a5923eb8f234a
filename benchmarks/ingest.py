"""Ingest throughput: market-channel frames -> local books, pmdash against the seed guide.

Run: ``python benchmarks/ingest.py [--quick] [--repeats N] [--profile N]``.

Every scenario replays one deterministic recording (``benchmarks/market_frames.py``) through
(a) pmdash: ``pmdash.feeds.market.decode`` + ``Store.apply``, and (b) the seed guide's
``LocalOrderbook`` (``benchmarks/seed_baseline.py``: ``json.loads``, dict of price string ->
float per side, ``max()``/``min()`` over the keys on every read), and (c) "msgspec decoding
plus a good book" (``benchmarks/reference_book.py``), the approach the issue measured at about
420,000 messages/s on its machine when it set the 300,000 target: measured here, in the same
process, it says what that target corresponds to on this machine. After every message all
three do what the guide's loop does after every message, for each book the message touched:
build the line ``f"Bid: {best_bid} | Ask: {best_ask} | Spread: {spread}"`` (not printed), which
reads the best bid, the best ask and the spread (the guide's ``spread`` reads both best prices
again).
pmdash is also measured reading the three values without building the line ("reads").

Scenarios: (1) the mix on 30-level books, (2) the mix on 1000-level books, (3) price_change and
last_trade_price only on 1000-level books loaded once by the initial dump. Targets (the issue):
(1) >= 300,000 messages/s for pmdash (the issue's machine, where (c) made
about 420,000); (3) >= 50x the seed guide.

Same process, same frames; each side runs several times on a fresh client and the best run
counts, the four sides taking turns run by run (a slow stretch of a shared machine then falls
on all of them, not on one side's block of runs). The initial dump (one ``book`` per token)
is applied before the clock starts. All three must end with the same best prices on every book
(checked after every scenario). Recordings: two binary markets (four tokens, all watched);
"levels" are per side; 30-level books use tick 0.01, 1000-level books tick 0.0001 (1000 levels
per side do not fit between 0 and 1 at 0.001). Time is this process's CPU time
(``time.process_time``), best of N. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.market_frames import Recording, record
from benchmarks.reference_book import ReferenceClient
from benchmarks.seed_baseline import SeedClient
from pmdash.feeds import market as market_codec
from pmdash.feeds.market import decode
from pmdash.models import BookDelta, MarketEvent
from pmdash.state.book import OrderBook
from pmdash.state.market import MarketState
from pmdash.state.store import Store
from pmdash.units import parse_price

TARGET_MIX_MSGS_PER_S = 300_000
"""Scenario 1: pmdash messages/s on one core."""
TARGET_DEEP_RATIO = 50.0
"""Scenario 3: pmdash against the seed guide on 1000-level books."""
REFERENCE_AT_TARGET = 420_000
"""What the issue measured for msgspec decoding plus a good book, on its machine."""


@dataclass(frozen=True)
class Scenario:
    number: int
    name: str
    about: str
    depth: int
    tick: int
    mix: tuple[float, float, float]
    """Weights of price_change, last_trade_price and book frames after the initial dump."""
    messages: int
    quick_messages: int


SCENARIOS = (
    Scenario(
        1,
        "mix, 30-level books",
        "70% price_change, 20% last_trade_price, 10% book; 30 levels per side, tick 0.01",
        30,
        10_000,
        (0.7, 0.2, 0.1),
        30_000,
        5_000,
    ),
    Scenario(
        2,
        "mix, 1000-level books",
        "the same mix; every book frame carries 1000 levels per side, tick 0.0001",
        1000,
        100,
        (0.7, 0.2, 0.1),
        4_000,
        800,
    ),
    Scenario(
        3,
        "deltas+trades, 1000-level books",
        "1000-level books loaded once by the initial dump, then price_change and"
        " last_trade_price (7:2), no further book frames",
        1000,
        100,
        (0.7, 0.2, 0.0),
        30_000,
        5_000,
    ),
)


# --- the two ingest loops -----------------------------------------------------------------


def touched_assets(events: list[MarketEvent]) -> dict[str, None]:
    """The assets a frame's events name, each once, in order (the loops below inline this)."""
    touched: dict[str, None] = {}
    for event in events:
        if type(event) is BookDelta:
            for change in event.changes:
                touched[change.asset_id] = None
        else:
            asset_id = getattr(event, "asset_id", None)
            if asset_id is not None:
                touched[asset_id] = None
    return touched


def pmdash_client(
    rec: Recording, build_lines: bool = True
) -> tuple[MarketState, Callable[[list[str]], int]]:
    """pmdash's loop: decode, ``Store.apply``, then for every book the frame touched the
    guide's line (``build_lines``) or only the three reads it makes."""
    market = MarketState()
    store = Store([market])
    market.watch(rec.asset_ids)
    store.apply(decode(rec.initial))
    books = market.books
    apply = store.apply

    # The two loops differ only in what they do per book; each is written out in full (a
    # helper would add a call per frame to the figures).
    def run(frames: list[str]) -> int:
        lines = 0
        for frame in frames:
            events = decode(frame)
            apply(events)
            touched: dict[str, None] = {}  # as the seed's loop: each book once per frame
            for event in events:
                if type(event) is BookDelta:
                    for change in event.changes:
                        touched[change.asset_id] = None
                else:
                    asset_id = getattr(event, "asset_id", None)
                    if asset_id is not None:
                        touched[asset_id] = None
            for asset_id in touched:
                book = books.get(asset_id)
                if book is not None:
                    f"Bid: {book.best_bid} | Ask: {book.best_ask} | Spread: {book.spread}"
                    lines += 1
        return lines

    def run_reads(frames: list[str]) -> int:
        lines = 0
        for frame in frames:
            events = decode(frame)
            apply(events)
            touched: dict[str, None] = {}
            for event in events:
                if type(event) is BookDelta:
                    for change in event.changes:
                        touched[change.asset_id] = None
                else:
                    asset_id = getattr(event, "asset_id", None)
                    if asset_id is not None:
                        touched[asset_id] = None
            for asset_id in touched:
                book = books.get(asset_id)
                if book is not None:
                    book.best_bid  # noqa: B018 - the read is what is measured
                    book.best_ask  # noqa: B018
                    book.spread  # noqa: B018
                    lines += 1
        return lines

    return market, run if build_lines else run_reads


def pmdash_reads_client(rec: Recording) -> tuple[MarketState, Callable[[list[str]], int]]:
    return pmdash_client(rec, build_lines=False)


def seed_client(rec: Recording) -> tuple[SeedClient, Callable[[list[str]], int]]:
    """The guide's loop: ``json.loads``, dispatch, then its line for every book touched."""
    client = SeedClient(rec.asset_ids)
    for item in json.loads(rec.initial):
        client.on_item(item)
    books = client.books
    on_item = client.on_item
    loads = json.loads

    def run(frames: list[str]) -> int:
        lines = 0
        for message in frames:
            if message == "PONG":
                continue
            data = loads(message)
            items = data if isinstance(data, list) else [data]
            touched: dict[str, None] = {}
            for item in items:
                touched.update(dict.fromkeys(on_item(item)))
            for token in touched:
                book = books[token]
                f"Bid: {book.best_bid} | Ask: {book.best_ask} | Spread: {book.spread}"
                lines += 1
        return lines

    return client, run


def reference_client(rec: Recording) -> tuple[ReferenceClient, Callable[[list[str]], int]]:
    """msgspec plus a good book (``benchmarks/reference_book.py``), then the same line."""
    client = ReferenceClient(rec.asset_ids)
    client.on_frame(rec.initial)
    books = client.books
    on_frame = client.on_frame

    def run(frames: list[str]) -> int:
        lines = 0
        for frame in frames:
            for token in on_frame(frame):
                book = books[token]
                f"Bid: {book.best_bid} | Ask: {book.best_ask} | Spread: {book.spread}"
                lines += 1
        return lines

    return client, run


def reset_value_caches() -> None:
    """Empty the codec's caches of sizes and book levels (``clear_value_caches``).

    Every repetition replays the same frames, so a cache filled by the previous repetition
    would turn every size into a hit; real traffic brings mostly new sizes. (Prices keep their
    cache: the price domain is small and warm after the initial dump anyway.)
    """
    market_codec.clear_value_caches()


def best_rates(
    makers: list[Callable], rec: Recording, repeats: int
) -> list[tuple[float, int, object]]:
    """Per maker: messages per second of the best of ``repeats`` fresh runs (and the last
    client and its line count).

    The runs take turns (round ``i`` runs every maker once), so a slow stretch of the machine
    falls on all of them alike rather than on one maker's block of runs: on a shared VM such a
    stretch lasts seconds, and the ratios between makers are what the report is about.
    """
    best = [float("inf")] * len(makers)
    lines = [0] * len(makers)
    clients: list[object] = [None] * len(makers)
    for _ in range(repeats):
        for index, make in enumerate(makers):
            reset_value_caches()
            client, run = make(rec)
            gc.collect()
            start = time.process_time()
            lines[index] = run(rec.frames)
            best[index] = min(best[index], time.process_time() - start)
            clients[index] = client
    return [(len(rec.frames) / b, n, c) for b, n, c in zip(best, lines, clients, strict=True)]


def decode_rate(rec: Recording, repeats: int) -> tuple[float, dict[str, float]]:
    """Decode alone: messages/s over the recording, and microseconds per frame by kind."""
    best = float("inf")
    for _ in range(repeats):
        reset_value_caches()
        decode(rec.initial)
        gc.collect()
        start = time.process_time()
        for frame in rec.frames:
            decode(frame)
        best = min(best, time.process_time() - start)
    per_kind: dict[str, float] = {}
    for kind in ("price_change", "last_trade_price", "book"):
        frames = [f for f in rec.frames if f'"event_type":"{kind}"' in f[:40]]
        if not frames:
            continue
        kind_best = float("inf")
        for _ in range(repeats):
            reset_value_caches()
            decode(rec.initial)
            start = time.process_time()
            for frame in frames:
                decode(frame)
            kind_best = min(kind_best, time.process_time() - start)
        per_kind[kind] = kind_best / len(frames) * 1e6
    return len(rec.frames) / best, per_kind


def apply_rate(rec: Recording, repeats: int) -> float:
    """The pmdash loop without decoding: pre-decoded events -> Store.apply + the same lines."""
    decoded = [decode(frame) for frame in rec.frames]
    best = float("inf")
    for _ in range(repeats):
        market = MarketState()
        store = Store([market])
        market.watch(rec.asset_ids)
        store.apply(decode(rec.initial))
        books: dict[str, OrderBook] = market.books
        apply = store.apply
        gc.collect()
        start = time.process_time()
        for events in decoded:
            apply(events)
            for asset_id in touched_assets(events):
                book = books.get(asset_id)
                if book is not None:
                    f"Bid: {book.best_bid} | Ask: {book.best_ask} | Spread: {book.spread}"
        best = min(best, time.process_time() - start)
    return len(decoded) / best


def check_agree(store: MarketState, client: SeedClient, reference: ReferenceClient) -> str:
    """All three must end with the same best prices on every book, and pmdash in sync."""
    for asset_id, book in store.books.items():
        seed = client.books[asset_id]
        seed_bid = parse_price(seed.best_bid) if seed.best_bid else None
        seed_ask = parse_price(seed.best_ask) if seed.best_ask else None
        if (book.best_bid, book.best_ask) != (seed_bid, seed_ask):
            return f"DISAGREE on {asset_id[:10]}"
        ref = reference.books[asset_id]
        if (ref.best_bid, ref.best_ask) != (seed_bid, seed_ask):
            return f"reference DISAGREES on {asset_id[:10]}"
        if book.state != "live":
            return f"pmdash book {asset_id[:10]} is {book.state}: {book.desync_reason}"
    return "agree"


# --- report ------------------------------------------------------------------------------


def _fmt_rate(rate: float) -> str:
    return f"{rate:,.0f}"


def _recording(scenario: Scenario, quick: bool) -> Recording:
    return record(
        scenario.name,
        messages=scenario.quick_messages if quick else scenario.messages,
        depth=scenario.depth,
        tick=scenario.tick,
        mix=scenario.mix,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages and repetitions")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--profile",
        metavar="N",
        type=int,
        default=None,
        help="cProfile the pmdash loop of scenario N (1-based) and print the top functions",
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 5)

    print(
        f"python {sys.version.split()[0]}, msgspec {msgspec.__version__}; CPU time"
        f" (time.process_time), best of {repeats} runs, one core"
    )
    print("scenarios:")
    rows = []
    for scenario in SCENARIOS:
        rec = _recording(scenario, args.quick)
        counts = ", ".join(f"{n:,} {kind}" for kind, n in rec.counts.items() if n)
        print(f"  ({scenario.number}) {scenario.name}: {scenario.about}")
        print(f"      {len(rec.frames):,} frames after the initial dump: {counts}")
        makers = [pmdash_client, seed_client, pmdash_reads_client, reference_client]
        results = best_rates(makers, rec, repeats)
        (ours, lines_a, store), (seed, lines_b, client) = results[0], results[1]
        (reads, lines_c, reads_store), (ref, lines_d, reference) = results[2], results[3]
        decoded, per_kind = decode_rate(rec, repeats)
        applied = apply_rate(rec, repeats)
        assert lines_a == lines_b == lines_c == lines_d, (lines_a, lines_b, lines_c, lines_d)
        agree = check_agree(store, client, reference)  # type: ignore[arg-type]
        assert agree == "agree", agree
        assert check_agree(reads_store, client, reference) == "agree"  # type: ignore[arg-type]
        rows.append((scenario, ours, seed, reads, ref, decoded, applied, per_kind, agree))
    print()

    header = (
        f"{'scenario':<36} {'pmdash':>9} {'seed':>8} {'ratio':>6}  {'reads':>9} {'ratio':>6}"
        f"  {'ref':>9} {'ratio':>6} {'pm/ref':>6}  {'decode':>9} {'apply':>9}  check"
    )
    print(header)
    print("-" * len(header))
    for scenario, ours, seed, reads, ref, decoded, applied, _, agree in rows:
        name = f"({scenario.number}) {scenario.name}"
        print(
            f"{name:<36} {_fmt_rate(ours):>9} {_fmt_rate(seed):>8} {ours / seed:>5.1f}x"
            f"  {_fmt_rate(reads):>9} {reads / seed:>5.1f}x"
            f"  {_fmt_rate(ref):>9} {ref / seed:>5.1f}x {ours / ref:>5.2f}x"
            f"  {_fmt_rate(decoded):>9} {_fmt_rate(applied):>9}  {agree}"
        )
    print(
        "messages/s. pmdash, seed: after every message both build the guide's line"
        ' f"Bid: .. | Ask: .. | Spread: .."\n'
        "for every book it touched. reads: pmdash reading best bid, best ask and spread"
        " without building the line.\n"
        "ref: msgspec decoding plus a good book (benchmarks/reference_book.py), the same"
        " line; ratio: against the seed; pm/ref: pmdash against it.\n"
        "decode: pmdash.feeds.market.decode alone. apply: Store.apply and the lines, on"
        " pre-decoded events."
    )
    print()
    print("pmdash decode cost per frame (microseconds), by event type:")
    for scenario, *_, per_kind, _ in rows:
        parts = ", ".join(f"{kind} {us:,.2f}" for kind, us in per_kind.items())
        print(f"  ({scenario.number}) {scenario.name:<32} {parts}")
    print()
    by_number = {row[0].number: row for row in rows}
    _, mix, _, mix_reads, mix_ref, *_ = by_number[1]
    print(
        f"target: (1) >= {TARGET_MIX_MSGS_PER_S:,} msg/s: "
        f"{'met' if mix >= TARGET_MIX_MSGS_PER_S else 'MISSED'} ({_fmt_rate(mix)};"
        f" reads only {_fmt_rate(mix_reads)})"
    )
    scaled = TARGET_MIX_MSGS_PER_S * mix_ref / REFERENCE_AT_TARGET
    print(
        f"        the issue's basis, msgspec + a good book at {REFERENCE_AT_TARGET:,} there,"
        f" makes {_fmt_rate(mix_ref)} here: the target scaled by that is {_fmt_rate(scaled)}"
        f" ({mix / scaled:.2f}x of it; pmdash/ref {mix / mix_ref:.2f},"
        f" target/basis {TARGET_MIX_MSGS_PER_S / REFERENCE_AT_TARGET:.2f})"
    )
    _, deep, deep_seed, deep_reads, deep_ref, *_ = by_number[3]
    ratio, ratio_reads = deep / deep_seed, deep_reads / deep_seed
    verdict = "met" if ratio >= TARGET_DEEP_RATIO else "MISSED"
    print(
        f"target: (3) >= {TARGET_DEEP_RATIO:.0f}x the seed guide: {verdict} ({ratio:.1f}x;"
        f" reads only {ratio_reads:.1f}x; msgspec + a good book {deep_ref / deep_seed:.1f}x)"
    )

    if args.profile:
        scenario = SCENARIOS[args.profile - 1]
        rec = _recording(scenario, quick=True)
        _, run = pmdash_client(rec)
        profiler = cProfile.Profile()
        profiler.runcall(run, rec.frames)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(16)
        print(f"\ncProfile of pmdash on ({scenario.number}) {scenario.name} (tottime):")
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
