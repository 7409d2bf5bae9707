"""REST per-request cost: our clients vs a bare aiohttp call (and ccxt) on the same server endpoint.

Server: :mod:`bench.server` in its own process (loopback), answers from pre-encoded bodies. Ours = the
composites from ``FullExchangeFactory`` (``create_public_exchange`` / ``create_private_exchange``,
``environment="sim"``), which wrap ``MexcPublicSpotRest`` / ``MexcPrivateSpotRest``. Endpoints:

* ``GET /api/v3/depth?symbol=BTCUSDT&limit=100`` — ours: ``get_orderbook`` (rate limiter, retry
  policy, error classification, typed decoding into an ``OrderBook`` of floats); bare: ``session.get``
  + ``resp.read()`` + a generic JSON decode; ccxt: ``fetch_order_book(symbol, 100)``.
* signed ``POST /api/v3/order`` (LIMIT BUY) — ours: ``place_limit_order`` (pre-flight checks and
  Decimal quantization, client order id, HMAC signing, reconciliation guard, parsing into an
  ``Order``); bare: build the query, HMAC-SHA256 it, ``session.post`` + read + a generic JSON decode;
  ccxt: ``create_order``.

The bare decode is the fastest generic (untyped) decoder installed, timed at start-up on a depth body:
``msgspec.json.decode``, or ``orjson.loads`` if it is installed and faster (orjson is no dependency any
more); the table's note names the one used. Each figure is given as wall time and as **client CPU**
per request (``time.process_time`` of this process; the server is another process).

Each run sends ``--number`` sequential requests per client after a warm-up, ours and bare
interleaved in blocks of 50 (the host is shared: both must see the same load); "vs bare" is the
per-run ratio, summarised over runs. Rate limiters: ours with pools far above the request rate,
ccxt with ``enableRateLimit`` off (we time the clients, not their throttles).

    python -m bench.bench_rest [--runs 5] [--number 1000] [--no-ccxt] [--breakdown]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from bench.ccxt_env import start_runner
from bench.e2e_ours import SYMBOL, bench_config
from bench.rest_client import (
    API_KEY,
    SECRET,
    WHAT,
    Call,
    bare_calls,
    fastest_generic_decoder,
    generic_decoders,
    interleaved,
    one_run,
)
from bench.server import ServerProcess
from bench.stats import Table, fmt_ratio, fmt_summary, fmt_time, quick_mode, run_client_process, summarize
from exchanges.config import Credentials
from exchanges.metrics import MetricsRegistry
from exchanges.models import OrderRequest, OrderType, Side
from exchanges.transport._rest_metrics import TransportMetrics
from exchanges_mexc import constants as c
from exchanges_mexc.parsing.market import parse_depth_snapshot
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.rest.public import MexcPublicSpotRest

TARGET = 1.15
"""Issue 15: ours within 1.15x of bare aiohttp (wall time per request) on both endpoints."""
CLIENT_SCRIPT = Path(__file__).with_name("rest_client.py")
CLIENT_TIMEOUT = 600.0


@functools.cache
def bare_decoder() -> tuple[str, Callable[[bytes], Any]]:
    """The bare baseline's decoder (name, function): the fastest generic one installed, chosen once."""
    name = fastest_generic_decoder()
    return name, generic_decoders()[name]


def run_tree(base_url: str, number: int, ours_first: bool, pythonpath: str) -> dict[str, Any]:
    """:func:`bench.rest_client.one_run` in a fresh process whose ``exchanges`` is another tree's."""
    args = {"rest": base_url, "number": number, "ours_first": ours_first, "decoder": bare_decoder()[0]}
    label = f"REST client of {pythonpath}"
    return run_client_process(CLIENT_SCRIPT, args, pythonpath, label=label, timeout=CLIENT_TIMEOUT)


