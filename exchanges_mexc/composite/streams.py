"""The public composite's streams: one owner for the WebSocket client, the market-data source, the
recorder, the merged handlers and the symbols each stream serves.

:class:`~exchanges_mexc.composite.public.MexcCompositePublicExchange` checks the symbols (they must
be listed) and hands the checked ones here; everything that exists only while a stream runs lives
in :class:`PublicStreams`, created once per composite.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import attrs

from exchanges.config import ExchangeConfig
from exchanges.handlers import PublicStreamHandlers
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
    Ticker,
    Trade,
    TradeGap,
)
from exchanges.recording import Recorder, ReplaySource
from exchanges_mexc.composite.market_data import MarketDataSource, bus_source
from exchanges_mexc.composite.recording import start_recorder
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket

logger = logging.getLogger("exchanges.mexc.exchange.public")

HANDLER_FIELDS = tuple(field.name for field in attrs.fields(PublicStreamHandlers))


class PublicStreams:
    """Lazily created stream machinery of one public composite (see module doc).

    ``require_open`` is the composite's check: it raises ``ExchangeClosedError`` once the composite
    is closed, so no stream reopens a connection after :meth:`close`.
    """

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        rest: MexcPublicSpotRest,
        metrics: MetricsRegistry,
        symbols: Sequence[Symbol],
        replay: ReplaySource | None,
        require_open: Callable[[], None],
    ) -> None:
        self.config = config
        self.rest = rest
        self.metrics = metrics
        self.symbols = tuple(symbols)
        self.replay = replay
        self._require_open = require_open
        self._ws: MexcPublicSpotWebsocket | None = None
        self._source: MarketDataSource | None = None  # the WebSocket client, or the bus (market_data_url)
        self._handlers = PublicStreamHandlers()
        self._book_symbols: set[Symbol] = set()
        self._trade_symbols: set[Symbol] = set()
        self._ticker_symbols: set[Symbol] = set()
        self._book_ticker_symbols: set[Symbol] = set()
        self._kline_symbols: dict[Symbol, KlineInterval] = {}
        self._recorder: Recorder | None = None

    # ------------------------------------------------------------------ sources

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
    def created_ws(self) -> MexcPublicSpotWebsocket | None:
        """The WebSocket client if a stream created it, else None (never creates it)."""
        return self._ws

    @property
    def market_data(self) -> MarketDataSource:
        """Where streams and local books come from: the WebSocket client, or the bus when
        ``config.market_data_url`` is set (docs/bus.md). Created on first use."""
        self._require_open()
        if self._source is None:
            self._source = bus_source(self.config, self.metrics) if self.config.market_data_url else self.ws
        return self._source

    @property
    def recorder(self) -> Recorder | None:
        """The recording being written (``record_path`` set and a stream started), else None."""
        return self._recorder

    def merge_handlers(self, handlers: PublicStreamHandlers | None) -> None:
        """Keep every handler ``handlers`` sets (the others stay) and give them to the source."""
        if handlers is None:
            return
        for field in HANDLER_FIELDS:
            handler = getattr(handlers, field)
            if handler is not None:
                setattr(self._handlers, field, handler)
        self.market_data.set_handlers(self._handlers)

    async def close(self) -> None:
        """Close the sockets (or the bus) and the recorder, and forget every streamed symbol."""
        ws, self._ws = self._ws, None
        source, self._source = self._source, None
        try:
            if ws is not None:
                await ws.close()
            if source is not None and source is not ws:
                await source.close()
        finally:
            if self._recorder is not None:
                await self._recorder.close()
        self._book_symbols.clear()
        self._trade_symbols.clear()
        self._ticker_symbols.clear()
        self._book_ticker_symbols.clear()
        self._kline_symbols.clear()

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

    # ------------------------------------------------------------------ order books

    async def start_orderbook(self, wanted: list[Symbol], handlers: PublicStreamHandlers | None) -> None:
        self.merge_handlers(handlers)
        await self.market_data.subscribe_orderbook(wanted)
        self._book_symbols.update(wanted)
        logger.debug("MEXC order book stream started for %s", ", ".join(map(str, wanted)))

    async def stop_orderbook(self, symbols: Sequence[Symbol] | None) -> None:
        await self._stop_stream(
            self._book_symbols, symbols, lambda s: self.market_data.unsubscribe_orderbook(s)
        )

    def streamed_book(self, symbol: Symbol) -> MarketDataSource:
        """The source holding ``symbol``'s local book; KeyError naming the fix otherwise."""
        if self._source is None or symbol not in self._book_symbols:
            raise KeyError(
                f"{symbol} has no local order book: call start_orderbook_stream([{symbol!r}]) first"
            )
        return self._source

    def book_states(self) -> dict[str, str]:
        """``{symbol: SYNCING | LIVE | STALE}`` of every streamed book."""
        source = self._source
        if source is None:
            return {}
        return {str(symbol): source.orderbook_state(symbol).value for symbol in self._book_symbols}

    def get_local_orderbook(self, symbol: Symbol, depth: int | None) -> OrderBook:
        return self.streamed_book(symbol).get_orderbook(symbol, depth)

    def orderbook_state(self, symbol: Symbol) -> BookState:
        return self.streamed_book(symbol).orderbook_state(symbol)

    async def wait_orderbook_ready(self, symbols: Sequence[Symbol], timeout: float) -> None:  # noqa: ASYNC109
        for symbol in symbols:
            self.streamed_book(symbol)
        await self.market_data.wait_orderbook_ready(symbols, timeout)

    def iter_book_states(self) -> AsyncIterator[BookStateChange]:
        return self.market_data.book_states()

    def iter_connection_states(self) -> AsyncIterator[ConnectionStateChange]:
        return self.ws.connection_states()

    def iter_book_updates(self) -> AsyncIterator[BookUpdate]:
        return self.ws.book_updates()

    # ------------------------------------------------------------------ trades, tickers, book tickers

    async def start_trades(self, wanted: list[Symbol], handlers: PublicStreamHandlers | None) -> None:
        self.merge_handlers(handlers)
        await self.market_data.subscribe_trades(wanted)
        self._trade_symbols.update(wanted)
        logger.debug("MEXC trade stream started for %s", ", ".join(map(str, wanted)))

    async def stop_trades(self, symbols: Sequence[Symbol] | None) -> None:
        await self._stop_stream(
            self._trade_symbols, symbols, lambda s: self.market_data.unsubscribe_trades(s)
        )

    async def start_tickers(self, wanted: list[Symbol], handlers: PublicStreamHandlers | None) -> None:
        self.merge_handlers(handlers)
        await self.market_data.subscribe_tickers(wanted)
        self._ticker_symbols.update(wanted)
        logger.debug("MEXC ticker stream started for %s", ", ".join(map(str, wanted)))

    async def stop_tickers(self, symbols: Sequence[Symbol] | None) -> None:
        await self._stop_stream(
            self._ticker_symbols, symbols, lambda s: self.market_data.unsubscribe_tickers(s)
        )

    async def start_book_tickers(self, wanted: list[Symbol], handlers: PublicStreamHandlers | None) -> None:
        self.merge_handlers(handlers)
        await self.market_data.subscribe_book_ticker(wanted)
        self._book_ticker_symbols.update(wanted)

    async def stop_book_tickers(self, symbols: Sequence[Symbol] | None) -> None:
        await self._stop_stream(
            self._book_ticker_symbols, symbols, lambda s: self.market_data.unsubscribe_book_ticker(s)
        )

    def iter_trades(self) -> AsyncIterator[Trade]:
        return self.market_data.trades()

    def iter_tickers(self) -> AsyncIterator[Ticker]:
        return self.market_data.tickers()

    def iter_book_tickers(self) -> AsyncIterator[BookTicker]:
        return self.market_data.book_tickers()

    def iter_trade_gaps(self) -> AsyncIterator[TradeGap]:
        return self.market_data.trade_gaps()

    # ------------------------------------------------------------------ klines

    async def start_klines(
        self, wanted: list[Symbol], interval: KlineInterval, handlers: PublicStreamHandlers | None
    ) -> None:
        """One interval per symbol: starting a symbol again with another interval switches it."""
        self.merge_handlers(handlers)
        switching = [s for s in wanted if self._kline_symbols.get(s, interval) != interval]
        for symbol in switching:
            await self.market_data.unsubscribe_klines([symbol], self._kline_symbols.pop(symbol))
        await self.market_data.subscribe_klines(wanted, interval)
        for symbol in wanted:
            self._kline_symbols[symbol] = interval

    async def stop_klines(self, symbols: Sequence[Symbol] | None) -> None:
        chosen = [
            s for s in (list(self._kline_symbols) if symbols is None else symbols) if s in self._kline_symbols
        ]
        for symbol in chosen:
            interval = self._kline_symbols.pop(symbol)
            if self._source is not None:
                await self._source.unsubscribe_klines([symbol], interval)

    def iter_klines(self) -> AsyncIterator[Kline]:
        return self.market_data.klines()

    # ------------------------------------------------------------------ replay and status

    async def start_replay(self, handlers: PublicStreamHandlers | None) -> ReplaySource:
        """Replay every recorded channel now (environment "replay" only); returns the running source."""
        source = self.replay
        if source is None:
            raise RuntimeError("start_replay() needs environment='replay' and replay_path")
        self.merge_handlers(handlers)
        await self.ws.subscribe(list(source.manifest.channels))
        symbols = [Symbol.parse(name) for name in source.manifest.symbols]
        self._book_symbols.update(symbol for symbol in symbols if symbol in self.ws.books)
        return source

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

    def status(self) -> dict[str, Any]:
        """``{"books": {symbol: state}, "connections": {name: state}}``."""
        connections = self._ws.connection_summary() if self._ws is not None else {}
        return {"books": self.book_states(), "connections": connections}

    def bus_connected(self) -> bool | None:
        """Whether the bus is reachable when market data comes from the bus, else None."""
        source = self._source
        return source.is_connected() if source is not None and source is not self._ws else None

    def bus_stats(self) -> dict[str, Any] | None:
        """The bus consumer's statistics when market data comes from the bus, else None."""
        stats = getattr(self._source, "stats", None)
        if self._source is not self._ws and stats is not None:
            result: dict[str, Any] = stats()
            return result
        return None
