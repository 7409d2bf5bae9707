"""Tickers, wire -> models: :func:`_book_ticker` (REST bookTicker, WS aggre bookTicker, bookTicker
and its batch) and :func:`_ticker` (REST ticker/24hr, WS miniTicker(s)) are the one builder of each
concept; also the last price and the average price."""

from __future__ import annotations

from exchanges.models import BookTicker, Symbol, Ticker

from ..._proto.PublicAggreBookTickerV3Api_pb2 import PublicAggreBookTickerV3Api
from ..._proto.PublicBookTickerBatchV3Api_pb2 import PublicBookTickerBatchV3Api
from ..._proto.PublicBookTickerV3Api_pb2 import PublicBookTickerV3Api
from ..._proto.PublicMiniTickerV3Api_pb2 import PublicMiniTickerV3Api
from ..checks import INF, fail, non_negative, non_negative_time, positive, protocol_error
from ..shapes import AvgPrice, BookTickerRow, PriceRow, TickerRow, read
from ..values import flt, flt_opt
from .base import AVG_PRICE, BOOK_TICKER, TICKER_24H, TICKER_PRICE, SymbolResolver, version_or_none
from .base import by_symbol as _by_symbol
from .base import new_record as _new
from .base import now_ms as _now_ms

__all__ = [
    "book_ticker_from_pb",
    "book_tickers_from_batch_pb",
    "parse_avg_price",
    "parse_book_ticker_json",
    "parse_book_tickers_json",
    "parse_ticker_24h",
    "parse_ticker_price",
    "parse_ticker_prices",
    "parse_tickers_24h",
    "ticker_from_pb",
]


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
        version = version_or_none(body.version, "version")
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
