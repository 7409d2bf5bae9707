"""Market data, wire -> models: one function per concept, shared by REST JSON and WebSocket protobuf.

Each concept (a trade, a book level, a candle, a ticker) is built by exactly one private helper
(``_trade``, ``_entries``, ``_kline``, ``_ticker``, ``_book_ticker``); the public ``parse_*`` functions (REST)
and ``*_from_pb`` functions (protobuf bodies) only pick the wire fields and call it. Prices and sizes
are ``float(str)`` of the exchange's decimal strings; times are int milliseconds (kline WebSocket
windows arrive in seconds and are converted here).

Hot path notes: records are built with ``tuple.__new__(Record, (...))``, which skips the NamedTuple's
Python-level ``__new__`` (about 100 ns per record); module globals used in loops are bound to locals.
Per-item loops (book levels, trades) inline their builder's formula instead of calling it (a Python
call per item costs ~60 ns), and book levels are made as plain pairs first and then turned into
``OrderBookEntry`` records with one C-level ``map`` (:func:`_entries`), which is cheaper than calling
``tuple.__new__`` from the comprehension.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any

from exchanges.errors import SymbolNotSupported
from exchanges.models import (
    BookTicker,
    BookUpdate,
    Kline,
    KlineInterval,
    OrderBook,
    OrderBookEntry,
    Side,
    Symbol,
    Ticker,
    Trade,
)

from .enums import SIDE_BY_TRADE_TYPE, WS_INTERVAL_BY_NAME, interval_from_ws
from .values import flt_opt, text_opt, to_int, to_int_opt

__all__ = [
    "book_ticker_from_pb",
    "book_tickers_from_batch_pb",
    "book_update_from_increase_pb",
    "book_update_from_pb",
    "kline_from_pb",
    "order_book_from_pb",
    "parse_agg_trades",
    "parse_book_ticker_json",
    "parse_book_tickers_json",
    "parse_depth_snapshot",
    "parse_klines",
    "parse_rest_trades",
    "parse_ticker_24h",
    "parse_ticker_price",
    "parse_ticker_prices",
    "parse_tickers_24h",
    "ticker_from_pb",
    "trades_from_aggre_pb",
    "trades_from_deals_pb",
]

_new = tuple.__new__
_SIDES: dict[int, Side] = dict(SIDE_BY_TRADE_TYPE)  # a dict: subscripting a mappingproxy is slower
_WS_INTERVALS: dict[str, KlineInterval] = dict(WS_INTERVAL_BY_NAME)
Num = str | float | int | None
"""A wire number: decimal string (protobuf, most JSON), JSON number, or null/"" (read as 0)."""
_BUY = Side.BUY
_SELL = Side.SELL
SymbolResolver = Callable[[str], Symbol]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# ------------------------------------------------------------------------------------------------
# One builder per concept
# ------------------------------------------------------------------------------------------------


def _trade(symbol: Symbol, price: str, quantity: str, side: Side, ts: int, trade_id: str | None) -> Trade:
    """The one Trade builder (REST trades, REST aggTrades, WS deals and aggre deals)."""
    return _new(Trade, (symbol, float(price), float(quantity), side, ts, trade_id))


def _entries(pairs: list[tuple[float, float]]) -> tuple[OrderBookEntry, ...]:
    """The one book-level builder for snapshots (REST depth and WS limit depth): ``(float(price),
    float(size))`` pairs -> OrderBookEntry records, a whole side at once (the loop runs in C: ~10 %
    faster than one ``tuple.__new__`` call per level)."""
    return tuple(map(_new, repeat(OrderBookEntry), pairs))


def _kline(
    symbol: Symbol,
    interval: KlineInterval,
    open_ms: int,
    close_ms: int,
    o: Num,
    h: Num,
    lo: Num,
    c: Num,
    volume: Num,
    quote_volume: Num,
) -> Kline:
    """The one Kline builder. ``volume`` is base volume, ``quote_volume`` the quote turnover."""
    return _new(
        Kline,
        (
            symbol,
            interval,
            open_ms,
            close_ms,
            float(o or 0),
            float(h or 0),
            float(lo or 0),
            float(c or 0),
            float(volume or 0),
            float(quote_volume or 0),
        ),
    )


def _book_ticker(
    symbol: Symbol, bid: Num, bid_qty: Num, ask: Num, ask_qty: Num, ts: int, version: int | None
) -> BookTicker:
    """The one BookTicker builder (REST bookTicker, WS aggre bookTicker, bookTicker and its batch)."""
    return _new(
        BookTicker,
        (symbol, float(bid or 0), float(bid_qty or 0), float(ask or 0), float(ask_qty or 0), ts, version),
    )


def _ticker(
    symbol: Symbol,
    last: Num,
    high: Num,
    low: Num,
    volume: Num,
    quote_volume: Num,
    change_fraction: Num,
    ts: int,
    open_price: object = None,
    bid: object = None,
    ask: object = None,
) -> Ticker:
    """The one Ticker builder (REST ticker/24hr, WS miniTicker(s)); empty/null numbers become 0.0/None."""
    return _new(
        Ticker,
        (
            symbol,
            float(last or 0),
            float(high or 0),
            float(low or 0),
            float(volume or 0),
            float(quote_volume or 0),
            float(change_fraction or 0),
            ts,
            flt_opt(open_price),
            flt_opt(bid),
            flt_opt(ask),
        ),
    )


# ------------------------------------------------------------------------------------------------
# REST JSON (orjson-parsed bodies; API.md §3 and §14)
# ------------------------------------------------------------------------------------------------


def parse_depth_snapshot(symbol: Symbol, data: Mapping[str, Any]) -> OrderBook:
    """GET /api/v3/depth -> OrderBook with ``version`` = ``lastUpdateId`` (int or string on the wire).

    ``timestamp`` is the response's ``timestamp`` when present, else the local clock.
    """
    # Float pairs first, then records for the whole side (see _entries).
    bids = _entries([(float(row[0]), float(row[1])) for row in data.get("bids") or ()])
    asks = _entries([(float(row[0]), float(row[1])) for row in data.get("asks") or ()])
    ts = to_int_opt(data.get("timestamp"))
    return OrderBook(
        symbol, bids, asks, _now_ms() if ts is None else ts, to_int_opt(data.get("lastUpdateId"))
    )


def _taker_side(buyer_is_maker: object) -> Side:
    # The maker bought, so the taker sold.
    return _SELL if buyer_is_maker is True or buyer_is_maker == "true" else _BUY


def parse_rest_trades(symbol: Symbol, rows: Iterable[Mapping[str, Any]]) -> list[Trade]:
    """GET /api/v3/trades -> trades; ``side`` is the taker's (from ``isBuyerMaker``); ``id`` is often null."""
    trade = _trade
    return [
        trade(
            symbol,
            row["price"],
            row["qty"],
            _taker_side(row.get("isBuyerMaker")),
            to_int(row.get("time")),
            text_opt(row.get("id")),
        )
        for row in rows
    ]


