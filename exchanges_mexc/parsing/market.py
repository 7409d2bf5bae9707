"""Market data, wire -> models: one builder per concept, shared by REST JSON and WebSocket protobuf.

Each concept has exactly one builder, which validates (see :mod:`.checks`) and makes the records:
:func:`_trades` (REST trades and aggTrades, WS deals and aggre deals), :func:`_order_book` (REST depth,
WS limit depth), :func:`_book_update` (WS aggre and increase depths), :func:`_book_ticker`,
:func:`_kline`, :func:`_ticker`. The public ``parse_*`` functions (REST bytes, decoded by
:mod:`.shapes`) and ``*_from_pb`` functions (generated protobuf classes) only pick the wire fields and
call the builder. Every public function returns valid records or raises
:class:`exchanges.errors.ProtocolError` naming the endpoint (REST) or the push body (WebSocket).

Hot path notes: list builders take whole rows (tuples) and turn them into records with one C-level
``map(tuple.__new__, repeat(Record), rows)``, which skips the NamedTuple's Python-level ``__new__``
(about 100 ns per record) and avoids a Python call per item; a list is validated by one chained
comparison per value in a plain loop (see :mod:`.checks` for the measurement).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Final, NoReturn, Protocol, TypeVar

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

from .._proto.PublicAggreBookTickerV3Api_pb2 import PublicAggreBookTickerV3Api
from .._proto.PublicAggreDealsV3Api_pb2 import PublicAggreDealsV3Api
from .._proto.PublicAggreDepthsV3Api_pb2 import PublicAggreDepthsV3Api
from .._proto.PublicBookTickerBatchV3Api_pb2 import PublicBookTickerBatchV3Api
from .._proto.PublicBookTickerV3Api_pb2 import PublicBookTickerV3Api
from .._proto.PublicDealsV3Api_pb2 import PublicDealsV3Api
from .._proto.PublicIncreaseDepthsV3Api_pb2 import PublicIncreaseDepthsV3Api
from .._proto.PublicLimitDepthsV3Api_pb2 import PublicLimitDepthsV3Api
from .._proto.PublicMiniTickerV3Api_pb2 import PublicMiniTickerV3Api
from .._proto.PublicSpotKlineV3Api_pb2 import PublicSpotKlineV3Api
from .checks import (
    INF,
    check_levels,
    check_update_levels,
    fail,
    non_negative,
    non_negative_time,
    positive,
    positive_int,
    protocol_error,
)
from .enums import SIDE_BY_TRADE_TYPE, WS_INTERVAL_BY_NAME
from .shapes import (
    AggTradeRow,
    AvgPrice,
    BookTickerRow,
    DepthSnapshot,
    KlineRow,
    PriceRow,
    ServerTime,
    TickerRow,
    TradeRow,
    read,
)
from .values import flt, flt_opt

__all__ = [
    "book_ticker_from_pb",
    "book_tickers_from_batch_pb",
    "book_update_from_increase_pb",
    "book_update_from_pb",
    "kline_from_pb",
    "order_book_from_pb",
    "parse_agg_trades",
    "parse_avg_price",
    "parse_book_ticker_json",
    "parse_book_tickers_json",
    "parse_depth_snapshot",
    "parse_klines",
    "parse_rest_trades",
    "parse_server_time",
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
MAX_VERSION: Final = 2**63
"""Versions are int64 sequence numbers on the wire; a larger one is not a version."""

_BUY = Side.BUY
_SELL = Side.SELL
SymbolResolver = Callable[[str], Symbol]

Pairs = Sequence[tuple[float, float]]
"""Book levels as ``(price, size)`` float pairs."""

# REST endpoints, as named in ProtocolError.source.
TIME: Final = "GET /api/v3/time"
DEPTH: Final = "GET /api/v3/depth"
TRADES: Final = "GET /api/v3/trades"
AGG_TRADES: Final = "GET /api/v3/aggTrades"
KLINES: Final = "GET /api/v3/klines"
TICKER_24H: Final = "GET /api/v3/ticker/24hr"
TICKER_PRICE: Final = "GET /api/v3/ticker/price"
AVG_PRICE: Final = "GET /api/v3/avgPrice"
BOOK_TICKER: Final = "GET /api/v3/ticker/bookTicker"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# ------------------------------------------------------------------------------------------------
# One builder per concept (validates, then builds)
# ------------------------------------------------------------------------------------------------


def _trades(trades: list[Trade]) -> list[Trade]:
    """The one Trade check (REST trades, REST aggTrades, WS deals and aggre deals): prices and
    quantities finite and > 0, times >= 0; returns ``trades`` itself.

    Callers build each record in their comprehension (``_new(Trade, (symbol, price, quantity, side,
    time, id))``, the field order of :class:`Trade`) and this checks the built records: measured
    ~80 ns per trade cheaper than building a row list first and mapping it into records, and a record
    that fails is never returned, so none is published."""
    for _, price, quantity, _, time_ms, _ in trades:
        if not (0.0 < price < INF and 0.0 < quantity < INF and time_ms >= 0):
            _explain_trades(trades)
    return trades


def _explain_trades(trades: list[Trade]) -> NoReturn:
    """Slow path: name the first bad trade (only runs for a message that is being rejected)."""
    for index, trade in enumerate(trades):
        positive(trade.price, f"deals[{index}].price")
        positive(trade.quantity, f"deals[{index}].quantity")
        non_negative_time(trade.timestamp, f"deals[{index}].time")
    fail("deals", "a trade failed the range check")  # not reached: one of the checks above raises


def _entries(side: str, pairs: Pairs) -> tuple[OrderBookEntry, ...]:
    """One snapshot side: checked ``(price, size)`` pairs -> OrderBookEntry records (the loop runs in C;
    a side msgspec already decoded into records is checked and kept as it is)."""
    check_levels(side, pairs)
    if type(pairs) is tuple and (not pairs or type(pairs[0]) is OrderBookEntry):
        return pairs  # msgspec decoded the REST body straight into records (shapes.DepthSnapshot)
    return tuple(map(_new, repeat(OrderBookEntry), pairs))


def _order_book(symbol: Symbol, bids: Pairs, asks: Pairs, ts: int, version: int | None) -> OrderBook:
    """The one OrderBook builder (REST depth and WS limit depth): every level finite, > 0."""
    if version is not None and version < 0:
        fail("version", f"expected a version >= 0, got {version}")
    non_negative_time(ts, "timestamp")
    return _new(OrderBook, (symbol, _entries("bids", bids), _entries("asks", asks), ts, version))


def _book_update(
    symbol: Symbol,
    bids: list[tuple[float, float]],
    asks: list[tuple[float, float]],
    first: int,
    last: int,
    ts: int,
) -> BookUpdate:
    """The one BookUpdate builder (WS aggre depths, increase depths and their batch): prices > 0, sizes
    >= 0 (0 removes the level), ``first <= last``."""
    check_update_levels("bids", bids)
    check_update_levels("asks", asks)
    if not (0 <= first <= last and ts >= 0):
        non_negative_time(ts, "timestamp")
        fail("fromVersion", f"expected 0 <= fromVersion <= toVersion, got {first}..{last}")
    return _new(BookUpdate, (symbol, bids, asks, first, last, ts))


def _kline(
    symbol: Symbol,
    interval: KlineInterval,
    open_ms: int,
    close_ms: int,
    o: float,
    h: float,
    lo: float,
    c: float,
    volume: float,
    quote_volume: float,
) -> Kline:
    """The one Kline builder. ``volume`` is base volume, ``quote_volume`` the quote turnover; prices > 0,
    volumes >= 0, ``open_ms <= close_ms``."""
    # One condition on the fast path (a push per second per stream); the slow path names the field.
    if not (
        0.0 < o < INF
        and 0.0 < h < INF
        and 0.0 < lo < INF
        and 0.0 < c < INF
        and 0.0 <= volume < INF
        and 0.0 <= quote_volume < INF
        and 0 <= open_ms <= close_ms
    ):
        for name, value in (("open", o), ("high", h), ("low", lo), ("close", c)):
            positive(value, name)
        non_negative(volume, "volume")
        non_negative(quote_volume, "quoteVolume")
        non_negative_time(open_ms, "openTime")
        fail("closeTime", f"window ends ({close_ms}) before it opens ({open_ms})")
    return _new(Kline, (symbol, interval, open_ms, close_ms, o, h, lo, c, volume, quote_volume))


def _book_ticker(
    symbol: Symbol, bid: float, bid_qty: float, ask: float, ask_qty: float, ts: int, version: int | None
) -> BookTicker:
    """The one BookTicker builder (REST bookTicker, WS aggre bookTicker, bookTicker and its batch).

    Every value finite and >= 0; an empty side is 0/0, but a ticker with both sides empty carries
    nothing and is rejected (an empty body must not become zeros)."""
    if not (
        0.0 <= bid < INF
        and 0.0 <= bid_qty < INF
        and 0.0 <= ask < INF
        and 0.0 <= ask_qty < INF
        and (bid or ask)
        and ts >= 0
        and (version is None or version >= 0)
    ):
        non_negative(bid, "bidPrice")
        non_negative(bid_qty, "bidQuantity")
        non_negative(ask, "askPrice")
        non_negative(ask_qty, "askQuantity")
        non_negative_time(ts, "timestamp")
        if version is not None and version < 0:
            fail("version", f"expected a version >= 0, got {version}")
        fail("bidPrice", "both sides are empty")
    return _new(BookTicker, (symbol, bid, bid_qty, ask, ask_qty, ts, version))


def _ticker(
    symbol: Symbol,
    last: float,
    high: float,
    low: float,
    volume: float,
    quote_volume: float,
    change_fraction: float,
    ts: int,
    open_price: float | None = None,
    bid: float | None = None,
    ask: float | None = None,
) -> Ticker:
    """The one Ticker builder (REST ticker/24hr, WS miniTicker(s)): last price > 0, the others finite
    and >= 0 (the change fraction may be negative)."""
    if not (
        0.0 < last < INF
        and 0.0 <= high < INF
        and 0.0 <= low < INF
        and 0.0 <= volume < INF
        and 0.0 <= quote_volume < INF
        and -INF < change_fraction < INF
        and ts >= 0
    ):
        positive(last, "lastPrice")
        non_negative(high, "highPrice")
        non_negative(low, "lowPrice")
        non_negative(volume, "volume")
        non_negative(quote_volume, "quoteVolume")
        non_negative_time(ts, "closeTime")
        fail("priceChangePercent", f"expected a finite number, got {change_fraction!r}")
    for name, value in (("openPrice", open_price), ("bidPrice", bid), ("askPrice", ask)):
        if value is not None:
            non_negative(value, name)
    return _new(
        Ticker, (symbol, last, high, low, volume, quote_volume, change_fraction, ts, open_price, bid, ask)
    )


# ------------------------------------------------------------------------------------------------
# REST JSON (bytes decoded by .shapes; API.md §3 and §14)
# ------------------------------------------------------------------------------------------------


def parse_server_time(body: bytes) -> int:
    """GET /api/v3/time -> MEXC's clock in milliseconds (> 0)."""
    return read(body, ServerTime, TIME, lambda data: positive_int(data.serverTime, "serverTime"))


