"""Public market history per symbol: recent trades, 1-minute candles (aggregated on demand), 24h stats.

Candles for every interval are built from 1-minute candles, so REST klines and WS kline pushes agree.
At start a seeded random walk fills ``history_minutes`` of past candles ending at the initial price.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections import deque
from decimal import Decimal
from typing import NamedTuple

import attrs

MINUTE = 60_000
REST_INTERVALS = {
    "1m": 1,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "60m": 60,
    "4h": 240,
    "8h": 480,
    "1d": 1440,
    "1W": 10080,
    "1M": -1,
}
WS_INTERVALS = {
    "Min1": "1m",
    "Min5": "5m",
    "Min15": "15m",
    "Min30": "30m",
    "Min60": "60m",
    "Hour4": "4h",
    "Hour8": "8h",
    "Day1": "1d",
    "Week1": "1W",
    "Month1": "1M",
}


class PublicTrade(NamedTuple):
    """One public trade. ``taker_side`` BUY means the buyer was the taker (isBuyerMaker false)."""

    price: Decimal
    qty: Decimal
    time: int
    taker_side: str
    trade_id: str


@attrs.define
class Candle:
    """OHLCV of one window; ``open_time`` ms."""

    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal

    def merge(self, other: Candle) -> None:
        """Extend with a later candle."""
        self.high = max(self.high, other.high)
        self.low = min(self.low, other.low)
        self.close = other.close
        self.volume += other.volume
        self.quote_volume += other.quote_volume


def window_start(ts_ms: int, interval: str) -> int:
    """Start (ms, UTC) of the window of ``interval`` containing ``ts_ms``."""
    minutes = REST_INTERVALS[interval]
    if minutes > 0 and interval != "1W":
        size = minutes * MINUTE
        return ts_ms - ts_ms % size
    day = dt.datetime.fromtimestamp(ts_ms / 1000, tz=dt.UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    if interval == "1W":
        day -= dt.timedelta(days=day.weekday())
    else:
        day = day.replace(day=1)
    return int(day.timestamp() * 1000)


def window_end(start_ms: int, interval: str) -> int:
    """End (exclusive, ms) of the window starting at ``start_ms``."""
    minutes = REST_INTERVALS[interval]
    if minutes > 0:
        return start_ms + minutes * MINUTE
    first = dt.datetime.fromtimestamp(start_ms / 1000, tz=dt.UTC)
    nxt = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return int(nxt.timestamp() * 1000)


class SymbolHistory:
    """Trades and candles of one symbol."""

    def __init__(self, symbol: str, max_trades: int = 1000) -> None:
        self.symbol = symbol
        self.trades: deque[PublicTrade] = deque(maxlen=max_trades)
        self.candles: dict[int, Candle] = {}
        self._minutes: list[int] = []  # ascending starts of the 1-minute candles
        self.last_price: Decimal | None = None

    def seed(
        self, price: Decimal, now_ms: int, minutes: int, rng: random.Random, quote_precision: int
    ) -> None:
        """Fill ``minutes`` of past candles with a random walk ending near ``price``."""
        quant = Decimal(1).scaleb(-quote_precision)
        current = window_start(now_ms, "1m")
        path = [float(price)]
        for _ in range(minutes):
            path.append(path[-1] * (1 + rng.gauss(0, 0.0008)))
        path.reverse()
        for i in range(minutes):
            start = current - (minutes - i) * MINUTE
            o, c = Decimal(str(path[i])).quantize(quant), Decimal(str(path[i + 1])).quantize(quant)
            spread = Decimal(str(abs(rng.gauss(0, 0.0004)) * float(price))).quantize(quant)
            vol = Decimal(str(round(rng.uniform(0.5, 5.0), 4)))
            candle = Candle(
                start, o, max(o, c) + spread, min(o, c) - spread, c, vol, (vol * c).quantize(quant)
            )
            self.candles[start] = candle
            self._minutes.append(start)
        self.last_price = price

    def record(self, trade: PublicTrade) -> None:
        """Add a trade to the tape and its 1-minute candle."""
        self.trades.append(trade)
        self.last_price = trade.price
        start = window_start(trade.time, "1m")
        quote = trade.price * trade.qty
        candle = self.candles.get(start)
        if candle is None:
            candle = Candle(start, trade.price, trade.price, trade.price, trade.price, trade.qty, quote)
            self.candles[start] = candle
            bisect.insort(self._minutes, start)  # normally an append; a clock moved back may insert
            if len(self._minutes) > 50_000:
                del self.candles[self._minutes.pop(0)]
        else:
            candle.merge(Candle(start, trade.price, trade.price, trade.price, trade.price, trade.qty, quote))

    def klines(self, interval: str, start: int | None, end: int | None, limit: int) -> list[Candle]:
        """Candles of ``interval`` (oldest first): the first ``limit`` from ``start``, else the last ``limit``
        up to ``end`` (windows with a 1-minute candle in range; ``end`` compares to minute starts)."""
        minutes = self._minutes
        lo = 0 if start is None else bisect.bisect_left(minutes, window_start(start, interval))
        hi = len(minutes) if end is None else bisect.bisect_right(minutes, end)
        if start is None:
            lo = self._last_windows_from(interval, lo, hi, limit)
        out: list[Candle] = []
        agg: Candle | None = None
        until = 0
        for i in range(lo, hi):
            minute = minutes[i]
            base = self.candles[minute]
            if agg is not None and minute < until:
                agg.merge(base)
                continue
            if len(out) >= limit:
                break
            key = window_start(minute, interval)
            until = window_end(key, interval)
            agg = Candle(key, base.open, base.high, base.low, base.close, base.volume, base.quote_volume)
            out.append(agg)
        return out

    def _last_windows_from(self, interval: str, lo: int, hi: int, count: int) -> int:
        """Index of the first minute of the last ``count`` windows among ``minutes[lo:hi]``."""
        minutes = self._minutes
        while hi > lo and count > 0:
            hi = bisect.bisect_left(minutes, window_start(minutes[hi - 1], interval), lo, hi)
            count -= 1
        return hi

    def current(self, interval: str, now_ms: int) -> Candle | None:
        """The open candle of ``interval`` at ``now_ms`` (None if no trade/seed in it)."""
        rows = self.klines(interval, window_start(now_ms, interval), None, 1)
        return rows[0] if rows else None

    def rolling(self, now_ms: int, window_ms: int = 24 * 60 * MINUTE) -> Candle | None:
        """One candle aggregating the last ``window_ms`` (24h stats)."""
        agg: Candle | None = None
        minutes = self._minutes
        for i in range(bisect.bisect_left(minutes, now_ms - window_ms), len(minutes)):
            minute = minutes[i]
            base = self.candles[minute]
            if agg is None:
                agg = Candle(
                    minute, base.open, base.high, base.low, base.close, base.volume, base.quote_volume
                )
            else:
                agg.merge(base)
        return agg
