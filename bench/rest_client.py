"""One paired REST run of :mod:`bench.bench_rest`: ours and bare aiohttp interleaved, wall and client CPU.

Uses only the public API of ``exchanges`` (``FullExchangeFactory``, ``Credentials``, ``place_limit_order``,
``get_orderbook``), aiohttp, hmac and a generic JSON decoder, so the same code times an older tree too:
``python bench/rest_client.py JSON`` (run by path, with ``PYTHONPATH`` pointing at the tree) prints one
JSON line ``{"depth": {"ours": [wall, cpu], "bare": [wall, cpu]}, "order": {...}}`` (seconds per
request). ``JSON`` = ``{"rest": url, "number": n, "ours_first": bool, "decoder": name}``: the bare
decoder is named by the parent so both trees' bare baselines decode the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
from yarl import URL

API_KEY = "mx0vglbenchbenchbench"
SECRET = "0123456789abcdef0123456789abcdef"
BLOCK = 50
"""Requests per client before switching to the other one (interleaving within a run)."""
WHAT = {"depth": "GET /api/v3/depth (limit 100)", "order": "POST /api/v3/order (signed LIMIT)"}

Call = Callable[[], Awaitable[Any]]


def generic_decoders() -> dict[str, Callable[[bytes], Any]]:
    """The generic (untyped) JSON decoders installed: ``msgspec.json.decode`` and, if present,
    ``orjson.loads`` (no dependency any more: msgspec replaced it)."""
    import msgspec

    found: dict[str, Callable[[bytes], Any]] = {"msgspec.json.decode": msgspec.json.decode}
    try:
        import orjson  # optional: used only when installed
    except ImportError:
        return found
    found["orjson.loads"] = orjson.loads
    return found


def fastest_generic_decoder() -> str:
    """Name of the fastest of :func:`generic_decoders`, timed on a depth body of 100 levels per side."""
    import msgspec

    levels = [[f"{50000 - i * 0.5:.2f}", f"{i % 97 / 10 + 0.01:.4f}"] for i in range(100)]
    body = msgspec.json.encode({"lastUpdateId": 1, "bids": levels, "asks": levels, "timestamp": 1})
    best: dict[str, float] = {}
    for name, decode in generic_decoders().items():
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(300):
                decode(body)
            runs.append(time.perf_counter() - start)
        best[name] = min(runs)
    return min(best, key=best.__getitem__)


async def per_block(call: Call, number: int) -> tuple[float, float]:
    """Wall and CPU seconds per ``await call()`` over ``number`` sequential calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(number):
        await call()
    return (time.perf_counter() - wall) / number, (time.process_time() - cpu) / number


async def interleaved(calls: dict[str, Call], number: int) -> dict[str, tuple[float, float]]:
    """``(wall seconds, client CPU seconds)`` per request of each call: a warm-up (connections,
    caches), then ``number`` requests each in blocks of :data:`BLOCK`, the calls taking turns so that
    all see the same machine load. CPU is this process's ``time.process_time`` (the server is another
    process), so it is what the client alone spends per request."""
    for call in calls.values():
        await per_block(call, min(50, number))
    walls = dict.fromkeys(calls, 0.0)
    cpus = dict.fromkeys(calls, 0.0)
    blocks = max(1, number // BLOCK)
    for _ in range(blocks):
        for name, call in calls.items():
            wall, cpu = await per_block(call, BLOCK)
            walls[name] += wall
            cpus[name] += cpu
    return {name: (walls[name] / blocks, cpus[name] / blocks) for name in calls}


def bare_calls(session: aiohttp.ClientSession, base: str, decode: Callable[[bytes], Any]) -> dict[str, Call]:
    """The floor: aiohttp + ``decode`` (+ a hand-rolled HMAC-SHA256 signature for the order)."""
    depth_url = URL(f"{base}/api/v3/depth?symbol=BTCUSDT&limit=100", encoded=True)
    counter = iter(range(10**9))
    key = SECRET.encode()
    headers = {"X-MEXC-APIKEY": API_KEY, "Content-Type": "application/json"}

    async def depth() -> Any:
        async with session.get(depth_url) as resp:
            return decode(await resp.read())

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
            return decode(await resp.read())

    return {"depth": depth, "depth_body": depth_body, "order": order}


def overrides(base_url: str) -> dict[str, Any]:
    """URLs and rate-limit pools far above the request rate (we time the client, not its throttle)."""
    return {
        "rest_url": base_url,
        "ws_url": base_url.replace("http", "ws") + "/ws",
        "ip_weight_limit": 10**9,
        "uid_weight_limit": 10**9,
    }


async def one_run(
    base_url: str, number: int, ours_first: bool, decoder: str
) -> dict[str, dict[str, tuple[float, float]]]:
    """``(wall, CPU)`` seconds per request for ours and bare, per endpoint, in one event loop.

    Ours = the composites users get from ``FullExchangeFactory`` (``environment="sim"``).
    """
    from exchanges.capabilities import SupportsTrading
    from exchanges.config import Credentials
    from exchanges.factory import FullExchangeFactory
    from exchanges.models import Side, Symbol

    symbol = Symbol("BTC", "USDT")
    factory = FullExchangeFactory()
    public = await factory.create_public_exchange(
        "mexc_spot", [symbol], environment="sim", overrides=overrides(base_url)
    )
    private = await factory.create_private_exchange(
        "mexc_spot", Credentials(API_KEY, SECRET), environment="sim", overrides=overrides(base_url)
    )
    assert isinstance(private, SupportsTrading)
    trading: SupportsTrading = private
    session = aiohttp.ClientSession()
    try:
        bare = bare_calls(session, base_url, generic_decoders()[decoder])
        ours: dict[str, Call] = {
            "depth": lambda: public.get_orderbook(symbol, 100),
            "order": lambda: trading.place_limit_order(
                symbol, Side.BUY, Decimal("0.001"), Decimal("40000.5")
            ),
        }
        out: dict[str, dict[str, tuple[float, float]]] = {}
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


def main() -> None:
    args: dict[str, Any] = json.loads(sys.argv[1])
    result = asyncio.run(
        one_run(args["rest"], int(args["number"]), bool(args["ours_first"]), str(args["decoder"]))
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
