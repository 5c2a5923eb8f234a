"""Ingest cost as instructions per frame (callgrind), for a machine too noisy to time.

Run: ``python benchmarks/ingest_counts.py [--scenario 1|2|3] [--full]`` (needs ``valgrind``).

``benchmarks/ingest.py`` times messages/s; on a shared machine its runs vary by half (the same
tree gave pmdash/ref from 0.44 to 0.82 in one hour). Instructions do not: callgrind counts the
same total on every run of the same code (a different string hash seed moves it by about 0.3%;
``PYTHONHASHSEED`` is fixed here). For each client (pmdash, the reference "msgspec + a good
book", and with ``--seed-guide`` the seed guide) it runs this file under callgrind twice: both
build three clients and apply the initial dump to each (``ingest.py`` does that before its
clock starts), then replay the scenario's frames through one client or through three. The
difference is two replays, divided by the frames replayed. Instructions are not time (a C loop
retires more of them per nanosecond than the interpreter), so the ratio is a second opinion on
``ingest.py``'s, not a replacement; the issue's target for (1) is pmdash/ref >= 300/420 = 0.714.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import ingest  # noqa: E402

CLIENTS = {"pmdash": "pmdash_client", "ref": "reference_client", "seed": "seed_client"}


def replay(client: str, scenario: int, replays: int, quick: bool) -> None:
    """Build three clients of ``client`` (dump applied), then replay through ``replays``."""
    rec = ingest._recording(ingest.SCENARIOS[scenario - 1], quick)
    runs = []
    for _ in range(3):
        ingest.market_codec.clear_value_caches()
        runs.append(getattr(ingest, CLIENTS[client])(rec)[1])
    for run in runs[:replays]:
        ingest.market_codec.clear_value_caches()
        run(rec.frames)


def count(client: str, scenario: int, replays: int, quick: bool, out: Path) -> int:
    """Instructions of one callgrind run of ``replay``."""
    args = [client, str(scenario), str(replays)] + ([] if quick else ["--full"])
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         sys.executable, __file__, "--replay", *args],
        check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"},
        cwd=ROOT, timeout=3600,
    )  # fmt: skip
    match = re.search(r"^summary: (\d+)$", out.read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no summary line in {out}")
    return int(match.group(1))


def per_frame(client: str, scenario: int, quick: bool, frames: int, work: Path) -> float:
    """Instructions per replayed frame (``frames`` in one replay)."""
    one = count(client, scenario, 1, quick, work / f"{client}.1")
    three = count(client, scenario, 3, quick, work / f"{client}.3")
    return (three - one) / (2 * frames)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=int, choices=(1, 2, 3), default=1)
    parser.add_argument("--full", action="store_true", help="the full recording, not --quick's")
    parser.add_argument("--seed-guide", action="store_true", help="also count the seed guide")
    parser.add_argument("--replay", nargs=3, metavar=("CLIENT", "SCENARIO", "N"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args(argv)
    if args.replay:
        client, scenario, replays = args.replay
        replay(client, int(scenario), int(replays), not args.full)
        return 0
    if shutil.which("valgrind") is None:
        print("ingest_counts: valgrind is not installed (it counts the instructions)")
        return 2
    scenario = ingest.SCENARIOS[args.scenario - 1]
    print(f"({scenario.number}) {scenario.name}: instructions per frame (callgrind), "
          f"{'full' if args.full else 'quick'} recording")  # fmt: skip
    clients = ["pmdash", "ref"] + (["seed"] if args.seed_guide else [])
    frames = len(ingest._recording(scenario, not args.full).frames)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for client in clients:
            figures[client] = per_frame(client, args.scenario, not args.full, frames, Path(tmp))
            print(f"  {client:7} {figures[client]:12,.0f}")
    pm, ref = figures["pmdash"], figures["ref"]
    print(f"  pmdash/ref by instructions: {ref / pm:.3f} (the issue's target for (1): "
          f"{ingest.TARGET_MIX_MSGS_PER_S / ingest.REFERENCE_AT_TARGET:.3f})")  # fmt: skip
    if "seed" in figures:
        print(f"  pmdash against the seed guide: {figures['seed'] / pm:.1f}x "
              f"(ref {figures['seed'] / ref:.1f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
