"""Callback bundles for streams, in the spec's ``handlers.order_handler`` style.

A handler may be a plain function or a coroutine function; it is called in order for each event of
its stream. An async handler runs on its stream's consumer task; a plain function is called
directly by the publisher while it keeps up (nothing buffered), and through the consumer task's
bounded queue once it falls behind or takes over 1 ms for a frame (see :mod:`exchanges.streams`),
so a slow handler delays its own stream's queue (bounded; see docs), not the socket.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs

from exchanges.models import (
    BalanceUpdate,
    BookStateChange,
    BookTicker,
    ConnectionStateChange,
    Fill,
    Kline,
    Order,
    OrderBook,
    Ticker,
    Trade,
)

__all__ = [
    "Handler",
    "PrivateStreamHandlers",
    "PublicStreamHandlers",
    "call_handler",
]

T = TypeVar("T")
Handler = Callable[[T], Awaitable[None] | None]
"""A sync or async callable taking one event."""


async def call_handler(handler: Handler[T] | None, event: T) -> None:
    """Call a sync or async handler with one event; ``None`` handlers are skipped."""
    if handler is None:
        return
    result = handler(event)
    if result is not None and inspect.isawaitable(result):  # a sync handler returns None: no check
        await result


@attrs.define(slots=True)
class PublicStreamHandlers:
    """Callbacks for public market-data streams. Every field is optional."""

    orderbook_handler: Handler[OrderBook] | None = None
    trade_handler: Handler[Trade] | None = None
    ticker_handler: Handler[Ticker] | None = None
    book_ticker_handler: Handler[BookTicker] | None = None
    kline_handler: Handler[Kline] | None = None
    book_state_handler: Handler[BookStateChange] | None = None
    """Each local book's state changes (SYNCING / LIVE / STALE), with the reason."""
    connection_state_handler: Handler[ConnectionStateChange] | None = None
    """Each stream connection's state changes (RECONNECTING the moment it is lost or silent...)."""
    error_handler: Handler[BaseException] | None = None
    """Called once with the terminal error when a stream gives up for good."""


@attrs.define(slots=True)
class PrivateStreamHandlers:
    """Callbacks for the private user stream: order updates, balance changes and executions."""

    order_handler: Handler[Order] | None = None
    balance_handler: Handler[BalanceUpdate] | None = None
    execution_handler: Handler[Fill] | None = None
    connection_state_handler: Handler[ConnectionStateChange] | None = None
    """The user stream connection's state changes (RECONNECTING the moment it is lost or silent...)."""
    error_handler: Handler[BaseException] | None = None
    """Called once with the terminal error when the user stream gives up for good."""
