"""End-to-end WebSocket: MEXC protobuf frames from a separate server process into handlers.

The server (:mod:`bench.server`, its own process) pushes pre-encoded ``PushDataV3ApiWrapper`` frames
over loopback: ``aggre.deals`` (3 trades per frame) and ``aggre.depth`` (5 bid + 5 ask levels,
continuous versions, with a consistent REST ``/api/v3/depth`` snapshot). Each repetition runs, one
after the other on the same server:

* **ours**: ``MexcPublicSpotWebsocket`` -> ``trade_handler`` / local book -> ``orderbook_handler``;
* **ccxt.pro 4.5.90** (own venv, subprocess): ``watch_trades`` / ``watch_order_book``;
* **floor**: bare aiohttp receive + ``FromString`` + every field read (no models, no book): what any
  Python client on this stack cannot beat.

Throughput (``blast``): frames/s between the first and the last frame seen by the handler, the server
sending back to back. Latency (``rate``): server ``time.time()`` stamp (microseconds, in the
wrapper's ``sendTime`` and each deal's ``time``) to ``time.time()`` in the handler, at a fixed rate;
p50/p99/p99.9/max per run, at 1,000 and 10,000 frames/s by default. Figures are medians over runs
with their spread; ratios are per run.

    python -m bench.bench_e2e [--runs 5] [--frames 20000] [--rate 1000 --rate 10000] [--seconds 3] [--no-ccxt]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sys
import urllib.request
from collections.abc import Sequence
from typing import Any

from bench import e2e_ours
from bench.ccxt_env import CcxtRunner, start_runner
from bench.server import ServerProcess
from bench.stats import Table, fmt_rate, fmt_ratio, fmt_summary, fmt_time, percentile, quick_mode, summarize

KINDS = {"deals": "trades (aggre.deals)", "depth": "order book (aggre.depth)"}
TARGET = 10.0


def configure(server: ServerProcess, **spec: Any) -> dict[str, Any]:
    """POST the scenario to the server; returns the versions/ids the clients must reach."""
    kind = spec["kind"]
    spec.setdefault("channel", f"spot@public.aggre.{kind}.v3.api.pb@100ms@BTCUSDT")
    req = urllib.request.Request(
        server.rest_url + "/bench/scenario",
        data=json.dumps(spec).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        info: dict[str, Any] = json.load(resp)
    return info


def _ccxt(
    runner: CcxtRunner | None, server: ServerProcess, kind: str, mode: str, info: dict[str, Any]
) -> Any:
    if runner is None:
        return None
    cmd = {"cmd": "e2e", "kind": kind, "mode": mode, "info": info}
    answer = runner.call({**cmd, "rest_url": server.rest_url, "ws_url": server.ws_url})
    if not answer.get("ok"):
        print(f"[bench_e2e] ccxt {kind}/{mode} failed: {answer.get('error')}", file=sys.stderr, flush=True)
        return None
    return answer


def throughput(server: ServerProcess, runner: CcxtRunner | None, runs: int, n: int) -> list[Table]:
    table = Table(
        f"E2E WebSocket throughput: server process blasts {n:,} frames over loopback (frames/s to handlers)",
        ["stream", "client", "frames/s", "vs ccxt.pro", "target", "notes"],
        note="median of runs ±half-IQR; 'vs ccxt.pro' = median of per-run ratios ours/ccxt; "
        "trades: 3 per frame; book frames: 10 levels.\n   * local book maintained, no orderbook_handler "
        "(so no top-20 snapshot per update), progress polled every 1 ms",
    )
    for kind, label in KINDS.items():
        rows: dict[str, list[float]] = {"ours": [], "ccxt": [], "floor": [], "book_only": []}
        ratios: list[float] = []
        dropped = 0
        book_ok = True
        for _ in range(runs):
            info = configure(server, kind=kind, mode="blast", frames=n)
            mine = asyncio.run(e2e_ours.ours(server.rest_url, server.ws_url, kind, "blast", info))
            rows["ours"].append(mine["fps"])
            dropped += int(mine["dropped"])
            if mine["dropped"]:
                print(f"[bench_e2e] ours dropped frames/events: {mine['dropped_detail']}", file=sys.stderr)
            book_ok = book_ok and bool(mine.get("book_ok", True))
            theirs = _ccxt(
                runner, server, kind, "blast", configure(server, kind=kind, mode="blast", frames=n)
            )
            if theirs is not None:
                rows["ccxt"].append(theirs["fps"])
                ratios.append(mine["fps"] / theirs["fps"])
            if kind == "depth":
                info = configure(server, kind=kind, mode="blast", frames=n)
                only = asyncio.run(
                    e2e_ours.ours(server.rest_url, server.ws_url, kind, "blast", info, book_only=True)
                )
                rows["book_only"].append(only["fps"])
            info = configure(server, kind=kind, mode="blast", frames=n)
            rows["floor"].append(
                asyncio.run(e2e_ours.floor(server.rest_url, server.ws_url, kind, info))["fps"]
            )
        notes = f"dropped={dropped}" + (
            "" if kind == "deals" else f", final book {'OK' if book_ok else 'WRONG'}"
        )
        ratio = fmt_summary(summarize(ratios), fmt_ratio) if ratios else "n/a"
        met = "" if not ratios else ("met" if summarize(ratios).median >= TARGET else "MISSED")
        table.add_row(
            label,
            "ours",
            fmt_summary(summarize(rows["ours"]), fmt_rate),
            ratio,
            f">= {TARGET:.0f}x {met}",
            notes,
        )
        if rows["ccxt"]:
            table.add_row("", "ccxt.pro 4.5.90", fmt_summary(summarize(rows["ccxt"]), fmt_rate), "1x")
        else:
            table.add_row("", "ccxt.pro 4.5.90", "unavailable")
        if rows["book_only"]:
            table.add_row("", "ours, book only*", fmt_summary(summarize(rows["book_only"]), fmt_rate))
        table.add_row("", "floor: aiohttp+parse", fmt_summary(summarize(rows["floor"]), fmt_rate))
    return [table]


def latency(
    server: ServerProcess, runner: CcxtRunner | None, runs: int, rate: float, seconds: float
) -> Table:
    n = int(rate * seconds)
    table = Table(
        f"E2E latency, server send -> handler, {rate:,.0f} frames/s for {seconds:g} s ({n:,} frames per run)",
        ["stream", "client", "p50", "p99", "p99.9", "max", "samples/run", "GC max", "run-queue wait"],
        note="per-run percentiles (first 5% of samples skipped), median over runs ±half-IQR; "
        "stamps are time.time() in microseconds on both sides (same host clock); ours: start-up garbage\n"
        "   collected before the window; GC max = longest collector pause in the window (max over runs); "
        "run-queue wait = share of the window our client was runnable but had no CPU (host load; median)",
    )
    for kind, label in KINDS.items():
        results: dict[str, list[tuple[float, float, float, float, int]]] = {"ours": [], "ccxt": []}
        pauses: list[float] = []
        waits: list[float] = []
        for _ in range(runs):
            info = configure(server, kind=kind, mode="rate", frames=n, rate=rate)
            mine = asyncio.run(e2e_ours.ours(server.rest_url, server.ws_url, kind, "rate", info))
            results["ours"].append(_percentiles(mine["latencies_us"]))
            pauses.append(mine["gc_max_ms"])
            if mine["run_queue_share"] is not None:
                waits.append(mine["run_queue_share"])
            theirs = _ccxt(
                runner, server, kind, "rate", configure(server, kind=kind, mode="rate", frames=n, rate=rate)
            )
            if theirs is not None:
                results["ccxt"].append(_percentiles(theirs["latencies_us"]))
        for client, name in (("ours", "ours"), ("ccxt", "ccxt.pro 4.5.90")):
            res = results[client]
            if not res:
                table.add_row(label if client == "ours" else "", name, "unavailable")
                continue
            cells = [fmt_summary(summarize(r[i] / 1e6 for r in res), fmt_time) for i in range(4)]
            if client == "ours":
                wait = f"{summarize(waits).median * 100:.1f} %" if waits else "n/a"
                cells += [f"{res[0][4]:,}", f"{max(pauses):.1f} ms", wait]
            else:
                cells.append(f"{res[0][4]:,}")
            table.add_row(label if client == "ours" else "", name, *cells)
    return table


def _percentiles(samples: Sequence[float]) -> tuple[float, float, float, float, int]:
    """p50, p99, p99.9 and max of one run (first 5 % skipped: connection warm-up), and the count."""
    kept = list(samples)[len(samples) // 20 :]
    return percentile(kept, 50), percentile(kept, 99), percentile(kept, 99.9), max(kept), len(kept)


def profile(server: ServerProcess, n: int) -> None:
    """cProfile one blast of each kind through our client; print the top functions by own time."""
    for kind in KINDS:
        info = configure(server, kind=kind, mode="blast", frames=n)
        prof = cProfile.Profile()
        prof.enable()
        asyncio.run(e2e_ours.ours(server.rest_url, server.ws_url, kind, "blast", info))
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
        print(f"== cProfile, our client, {kind} blast of {n:,} frames (sorted by own time)")
        print("\n".join(out.getvalue().splitlines()[:45]) + "\n", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    quick = quick_mode()
    ap = argparse.ArgumentParser(prog="python -m bench.bench_e2e", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3 if quick else 5)
    ap.add_argument("--frames", type=int, default=5000 if quick else 20000, help="frames per blast")
    ap.add_argument(
        "--rate",
        type=float,
        action="append",
        help="frames/s for the latency runs (repeatable; default 1,000 and 10,000)",
    )
    ap.add_argument("--seconds", type=float, default=1.0 if quick else 3.0, help="duration of a latency run")
    ap.add_argument("--no-ccxt", action="store_true", help="skip the ccxt.pro comparison")
    ap.add_argument("--no-ccxt-install", action="store_true", help="use the ccxt venv only if it exists")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of our hot path")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))

    runner = start_runner(enabled=not args.no_ccxt, install=not args.no_ccxt_install)
    try:
        with ServerProcess() as server:
            if runner is not None:
                hello = runner.call({"cmd": "hello"})
                print(f"ccxt venv: {hello}", flush=True)
            for table in throughput(server, runner, args.runs, args.frames):
                table.print()
            for rate in args.rate or [1000.0, 10000.0]:
                latency(server, runner, args.runs, rate, args.seconds).print()
            if args.profile:
                profile(server, args.frames)
    finally:
        if runner is not None:
            runner.close()


if __name__ == "__main__":
    main()