def parse_depth_snapshot(symbol: Symbol, body: bytes) -> OrderBook:
    """GET /api/v3/depth -> OrderBook with ``version`` = ``lastUpdateId`` (int or string on the wire).

    ``timestamp`` is the response's ``timestamp`` when present, else the local clock. ``{}`` (no
    ``lastUpdateId``) raises ProtocolError, never an empty unversioned book.
    """
    return read(
        body,
        DepthSnapshot,
        DEPTH,
        lambda data: _order_book(
            symbol,
            data.bids,
            data.asks,
            _now_ms() if data.timestamp is None else data.timestamp,
            data.lastUpdateId,
        ),
    )


def _taker_side(buyer_is_maker: bool) -> Side:
    # The maker bought, so the taker sold.
    return _SELL if buyer_is_maker else _BUY


def _id_text(value: str | int | None) -> str | None:
    return None if value is None or value == "" else str(value)


def parse_rest_trades(symbol: Symbol, body: bytes) -> list[Trade]:
    """GET /api/v3/trades -> trades; ``side`` is the taker's (from ``isBuyerMaker``); ``id`` is often null."""
    return read(
        body,
        list[TradeRow],
        TRADES,
        lambda rows: _trades(
            [
                _new(Trade, (symbol, r.price, r.qty, _taker_side(r.isBuyerMaker), r.time, _id_text(r.id)))
                for r in rows
            ]
        ),
    )


