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
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import attrs

from exchanges.config import ExchangeConfig
from exchanges.errors import ConfigurationError, ExchangeClosedError, SymbolNotSupported
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
)
from exchanges.recording import RECORDABLE_CHANNELS, Recorder, ReplaySource
from exchanges_mexc.composite.health import check_public_parsing, probe_websocket
from exchanges_mexc.composite.market_data import MarketDataSource, bus_source
from exchanges_mexc.composite.metrics import spec_metrics
from exchanges_mexc.composite.paging import iter_klines_paged
from exchanges_mexc.constants import EXCHANGE_NAME, MAX_KLINES_LIMIT
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket
from exchanges_mexc.ws.recording import schema_hash

logger = logging.getLogger("exchanges.mexc.exchange.public")

HANDLER_FIELDS = tuple(field.name for field in attrs.fields(PublicStreamHandlers))


def unknown_symbols_error(symbols: Sequence[Symbol]) -> SymbolNotSupported:
    """The error for symbols MEXC does not list (one message naming all of them)."""
    names = ", ".join(str(symbol) for symbol in symbols)
    plural = "s" if len(symbols) > 1 else ""
    return SymbolNotSupported(
        f"unknown symbol{plural} {names}: not listed by MEXC spot (see get_symbols_info())",
        exchange=EXCHANGE_NAME,
    )


def open_replay(config: ExchangeConfig) -> ReplaySource | None:
    """The recording to replay when ``environment="replay"`` (ConfigurationError when unusable)."""
    if config.environment != "replay" and not config.replay_path:
        return None
    if not config.replay_path:
        raise ConfigurationError("environment 'replay' needs replay_path (a recording directory)")
    source = ReplaySource(
        config.replay_path, speed=config.replay_speed, skip_corrupt=config.replay_skip_corrupt
    )
    if source.manifest.exchange != config.name:
        raise ConfigurationError(
            f"{config.replay_path} is a recording of {source.manifest.exchange!r}, not {config.name!r}"
        )
    if source.manifest.schema_hash != schema_hash():
        logger.warning("%s was recorded with other protobuf definitions than ours", config.replay_path)
    return source


def start_recorder(config: ExchangeConfig, symbols: Sequence[Symbol]) -> Recorder:
    """Start recording the public streams into ``config.record_path`` (must run on the event loop)."""
    recorder = Recorder.create(
        config.record_path,
        exchange=config.name,
        environment=config.environment,
        symbols=[str(symbol) for symbol in symbols],
        schema_hash=schema_hash(),
    )
    recorder.start()
    logger.info("recording %s public streams into %s", config.name, config.record_path)
    return recorder