def parse_agg_trades(symbol: Symbol, rows: Iterable[Mapping[str, Any]]) -> list[Trade]:
    """GET /api/v3/aggTrades -> trades (``p``, ``q``, ``T`` int or string, ``m`` buyer-is-maker, ``a`` id)."""
    trade = _trade
    return [
        trade(
            symbol,
            row["p"],
            row["q"],
            _taker_side(row.get("m")),
            to_int(row.get("T")),
            text_opt(row.get("a")),
        )
        for row in rows
    ]


def parse_klines(symbol: Symbol, interval: KlineInterval, rows: Iterable[Sequence[Any]]) -> list[Kline]:
    """GET /api/v3/klines 8-column rows: openTime, open, high, low, close, volume, closeTime, quoteVolume."""
    kline = _kline
    return [
        kline(symbol, interval, to_int(r[0]), to_int(r[6]), r[1], r[2], r[3], r[4], r[5], r[7]) for r in rows
    ]


def parse_ticker_24h(symbol: Symbol, data: Mapping[str, Any]) -> Ticker:
    """GET /api/v3/ticker/24hr (one symbol). ``priceChangePercent`` is a fraction; null/"" tolerated."""
    g = data.get
    close_time = to_int_opt(g("closeTime"))
    return _ticker(
        symbol,
        g("lastPrice"),
        g("highPrice"),
        g("lowPrice"),
        g("volume"),
        g("quoteVolume"),
        g("priceChangePercent"),
        _now_ms() if close_time is None else close_time,
        g("openPrice"),
        g("bidPrice"),
        g("askPrice"),
    )