def parse_agg_trades(symbol: Symbol, body: bytes) -> list[Trade]:
    """GET /api/v3/aggTrades -> trades (``p``, ``q``, ``T`` int or string, ``m`` buyer-is-maker, ``a`` id)."""
    return read(
        body,
        list[AggTradeRow],
        AGG_TRADES,
        lambda rows: _trades(
            [_new(Trade, (symbol, r.p, r.q, _taker_side(r.m), r.T, _id_text(r.a))) for r in rows]
        ),
    )


def parse_klines(symbol: Symbol, interval: KlineInterval, body: bytes) -> list[Kline]:
    """GET /api/v3/klines 8-column rows: openTime, open, high, low, close, volume, closeTime, quoteVolume."""
    kline = _kline
    return read(
        body,
        list[KlineRow],
        KLINES,
        lambda rows: [kline(symbol, interval, r[0], r[6], r[1], r[2], r[3], r[4], r[5], r[7]) for r in rows],
    )


def _ticker_from_row(symbol: Symbol, row: TickerRow) -> Ticker:
    close_time = row.closeTime
    return _ticker(
        symbol,
        row.lastPrice,
        flt(row.highPrice),
        flt(row.lowPrice),
        flt(row.volume),
        flt(row.quoteVolume),
        flt(row.priceChangePercent),
        _now_ms() if close_time is None else close_time,
        flt_opt(row.openPrice),
        flt_opt(row.bidPrice),
        flt_opt(row.askPrice),
    )


