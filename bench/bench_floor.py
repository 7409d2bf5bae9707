"""Ours vs the floor, paired in the same run: client CPU per frame and wall rate (issue 15's first rows).

The floor is what no Python client on this stack can beat: bare aiohttp receive + upb ``FromString`` +
every field read, no models, no book (:func:`bench.e2e_ours.floor`). Frames are issue 15's sizes:
``aggre.deals`` with 10 trades, ``aggre.depth`` with 20+20 levels (ours keeps the local book and calls
the top-20 ``orderbook_handler`` after every update). The server (:mod:`bench.server`, its own
process) writes pre-built WebSocket frames straight to the socket (``raw`` scenarios): the aiohttp
writer topped out at 55-68k frames/s, below what the floor reads, so it measured itself.

Each client runs in a fresh process (:mod:`bench.floor_client`, imports cost nothing in the window),
timed between the first and the last frame its handler sees: **client CPU per frame**
(``time.process_time``, the client process only: steadier than wall rate on a shared host) and
frames/s. Per run the clients take turns (the order alternates between runs), so all see the same
load; "ours/floor" is the per-run CPU ratio, summarised over runs (median ±half-IQR).

``--before PYTHONPATH`` adds a third client: another tree (e.g. a ``git worktree`` of an older commit)
timed by the same script. Its ``bench/e2e_ours.py`` must record ``cpu_per_frame`` (copy this tree's
file there; for 43eb379 drop its ``exchanges_mexc.plugin`` import, see docs/performance.md).

    python -m bench.bench_floor [--runs 5] [--frames 20000] [--before /tmp/base:/tmp/base-lib]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.bench_e2e import configure
from bench.server import ServerProcess
from bench.stats import (
    Table,
    fmt_rate,
    fmt_ratio,
    fmt_summary,
    fmt_time,
    quick_mode,
    run_client_process,
    summarize,
)

CLIENT_SCRIPT = Path(__file__).with_name("floor_client.py")
TREE = str(Path(__file__).resolve().parent.parent)
SCENARIOS = {
    "trades": {"kind": "deals", "trades_per_frame": 10},
    "books": {"kind": "depth", "updates_per_frame": 20},
}
LABELS = {
    "trades": "WS trades, 10 trades/frame",
    "books": "WS books, 20+20 levels/frame, local book + top-20 handler",
}
TARGET = 1.3
CLIENT_TIMEOUT = 300.0


def run_client(
    server: ServerProcess, client: str, scenario: str, frames: int, pythonpath: str
) -> dict[str, Any]:
    """Configure a fresh scenario and time one client process on it."""
    spec = SCENARIOS[scenario]
    info = configure(server, mode="blast", frames=frames, raw=True, **spec)
    payload = {"client": "floor" if client == "floor" else "ours", "kind": spec["kind"], "info": info}
    payload |= {"rest": server.rest_url, "ws": server.ws_url}
    result = run_client_process(
        CLIENT_SCRIPT, payload, pythonpath, label=f"{client}/{scenario}", timeout=CLIENT_TIMEOUT
    )
    if result.get("dropped"):
        raise RuntimeError(f"{client}/{scenario}: {result['dropped']} events dropped")
    return result


def measure(runs: int, frames: int, before: str | None) -> dict[tuple[str, str], list[dict[str, Any]]]:
    clients = {"floor": TREE, "ours": TREE}
    if before:
        clients["before"] = before
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with ServerProcess() as server:
        for run in range(runs):
            for scenario in SCENARIOS:
                order = list(clients) if run % 2 == 0 else list(reversed(clients))
                for client in order:
                    result = run_client(server, client, scenario, frames, clients[client])
                    results.setdefault((scenario, client), []).append(result)
                    print(
                        f"[bench_floor] run {run + 1}/{runs} {scenario:6} {client:6} "
                        f"{result['cpu_per_frame'] * 1e6:6.2f} us CPU/frame {result['fps']:9,.0f} frames/s",
                        file=sys.stderr,
                        flush=True,
                    )
    return results


def table(results: dict[tuple[str, str], list[dict[str, Any]]], runs: int, frames: int) -> Table:
    out = Table(
        f"WebSocket client vs the floor: {frames:,} pre-built frames straight to the socket, {runs} runs",
        ["path", "client", "CPU/frame", "frames/s", "ours/floor (CPU)", "target"],
        note="median of runs ±half-IQR; ratios are per run (same run, same load), then summarised; "
        "CPU = client process time between the first and the last frame its handler sees",
    )
    for scenario, label in LABELS.items():
        floor_runs = results[(scenario, "floor")]
        for client in ("floor", "ours", "before"):
            rows = results.get((scenario, client))
            if not rows:
                continue
            cpu = summarize(r["cpu_per_frame"] for r in rows)
            fps = summarize(r["fps"] for r in rows)
            ratio = ""
            target = ""
            if client != "floor":
                per_run = [
                    r["cpu_per_frame"] / f["cpu_per_frame"] for r, f in zip(rows, floor_runs, strict=False)
                ]
                summary = summarize(per_run)
                ratio = f"{fmt_ratio(summary.median)} ±{summary.spread * 100:.0f}%"
                if client == "ours":
                    met = "met" if summary.median <= TARGET else "MISSED"
                    target = f"<= {TARGET}x {met}"
            out.add_row(
                label if client == "floor" else "",
                client,
                fmt_summary(cpu, fmt_time),
                fmt_summary(fps, fmt_rate),
                ratio,
                target,
            )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    quick = quick_mode()
    ap = argparse.ArgumentParser(prog="python -m bench.bench_floor", description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2 if quick else 5)
    ap.add_argument("--frames", type=int, default=5000 if quick else 20000)
    ap.add_argument("--before", help="PYTHONPATH of another tree to time as a third client")
    args, _ = ap.parse_known_args(argv)  # `python -m bench -- --no-ccxt` passes flags meant for others
    results = measure(args.runs, args.frames, args.before)
    table(results, args.runs, args.frames).print()


if __name__ == "__main__":
    main()