async def breakdown_run(base_url: str, number: int) -> dict[str, dict[str, tuple[float, float]]]:
    """Where our requests' time goes: bare, bare + one of our layers, ..., full client (per endpoint)."""
    config = bench_config(base_url, base_url.replace("http", "ws") + "/ws")
    public = MexcPublicSpotRest(config)
    private = MexcPrivateSpotRest(config, Credentials(API_KEY, SECRET), public=public)
    session = aiohttp.ClientSession()
    traced = aiohttp.ClientSession(trace_configs=[TransportMetrics(MetricsRegistry()).trace_config()])
    try:
        await private.initialize()
        decode = bare_decoder()[1]
        bare = bare_calls(session, base_url, decode)
        bare_traced = bare_calls(traced, base_url, decode)

        async def bare_parse() -> Any:
            return parse_depth_snapshot(SYMBOL, await bare["depth_body"]())

        params = {"symbol": "BTCUSDT", "limit": 100}
        cost = public.costs.cost(c.DEPTH)
        prepared = await private.prepare(
            OrderRequest(
                SYMBOL, Side.BUY, OrderType.LIMIT, quantity=Decimal("0.001"), price=Decimal("40000.5")
            )
        )
        order_params = prepared.params()
        decoder = bare_decoder()[0]
        plans: dict[str, dict[str, Call]] = {
            "depth": {
                f"bare aiohttp + {decoder}": bare["depth"],
                "bare + aiohttp TraceConfig (what tracing would cost)": bare_traced["depth"],
                "bare + our parse_depth_snapshot": bare_parse,
                "our RestTransport.request (no parse)": lambda: public.transport.request(
                    "GET", "/api/v3/depth", params, cost=cost, raw=True
                ),
                "our get_orderbook (full)": lambda: public.get_orderbook(SYMBOL, 100),
            },
            "order": {
                f"bare aiohttp + HMAC + {decoder}": bare["order"],
                "bare + aiohttp TraceConfig (what tracing would cost)": bare_traced["order"],
                "our signed request (no pre-flight/parse)": lambda: private.signed.request(
                    c.ORDER_NEW, order_params
                ),
                "our place_order (full)": lambda: private.place_order(
                    SYMBOL, Side.BUY, OrderType.LIMIT, quantity=Decimal("0.001"), price=Decimal("40000.5")
                ),
            },
        }
        return {what: await interleaved(calls, number) for what, calls in plans.items()}
    finally:
        await session.close()
        await traced.close()
        await private.close()
        await public.close()


def print_breakdown(base_url: str, runs: int, number: int) -> None:
    results = [asyncio.run(breakdown_run(base_url, number)) for _ in range(runs)]
    table = Table(
        "REST requests decomposed (same run, interleaved blocks of 50)",
        ["endpoint", "variant", "per request", "vs bare", "client CPU", "vs bare (CPU)"],
        note="the difference between rows is what each layer costs; CPU = this process's time per request",
    )
    for what, label in WHAT.items():
        first = next(iter(results[0][what]))
        for i, name in enumerate(results[0][what]):
            cells = []
            for k in (0, 1):
                s = summarize(r[what][name][k] for r in results)
                ratio = summarize(r[what][name][k] / r[what][first][k] for r in results)
                cells += [fmt_summary(s, fmt_time), fmt_summary(ratio, fmt_ratio)]
            table.add_row(label if i == 0 else "", name, *cells)
    table.print()


class RestResults:
    """Per endpoint and client (``ours``, ``bare``, ``ccxt``, ``before``, ``before_bare``): wall and
    CPU seconds per request of every run, and per-run ratios to the bare run of the same process."""

    def __init__(self) -> None:
        self.wall: dict[str, dict[str, list[float]]] = {w: {} for w in WHAT}
        self.cpu: dict[str, dict[str, list[float]]] = {w: {} for w in WHAT}
        self.wall_ratio: dict[str, dict[str, list[float]]] = {w: {} for w in WHAT}
        self.cpu_ratio: dict[str, dict[str, list[float]]] = {w: {} for w in WHAT}

    def add(self, what: str, client: str, wall: float, cpu: float | None, bare: tuple[float, float]) -> None:
        self.wall[what].setdefault(client, []).append(wall)
        self.wall_ratio[what].setdefault(client, []).append(wall / bare[0])
        if cpu is not None:
            self.cpu[what].setdefault(client, []).append(cpu)
            self.cpu_ratio[what].setdefault(client, []).append(cpu / bare[1])


