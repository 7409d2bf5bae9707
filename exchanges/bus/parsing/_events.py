"""Wire format of the bus: compact msgspec JSON, decoded straight into typed records.

One encoder and one decoder per event kind; the symbol travels in the subject, not the payload.
Every decode either returns a valid :mod:`exchanges.models` record or raises
:class:`~exchanges.errors.ProtocolError` (wrong shape, non-finite or negative numbers, a version
range that runs backwards): a malformed message is counted and skipped by the consumer, never
published to users.

Each event carries ``g`` (the publishing gateway's id) and ``pt`` (its wall-clock publish time in
ms) so consumers can report lag and notice a change of publisher.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, TypeVar

import msgspec

from exchanges.errors import ProtocolError
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

NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Positive = Annotated[float, msgspec.Meta(gt=0)]
Level = tuple[NonNegative, NonNegative]
Version = Annotated[int, msgspec.Meta(ge=0)]


class BookDeltaMsg(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    b: list[Level]
    a: list[Level]
    fv: Version
    lv: Version
    ts: int
    g: str
    pt: float


class BookSnapshotMsg(msgspec.Struct, frozen=True):
    b: list[Level]
    a: list[Level]
    v: Version
    ts: int
    g: str
    pt: float


class TradeMsg(msgspec.Struct, frozen=True):
    p: NonNegative
    q: NonNegative
    s: Literal["BUY", "SELL"]
    ts: int
    g: str
    pt: float
    id: str | None = None


class TickerMsg(msgspec.Struct, frozen=True):
    last: NonNegative
    high: NonNegative
    low: NonNegative
    vol: NonNegative
    qvol: NonNegative
    ratio: float
    """24 h change as a fraction (0.01 = +1 %)."""
    ts: int
    g: str
    pt: float
    open: NonNegative | None = None
    bid: NonNegative | None = None
    ask: NonNegative | None = None


class BookTickerMsg(msgspec.Struct, frozen=True):
    b: NonNegative
    bq: NonNegative
    a: NonNegative
    aq: NonNegative
    ts: Version
    g: str
    pt: float
    v: Version | None = None


class KlineMsg(msgspec.Struct, frozen=True):
    """A candle; its width travels in the subject (``kline_<interval>``), like the symbol."""

    ot: Version
    ct: Version
    o: Positive
    h: Positive
    l: Positive  # noqa: E741 (the wire names are one letter each)
    c: Positive
    v: NonNegative
    qv: NonNegative
    g: str
    pt: float


class GapMsg(msgspec.Struct, frozen=True):
    """Trades of the symbol before this marker may be missing (new publisher, or a lost exchange link)."""

    g: str
    pt: float
    reason: str


T = TypeVar("T")

_ENCODER = msgspec.json.Encoder()
_DELTA = msgspec.json.Decoder(BookDeltaMsg)
_SNAPSHOT = msgspec.json.Decoder(BookSnapshotMsg)
_TRADE = msgspec.json.Decoder(TradeMsg)
_TICKER = msgspec.json.Decoder(TickerMsg)
_GAP = msgspec.json.Decoder(GapMsg)
_BOOK_TICKER = msgspec.json.Decoder(BookTickerMsg)
_KLINE = msgspec.json.Decoder(KlineMsg)
_SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}


def _levels(levels: object) -> list[tuple[float, float]]:
    return [(float(price), float(size)) for price, size in levels]  # type: ignore[attr-defined]


def _finite(values: tuple[float, ...], source: str) -> None:
    for value in values:
        if not math.isfinite(value):
            raise ProtocolError("non-finite number", source=source)


def _decode(decoder: msgspec.json.Decoder[T], data: bytes, source: str) -> T:
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise ProtocolError(str(exc), source=source) from None
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"not JSON: {exc}", source=source) from None


# ------------------------------------------------------------------ book deltas


def encode_book_delta(update: BookUpdate, gateway: str, now_ms: float) -> bytes:
    return _ENCODER.encode(
        BookDeltaMsg(
            update.bids,
            update.asks,
            update.first_version,
            update.last_version,
            update.timestamp,
            gateway,
            now_ms,
        )
    )


def decode_book_delta(symbol: Symbol, data: bytes) -> tuple[BookUpdate, BookDeltaMsg]:
    msg = _decode(_DELTA, data, "bus book delta")
    if msg.lv < msg.fv:
        raise ProtocolError(f"version range runs backwards ({msg.fv}..{msg.lv})", source="bus book delta")
    return BookUpdate(symbol, _levels(msg.b), _levels(msg.a), msg.fv, msg.lv, msg.ts), msg


# ------------------------------------------------------------------ book snapshots (KV)


def encode_book_snapshot(book: OrderBook, gateway: str, now_ms: float) -> bytes:
    if book.version is None:
        raise ValueError(f"{book.symbol}: a book without a version cannot go on the bus")
    return _ENCODER.encode(
        BookSnapshotMsg(
            [(e.price, e.size) for e in book.bids],
            [(e.price, e.size) for e in book.asks],
            book.version,
            book.timestamp,
            gateway,
            now_ms,
        )
    )


def decode_book_snapshot(symbol: Symbol, data: bytes) -> tuple[OrderBook, BookSnapshotMsg]:
    msg = _decode(_SNAPSHOT, data, "bus book snapshot")
    bids = tuple(OrderBookEntry(float(p), float(q)) for p, q in msg.b)
    asks = tuple(OrderBookEntry(float(p), float(q)) for p, q in msg.a)
    return OrderBook(symbol, bids, asks, msg.ts, msg.v), msg


# ------------------------------------------------------------------ trades, tickers, gaps


def trade_key(trade: Trade) -> str:
    """A trade's identity when the exchange sends no id: time, price, quantity and side."""
    return f"{trade.timestamp}:{trade.price!r}:{trade.quantity!r}:{trade.side.value}"