def _by_symbol(
    rows: Iterable[Mapping[str, Any]], resolve: SymbolResolver
) -> Iterable[tuple[Symbol, Mapping[str, Any]]]:
    """(Symbol, row) for rows whose ``symbol`` the resolver knows; unknown pairs are skipped."""
    for row in rows:
        try:
            symbol = resolve(row["symbol"])
        except (KeyError, TypeError, ValueError, SymbolNotSupported):
            continue
        yield symbol, row


def parse_tickers_24h(rows: Iterable[Mapping[str, Any]], resolve: SymbolResolver) -> dict[Symbol, Ticker]:
    """GET /api/v3/ticker/24hr without symbol (thousands of rows); unknown pairs are skipped."""
    return {symbol: parse_ticker_24h(symbol, row) for symbol, row in _by_symbol(rows, resolve)}


def parse_ticker_price(data: Mapping[str, Any]) -> float:
    """GET /api/v3/ticker/price (one symbol) -> last price."""
    return float(data["price"])


def parse_ticker_prices(rows: Iterable[Mapping[str, Any]], resolve: SymbolResolver) -> dict[Symbol, float]:
    """GET /api/v3/ticker/price without symbol -> {Symbol: price}; unknown pairs are skipped."""
    return {symbol: float(row["price"]) for symbol, row in _by_symbol(rows, resolve)}


def parse_book_ticker_json(
    symbol: Symbol, data: Mapping[str, Any], timestamp: int | None = None
) -> BookTicker:
    """GET /api/v3/ticker/bookTicker (one symbol); it carries no time, so ``timestamp`` or the local clock."""
    g = data.get
    return _book_ticker(
        symbol,
        g("bidPrice"),
        g("bidQty"),
        g("askPrice"),
        g("askQty"),
        _now_ms() if timestamp is None else timestamp,
        None,
    )


def parse_book_tickers_json(
    rows: Iterable[Mapping[str, Any]], resolve: SymbolResolver
) -> dict[Symbol, BookTicker]:
    """GET /api/v3/ticker/bookTicker without symbol; unknown pairs are skipped."""
    now = _now_ms()
    return {symbol: parse_book_ticker_json(symbol, row, now) for symbol, row in _by_symbol(rows, resolve)}


# ------------------------------------------------------------------------------------------------
# WebSocket protobuf bodies (API.md §10). ``body`` is the generated message; typed as Any so this module
# stays independent of the generated stubs (frames.py is typed against them).
# ------------------------------------------------------------------------------------------------


def trades_from_aggre_pb(symbol: Symbol, body: Any) -> list[Trade]:
    """publicAggreDeals (314): deals[] {price, quantity, tradeType 1/2, time ms, tradeId}."""
    # _trade's formula, inlined (one Python call less per trade).
    new, record, sides = _new, Trade, _SIDES
    return [
        new(
            record, (symbol, float(d.price), float(d.quantity), sides[d.tradeType], d.time, d.tradeId or None)
        )
        for d in body.deals
    ]


def trades_from_deals_pb(symbol: Symbol, body: Any) -> list[Trade]:
    """publicDeals (301, legacy): like aggre deals without tradeId."""
    # _trade's formula, inlined (one Python call less per trade).
    new, record, sides = _new, Trade, _SIDES
    return [
        new(record, (symbol, float(d.price), float(d.quantity), sides[d.tradeType], d.time, None))
        for d in body.deals
    ]