def measure(
    runs: int,
    number: int,
    *,
    ccxt: bool = False,
    ccxt_install: bool = True,
    breakdown: bool = False,
    before: str | None = None,
) -> RestResults:
    """``runs`` runs of :func:`bench.rest_client.one_run` (ours first in even runs) against one server
    process; with ``before``, each run also times that tree (its own ours-vs-bare pair, in a fresh
    process) right after."""
    runner = start_runner(enabled=ccxt, install=ccxt_install)
    out = RestResults()
    try:
        with ServerProcess() as server:
            for run in range(runs):
                ours_first = run % 2 == 0
                result = asyncio.run(one_run(server.rest_url, number, ours_first, bare_decoder()[0]))
                older = run_tree(server.rest_url, number, ours_first, before) if before else None
                for what, times in result.items():
                    out.add(what, "ours", *times["ours"], bare=times["bare"])
                    out.add(what, "bare", *times["bare"], bare=times["bare"])
                    if older is not None:
                        out.add(what, "before", *older[what]["ours"], bare=older[what]["bare"])
                        out.add(what, "before_bare", *older[what]["bare"], bare=older[what]["bare"])
                    if runner is None:
                        continue
                    cmd = {"cmd": "rest", "what": what, "number": number, "rest_url": server.rest_url}
                    answer = runner.call(cmd)
                    if answer.get("ok"):
                        out.add(what, "ccxt", answer["per_request_s"], None, bare=times["bare"])
                    else:
                        print(f"[bench_rest] ccxt {what} failed: {answer.get('error')}", file=sys.stderr)
            if breakdown:
                print_breakdown(server.rest_url, runs, number)
    finally:
        if runner is not None:
            runner.close()
    return out


CLIENTS = {
    "ours": "ours",
    "bare": "bare aiohttp",
    "before": "before (its own bare run: next row)",
    "before_bare": "bare aiohttp (before's run)",
    "ccxt": "ccxt 4.5.90",
}


def table(results: RestResults, number: int) -> Table:
    out = Table(
        f"REST per-request time over loopback, {number:,} sequential requests per client per run",
        [
            "endpoint",
            "client",
            "per request",
            "overhead vs bare",
            "vs bare",
            "client CPU",
            "vs bare (CPU)",
            "target",
        ],
        note="median of runs ±half-IQR; ratios = median of per-run ratios to the bare run of the same "
        f"process; bare = aiohttp + {bare_decoder()[0]} (+ hand-rolled HMAC for the order); client CPU = "
        "the client process's time per request (the server is another process)",
    )
    for what, label in WHAT.items():
        first = True
        for client, name in CLIENTS.items():
            walls = results.wall[what].get(client)
            if not walls:
                if client in ("ours", "bare", "ccxt"):
                    out.add_row(label if first else "", name, "unavailable")
                    first = False
                continue
            s = summarize(walls)
            cpus = results.cpu[what].get(client)
            cpu = fmt_summary(summarize(cpus), fmt_time) if cpus else ""
            wall_ratio = summarize(results.wall_ratio[what][client])
            cpu_ratios = results.cpu_ratio[what].get(client)
            cpu_ratio = fmt_summary(summarize(cpu_ratios), fmt_ratio) if cpus and cpu_ratios else ""
            bare_name = "before_bare" if client == "before" else "bare"
            bare = summarize(results.wall[what].get(bare_name, walls))
            plain = client in ("bare", "before_bare")
            target = ""
            if client == "ours":
                target = f"<= {TARGET}x " + ("met" if wall_ratio.median <= TARGET else "MISSED")
            out.add_row(
                label if first else "",
                name,
                fmt_summary(s, fmt_time),
                "" if plain else "+" + fmt_time(s.median - bare.median),
                "1x" if plain else fmt_summary(wall_ratio, fmt_ratio),
                cpu,
                "1x" if plain and cpu else cpu_ratio,
                target,
            )
            first = False
    return out


def main(argv: Sequence[str] | None = None) -> None:
    quick = quick_mode()
    ap = argparse.ArgumentParser(prog="python -m bench.bench_rest", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3 if quick else 5)
    ap.add_argument("--number", type=int, default=200 if quick else 1000, help="requests per client per run")
    ap.add_argument("--no-ccxt", action="store_true", help="skip the ccxt comparison")
    ap.add_argument("--no-ccxt-install", action="store_true", help="use the ccxt venv only if it exists")
    ap.add_argument(
        "--breakdown", action="store_true", help="also decompose where our requests spend their time"
    )
    ap.add_argument("--before", help="PYTHONPATH of another tree to time the same way (own process)")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    results = measure(
        args.runs,
        args.number,
        ccxt=not args.no_ccxt,
        ccxt_install=not args.no_ccxt_install,
        breakdown=args.breakdown,
        before=args.before,
    )
    table(results, args.number).print()


if __name__ == "__main__":
    main()
