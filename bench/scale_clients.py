"""Clients of the symbol-scaling scenario (:mod:`bench.scale_server`): ours and the bare floor.

Both subscribe to every symbol of the scenario (``info["per_symbol"]``), read frames until every symbol
reached its last frame, and time the window between the first and the last blast frame their handler
sees: client CPU (``time.process_time``) and wall time. The result is per frame (depth frames, or deals
frames of ``trades_per_frame`` trades).

* ours: ``FullExchangeFactory().create_public_exchange`` with all the symbols, then one
  ``start_orderbook_stream`` (local books synced from REST snapshots; the top-20 ``orderbook_handler``
  after every applied update) or ``start_trades_stream`` call with all of them. How many connections it
  opens is its own business (MEXC: 30 subscriptions per connection).
* floor: bare aiohttp, ``ceil(symbols / 30)`` connections, ``PushDataV3ApiWrapper.FromString`` and every
  field read (each deal's price, quantity, type, time, id; each level's price and quantity); depth
  snapshots fetched and read (not applied). No models, no book.

This module uses only the public API of ``exchanges`` (so the same file times an older tree, see
:mod:`bench.bench_scale`).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

SUBSCRIPTIONS_PER_CONNECTION = 30
TIMEOUT = 180.0
QUEUE = 2_000_000
DEPTH_EVENT = "spot@public.aggre.depth.v3.api.pb@100ms"
DEALS_EVENT = "spot@public.aggre.deals.v3.api.pb@100ms"


class _Window:
    """First/last blast frame seen: wall and CPU clocks, frames counted in between."""

    def __init__(self, symbols: int) -> None:
        self.done = asyncio.Event()
        self.remaining = symbols
        self.seen = 0
        self.t_first = self.t_last = 0.0
        self.cpu_first = self.cpu_last = 0.0

    def frame(self, last_of_symbol: bool) -> None:
        """One blast frame handled (``last_of_symbol``: its symbol's final frame)."""
        if not self.seen:
            self.t_first, self.cpu_first = time.perf_counter(), time.process_time()
        self.seen += 1
        if last_of_symbol:
            self.remaining -= 1
            if not self.remaining:
                self.t_last, self.cpu_last = time.perf_counter(), time.process_time()
                self.done.set()

    def result(self) -> dict[str, Any]:
        n = max(self.seen - 1, 1)
        seconds = self.t_last - self.t_first
        return {
            "frames": n,
            "seconds": seconds,
            "fps": n / seconds if seconds > 0 else 0.0,
            "cpu_per_frame": (self.cpu_last - self.cpu_first) / n,
        }


def _overrides(rest_url: str, ws_url: str) -> dict[str, Any]:
    return {
        "rest_url": rest_url,
        "ws_url": ws_url,
        "ip_weight_limit": 10**9,
        "uid_weight_limit": 10**9,
        "ws_max_queue_size": QUEUE,
    }


async def ours(rest_url: str, ws_url: str, info: dict[str, Any]) -> dict[str, Any]:
    """Our client through its public API on every symbol of the scenario (see the module doc)."""
    from exchanges.capabilities import SupportsOrderBookStream, SupportsTradeStream
    from exchanges.factory import FullExchangeFactory
    from exchanges.handlers import PublicStreamHandlers
    from exchanges.models import OrderBook, Symbol, Trade

    per_symbol = info["per_symbol"]
    symbols = [Symbol(entry["base"], "USDT") for entry in per_symbol]
    window = _Window(len(symbols))
    handlers = PublicStreamHandlers()
    if info["kind"] == "depth":
        versions = {
            sym: (e["first_to_version"], e["last_to_version"])
            for sym, e in zip(symbols, per_symbol, strict=True)
        }

        def on_book(book: OrderBook) -> None:
            first, last = versions[book.symbol]
            version = book.version or 0
            if version >= first:
                window.frame(version >= last)

        handlers.orderbook_handler = on_book
    else:
        n_symbols, per_frame = len(symbols), int(info["trades_per_frame"])
        base = int(info["trade_time_base"])
        last_ids = {sym: e["last_trade_id"] for sym, e in zip(symbols, per_symbol, strict=True)}
        count = 0

        def on_trade(trade: Trade) -> None:
            nonlocal count
            if trade.timestamp - base < n_symbols:  # the warm-up frame
                return
            count += 1
            if count % per_frame == 0:
                window.frame(trade.trade_id == last_ids[trade.symbol])

        handlers.trade_handler = on_trade

    exchange = await FullExchangeFactory().create_public_exchange(
        "mexc_spot", symbols, environment="sim", overrides=_overrides(rest_url, ws_url)
    )
    try:
        if info["kind"] == "depth":
            assert isinstance(exchange, SupportsOrderBookStream)
            await exchange.start_orderbook_stream(symbols, handlers)
        else:
            assert isinstance(exchange, SupportsTradeStream)
            await exchange.start_trades_stream(symbols, handlers)
        await asyncio.wait_for(window.done.wait(), TIMEOUT)
        result = window.result()
        result["dropped"] = _dropped(exchange.get_performance_metrics())  # {} when nothing was
        if isinstance(exchange, SupportsOrderBookStream) and info["kind"] == "depth":
            result["book_ok"] = all(
                _book_matches(exchange.get_local_orderbook(sym, 20), entry, info)
                for sym, entry in zip(symbols, per_symbol, strict=True)
            )
        return result
    finally:
        await exchange.close()


def _dropped(metrics: dict[str, Any]) -> dict[str, int]:
    """Every non-zero ``*.dropped`` counter of the composite's metrics."""
    found: dict[str, int] = {}
    stack = [("", metrics)]
    while stack:
        prefix, node = stack.pop()
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                stack.append((name + ".", value))
            elif name.endswith(".dropped") and isinstance(value, int | float) and value:
                found[name] = int(value)
    return found


def _book_matches(book: Any, entry: dict[str, Any], info: dict[str, Any]) -> bool:
    """The local book equals the server's after the symbol's last frame (top 20, both sides)."""
    from bench import frames

    updates = (int(entry["frames"]) + 1) * int(info["updates_per_frame"])
    bids, asks = frames.book_state(updates, 20)
    return [(e.price, e.size) for e in book.bids] == [(float(p), float(q)) for p, q in bids] and [
        (e.price, e.size) for e in book.asks
    ] == [(float(p), float(q)) for p, q in asks]


async def floor(rest_url: str, ws_url: str, info: dict[str, Any]) -> dict[str, Any]:
    """Bare aiohttp + upb + every field read, on ``ceil(symbols / 30)`` connections (module doc)."""
    from exchanges_mexc._proto import PushDataV3ApiWrapper_pb2

    parse = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper.FromString
    per_symbol = info["per_symbol"]
    depth = info["kind"] == "depth"
    event = DEPTH_EVENT if depth else DEALS_EVENT
    window = _Window(len(per_symbol))
    limits = {e["pair"]: (e["first_to_version"], e["last_to_version"]) for e in per_symbol}
    last_ids = {e["pair"]: e["last_trade_id"] for e in per_symbol}
    n_symbols, base = len(per_symbol), int(info.get("trade_time_base", 0))

    async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
        while not window.done.is_set():
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.BINARY:
                if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    raise ConnectionError("bench server closed the socket")
                continue
            wrapper = parse(msg.data)
            pair = wrapper.symbol
            if depth:
                body = wrapper.publicAggreDepths
                _ = [(level.price, level.quantity) for level in body.bids]
                _ = [(level.price, level.quantity) for level in body.asks]
                first, last = limits[pair]
                version = int(body.toVersion)
                if version >= first:
                    window.frame(version >= last)
            else:
                deals = wrapper.publicAggreDeals.deals
                _ = [(d.price, d.quantity, d.tradeType, d.time, d.tradeId) for d in deals]
                if deals[-1].time - base >= n_symbols:
                    window.frame(deals[-1].tradeId == last_ids[pair])

    pairs = [e["pair"] for e in per_symbol]
    async with aiohttp.ClientSession() as session:
        sockets: list[aiohttp.ClientWebSocketResponse] = []
        readers: list[asyncio.Task[None]] = []
        try:
            for start in range(0, len(pairs), SUBSCRIPTIONS_PER_CONNECTION):
                ws = await session.ws_connect(ws_url)
                sockets.append(ws)
                params = [f"{event}@{p}" for p in pairs[start : start + SUBSCRIPTIONS_PER_CONNECTION]]
                await ws.send_str(json.dumps({"method": "SUBSCRIPTION", "params": params, "id": 1}))
            readers.extend(asyncio.create_task(read(ws)) for ws in sockets)
            if depth:
                for pair in pairs:
                    async with session.get(f"{rest_url}/api/v3/depth", params={"symbol": pair}) as resp:
                        await resp.read()
            done, _ = await asyncio.wait(
                [asyncio.create_task(window.done.wait()), *readers],
                timeout=TIMEOUT,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in readers:
                error = task.exception() if task in done else None
                if error is not None:
                    raise error
            if not window.done.is_set():
                raise TimeoutError("floor consumer did not reach every symbol's last frame")
            return window.result()
        finally:
            for task in readers:
                task.cancel()
            for ws in sockets:
                await ws.close()