class MexcCompositePublicExchange(PublicExchange):
    """MEXC spot market data: REST snapshots plus lazily started WebSocket streams (see module doc)."""

    def __init__(self, config: ExchangeConfig, symbols: Sequence[Symbol] = ()) -> None:
        self.name = config.name
        self.config = config
        self.symbols = tuple(dict.fromkeys(symbols))
        self.metrics = MetricsRegistry()
        self.symbol_mapper = MexcSymbolMapper()
        self.rest = MexcPublicSpotRest(config, metrics=self.metrics, symbol_mapper=self.symbol_mapper)
        self._ws: MexcPublicSpotWebsocket | None = None
        self._source: MarketDataSource | None = None  # the WebSocket client, or the bus (market_data_url)
        self._handlers = PublicStreamHandlers()
        self._book_symbols: set[Symbol] = set()
        self._trade_symbols: set[Symbol] = set()
        self._ticker_symbols: set[Symbol] = set()
        self._book_ticker_symbols: set[Symbol] = set()
        self._kline_symbols: dict[Symbol, KlineInterval] = {}
        self._known: frozenset[Symbol] | None = None
        self._initialized = False
        self._closed = False
        self._recorder: Recorder | None = None
        self.replay: ReplaySource | None = open_replay(config)
        if self.replay is not None:
            self._known = frozenset(Symbol.parse(name) for name in self.replay.manifest.symbols)

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
        ws, self._ws = self._ws, None
        source, self._source = self._source, None
        try:
            if ws is not None:
                await ws.close()
            if source is not None and source is not ws:
                await source.close()
        finally:
            try:
                if self._recorder is not None:
                    await self._recorder.close()
            finally:
                await self.rest.close()
        self._book_symbols.clear()
        self._trade_symbols.clear()
        self._ticker_symbols.clear()
        self._book_ticker_symbols.clear()
        self._kline_symbols.clear()
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
        self._require_open()
        if self._ws is None:
            if self.config.record_path and self.replay is None:
                self._recorder = start_recorder(self.config, self.symbols)
            ws = MexcPublicSpotWebsocket(
                self.config,
                rest=self.rest,
                metrics=self.metrics,
                recorder=self._recorder,
                replay=self.replay,
            )
            self._ws = ws
            logger.debug("MEXC public WebSocket client created for %s", self.config.ws_url)
        return self._ws

    @property
    def market_data(self) -> MarketDataSource:
        """Where streams and local books come from: the WebSocket client, or the bus when
        ``config.market_data_url`` is set (docs/bus.md). Created on first use."""
        self._require_open()
        if self._source is None:
            self._source = bus_source(self.config, self.metrics) if self.config.market_data_url else self.ws
        return self._source

    def _merge_handlers(self, handlers: PublicStreamHandlers | None) -> None:
        if handlers is None:
            return
        for field in HANDLER_FIELDS:
            handler = getattr(handlers, field)
            if handler is not None:
                setattr(self._handlers, field, handler)
        self.market_data.set_handlers(self._handlers)

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
        wanted = await self._check_symbols(symbols)
        self._merge_handlers(handlers)
        await self.market_data.subscribe_orderbook(wanted)
        self._book_symbols.update(wanted)
        logger.debug("MEXC order book stream started for %s", ", ".join(map(str, wanted)))

    async def _stop_stream(
        self,
        streamed: set[Symbol],
        symbols: Sequence[Symbol] | None,
        unsubscribe: Callable[[list[Symbol]], Awaitable[None]],
    ) -> None:
        """Unsubscribe the ``streamed`` ones among ``symbols`` (None: all); others are ignored."""
        chosen = [s for s in (streamed if symbols is None else symbols) if s in streamed]
        if chosen:
            await unsubscribe(chosen)
        streamed.difference_update(chosen)

    def _streamed_book(self, symbol: Symbol) -> MarketDataSource:
        """The source holding ``symbol``'s local book; KeyError naming the fix otherwise."""
        if self._source is None or symbol not in self._book_symbols:
            raise KeyError(
                f"{symbol} has no local order book: call start_orderbook_stream([{symbol!r}]) first"
            )
        return self._source

    async def stop_orderbook_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        """Stop the books of ``symbols`` (None: all). Stopping a book that is not streamed is harmless."""
        await self._stop_stream(
            self._book_symbols, symbols, lambda s: self.market_data.unsubscribe_orderbook(s)
        )

    def get_local_orderbook(self, symbol: Symbol, depth: int | None = None) -> OrderBook:
        """The local book now; raises KeyError naming the fix when ``symbol`` is not streamed."""
        self._require_open()
        return self._streamed_book(symbol).get_orderbook(symbol, depth)

    def orderbook_state(self, symbol: Symbol) -> BookState:
        """SYNCING / LIVE / STALE of the local book; KeyError when ``symbol`` is not streamed."""
        self._require_open()
        return self._streamed_book(symbol).orderbook_state(symbol)

    def iter_orderbooks(self) -> AsyncIterator[OrderBook]:
        """Each local book (top 20 levels) after every applied update, through a bounded queue."""
        return self.market_data.orderbooks()

    async def wait_orderbook_ready(self, symbols: Sequence[Symbol], timeout: float) -> None:  # noqa: ASYNC109
        """Wait until the local books of ``symbols`` are all LIVE; ``TimeoutError`` naming the
        books still SYNCING/STALE after ``timeout`` seconds; KeyError for a symbol not streamed."""
        for symbol in symbols:
            self._streamed_book(symbol)
        await self.market_data.wait_orderbook_ready(symbols, timeout)

    def iter_book_states(self) -> AsyncIterator[BookStateChange]:
        """Every local book's state changes (LIVE / STALE / SYNCING, with the reason), unbounded."""
        return self.ws.book_states()

    def iter_connection_states(self) -> AsyncIterator[ConnectionStateChange]:
        """Every stream connection's state changes (RECONNECTING the moment one is lost or silent)."""
        return self.ws.connection_states()

    def stream_status(self) -> dict[str, Any]:
        """What a display shows: ``{"books": {symbol: state}, "connections": {name: state}}``.

        A connection is ``RECONNECTING`` from the moment it is lost or silent until it is back.
        """
        source = self._source
        books = (
            {str(symbol): source.orderbook_state(symbol).value for symbol in self._book_symbols}
            if source
            else {}
        )
        connections = self._ws.connection_summary() if self._ws is not None else {}
        return {"books": books, "connections": connections}

    # ------------------------------------------------------------------ trade stream

    async def start_trades_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        wanted = await self._check_symbols(symbols)
        self._merge_handlers(handlers)
        await self.market_data.subscribe_trades(wanted)
        self._trade_symbols.update(wanted)
        logger.debug("MEXC trade stream started for %s", ", ".join(map(str, wanted)))

    async def stop_trades_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        await self._stop_stream(
            self._trade_symbols, symbols, lambda s: self.market_data.unsubscribe_trades(s)
        )

    def iter_book_updates(self) -> AsyncIterator[BookUpdate]:
        """The raw versioned depth deltas of the streamed books (what a bus gateway republishes)."""
        return self.ws.book_updates()

    def iter_trades(self) -> AsyncIterator[Trade]:
        """Public trades (de-duplicated across reconnects), through a bounded queue."""
        return self.market_data.trades()

    # ------------------------------------------------------------------ ticker stream

    async def start_ticker_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        """24 h statistics per symbol (MEXC ``miniTicker``, pushed about every 3 s)."""
        wanted = await self._check_symbols(symbols)
        self._merge_handlers(handlers)
        await self.market_data.subscribe_tickers(wanted)
        self._ticker_symbols.update(wanted)
        logger.debug("MEXC ticker stream started for %s", ", ".join(map(str, wanted)))

    async def stop_ticker_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        await self._stop_stream(
            self._ticker_symbols, symbols, lambda s: self.market_data.unsubscribe_tickers(s)
        )

    def iter_tickers(self) -> AsyncIterator[Ticker]:
        return self.market_data.tickers()

    # ------------------------------------------------------------------ book ticker stream

    async def start_book_ticker_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        """Best bid/ask per symbol (MEXC ``aggre.bookTicker``), to ``book_ticker_handler`` and
        :meth:`iter_book_tickers`."""
        wanted = await self._check_symbols(symbols)
        self._merge_handlers(handlers)
        await self.ws.subscribe_book_ticker(wanted)
        self._book_ticker_symbols.update(wanted)

    async def stop_book_ticker_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        await self._stop_stream(
            self._book_ticker_symbols, symbols, lambda s: self.ws.unsubscribe_book_ticker(s)
        )

    def iter_book_tickers(self) -> AsyncIterator[BookTicker]:
        """Book tickers from now on, through a bounded queue."""
        return self.ws.book_tickers()

    # ------------------------------------------------------------------ kline stream

    async def start_kline_stream(
        self,
        symbols: Sequence[Symbol],
        interval: KlineInterval,
        handlers: PublicStreamHandlers | None = None,
    ) -> None:
        """The forming candle of each symbol at ``interval``, pushed as it changes (MEXC ``kline``).
        One interval per symbol: starting a symbol again with another interval switches it."""
        wanted = await self._check_symbols(symbols)
        self._merge_handlers(handlers)
        switching = [s for s in wanted if self._kline_symbols.get(s, interval) != interval]
        for symbol in switching:
            await self.ws.unsubscribe_klines([symbol], self._kline_symbols.pop(symbol))
        await self.ws.subscribe_klines(wanted, interval)
        for symbol in wanted:
            self._kline_symbols[symbol] = interval

    async def stop_kline_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        """Stop the candles of ``symbols`` (None: all)."""
        chosen = [
            s for s in (list(self._kline_symbols) if symbols is None else symbols) if s in self._kline_symbols
        ]
        for symbol in chosen:
            interval = self._kline_symbols.pop(symbol)
            if self._ws is not None:
                await self._ws.unsubscribe_klines([symbol], interval)

    def iter_klines(self) -> AsyncIterator[Kline]:
        """Candle pushes from now on, through a bounded queue."""
        return self.ws.klines()

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
        source = self.replay
        if source is None:
            raise RuntimeError("start_replay() needs environment='replay' and replay_path")
        self._merge_handlers(handlers)
        await self.ws.subscribe(list(source.manifest.channels))
        symbols = [Symbol.parse(name) for name in source.manifest.symbols]
        self._book_symbols.update(symbol for symbol in symbols if symbol in self.ws.books)
        return source

    @property
    def recorder(self) -> Recorder | None:
        """The recording being written (``record_path`` set and a stream started), else None."""
        return self._recorder

    # ------------------------------------------------------------------ observability

    @property
    def streaming(self) -> bool:
        """True while at least one stream is subscribed."""
        return bool(
            self._book_symbols
            or self._trade_symbols
            or self._ticker_symbols
            or self._book_ticker_symbols
            or self._kline_symbols
        )

    def get_performance_metrics(self) -> dict[str, Any]:
        """The spec's metric keys (see :mod:`exchanges_mexc.composite.metrics`) plus ``details``."""
        data = spec_metrics(self.metrics, symbol_cache_hit_rate=self.symbol_mapper.cache_hit_rate)
        books: dict[str, str] = {}
        if self._source is not None:
            books = {str(symbol): self._source.orderbook_state(symbol).value for symbol in self._book_symbols}
        data["orderbooks"] = books
        stats = getattr(self._source, "stats", None)
        if self._source is not self._ws and stats is not None:
            data["bus"] = stats()
        data["details"] = self.metrics.snapshot()
        return data

    async def health_check(self) -> dict[str, bool]:
        """``rest_connectivity``, ``websocket_connectivity``, ``protobuf_parsing`` and ``overall``."""
        self._require_open()
        health: dict[str, bool] = {}
        health["rest_connectivity"] = await self.rest.ping()
        if self._ws is not None and self._ws.connections:
            health["websocket_connectivity"] = self._ws.is_connected()
        else:
            health["websocket_connectivity"] = await probe_websocket(
                self.config.ws_url, max(self.config.connect_timeout, 1.0)
            )
        health["protobuf_parsing"] = check_public_parsing()
        health["overall"] = all(health.values())
        if not health["overall"]:
            failed = ", ".join(name for name, ok in health.items() if not ok and name != "overall")
            logger.error("MEXC health check failed: %s", failed)
        return health
