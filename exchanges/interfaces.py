"""The two exchange domains as parallel abstract base classes.

``PublicExchange`` (market data, no credentials) and ``PrivateExchange`` (trading and account,
credentials required) share no base class beyond :class:`ExchangeLifecycle`: a private exchange is
not a public one with extras, and code that holds one cannot reach the other's operations.
Everything beyond the core (streams, trading, balances, withdrawals) is a capability Protocol in
:mod:`exchanges.capabilities`, checked with ``isinstance``.

Both are async context managers: ``async with`` closes HTTP sessions and sockets.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Any, Self

from exchanges.models import (
    BookTicker,
    Kline,
    KlineInterval,
    OrderBook,
    Symbol,
    SymbolInfo,
    Ticker,
    Trade,
)

__all__ = [
    "ExchangeLifecycle",
    "PrivateExchange",
    "PublicExchange",
]


class ExchangeLifecycle(abc.ABC):
    """Start, stop, observe. Shared lifecycle only: no market or account operation lives here."""

    name: str
    """The registered exchange name, e.g. ``"mexc_spot"``."""

    async def initialize(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Load what the exchange needs before use (symbol rules, clock offset). Idempotent."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop streams and background tasks and close every connection. Idempotent."""

    @abc.abstractmethod
    def get_performance_metrics(self) -> dict[str, Any]:
        """Counters and latency summaries (see docs/performance.md for the keys)."""

    @abc.abstractmethod
    async def health_check(self) -> dict[str, bool]:
        """Connectivity and parsing checks; ``overall`` is True when every check passed."""

    async def __aenter__(self) -> Self:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class PublicExchange(ExchangeLifecycle):
    """Market data: books, trades, tickers, candles, symbol rules. Needs no credentials."""

    symbols: tuple[Symbol, ...]
    """The symbols this instance was created for (may be empty: then any listed symbol works)."""

    @abc.abstractmethod
    async def get_symbols_info(self) -> dict[Symbol, SymbolInfo]:
        """Trading rules for every listed symbol (cached; see the plugin for the TTL)."""

    @abc.abstractmethod
    async def get_orderbook(self, symbol: Symbol, limit: int = 100) -> OrderBook:
        """A REST snapshot of the book with at least ``limit`` levels per side when available."""

    @abc.abstractmethod
    async def get_recent_trades(self, symbol: Symbol, limit: int = 500) -> list[Trade]:
        """Recent public trades, newest last."""

    @abc.abstractmethod
    async def get_ticker(self, symbol: Symbol) -> Ticker:
        """24 h rolling statistics."""

    @abc.abstractmethod
    async def get_book_ticker(self, symbol: Symbol) -> BookTicker:
        """Best bid and ask."""

    @abc.abstractmethod
    async def get_klines(
        self,
        symbol: Symbol,
        interval: KlineInterval,
        limit: int = 500,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[Kline]:
        """Candles, oldest first. Times in milliseconds."""

    @abc.abstractmethod
    async def get_server_time(self) -> int:
        """The exchange's clock in milliseconds."""

    @abc.abstractmethod
    async def ping(self) -> bool:
        """True when the REST API answers."""


class PrivateExchange(ExchangeLifecycle):
    """Trading and account operations. Needs credentials.

    The operations themselves are capabilities (``SupportsTrading``, ``SupportsBalance``,
    ``SupportsWithdrawal``, ``SupportsUserStream``): test with ``isinstance`` before use.
    """

    @abc.abstractmethod
    async def get_symbols_info(self) -> dict[Symbol, SymbolInfo]:
        """Trading rules, used for the pre-flight checks of every order."""