def encode_trade(trade: Trade, gateway: str, now_ms: float) -> bytes:
    _finite((trade.price, trade.quantity), "trade")
    return _ENCODER.encode(
        TradeMsg(
            trade.price, trade.quantity, trade.side.value, trade.timestamp, gateway, now_ms, trade.trade_id
        )
    )


def decode_trade(symbol: Symbol, data: bytes) -> tuple[Trade, TradeMsg]:
    msg = _decode(_TRADE, data, "bus trade")
    return Trade(symbol, msg.p, msg.q, _SIDES[msg.s], msg.ts, msg.id), msg


def encode_ticker(ticker: Ticker, gateway: str, now_ms: float) -> bytes:
    t = ticker
    return _ENCODER.encode(
        TickerMsg(
            t.last_price,
            t.high,
            t.low,
            t.volume,
            t.quote_volume,
            t.price_change_ratio,
            t.timestamp,
            gateway,
            now_ms,
            t.open_price,
            t.bid_price,
            t.ask_price,
        )
    )


def decode_ticker(symbol: Symbol, data: bytes) -> tuple[Ticker, TickerMsg]:
    m = _decode(_TICKER, data, "bus ticker")
    if not math.isfinite(m.ratio):
        raise ProtocolError("non-finite number", source="bus ticker", field="ratio")
    ticker = Ticker(symbol, m.last, m.high, m.low, m.vol, m.qvol, m.ratio, m.ts, m.open, m.bid, m.ask)
    return ticker, m


def encode_book_ticker(ticker: BookTicker, gateway: str, now_ms: float) -> bytes:
    t = ticker
    _finite((t.bid_price, t.bid_quantity, t.ask_price, t.ask_quantity), "book ticker")
    return _ENCODER.encode(
        BookTickerMsg(
            t.bid_price, t.bid_quantity, t.ask_price, t.ask_quantity, t.timestamp, gateway, now_ms, t.version
        )
    )


def decode_book_ticker(symbol: Symbol, data: bytes) -> tuple[BookTicker, BookTickerMsg]:
    """A best bid/ask; both sides empty carries nothing and is refused, as from the exchange."""
    m = _decode(_BOOK_TICKER, data, "bus book ticker")
    if not (m.b or m.a):
        raise ProtocolError("both sides are empty", source="bus book ticker")
    return BookTicker(symbol, m.b, m.bq, m.a, m.aq, m.ts, m.v), m


def encode_kline(kline: Kline, gateway: str, now_ms: float) -> bytes:
    k = kline
    _finite((k.open, k.high, k.low, k.close, k.volume, k.quote_volume), "kline")
    return _ENCODER.encode(
        KlineMsg(
            k.open_time,
            k.close_time,
            k.open,
            k.high,
            k.low,
            k.close,
            k.volume,
            k.quote_volume,
            gateway,
            now_ms,
        )
    )


def decode_kline(symbol: Symbol, interval: KlineInterval, data: bytes) -> tuple[Kline, KlineMsg]:
    m = _decode(_KLINE, data, "bus kline")
    if m.ct < m.ot:
        raise ProtocolError(f"window ends ({m.ct}) before it opens ({m.ot})", source="bus kline")
    return Kline(symbol, interval, m.ot, m.ct, m.o, m.h, m.l, m.c, m.v, m.qv), m


def encode_gap(gateway: str, now_ms: float, reason: str) -> bytes:
    return _ENCODER.encode(GapMsg(gateway, now_ms, reason))


def decode_gap(data: bytes) -> GapMsg:
    return _decode(_GAP, data, "bus gap marker")
