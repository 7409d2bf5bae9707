"""The gateway's extra market-data feeds: book tickers, candles and the exchange's own trade gaps.

Each :class:`Feed` says how to subscribe and unsubscribe a channel on the exchange, where its
events come from and how they are published, so the gateway handles every such channel the same
way (subscribed with the symbol's lease, published while held, unsubscribed with it).

* ``book_ticker``: ``start_book_ticker_stream`` -> ``md.<ex>.book_ticker.<SYM>``;
* ``kline``: ``start_kline_stream(symbols, interval)`` for the gateway's one candle width
  (``GatewaySettings.kline_interval``) -> ``md.<ex>.kline_<interval>.<SYM>``;
* trade gaps: an exchange that reports them (``iter_trade_gaps()``, e.g. MEXC after a WebSocket
  reconnect: pushes in between are lost) gets a gap marker on the bus for each held traded symbol,
  so every consumer counts the possible loss, not only the gateway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from exchanges.capabilities import SupportsBookTickerStream, SupportsKlineStream
from exchanges.models import KlineInterval, Symbol, TradeGap

from ._publisher import BusPublisher


@runtime_checkable
class SupportsTradeGaps(Protocol):
    """A public exchange that reports when trades of a symbol may have been lost (its stream reconnected)."""

    def iter_trade_gaps(self) -> AsyncIterator[TradeGap]: ...


@attrs.frozen
class Feed:
    """One channel the gateway subscribes per held symbol and publishes (see module doc)."""

    name: str
    start: Callable[[list[Symbol]], Awaitable[None]]
    stop: Callable[[list[Symbol]], Awaitable[None]]
    events: Callable[[], AsyncIterator[Any]]
    publish: Callable[[Any], Awaitable[None]]


GATEWAY_CHANNELS = ("book", "trade", "ticker", "book_ticker", "kline")


def check_channels(exchange: object, channels: Sequence[str]) -> None:
    """ValueError naming an unknown channel; TypeError when ``exchange`` cannot stream one."""
    for channel in channels:
        if channel not in GATEWAY_CHANNELS:
            raise ValueError(
                f"unknown gateway channel {channel!r}; choose from {', '.join(GATEWAY_CHANNELS)}"
            )
    if "book_ticker" in channels and not isinstance(exchange, SupportsBookTickerStream):
        raise TypeError(f"{type(exchange).__name__} has no book ticker stream: leave out 'book_ticker'")
    if "kline" in channels and not isinstance(exchange, SupportsKlineStream):
        raise TypeError(f"{type(exchange).__name__} has no kline stream: leave out 'kline'")


def extra_feeds(
    exchange: object, channels: Sequence[str], interval: KlineInterval, publisher: BusPublisher
) -> list[Feed]:
    """The book-ticker and kline feeds among ``channels`` (checked by :func:`check_channels`)."""
    feeds: list[Feed] = []
    if "book_ticker" in channels and isinstance(exchange, SupportsBookTickerStream):
        feeds.append(
            Feed(
                "book_ticker",
                exchange.start_book_ticker_stream,
                exchange.stop_book_ticker_stream,
                exchange.iter_book_tickers,
                publisher.book_ticker,
            )
        )
    if "kline" in channels and isinstance(exchange, SupportsKlineStream):
        klines = exchange

        async def start_klines(symbols: list[Symbol]) -> None:
            await klines.start_kline_stream(symbols, interval)

        feeds.append(
            Feed("kline", start_klines, klines.stop_kline_stream, klines.iter_klines, publisher.kline)
        )
    return feeds
