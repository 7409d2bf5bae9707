"""Public market-data endpoints (API.md §3), answered from the engine's real books and trade history."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from exchanges_mexc.sim.book import fmt
from exchanges_mexc.sim.errors import SimError
from exchanges_mexc.sim.history import REST_INTERVALS, Candle, window_end
from exchanges_mexc.sim.http import ROUTER, Ctx

route = ROUTER.route
PUBLIC_INTERVALS = ("1m", "5m", "15m", "30m", "60m", "4h", "1d", "1W", "1M")


@route("GET", "/api/v3/ping")
async def ping(ctx: Ctx) -> Any:
    """``{}``."""
    return {}


@route("GET", "/api/v3/time")
async def server_time(ctx: Ctx) -> Any:
    """``{"serverTime": ms}`` (includes ``clock_offset_ms``)."""
    return {"serverTime": ctx.sim.now_ms()}


@route("GET", "/api/v3/defaultSymbols")
async def default_symbols(ctx: Ctx) -> Any:
    """API-tradable symbols, wrapped as in 2025-12: ``{"code":0,"data":[...],"msg":null}``."""
    data = [s.symbol for s in ctx.sim.engine.specs.values() if s.api_tradable]
    return {"code": 0, "data": data, "msg": None}


@route("GET", "/api/v3/exchangeInfo")
async def exchange_info(ctx: Ctx) -> Any:
    """All symbols, or ``symbol=X`` / ``symbols=A,B`` (unknown -> -1121)."""
    specs = ctx.sim.engine.specs
    wanted: list[str]
    if ctx.params.get("symbol"):
        wanted = [ctx.params["symbol"].upper()]
    elif ctx.params.get("symbols"):
        wanted = [s.strip().upper() for s in ctx.params["symbols"].split(",") if s.strip()]
    else:
        wanted = list(specs)
    for name in wanted:
        if name not in specs:
            raise SimError(-1121, "Invalid symbol.")
    return {
        "timezone": "CST",
        "serverTime": ctx.sim.now_ms(),
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [specs[name].to_json() for name in wanted],
    }


@route("GET", "/api/v3/depth")
async def depth(ctx: Ctx) -> Any:
    """Book snapshot; ``lastUpdateId`` is the book version (integer) used by aggre.depth pushes."""
    symbol = ctx.symbol()
    limit = ctx.int_param("limit", 100, 1, 5000)
    faults = ctx.sim.faults
    stale = faults.take_stale_snapshot(symbol)
    answer = stale if stale is not None else depth_answer(ctx.sim, symbol, limit)
    delay = faults.take_snapshot_delay()
    if delay:
        await asyncio.sleep(delay)
    return answer


def depth_answer(sim: Any, symbol: str, limit: int | None = 5000) -> dict[str, Any]:
    """The /api/v3/depth body for ``symbol`` now (also what the stale-snapshot fault captures)."""
    bids, asks, version = sim.engine.book_levels(symbol, limit)
    return {
        "lastUpdateId": version,
        "bids": [[fmt(p), fmt(q)] for p, q in bids],
        "asks": [[fmt(p), fmt(q)] for p, q in asks],
        "timestamp": sim.now_ms(),
    }


@route("GET", "/api/v3/trades")
async def trades(ctx: Ctx) -> Any:
    """Recent trades, newest first (``id`` null, ``tradeType`` BID/ASK)."""
    symbol = ctx.symbol()
    limit = ctx.int_param("limit", 500, 1, 1000) or 500
    tape = list(ctx.sim.engine.history[symbol].trades)[-limit:]
    return [
        {
            "id": None,
            "price": fmt(t.price),
            "qty": fmt(t.qty),
            "quoteQty": fmt(t.price * t.qty),
            "time": t.time,
            "isBuyerMaker": t.taker_side == "SELL",
            "isBestMatch": True,
            "tradeType": "BID" if t.taker_side == "BUY" else "ASK",
        }
        for t in reversed(tape)
    ]


@route("GET", "/api/v3/aggTrades")
async def agg_trades(ctx: Ctx) -> Any:
    """Trades in the ``a/f/l/p/q/T/m/M`` shape (ids null), oldest first, optional time window."""
    symbol = ctx.symbol()
    limit = ctx.int_param("limit", 500, 1, 1000) or 500
    start = ctx.int_param("startTime", None)
    end = ctx.int_param("endTime", None)
    tape = [
        t
        for t in ctx.sim.engine.history[symbol].trades
        if (start is None or t.time >= start) and (end is None or t.time <= end)
    ][-limit:]
    return [
        {
            "a": None,
            "f": None,
            "l": None,
            "p": fmt(t.price),
            "q": fmt(t.qty),
            "T": t.time,
            "m": t.taker_side == "SELL",
            "M": True,
        }
        for t in tape
    ]


def kline_row(candle: Candle, interval: str) -> list[Any]:
    """The 8-column REST kline row."""
    return [
        candle.open_time,
        fmt(candle.open),
        fmt(candle.high),
        fmt(candle.low),
        fmt(candle.close),
        fmt(candle.volume),
        window_end(candle.open_time, interval),
        fmt(candle.quote_volume),
    ]


@route("GET", "/api/v3/klines")
async def klines(ctx: Ctx) -> Any:
    """Candles for the REST interval names (``1m 5m 15m 30m 60m 4h 1d 1W 1M``)."""
    symbol = ctx.symbol()
    interval = ctx.require("interval")
    if interval not in PUBLIC_INTERVALS or interval not in REST_INTERVALS:
        raise SimError(-1121, "Invalid interval.")
    limit = ctx.int_param("limit", 500, 1, 1000) or 500
    start = ctx.int_param("startTime", None)
    end = ctx.int_param("endTime", None)
    rows = ctx.sim.engine.history[symbol].klines(interval, start, end, limit)
    return [kline_row(c, interval) for c in rows]


@route("GET", "/api/v3/avgPrice")
async def avg_price(ctx: Ctx) -> Any:
    """Volume-weighted price of the last 5 minutes."""
    symbol = ctx.symbol()
    hist = ctx.sim.engine.history[symbol]
    agg = hist.rolling(ctx.sim.now_ms(), 5 * 60_000)
    price = ctx.sim.engine.ref_price(symbol) or Decimal(0)
    if agg is not None and agg.volume > 0:
        price = agg.quote_volume / agg.volume
    spec = ctx.sim.engine.specs[symbol]
    return {"mins": 5, "price": fmt(price.quantize(Decimal(1).scaleb(-(spec.quote_precision + 4))))}


def _ticker_24h(ctx: Ctx, symbol: str) -> dict[str, Any]:
    now = ctx.sim.now_ms()
    engine = ctx.sim.engine
    agg = engine.history[symbol].rolling(now)
    last = engine.ref_price(symbol) or Decimal(0)
    open_price = agg.open if agg else last
    change = last - open_price
    return {
        "symbol": symbol,
        "priceChange": fmt(change),
        "priceChangePercent": fmt((change / open_price).quantize(Decimal("0.00000001")))
        if open_price
        else "0",
        "prevClosePrice": fmt(open_price),
        "lastPrice": fmt(last),
        **_best_fields(ctx, symbol),
        "openPrice": fmt(open_price),
        "highPrice": fmt(agg.high if agg else last),
        "lowPrice": fmt(agg.low if agg else last),
        "volume": fmt(agg.volume if agg else Decimal(0)),
        "quoteVolume": fmt(agg.quote_volume) if agg else None,
        "openTime": now - 24 * 3600_000,
        "closeTime": now,
        "count": None,
    }


def _one_or_all(ctx: Ctx) -> list[str] | str:
    if ctx.params.get("symbol"):
        return ctx.symbol()
    return list(ctx.sim.engine.specs)


@route("GET", "/api/v3/ticker/24hr")
async def ticker_24h(ctx: Ctx) -> Any:
    """24h rolling stats; object for one symbol, array for all."""
    which = _one_or_all(ctx)
    if isinstance(which, str):
        return _ticker_24h(ctx, which)
    return [_ticker_24h(ctx, s) for s in which]


def _price(ctx: Ctx, symbol: str) -> dict[str, Any]:
    return {"symbol": symbol, "price": fmt(ctx.sim.engine.ref_price(symbol) or Decimal(0))}


@route("GET", "/api/v3/ticker/price")
async def ticker_price(ctx: Ctx) -> Any:
    """Last price; object or array."""
    which = _one_or_all(ctx)
    if isinstance(which, str):
        return _price(ctx, which)
    return [_price(ctx, s) for s in which]


def _best_fields(ctx: Ctx, symbol: str) -> dict[str, str]:
    """bidPrice/bidQty/askPrice/askQty; all ``""`` for an empty side."""
    bid, bid_qty, ask, ask_qty = ctx.sim.engine.books[symbol].top()
    return {
        "bidPrice": fmt(bid),
        "bidQty": fmt(bid_qty) if bid is not None else "",
        "askPrice": fmt(ask),
        "askQty": fmt(ask_qty) if ask is not None else "",
    }


def _book_ticker(ctx: Ctx, symbol: str) -> dict[str, Any]:
    return {"symbol": symbol, **_best_fields(ctx, symbol)}


@route("GET", "/api/v3/ticker/bookTicker")
async def book_ticker(ctx: Ctx) -> Any:
    """Best bid/ask; object or array."""
    which = _one_or_all(ctx)
    if isinstance(which, str):
        return _book_ticker(ctx, which)
    return [_book_ticker(ctx, s) for s in which]
