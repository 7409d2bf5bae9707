"""MexcCompositePublicExchange: MEXC spot market data behind :class:`exchanges.interfaces.PublicExchange`.

Composition, no inheritance from the parts:

* :class:`~exchanges_mexc.rest.public.MexcPublicSpotRest` for snapshots, candles, tickers and the
  symbol rules (exchangeInfo, cached ``config.symbol_info_ttl`` seconds);
* :class:`~exchanges_mexc.ws.public.MexcPublicSpotWebsocket`, created lazily by the first
  ``start_*_stream`` (or ``iter_*``) call, for local order books (``aggre.depth`` + REST snapshot,
  resynced after every gap), trades (``aggre.deals``) and 24 h tickers (``miniTicker``).

Everything shares one :class:`~exchanges.metrics.MetricsRegistry` and one
:class:`~exchanges_mexc.symbols.MexcSymbolMapper`, which is what ``get_performance_metrics()`` reads.

Capabilities (checked with ``isinstance``): ``SupportsOrderBookStream``, ``SupportsTradeStream`` and
``SupportsTickerStream``; never a trading, balance, withdrawal or user-stream method.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from exchanges.config import ExchangeConfig
from exchanges.errors import ExchangeClosedError, SymbolNotSupported
from exchanges.handlers import PublicStreamHandlers
from exchanges.interfaces import PublicExchange
from exchanges.metrics import MetricsRegistry
from exchanges.models import (
    BookState,
    BookStateChange,
    BookTicker,
    BookUpdate,
    ConnectionStateChange,
    Kline,
    KlineInterval,
    OrderBook,
    Symbol,
    SymbolInfo,
    Ticker,
    Trade,
    TradeGap,
)
from exchanges.recording import RECORDABLE_CHANNELS, Recorder, ReplaySource
from exchanges_mexc.composite.health import public_health
from exchanges_mexc.composite.market_data import MarketDataSource
from exchanges_mexc.composite.metrics import spec_metrics
from exchanges_mexc.composite.paging import iter_klines_paged
from exchanges_mexc.composite.recording import open_replay
from exchanges_mexc.composite.streams import PublicStreams
from exchanges_mexc.constants import EXCHANGE_NAME, MAX_KLINES_LIMIT
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket

logger = logging.getLogger("exchanges.mexc.exchange.public")


def unknown_symbols_error(symbols: Sequence[Symbol]) -> SymbolNotSupported:
    """The error for symbols MEXC does not list (one message naming all of them)."""
    names = ", ".join(str(symbol) for symbol in symbols)
    plural = "s" if len(symbols) > 1 else ""
    return SymbolNotSupported(
        f"unknown symbol{plural} {names}: not listed by MEXC spot (see get_symbols_info())",
        exchange=EXCHANGE_NAME,
    )


class MexcCompositePublicExchange(PublicExchange):
    """MEXC spot market data: REST snapshots plus lazily started WebSocket streams (see module doc)."""

    def __init__(self, config: ExchangeConfig, symbols: Sequence[Symbol] = ()) -> None:
        self.name = config.name
        self.config = config
        self.symbols = tuple(dict.fromkeys(symbols))
        self.metrics = MetricsRegistry()
        self.symbol_mapper = MexcSymbolMapper()
        self.rest = MexcPublicSpotRest(config, metrics=self.metrics, symbol_mapper=self.symbol_mapper)
        self._known: frozenset[Symbol] | None = None
        self._initialized = False
        self._closed = False
        self.replay: ReplaySource | None = open_replay(config)
        if self.replay is not None:
            self._known = frozenset(Symbol.parse(name) for name in self.replay.manifest.symbols)
        self.streams = PublicStreams(
            config,
            rest=self.rest,
            metrics=self.metrics,
            symbols=self.symbols,
            replay=self.replay,
            require_open=self._require_open,
        )

    def __repr__(self) -> str:
        return (
            f"MexcCompositePublicExchange(name={self.name!r}, environment={self.config.environment!r}, "
            f"rest_url={self.config.rest_url!r}, symbols={[str(s) for s in self.symbols]})"
        )

    # ------------------------------------------------------------------ lifecycle

    async def initialize(self) -> None:
        """Load the symbol rules; a symbol given at creation that MEXC does not list: SymbolNotSupported."""
        if self._initialized:
            return
        if self.replay is None:
            self._known = frozenset(await self.rest.get_exchange_info())
        assert self._known is not None
        missing = [symbol for symbol in self.symbols if symbol not in self._known]
        if missing:
            raise unknown_symbols_error(missing)
        for symbol in self.symbols:
            self.symbol_mapper.register(symbol)
        self._initialized = True
        logger.debug("MEXC public exchange ready: %d symbols listed", len(self._known))

    async def close(self) -> None:
        """Stop every stream and close the sockets and the HTTP session. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.streams.close()
        finally:
            await self.rest.close()
        logger.debug("MEXC public exchange closed")

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ helpers

    def _require_open(self) -> None:
        """Every call after :meth:`close` raises ExchangeClosedError (nothing reopens a connection)."""
        if self._closed:
            raise ExchangeClosedError(
                f"{self.name} public exchange is closed: create a new one", exchange=EXCHANGE_NAME
            )

    def _check_symbol(self, symbol: Symbol) -> None:
        """Refuse a symbol MEXC does not list before sending anything (once the rules are loaded)."""
        self._require_open()
        known = self._known
        if known is not None and symbol not in known:
            raise unknown_symbols_error([symbol])

    async def _check_symbols(self, symbols: Sequence[Symbol]) -> list[Symbol]:
        self._require_open()
        wanted = list(dict.fromkeys(symbols))
        if self._known is None:
            self._known = frozenset(await self.rest.get_exchange_info())
        missing = [symbol for symbol in wanted if symbol not in self._known]
        if missing and self.replay is None:
            # A listing newer than our cached rules gets one refresh before we refuse it.
            self._known = frozenset(await self.rest.get_exchange_info(force=True))
            missing = [symbol for symbol in wanted if symbol not in self._known]
        if missing:
            raise unknown_symbols_error(missing)
        return wanted

    @property
    def ws(self) -> MexcPublicSpotWebsocket:
        """The WebSocket client, created on first use (connections open with the first subscription)."""
        return self.streams.ws

    @property
    def market_data(self) -> MarketDataSource:
        """Where streams and local books come from: the WebSocket client, or the bus when
        ``config.market_data_url`` is set (docs/bus.md). Created on first use."""
        return self.streams.market_data

    # ------------------------------------------------------------------ REST market data

    async def get_symbols_info(self) -> dict[Symbol, SymbolInfo]:
        self._require_open()
        infos = await self.rest.get_exchange_info()
        self._known = frozenset(infos)
        return infos

    async def get_orderbook(self, symbol: Symbol, limit: int = 100) -> OrderBook:
        self._check_symbol(symbol)
        return await self.rest.get_orderbook(symbol, limit)

    async def get_recent_trades(self, symbol: Symbol, limit: int = 500) -> list[Trade]:
        """The last ``limit`` public trades, **oldest first** (newest last), whatever order MEXC sends."""
        self._check_symbol(symbol)
        trades = await self.rest.get_recent_trades(symbol, limit)
        return sorted(trades, key=lambda trade: trade.timestamp)

    async def get_ticker(self, symbol: Symbol) -> Ticker:
        self._check_symbol(symbol)
        return await self.rest.get_ticker(symbol)

    async def get_book_ticker(self, symbol: Symbol) -> BookTicker:
        self._check_symbol(symbol)
        return await self.rest.get_book_ticker(symbol)

    async def get_klines(
        self,
        symbol: Symbol,
        interval: KlineInterval,
        limit: int = 500,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[Kline]:
        self._check_symbol(symbol)
        return await self.rest.get_klines(symbol, interval, limit, start_time, end_time)

    async def get_server_time(self) -> int:
        self._require_open()
        return await self.rest.get_server_time()

    async def ping(self) -> bool:
        self._require_open()
        return await self.rest.ping()

    async def get_tickers(self) -> dict[Symbol, Ticker]:
        """24 h statistics of every listed symbol in one request (MEXC weight 40), keyed by Symbol."""
        self._require_open()
        return await self.rest.get_tickers()

    async def get_book_tickers(self) -> dict[Symbol, BookTicker]:
        """Best bid and ask of every listed symbol in one request, keyed by Symbol."""
        self._require_open()
        return await self.rest.get_book_tickers()

    def iter_kline_history(
        self,
        symbol: Symbol,
        interval: KlineInterval,
        start_time: int,
        end_time: int | None = None,
    ) -> AsyncIterator[Kline]:
        """Every candle opening in ``[start_time, end_time)`` (None: up to now), oldest first, paged
        1000 candles per request (MEXC's maximum). ``async for kline in ...``."""
        self._check_symbol(symbol)

        async def page(start: int, end: int, limit: int) -> list[Kline]:
            return await self.rest.get_klines(symbol, interval, limit, start, end)

        async def run() -> AsyncIterator[Kline]:
            until = end_time if end_time is not None else await self.rest.get_server_time() + 1
            async for kline in iter_klines_paged(page, start_time, until, MAX_KLINES_LIMIT):
                yield kline

        return run()

    # ------------------------------------------------------------------ order book stream

    async def start_orderbook_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        """Keep a local book per symbol (SYNCING until snapshot and stream line up, then LIVE)."""
        await self.streams.start_orderbook(await self._check_symbols(symbols), handlers)

    async def stop_orderbook_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        """Stop the books of ``symbols`` (None: all). Stopping a book that is not streamed is harmless."""
        await self.streams.stop_orderbook(symbols)

    def get_local_orderbook(self, symbol: Symbol, depth: int | None = None) -> OrderBook:
        """The local book now; raises KeyError naming the fix when ``symbol`` is not streamed."""
        self._require_open()
        return self.streams.get_local_orderbook(symbol, depth)

    def orderbook_state(self, symbol: Symbol) -> BookState:
        """SYNCING / LIVE / STALE of the local book; KeyError when ``symbol`` is not streamed."""
        self._require_open()
        return self.streams.orderbook_state(symbol)

    def iter_orderbooks(self) -> AsyncIterator[OrderBook]:
        """Each local book (top 20 levels) after every applied update, through a bounded queue."""
        return self.market_data.orderbooks()

    async def wait_orderbook_ready(self, symbols: Sequence[Symbol], timeout: float) -> None:  # noqa: ASYNC109
        """Wait until the local books of ``symbols`` are all LIVE; ``TimeoutError`` naming the
        books still SYNCING/STALE after ``timeout`` seconds; KeyError for a symbol not streamed."""
        await self.streams.wait_orderbook_ready(symbols, timeout)

    def iter_book_states(self) -> AsyncIterator[BookStateChange]:
        """Every local book's state changes (LIVE / STALE / SYNCING, with the reason), unbounded."""
        return self.streams.iter_book_states()

    def iter_connection_states(self) -> AsyncIterator[ConnectionStateChange]:
        """Every stream connection's state changes (RECONNECTING the moment one is lost or silent)."""
        return self.streams.iter_connection_states()

    def stream_status(self) -> dict[str, Any]:
        """What a display shows: ``{"books": {symbol: state}, "connections": {name: state}}``.

        A connection is ``RECONNECTING`` from the moment it is lost or silent until it is back.
        """
        return self.streams.status()

    # ------------------------------------------------------------------ trade stream

    async def start_trades_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        await self.streams.start_trades(await self._check_symbols(symbols), handlers)

    async def stop_trades_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        await self.streams.stop_trades(symbols)

    def iter_book_updates(self) -> AsyncIterator[BookUpdate]:
        """The raw versioned depth deltas of the streamed books (what a bus gateway republishes)."""
        return self.streams.iter_book_updates()

    def iter_trades(self) -> AsyncIterator[Trade]:
        """Public trades (de-duplicated across reconnects), through a bounded queue."""
        return self.streams.iter_trades()

    def iter_trade_gaps(self) -> AsyncIterator[TradeGap]:
        """One event per streamed symbol whose trades may be missing (a trade stream reconnected, or
        on the bus a publisher changed or failed), unbounded; also counted in the metrics."""
        return self.streams.iter_trade_gaps()

    # ------------------------------------------------------------------ ticker stream

    async def start_ticker_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        """24 h statistics per symbol (MEXC ``miniTicker``, pushed about every 3 s)."""
        await self.streams.start_tickers(await self._check_symbols(symbols), handlers)

    async def stop_ticker_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        await self.streams.stop_tickers(symbols)

    def iter_tickers(self) -> AsyncIterator[Ticker]:
        return self.streams.iter_tickers()

    # ------------------------------------------------------------------ book ticker stream

    async def start_book_ticker_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        """Best bid/ask per symbol (MEXC ``aggre.bookTicker``), to ``book_ticker_handler`` and
        :meth:`iter_book_tickers`."""
        await self.streams.start_book_tickers(await self._check_symbols(symbols), handlers)

    async def stop_book_ticker_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        await self.streams.stop_book_tickers(symbols)

    def iter_book_tickers(self) -> AsyncIterator[BookTicker]:
        """Book tickers from now on, through a bounded queue."""
        return self.streams.iter_book_tickers()

    # ------------------------------------------------------------------ kline stream

    async def start_kline_stream(
        self,
        symbols: Sequence[Symbol],
        interval: KlineInterval,
        handlers: PublicStreamHandlers | None = None,
    ) -> None:
        """The forming candle of each symbol at ``interval``, pushed as it changes (MEXC ``kline``).
        One interval per symbol: starting a symbol again with another interval switches it."""
        await self.streams.start_klines(await self._check_symbols(symbols), interval, handlers)

    async def stop_kline_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        """Stop the candles of ``symbols`` (None: all)."""
        await self.streams.stop_klines(symbols)

    def iter_klines(self) -> AsyncIterator[Kline]:
        """Candle pushes from now on, through a bounded queue."""
        return self.streams.iter_klines()

    # ------------------------------------------------------------------ recording and replay

    async def subscribe_channels(self, symbols: Sequence[Symbol], channels: Sequence[str]) -> None:
        """Subscribe public channels by neutral name (``RECORDABLE_CHANNELS``), e.g. for recording."""
        unknown = [name for name in channels if name not in RECORDABLE_CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel {unknown[0]!r}; choose from {', '.join(RECORDABLE_CHANNELS)}")
        wanted = await self._check_symbols(symbols)
        for name in dict.fromkeys(channels):
            if name == "depth":
                await self.start_orderbook_stream(wanted)
            elif name == "trades":
                await self.start_trades_stream(wanted)
            elif name == "mini_ticker":
                await self.start_ticker_stream(wanted)
            elif name == "book_ticker":
                await self.start_book_ticker_stream(wanted)
            else:
                await self.start_kline_stream(wanted, KlineInterval.MINUTE_1)

    async def start_replay(self, handlers: PublicStreamHandlers | None = None) -> ReplaySource:
        """Replay every recorded channel now (environment "replay" only); returns the running source."""
        return await self.streams.start_replay(handlers)

    @property
    def recorder(self) -> Recorder | None:
        """The recording being written (``record_path`` set and a stream started), else None."""
        return self.streams.recorder

    # ------------------------------------------------------------------ observability

    @property
    def streaming(self) -> bool:
        """True while at least one stream is subscribed."""
        return self.streams.streaming

    def get_performance_metrics(self) -> dict[str, Any]:
        """The spec's metric keys (see :mod:`exchanges_mexc.composite.metrics`) plus ``details``."""
        data = spec_metrics(self.metrics, symbol_cache_hit_rate=self.symbol_mapper.cache_hit_rate)
        data["orderbooks"] = self.streams.book_states()
        bus = self.streams.bus_stats()
        if bus is not None:
            data["bus"] = bus
        data["details"] = self.metrics.snapshot()
        return data

    async def health_check(self) -> dict[str, bool]:
        """``rest_connectivity``, ``websocket_connectivity``, ``protobuf_parsing``, ``bus_connectivity``
        (streams from a market-data bus only) and ``overall``."""
        self._require_open()
        ws = self.streams.created_ws
        connected = ws.is_connected() if ws is not None and ws.connections else None
        return await public_health(self.rest, connected, bus_connected=self.streams.bus_connected())
