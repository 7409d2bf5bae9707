"""Market data records: float prices and sizes in ``typing.NamedTuple`` s (the hot path, built
per frame; see docs/architecture.md "Records")."""

from __future__ import annotations

import sys
from typing import Annotated, NamedTuple

import msgspec

from exchanges._models.enums import KlineInterval, Side
from exchanges._models.symbol import Symbol

PositiveFinite = Annotated[float, msgspec.Meta(gt=0.0, lt=sys.float_info.max)]
"""A float that is finite and above 0. The hint is for decoders that read it (msgspec): decoding into
an :class:`OrderBookEntry` rejects NaN, infinities, zero and negatives in C, while decoding; code that
builds entries itself checks its values (a NamedTuple does not validate on construction)."""


class OrderBookEntry(NamedTuple):
    """One price level of an order book: price and size finite and > 0 (a size of 0 is a deletion in an
    update, never a level of a book)."""

    price: PositiveFinite
    size: PositiveFinite


class OrderBook(NamedTuple):
    """An order book snapshot: bids best (highest) first, asks best (lowest) first."""

    symbol: Symbol
    bids: tuple[OrderBookEntry, ...]
    asks: tuple[OrderBookEntry, ...]
    timestamp: int
    version: int | None = None

    @property
    def best_bid(self) -> OrderBookEntry | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> OrderBookEntry | None:
        return self.asks[0] if self.asks else None


class BookUpdate(NamedTuple):
    """An incremental book update with absolute quantities per level (0 deletes the level).

    ``first_version``/``last_version`` are the exchange's sequence range (MEXC ``fromVersion`` and
    ``toVersion``); the local order book checks their continuity.
    Levels are plain ``(price, size)`` tuples: they are applied, not kept.
    """

    symbol: Symbol
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]
    first_version: int
    last_version: int
    timestamp: int


class Trade(NamedTuple):
    """A public trade. ``side`` is the taker's side."""

    symbol: Symbol
    price: float
    quantity: float
    side: Side
    timestamp: int
    trade_id: str | None = None


class TradeGap(NamedTuple):
    """Public trades of ``symbol`` may be missing before ``timestamp`` (ms since the epoch, on the
    clock of whoever noticed: this process, or the bus gateway that published the marker): the stream
    carrying them was lost and resubscribed, or its publisher changed, and exchanges do not replay
    trade pushes. ``reason`` says which, in a few words."""

    symbol: Symbol
    timestamp: int
    reason: str


class BookTicker(NamedTuple):
    """Best bid and ask."""

    symbol: Symbol
    bid_price: float
    bid_quantity: float
    ask_price: float
    ask_quantity: float
    timestamp: int
    version: int | None = None


class Ticker(NamedTuple):
    """Rolling 24 h statistics.

    ``price_change_ratio`` is the 24 h change as a fraction (0.01 = +1 %), which is what exchanges
    such as MEXC send under the name "priceChangePercent"; ``price_change_percent`` is the same
    change in percent (1.0 = +1 %), derived from it.
    """

    symbol: Symbol
    last_price: float
    high: float
    low: float
    volume: float
    quote_volume: float
    price_change_ratio: float
    """24 h change as a fraction: 0.01 means +1 %."""
    timestamp: int
    open_price: float | None = None
    bid_price: float | None = None
    ask_price: float | None = None

    @property
    def price_change_percent(self) -> float:
        """24 h change in percent: 1.0 means +1 % (``price_change_ratio * 100``)."""
        return self.price_change_ratio * 100.0


class Kline(NamedTuple):
    """A candle. Times are milliseconds (MEXC's WebSocket sends seconds; parsers convert)."""

    symbol: Symbol
    interval: KlineInterval
    open_time: int
    close_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float
