"""Symbol scaling: client CPU per frame at 1, 10, 100 and 300 symbols, ours vs the floor (issue 15).

The same number of frames is spread round-robin over ``N`` symbols (:mod:`bench.scale_server`: depth
frames of 20+20 levels, or deals frames of 10 trades, pre-built WebSocket frames written straight to
the sockets). Each client subscribes to all ``N`` symbols in one call, over as many connections as
MEXC's 30 subscriptions per connection need (ours decides itself; the floor opens ``ceil(N / 30)``),
and runs in a fresh process (:mod:`bench.floor_client`). Figures: client CPU per frame
(``time.process_time`` of the client process between the first and the last blast frame its handler
sees) and frames/s. "vs 1 symbol" is the same client's per-run ratio CPU(N) / CPU(1): flat cost per
symbol means 1.0 (issue 15's target: <= 1.1x at 300 symbols for depth frames). Clients take turns
within each run (order alternating between runs), so all see the same load.

    python -m bench.bench_scale [--runs 3] [--frames 20000] [--symbols 1,10,100,300]
                                [--kinds depth,deals] [--before PYTHONPATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Sequence
from typing import Any

from bench.bench_floor import CLIENT_SCRIPT, CLIENT_TIMEOUT, TREE
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

SYMBOL_COUNTS = (1, 10, 100, 300)
LABELS = {
    "depth": "depth frames, 20+20 levels, local books + top-20 handler",
    "deals": "deals frames, 10 trades, trade handler",
}
TARGET = 1.1
"""Issue 15: CPU per depth frame at 300 symbols within 1.1x of 1 symbol."""

Results = dict[tuple[str, int, str], list[dict[str, Any]]]


def run_client(
    server: ServerProcess, client: str, kind: str, symbols: int, frames: int, pythonpath: str
) -> dict[str, Any]:
    """Configure a fresh scale scenario and time one client process on it."""
    spec = {
        "kind": kind,
        "symbols": symbols,
        "frames": frames,
        "updates_per_frame": 20,
        "trades_per_frame": 10,
    }
    req = urllib.request.Request(
        server.rest_url + "/bench/scenario",
        data=json.dumps(spec).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=300) as resp:
        info: dict[str, Any] = json.load(resp)
    payload = {"client": "floor" if client == "floor" else "ours", "kind": kind, "info": info}
    payload |= {"rest": server.rest_url, "ws": server.ws_url}
    label = f"{client}/{kind}/{symbols} symbols"
    result = run_client_process(CLIENT_SCRIPT, payload, pythonpath, label=label, timeout=CLIENT_TIMEOUT)
    if result.get("dropped"):
        raise RuntimeError(f"{client}/{kind}/{symbols} symbols: {result['dropped']} events dropped")
    if result.get("book_ok") is False:
        raise RuntimeError(f"{client}/{kind}/{symbols} symbols: a final local book differs from the server's")
    return result


def measure(
    runs: int,
    frames: int,
    counts: Sequence[int],
    kinds: Sequence[str],
    before: str | None,
    *,
    floor: bool = True,
) -> Results:
    """Every (kind, symbol count, client) ``runs`` times; clients alternate order between runs."""
    clients = {"floor": TREE, "ours": TREE} if floor else {"ours": TREE}
    if before:
        clients["before"] = before
    results: Results = {}
    with ServerProcess() as server:
        for run in range(runs):
            for kind in kinds:
                for symbols in counts:
                    order = list(clients) if run % 2 == 0 else list(reversed(clients))
                    for client in order:
                        result = run_client(server, client, kind, symbols, frames, clients[client])
                        results.setdefault((kind, symbols, client), []).append(result)
                        print(
                            f"[bench_scale] run {run + 1}/{runs} {kind:5} {symbols:4} symbols {client:6} "
                            f"{result['cpu_per_frame'] * 1e6:6.2f} us CPU/frame "
                            f"{result['fps']:9,.0f} frames/s",
                            file=sys.stderr,
                            flush=True,
                        )
    return results


def scaling_ratio(results: Results, kind: str, symbols: int, client: str) -> Any:
    """Per-run CPU(N) / CPU(1 symbol) of ``client``, summarised (None without a 1-symbol baseline)."""
    base = results.get((kind, min(n for k, n, _ in results if k == kind), client))
    rows = results.get((kind, symbols, client))
    if not base or not rows:
        return None
    return summarize(r["cpu_per_frame"] / b["cpu_per_frame"] for r, b in zip(rows, base, strict=False))


def table(results: Results, runs: int, frames: int) -> Table:
    out = Table(
        f"Symbol scaling: {frames:,} frames spread over N symbols, all subscribed, {runs} runs",
        ["frames", "symbols", "client", "CPU/frame", "frames/s", "vs 1 symbol", "ours/floor", "target"],
        note="median of runs ±half-IQR; 'vs 1 symbol' = the same client's per-run CPU ratio to its "
        "fewest-symbols run; 'ours/floor' = per-run CPU ratio (same run); connections: ours decides "
        "(30 subscriptions each), the floor opens ceil(N/30)",
    )
    kinds = list(dict.fromkeys(k for k, _, _ in results))
    for kind in kinds:
        counts = sorted({n for k, n, _ in results if k == kind})
        first_row = True
        for symbols in counts:
            for client in ("floor", "ours", "before"):
                rows = results.get((kind, symbols, client))
                if not rows:
                    continue
                cpu = summarize(r["cpu_per_frame"] for r in rows)
                fps = summarize(r["fps"] for r in rows)
                scale = scaling_ratio(results, kind, symbols, client)
                vs_floor = ""
                floor_rows = results.get((kind, symbols, "floor"))
                if client != "floor" and floor_rows:
                    ratio = summarize(
                        r["cpu_per_frame"] / f["cpu_per_frame"]
                        for r, f in zip(rows, floor_rows, strict=False)
                    )
                    vs_floor = fmt_summary(ratio, fmt_ratio)
                target = ""
                if client == "ours" and kind == "depth" and symbols == max(counts) and scale is not None:
                    target = f"<= {TARGET}x " + ("met" if scale.median <= TARGET else "MISSED")
                out.add_row(
                    LABELS[kind] if first_row else "",
                    f"{symbols:,}",
                    client,
                    fmt_summary(cpu, fmt_time),
                    fmt_summary(fps, fmt_rate),
                    fmt_summary(scale, fmt_ratio) if scale is not None else "",
                    vs_floor,
                    target,
                )
                first_row = False
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    quick = quick_mode()
    ap = argparse.ArgumentParser(prog="python -m bench.bench_scale", description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2 if quick else 3)
    ap.add_argument("--frames", type=int, default=6000 if quick else 20000)
    ap.add_argument("--symbols", default="1,10,100,300", help="comma-separated symbol counts")
    ap.add_argument("--kinds", default="depth,deals", help="depth and/or deals")
    ap.add_argument("--no-floor", action="store_true", help="time ours (and --before) only")
    ap.add_argument("--before", help="PYTHONPATH of another tree to time as a third client")
    args, _ = ap.parse_known_args(argv)  # `python -m bench -- --no-ccxt` passes flags meant for others
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    counts = [int(n) for n in args.symbols.split(",") if n.strip()]
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    results = measure(args.runs, args.frames, counts, kinds, args.before, floor=not args.no_floor)
    table(results, args.runs, args.frames).print()


if __name__ == "__main__":
    main()