def parse_ticker_24h(symbol: Symbol, body: bytes) -> Ticker:
    """GET /api/v3/ticker/24hr (one symbol). ``priceChangePercent`` is a fraction; ``lastPrice`` must be
    present (``{}`` is an error, not zeros); the other numbers may be null or ``""``."""
    return read(body, TickerRow, TICKER_24H, lambda row: _ticker_from_row(symbol, row))


class _Named(Protocol):
    @property
    def symbol(self) -> str: ...


N = TypeVar("N", bound=_Named)


def _by_symbol(rows: Iterable[N], resolve: SymbolResolver) -> Iterable[tuple[Symbol, N]]:
    """(Symbol, row) for rows whose ``symbol`` the resolver knows; unknown pairs are skipped."""
    for row in rows:
        try:
            symbol = resolve(row.symbol)
        except (ValueError, SymbolNotSupported):
            continue
        yield symbol, row


def parse_tickers_24h(body: bytes, resolve: SymbolResolver) -> dict[Symbol, Ticker]:
    """GET /api/v3/ticker/24hr without symbol (thousands of rows); unknown pairs are skipped, a
    malformed row of a known pair raises."""
    return read(
        body,
        list[TickerRow],
        TICKER_24H,
        lambda rows: {symbol: _ticker_from_row(symbol, row) for symbol, row in _by_symbol(rows, resolve)},
    )


def parse_ticker_price(body: bytes) -> float:
    """GET /api/v3/ticker/price (one symbol) -> last price (finite, > 0)."""
    return read(body, PriceRow, TICKER_PRICE, lambda row: positive(row.price, "price"))


def parse_avg_price(body: bytes) -> float:
    """GET /api/v3/avgPrice -> MEXC's 5-minute average price (finite, > 0)."""
    return read(body, AvgPrice, AVG_PRICE, lambda row: positive(row.price, "price"))


def parse_ticker_prices(body: bytes, resolve: SymbolResolver) -> dict[Symbol, float]:
    """GET /api/v3/ticker/price without symbol -> {Symbol: price}; unknown pairs are skipped."""
    return read(
        body,
        list[PriceRow],
        TICKER_PRICE,
        lambda rows: {symbol: positive(row.price, "price") for symbol, row in _by_symbol(rows, resolve)},
    )


