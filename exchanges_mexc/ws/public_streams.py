"""The public WebSocket's event streams: the one owner of every stream MexcPublicSpotWebsocket publishes.

Data streams (trades, order books, book tickers, tickers, klines, book deltas) are bounded by
``config.ws_max_queue_size`` / ``ws_overflow_policy``; the rare ones that must all arrive (book and
connection state changes, errors, trade gaps) are unbounded. This module builds them, installs the
spec-style handlers, and ends them: drained at the end of a replay, or with the error of a
connection that gave up (the state and error streams stay open to report it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exchanges.config import ExchangeConfig
from exchanges.handlers import PublicStreamHandlers
from exchanges.metrics import MetricsRegistry
from exchanges.models import (
    BookStateChange,
    BookTicker,
    BookUpdate,
    ConnectionStateChange,
    Kline,
    OrderBook,
    Symbol,
    Ticker,
    Trade,
    TradeGap,
)
from exchanges.streams import EventStream


def symbol_filter(symbol: Symbol | None) -> Callable[[Any], bool] | None:
    """An iterator filter keeping ``symbol``'s events (None: every event)."""
    if symbol is None:
        return None
    return lambda event: bool(event.symbol == symbol)


class PublicStreams:
    """Every stream of the public WebSocket (``mexc.ws.<stream>.*`` metrics)."""

    def __init__(self, config: ExchangeConfig, metrics: MetricsRegistry) -> None:
        size, policy = config.ws_max_queue_size, config.ws_overflow_policy
        m = metrics

        def bounded(name: str) -> EventStream[Any]:
            return EventStream(name, m, maxsize=size, policy=policy, prefix="mexc.ws")

        self.trades: EventStream[Trade] = bounded("trades")
        self.orderbooks: EventStream[OrderBook] = bounded("orderbooks")
        self.book_tickers: EventStream[BookTicker] = bounded("book_tickers")
        self.tickers: EventStream[Ticker] = bounded("tickers")
        self.klines: EventStream[Kline] = bounded("klines")
        self.book_updates: EventStream[BookUpdate] = bounded("book_updates")
        # state changes are rare and must all arrive: unbounded
        self.book_states: EventStream[BookStateChange] = EventStream(
            "book_states", m, maxsize=0, prefix="mexc.ws"
        )
        self.connection_states: EventStream[ConnectionStateChange] = EventStream(
            "connection_states", m, maxsize=0, prefix="mexc.ws"
        )
        self.errors: EventStream[BaseException] = EventStream("errors", m, maxsize=0, prefix="mexc.ws")
        # rare, and a bus gateway must forward every one: unbounded
        self.trade_gaps: EventStream[TradeGap] = EventStream("trade_gaps", m, maxsize=0, prefix="mexc.ws")

    def set_handlers(self, handlers: PublicStreamHandlers) -> None:
        """Install the spec-style callbacks (``handlers.trade_handler`` ...); None fields are removed."""
        self.trades.set_handler(handlers.trade_handler)
        self.orderbooks.set_handler(handlers.orderbook_handler)
        self.book_tickers.set_handler(handlers.book_ticker_handler)
        self.tickers.set_handler(handlers.ticker_handler)
        self.klines.set_handler(handlers.kline_handler)
        self.book_states.set_handler(handlers.book_state_handler)
        self.connection_states.set_handler(handlers.connection_state_handler)
        self.errors.set_handler(handlers.error_handler)

    def all(self) -> tuple[EventStream[Any], ...]:
        return (
            self.trades,
            self.orderbooks,
            self.book_tickers,
            self.tickers,
            self.klines,
            self.book_states,
            self.connection_states,
            self.errors,
            self.book_updates,
            self.trade_gaps,
        )

    async def close(self) -> None:
        for stream in self.all():
            await stream.close()

    async def end_replay(self) -> None:
        """The replay is over: handlers deliver what they hold, then every iterator ends."""
        for stream in self.all():
            await stream.close(drain_timeout=60.0)

    async def end_with(self, error: BaseException) -> None:
        """A connection gave up: every data iterator raises ``error`` after its buffered events."""
        for stream in self.all():
            if stream not in (self.errors, self.connection_states, self.book_states):
                await stream.close(error=error)