def book_update_from_pb(symbol: Symbol, body: Any, ts: int) -> BookUpdate:
    """publicAggreDepths (313): absolute quantities, versions fromVersion..toVersion as ints."""
    return _new(
        BookUpdate,
        (
            symbol,
            [(float(level.price), float(level.quantity)) for level in body.bids],
            [(float(level.price), float(level.quantity)) for level in body.asks],
            int(body.fromVersion),
            int(body.toVersion),
            ts or body.lastOrderCreateTime,
        ),
    )


def book_update_from_increase_pb(symbol: Symbol, body: Any, ts: int) -> BookUpdate:
    """publicIncreaseDepths (302, legacy) or one item of its batch (312): a single ``version``."""
    version = int(body.version)
    return _new(
        BookUpdate,
        (
            symbol,
            [(float(level.price), float(level.quantity)) for level in body.bids],
            [(float(level.price), float(level.quantity)) for level in body.asks],
            version,
            version,
            ts,
        ),
    )


def order_book_from_pb(symbol: Symbol, body: Any, ts: int) -> OrderBook:
    """publicLimitDepths (303): a 5/10/20-level snapshot with its ``version``."""
    # Float pairs built inline, records via _entries: a call per level would cost ~60 ns x 40 levels.
    version = body.version
    return _new(
        OrderBook,
        (
            symbol,
            _entries([(float(lv.price), float(lv.quantity)) for lv in body.bids]),
            _entries([(float(lv.price), float(lv.quantity)) for lv in body.asks]),
            ts or body.lastOrderCreateTime,
            int(version) if version else None,
        ),
    )


def book_ticker_from_pb(symbol: Symbol, body: Any, ts: int, version: int | None = None) -> BookTicker:
    """publicAggreBookTicker (315) or publicBookTicker (305).

    ``version`` is decided by the caller, which knows the body type: 315 carries its own ``version``
    since 2026-06 (the frame decoder passes it, empty -> None); 305 has none (leave it None).
    """
    # _book_ticker's formula, inlined: this runs once per push on a hot channel.
    return _new(
        BookTicker,
        (
            symbol,
            float(body.bidPrice or 0),
            float(body.bidQuantity or 0),
            float(body.askPrice or 0),
            float(body.askQuantity or 0),
            ts,
            version,
        ),
    )


def book_tickers_from_batch_pb(symbol: Symbol, body: Any, ts: int) -> list[BookTicker]:
    """publicBookTickerBatch (311): items[] sharing the batch ``version``."""
    raw = body.version
    version = int(raw) if raw else None
    ts = ts or body.lastOrderCreateTime
    build = _book_ticker
    return [
        build(symbol, i.bidPrice, i.bidQuantity, i.askPrice, i.askQuantity, ts, version) for i in body.items
    ]


def kline_from_pb(symbol: Symbol, body: Any) -> Kline:
    """publicSpotKline (308): window bounds arrive in SECONDS and become milliseconds."""
    # _kline's formula, inlined: this runs once per push.
    return _new(
        Kline,
        (
            symbol,
            _WS_INTERVALS.get(body.interval) or interval_from_ws(body.interval),
            body.windowStart * 1000,
            body.windowEnd * 1000,
            float(body.openingPrice or 0),
            float(body.highestPrice or 0),
            float(body.lowestPrice or 0),
            float(body.closingPrice or 0),
            float(body.volume or 0),
            float(body.amount or 0),
        ),
    )


def ticker_from_pb(symbol: Symbol, body: Any, ts: int) -> Ticker:
    """publicMiniTicker (309) or one item of publicMiniTickers (310).

    MEXC's ``volume`` is the quote turnover and ``quantity`` the base volume; ``rate`` is a fraction.
    """
    return _ticker(symbol, body.price, body.high, body.low, body.quantity, body.volume, body.rate, ts)
