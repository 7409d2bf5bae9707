"""Where the composite public exchange's streams and local books come from.

``MarketDataSource`` is what :class:`~exchanges_mexc.composite.public.MexcCompositePublicExchange`
needs from a source. Two satisfy it: the MEXC WebSocket client (the default) and, when the config
sets ``market_data_url`` to a NATS URL, the core's :class:`exchanges.bus.BusMarketData`, which reads
what market-data gateways publish (docs/bus.md). REST stays with the exchange either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol

from exchanges.config import ExchangeConfig
from exchanges.handlers import PublicStreamHandlers
from exchanges.metrics import MetricsRegistry
from exchanges.models import (
    BookState,
    BookStateChange,
    BookTicker,
    Kline,
    KlineInterval,
    OrderBook,
    Symbol,
    Ticker,
    Trade,
    TradeGap,
)
from exchanges_mexc.constants import EXCHANGE_NAME

if TYPE_CHECKING:
    from exchanges.bus import BusMarketData


class MarketDataSource(Protocol):
    """The streams, books and subscriptions the composite public exchange delegates to."""

    def set_handlers(self, handlers: PublicStreamHandlers) -> None: ...
    async def subscribe_orderbook(self, symbols: Sequence[Symbol]) -> None: ...
    async def unsubscribe_orderbook(self, symbols: Sequence[Symbol]) -> None: ...
    async def subscribe_trades(self, symbols: Sequence[Symbol]) -> None: ...
    async def unsubscribe_trades(self, symbols: Sequence[Symbol]) -> None: ...
    async def subscribe_tickers(self, symbols: Sequence[Symbol]) -> None: ...
    async def unsubscribe_tickers(self, symbols: Sequence[Symbol]) -> None: ...
    async def subscribe_book_ticker(self, symbols: Sequence[Symbol]) -> None: ...
    async def unsubscribe_book_ticker(self, symbols: Sequence[Symbol]) -> None: ...
    async def subscribe_klines(self, symbols: Sequence[Symbol], interval: KlineInterval) -> None: ...
    async def unsubscribe_klines(self, symbols: Sequence[Symbol], interval: KlineInterval) -> None: ...
    def orderbooks(self) -> AsyncIterator[OrderBook]: ...
    def trades(self) -> AsyncIterator[Trade]: ...
    def tickers(self) -> AsyncIterator[Ticker]: ...
    def book_tickers(self) -> AsyncIterator[BookTicker]: ...
    def klines(self) -> AsyncIterator[Kline]: ...
    def trade_gaps(self) -> AsyncIterator[TradeGap]: ...
    def book_states(self) -> AsyncIterator[BookStateChange]: ...
    def get_orderbook(self, symbol: Symbol, depth: int | None = None) -> OrderBook: ...
    def orderbook_state(self, symbol: Symbol) -> BookState: ...
    def is_connected(self) -> bool: ...
    async def wait_orderbook_ready(self, symbols: Sequence[Symbol], timeout: float) -> None: ...  # noqa: ASYNC109
    async def close(self) -> None: ...


def bus_source(config: ExchangeConfig, metrics: MetricsRegistry) -> BusMarketData:
    """The bus source for ``config.market_data_url`` (needs the ``bus`` extra)."""
    from exchanges.bus import BusConnectOptions, BusMarketData

    connect = BusConnectOptions(connect_within=max(2 * config.connect_timeout, 1.0))
    return BusMarketData(
        config.market_data_url,
        exchange=EXCHANGE_NAME,
        metrics=metrics,
        connect=connect,
        maxsize=config.ws_max_queue_size,
        policy=config.ws_overflow_policy,
        liveness_timeout=config.ws_liveness_timeout,
    )
