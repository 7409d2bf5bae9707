"""REST per-request cost: our clients vs a bare aiohttp call (and ccxt) on the same server endpoint.

Server: :mod:`bench.server` in its own process (loopback), answers from pre-encoded bodies. Ours = the
composites from ``FullExchangeFactory`` (``create_public_exchange`` / ``create_private_exchange``,
``environment="sim"``), which wrap ``MexcPublicSpotRest`` / ``MexcPrivateSpotRest``. Endpoints:

* ``GET /api/v3/depth?symbol=BTCUSDT&limit=100`` — ours: ``get_orderbook`` (rate
  limiter, retry policy, error classification, parsing into an ``OrderBook`` of floats); bare:
  ``session.get`` + ``resp.read()`` + ``msgspec.json.decode`` (untyped); ccxt:
  ``fetch_order_book(symbol, 100)``.
* signed ``POST /api/v3/order`` (LIMIT BUY) — ours: ``place_limit_order`` (pre-flight
  checks and Decimal quantization, client order id, HMAC signing, reconciliation guard, parsing into an
  ``Order``); bare: build the query, HMAC-SHA256 it, ``session.post`` + read +
  ``msgspec.json.decode`` (untyped); ccxt: ``create_order``.

Each run sends ``--number`` sequential requests per client after a warm-up, ours and bare
interleaved in blocks of 50 (the host is shared: both must see the same load); "vs bare" is the
per-run ratio, summarised over runs. Rate limiters: ours with pools far above the request rate,
ccxt with ``enableRateLimit`` off (we time the clients, not their throttles).

    python -m bench.bench_rest [--runs 5] [--number 1000] [--no-ccxt]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec
from yarl import URL

from bench.ccxt_env import start_runner
from bench.e2e_ours import SYMBOL, bench_config, bench_overrides
from bench.server import ServerProcess
from bench.stats import Table, fmt_ratio, fmt_summary, fmt_time, per_call, quick_mode, summarize
from exchanges.capabilities import SupportsTrading
from exchanges.config import Credentials
from exchanges.factory import FullExchangeFactory
from exchanges.metrics import MetricsRegistry
from exchanges.models import OrderRequest, OrderType, Side
from exchanges.transport._rest_metrics import TransportMetrics
from exchanges_mexc import constants as c
from exchanges_mexc.parsing.market import parse_depth_snapshot
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.rest.public import MexcPublicSpotRest

API_KEY = "mx0vglbenchbenchbench"
SECRET = "0123456789abcdef0123456789abcdef"
TARGET = 1.2
BLOCK = 50
"""Requests per client before switching to the other one (interleaving within a run)."""
WHAT = {"depth": "GET /api/v3/depth (limit 100)", "order": "POST /api/v3/order (signed LIMIT)"}

Call = Callable[[], Awaitable[Any]]


async def interleaved(calls: dict[str, Call], number: int) -> dict[str, float]:
    """Seconds per request of each call: a warm-up (connections, caches), then ``number`` requests
    each in blocks of :data:`BLOCK`, the calls taking turns so that all see the same machine load."""
    for call in calls.values():
        await per_call(call, min(50, number))
    totals = dict.fromkeys(calls, 0.0)
    blocks = max(1, number // BLOCK)
    for _ in range(blocks):
        for name, call in calls.items():
            totals[name] += await per_call(call, BLOCK)
    return {name: total / blocks for name, total in totals.items()}


def _bare_calls(session: aiohttp.ClientSession, base: str) -> dict[str, Call]:
    depth_url = URL(f"{base}/api/v3/depth?symbol=BTCUSDT&limit=100", encoded=True)
    counter = iter(range(10**9))
    key = SECRET.encode()
    headers = {"X-MEXC-APIKEY": API_KEY, "Content-Type": "application/json"}

    async def depth() -> Any:
        async with session.get(depth_url) as resp:
            return msgspec.json.decode(await resp.read())

    async def depth_body() -> Any:
        async with session.get(depth_url) as resp:
            return await resp.read()

    async def order() -> Any:
        query = urlencode(
            [
                ("symbol", "BTCUSDT"),
                ("side", "BUY"),
                ("type", "LIMIT"),
                ("quantity", "0.001"),
                ("price", "40000.5"),
                ("newClientOrderId", f"bare{next(counter)}"),
                ("recvWindow", "5000"),
                ("timestamp", str(time.time_ns() // 1_000_000)),
            ]
        )
        signature = hmac.new(key, query.encode(), hashlib.sha256).hexdigest()
        url = URL(f"{base}/api/v3/order?{query}&signature={signature}", encoded=True)
        async with session.post(url, headers=headers) as resp:
            return msgspec.json.decode(await resp.read())

    return {"depth": depth, "depth_body": depth_body, "order": order}


async def one_run(base_url: str, number: int, ours_first: bool) -> dict[str, dict[str, float]]:
    """Seconds per request for ours and bare, per endpoint, in one event loop.

    Ours = the composites users get from ``FullExchangeFactory`` (``environment="sim"``).
    """
    factory = FullExchangeFactory()
    overrides = bench_overrides(base_url, base_url.replace("http", "ws") + "/ws")
    public = await factory.create_public_exchange(
        "mexc_spot", [SYMBOL], environment="sim", overrides=overrides
    )
    private = await factory.create_private_exchange(
        "mexc_spot", Credentials(API_KEY, SECRET), environment="sim", overrides=overrides
    )
    assert isinstance(private, SupportsTrading)
    trading: SupportsTrading = private
    session = aiohttp.ClientSession()
    try:
        bare = _bare_calls(session, base_url)
        ours: dict[str, Call] = {
            "depth": lambda: public.get_orderbook(SYMBOL, 100),
            "order": lambda: trading.place_limit_order(
                SYMBOL, Side.BUY, Decimal("0.001"), Decimal("40000.5")
            ),
        }
        out: dict[str, dict[str, float]] = {}
        for what in WHAT:
            pair = [("ours", ours[what]), ("bare", bare[what])]
            if not ours_first:
                pair.reverse()
            out[what] = await interleaved(dict(pair), number)
        return out
    finally:
        await session.close()
        await private.close()
        await public.close()


async def breakdown_run(base_url: str, number: int) -> dict[str, dict[str, float]]:
    """Where our requests' time goes: bare, bare + one of our layers, ..., full client (per endpoint)."""
    config = bench_config(base_url, base_url.replace("http", "ws") + "/ws")
    public = MexcPublicSpotRest(config)
    private = MexcPrivateSpotRest(config, Credentials(API_KEY, SECRET), public=public)
    session = aiohttp.ClientSession()
    traced = aiohttp.ClientSession(trace_configs=[TransportMetrics(MetricsRegistry()).trace_config()])
    try:
        await private.initialize()
        bare = _bare_calls(session, base_url)
        bare_traced = _bare_calls(traced, base_url)

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
        plans: dict[str, dict[str, Call]] = {
            "depth": {
                "bare aiohttp + msgspec": bare["depth"],
                "bare + aiohttp TraceConfig (what tracing would cost)": bare_traced["depth"],
                "bare + our parse_depth_snapshot": bare_parse,
                "our RestTransport.request (no parse)": lambda: public.transport.request(
                    "GET", "/api/v3/depth", params, cost=cost, raw=True
                ),
                "our get_orderbook (full)": lambda: public.get_orderbook(SYMBOL, 100),
            },
            "order": {
                "bare aiohttp + HMAC + msgspec": bare["order"],
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
        ["endpoint", "variant", "per request", "vs bare"],
        note="the difference between rows is what each layer costs",
    )
    for what, label in WHAT.items():
        first = next(iter(results[0][what]))
        for i, name in enumerate(results[0][what]):
            s = summarize(r[what][name] for r in results)
            ratio = summarize(r[what][name] / r[what][first] for r in results)
            table.add_row(
                label if i == 0 else "", name, fmt_summary(s, fmt_time), fmt_summary(ratio, fmt_ratio)
            )
    table.print()


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
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))

    runner = start_runner(enabled=not args.no_ccxt, install=not args.no_ccxt_install)
    samples: dict[str, dict[str, list[float]]] = {w: {"ours": [], "bare": [], "ccxt": []} for w in WHAT}
    ratios: dict[str, dict[str, list[float]]] = {w: {"ours": [], "ccxt": []} for w in WHAT}
    try:
        with ServerProcess() as server:
            for run in range(args.runs):
                result = asyncio.run(one_run(server.rest_url, args.number, ours_first=run % 2 == 0))
                for what, times in result.items():
                    samples[what]["ours"].append(times["ours"])
                    samples[what]["bare"].append(times["bare"])
                    ratios[what]["ours"].append(times["ours"] / times["bare"])
                    if runner is None:
                        continue
                    cmd = {"cmd": "rest", "what": what, "number": args.number, "rest_url": server.rest_url}
                    answer = runner.call(cmd)
                    if answer.get("ok"):
                        samples[what]["ccxt"].append(answer["per_request_s"])
                        ratios[what]["ccxt"].append(answer["per_request_s"] / times["bare"])
                    else:
                        print(f"[bench_rest] ccxt {what} failed: {answer.get('error')}", file=sys.stderr)
            if args.breakdown:
                print_breakdown(server.rest_url, args.runs, args.number)
    finally:
        if runner is not None:
            runner.close()

    table = Table(
        f"REST per-request time over loopback, {args.number:,} sequential requests per client per run",
        ["endpoint", "client", "per request", "overhead vs bare", "vs bare", "target"],
        note="median of runs ±half-IQR; 'vs bare' = median of per-run ratios (same run); "
        "bare = aiohttp + msgspec.json.decode (+ hand-rolled HMAC for the order)",
    )
    for what, label in WHAT.items():
        bare = summarize(samples[what]["bare"])
        for client, name in (("ours", "ours"), ("bare", "bare aiohttp"), ("ccxt", "ccxt 4.5.90")):
            if not samples[what][client]:
                table.add_row("", name, "unavailable")
                continue
            s = summarize(samples[what][client])
            if client == "bare":
                table.add_row("", name, fmt_summary(s, fmt_time), "", "1x")
                continue
            r = summarize(ratios[what][client])
            target = ""
            if client == "ours":
                target = f"<= {TARGET}x " + ("met" if r.median <= TARGET else "MISSED")
            table.add_row(
                label if client == "ours" else "",
                name,
                fmt_summary(s, fmt_time),
                "+" + fmt_time(s.median - bare.median),
                fmt_summary(r, fmt_ratio),
                target,
            )
    table.print()


if __name__ == "__main__":
    main()
