"""Candles, wire -> :class:`Kline`: :func:`_kline` is the one builder (REST klines rows, WS spot kline)."""

from __future__ import annotations

from exchanges.models import Kline, KlineInterval, Symbol

from ..._proto.PublicSpotKlineV3Api_pb2 import PublicSpotKlineV3Api
from ..checks import INF, fail, non_negative, non_negative_time, positive, protocol_error
from ..enums import WS_INTERVAL_BY_NAME
from ..shapes import KlineRow, read
from .base import KLINES
from .base import new_record as _new

__all__ = ["kline_from_pb", "parse_klines"]

_WS_INTERVALS: dict[str, KlineInterval] = dict(WS_INTERVAL_BY_NAME)


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


def parse_klines(symbol: Symbol, interval: KlineInterval, body: bytes) -> list[Kline]:
    """GET /api/v3/klines 8-column rows: openTime, open, high, low, close, volume, closeTime, quoteVolume."""
    kline = _kline
    return read(
        body,
        list[KlineRow],
        KLINES,
        lambda rows: [kline(symbol, interval, r[0], r[6], r[1], r[2], r[3], r[4], r[5], r[7]) for r in rows],
    )


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