def _book_ticker_from_row(symbol: Symbol, row: BookTickerRow, ts: int) -> BookTicker:
    return _book_ticker(
        symbol, flt(row.bidPrice), flt(row.bidQty), flt(row.askPrice), flt(row.askQty), ts, None
    )


def parse_book_ticker_json(symbol: Symbol, body: bytes, timestamp: int | None = None) -> BookTicker:
    """GET /api/v3/ticker/bookTicker (one symbol); it carries no time, so ``timestamp`` or the local clock."""
    ts = _now_ms() if timestamp is None else timestamp
    return read(body, BookTickerRow, BOOK_TICKER, lambda row: _book_ticker_from_row(symbol, row, ts))


def parse_book_tickers_json(body: bytes, resolve: SymbolResolver) -> dict[Symbol, BookTicker]:
    """GET /api/v3/ticker/bookTicker without symbol; unknown pairs and pairs whose book is empty on both
    sides (nothing to report) are skipped."""
    now = _now_ms()
    return read(
        body,
        list[BookTickerRow],
        BOOK_TICKER,
        lambda rows: {
            symbol: _book_ticker_from_row(symbol, row, now)
            for symbol, row in _by_symbol(rows, resolve)
            if row.bidPrice or row.askPrice
        },
    )


# ------------------------------------------------------------------------------------------------
# WebSocket protobuf bodies (API.md §10), typed against the generated classes (mypy-protobuf stubs).
# Each raises ProtocolError(source=<body name>) for a push that is not a valid record.
# ------------------------------------------------------------------------------------------------


def trades_from_aggre_pb(symbol: Symbol, body: PublicAggreDealsV3Api) -> list[Trade]:
    """publicAggreDeals (314): deals[] {price, quantity, tradeType 1/2, time ms, tradeId}."""
    new, record, sides = _new, Trade, _SIDES
    try:
        return _trades(
            [
                new(
                    record,
                    (
                        symbol,
                        float(d.price),
                        float(d.quantity),
                        sides[d.tradeType],
                        d.time,
                        d.tradeId or None,
                    ),
                )
                for d in body.deals
            ]
        )
    except (ValueError, KeyError) as error:
        raise protocol_error("publicAggreDeals", error) from None


def trades_from_deals_pb(symbol: Symbol, body: PublicDealsV3Api) -> list[Trade]:
    """publicDeals (301, legacy): like aggre deals without tradeId."""
    new, record, sides = _new, Trade, _SIDES
    try:
        return _trades(
            [
                new(record, (symbol, float(d.price), float(d.quantity), sides[d.tradeType], d.time, None))
                for d in body.deals
            ]
        )
    except (ValueError, KeyError) as error:
        raise protocol_error("publicDeals", error) from None


def _version(text: str, field: str) -> int | None:
    """A protobuf version string -> an int in ``[0, 2**63)``, None when empty (absent)."""
    try:
        version = int(text) if text else None
    except ValueError:
        fail(field, f"expected an integer, got {text!r}"[:120])
    if version is None or 0 <= version < MAX_VERSION:
        return version
    fail(field, f"expected a version in [0, 2**63), got {text!r}"[:120])


def _required_version(text: str, field: str) -> int:
    version = _version(text, field)
    if version is None:
        fail(field, "missing")
    return version


def book_update_from_pb(symbol: Symbol, body: PublicAggreDepthsV3Api, ts: int) -> BookUpdate:
    """publicAggreDepths (313): absolute quantities, versions fromVersion..toVersion as ints."""
    try:
        try:
            first, last = int(body.fromVersion), int(body.toVersion)
        except ValueError:  # slow path: name the field
            first = _required_version(body.fromVersion, "fromVersion")
            last = _required_version(body.toVersion, "toVersion")
        return _book_update(
            symbol,
            [(float(level.price), float(level.quantity)) for level in body.bids],
            [(float(level.price), float(level.quantity)) for level in body.asks],
            first,
            last,
            ts or body.lastOrderCreateTime,
        )
    except ValueError as error:
        raise protocol_error("publicAggreDepths", error) from None


def book_update_from_increase_pb(symbol: Symbol, body: PublicIncreaseDepthsV3Api, ts: int) -> BookUpdate:
    """publicIncreaseDepths (302, legacy) or one item of its batch (312): a single ``version``."""
    try:
        version = _required_version(body.version, "version")
        return _book_update(
            symbol,
            [(float(level.price), float(level.quantity)) for level in body.bids],
            [(float(level.price), float(level.quantity)) for level in body.asks],
            version,
            version,
            ts,
        )
    except ValueError as error:
        raise protocol_error("publicIncreaseDepths", error) from None


def order_book_from_pb(symbol: Symbol, body: PublicLimitDepthsV3Api, ts: int) -> OrderBook:
    """publicLimitDepths (303): a 5/10/20-level snapshot with its ``version`` (empty -> None)."""
    try:
        return _order_book(
            symbol,
            [(float(lv.price), float(lv.quantity)) for lv in body.bids],
            [(float(lv.price), float(lv.quantity)) for lv in body.asks],
            ts or body.lastOrderCreateTime,
            _version(body.version, "version"),
        )
    except ValueError as error:
        raise protocol_error("publicLimitDepths", error) from None


def book_ticker_from_pb(
    symbol: Symbol,
    body: PublicAggreBookTickerV3Api | PublicBookTickerV3Api,
    ts: int,
    version: int | None = None,
) -> BookTicker:
    """publicAggreBookTicker (315) or publicBookTicker (305).

    ``version`` is decided by the caller, which knows the body type: 315 carries its own ``version``
    since 2026-06 (the frame decoder passes it, empty -> None); 305 has none (leave it None).
    """
    try:
        return _book_ticker(
            symbol,
            float(body.bidPrice or 0),
            float(body.bidQuantity or 0),
            float(body.askPrice or 0),
            float(body.askQuantity or 0),
            ts,
            version,
        )
    except ValueError as error:
        raise protocol_error("publicBookTicker", error) from None


def book_tickers_from_batch_pb(symbol: Symbol, body: PublicBookTickerBatchV3Api, ts: int) -> list[BookTicker]:
    """publicBookTickerBatch (311): items[] sharing the batch ``version``."""
    try:
        version = _version(body.version, "version")
        ts = ts or body.lastOrderCreateTime
        build = _book_ticker
        return [
            build(
                symbol,
                float(i.bidPrice or 0),
                float(i.bidQuantity or 0),
                float(i.askPrice or 0),
                float(i.askQuantity or 0),
                ts,
                version,
            )
            for i in body.items
        ]
    except ValueError as error:
        raise protocol_error("publicBookTickerBatch", error) from None


def kline_from_pb(symbol: Symbol, body: PublicSpotKlineV3Api) -> Kline:
    """publicSpotKline (308): window bounds arrive in SECONDS and become milliseconds."""
    try:
        interval = _WS_INTERVALS.get(body.interval)
        if interval is None:
            fail("interval", f"unknown MEXC WebSocket kline interval {body.interval!r}")
        return _kline(
            symbol,
            interval,
            body.windowStart * 1000,
            body.windowEnd * 1000,
            float(body.openingPrice or 0),
            float(body.highestPrice or 0),
            float(body.lowestPrice or 0),
            float(body.closingPrice or 0),
            float(body.volume or 0),
            float(body.amount or 0),
        )
    except ValueError as error:
        raise protocol_error("publicSpotKline", error) from None


def ticker_from_pb(symbol: Symbol, body: PublicMiniTickerV3Api, ts: int) -> Ticker:
    """publicMiniTicker (309) or one item of publicMiniTickers (310).

    MEXC's ``volume`` is the quote turnover and ``quantity`` the base volume; ``rate`` is a fraction.
    """
    try:
        return _ticker(
            symbol,
            float(body.price or 0),
            float(body.high or 0),
            float(body.low or 0),
            float(body.quantity or 0),
            float(body.volume or 0),
            float(body.rate or 0),
            ts,
        )
    except ValueError as error:
        raise protocol_error("publicMiniTicker", error) from None
