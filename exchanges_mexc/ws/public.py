"""MexcPublicSpotWebsocket: MEXC spot market-data streams over a pool of reconnecting sockets.

Channels are spread over a :class:`~exchanges.transport.ws.WebSocketPool` of at most
``MexcSettings.ws_max_subscriptions`` (MEXC: 30) channels per connection, subscribed and unsubscribed at
run time. Every frame goes through :class:`exchanges_mexc.parsing.MexcFrameDecoder` and is routed
by record type, on the transport's dispatch task (never the socket reader):

* ``BookUpdate`` (aggre.depth)   -> the symbol's :class:`~exchanges.book_sync.BookSynchronizer`
  (see :mod:`.books`); each applied update publishes a top-``publish_depth`` ``OrderBook``;
* ``OrderBook`` (limit.depth)    -> the ``orderbooks`` stream as well;
* ``Trade`` (aggre.deals)        -> de-duplicated while frames may repeat (rotation / reconnect
  overlap windows reported by the transport, or a symbol subscribed on two trade channels; see
  :class:`.dispatch.PublicRouter`), then the ``trades`` stream;
* ``BookTicker``                 -> stale versions dropped, then ``book_tickers``;
* ``Ticker`` (miniTicker[s])     -> ``tickers``; ``Kline`` -> ``klines``;
* ``ControlMessage``             -> the :class:`~.acks.AckTracker` (acks, PONG, "Blocked").

Each stream fans out to its handler (``PublicStreamHandlers``: sync or async, on its own consumer
task) and to any number of bounded async iterators (``async for trade in ws.trades(): ...``).

Liveness (:mod:`.public_connections`): a connection that hears nothing within
``config.ws_liveness_timeout`` seconds is declared silent; a lost, silent or failed connection sends
the books it carries STALE at once, then SYNCING and LIVE again after the reconnect (refused
re-subscriptions: :mod:`.public_refusals`). Book and connection state changes are published
(``book_states()``, ``connection_states()``); a connection that gives up for good calls
``error_handler`` once. Rotations (``config.ws_max_lifetime``) lose nothing.

Parts: :class:`.public_subscriptions.PublicSubscriptions` (channels, acks, chunking, trade
de-duplication switch), :class:`.public_connections.PublicConnections` (the pool, loss and reconnect
handling), :class:`.dispatch.PublicRouter` (frames -> books and streams),
:class:`.public_streams.PublicStreams` (the streams), :class:`.public_refusals.PublicRefusals`
(refused channels retried), :class:`.public_books.BookSubscriptions` (local books with their
channels), wired by :class:`.public_parts.PublicParts`; this class is the API over them.

Metrics (``mexc.ws.*`` plus the transport's ``ws.mexc_public_<n>.*`` and the decoder's
``mexc.ws.frames.*``): ``frames``, ``reconnects``, ``trades.duplicates``, ``book_tickers.stale``,
per-stream ``<stream>.published`` / ``dropped`` / ``handler_errors``, book states and resyncs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Self

import aiohttp

from exchanges.config import ExchangeConfig
from exchanges.errors import SubscriptionError
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
from exchanges.streams import StreamIterator
from exchanges.transport.ws import ReconnectingWebSocket, WsListener
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws import channels as ch
from exchanges_mexc.ws.public_parts import PublicParts
from exchanges_mexc.ws.public_streams import symbol_filter
from exchanges_mexc.ws.recording import checkpoints

logger = logging.getLogger("exchanges.mexc.ws.public")


class MexcPublicSpotWebsocket:
    """MEXC spot public streams: trades, book tickers, depth snapshots, klines, tickers, local books."""

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        rest: MexcPublicSpotRest,
        metrics: MetricsRegistry | None = None,
        handlers: PublicStreamHandlers | None = None,
        symbol_mapper: MexcSymbolMapper | None = None,
        publish_depth: int | None = 20,
        ack_timeout: float | None = None,
        session: aiohttp.ClientSession | None = None,
        recorder: Recorder | None = None,
        replay: ReplaySource | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics if metrics is not None else MetricsRegistry()
        self.symbol_mapper = symbol_mapper if symbol_mapper is not None else rest.symbol_mapper
        parts = PublicParts(
            config,
            rest=rest,
            metrics=self.metrics,
            symbol_mapper=self.symbol_mapper,
            publish_depth=publish_depth,
            ack_timeout=ack_timeout,
            session=session,
            recorder=recorder,
            replay=replay,
            unsubscribe=self.unsubscribe,
            closed=lambda: self._closed,
        )
        self._interval = parts.interval
        self._decoder, self._acks, self._streams = parts.decoder, parts.acks, parts.streams
        self.books, self._router, self._connections = parts.books, parts.router, parts.connections
        self._pool, self._subscriptions, self._refusals = parts.pool, parts.subscriptions, parts.refusals
        self._book_subscriptions = parts.book_subscriptions
        self.trade_stream = self._streams.trades
        self.orderbook_stream = self._streams.orderbooks
        self.book_ticker_stream = self._streams.book_tickers
        self.ticker_stream = self._streams.tickers
        self.kline_stream = self._streams.klines
        self.book_update_stream = self._streams.book_updates
        self.book_state_stream = self._streams.book_states
        self.connection_state_stream = self._streams.connection_states
        self.error_stream = self._streams.errors
        self.trade_gap_stream = self._streams.trade_gaps
        self._closed = False
        if recorder is not None:
            recorder.add_checkpoint_source(lambda: checkpoints(self.books))
        self.handlers = PublicStreamHandlers()
        if handlers is not None:
            self.set_handlers(handlers)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Nothing to open up front: connections open with the first subscription. Kept for symmetry."""

    async def close(self) -> None:
        """Close every connection, stop the books and end every iterator. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._subscriptions.close()
        await self._refusals.close()
        await self._connections.close()
        await self.books.close()
        self._acks.fail_all(SubscriptionError("client closed", channel="*", exchange="mexc_spot"))
        await self._streams.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def set_handlers(self, handlers: PublicStreamHandlers) -> None:
        """Install the spec-style callbacks (``handlers.trade_handler`` ...); None fields are removed."""
        self.handlers = handlers
        self._streams.set_handlers(handlers)

    # ------------------------------------------------------------------ status

    def is_connected(self) -> bool:
        """True when every open connection is connected (and at least one is open)."""
        conns = self._pool.connections
        return bool(conns) and all(conn.connected for conn in conns)

    @property
    def connections(self) -> list[ReconnectingWebSocket]:
        return list(self._pool.connections)

    @property
    def subscriptions(self) -> frozenset[str]:
        """Every channel currently subscribed (over all connections)."""
        return self._pool.subscriptions

    def connection_for(self, channel: str) -> ReconnectingWebSocket | None:
        return self._pool.connection_for(channel)

    def get_performance_metrics(self) -> dict[str, Any]:
        data = self.metrics.snapshot()
        data.update(self._decoder.stats())
        data["books"] = self.books.stats()
        data["connections"] = len(self._pool.connections)
        data["subscriptions"] = len(self._pool.subscriptions)
        return data

    # ------------------------------------------------------------------ raw subscriptions

    async def subscribe(self, channels: Sequence[str]) -> None:
        """Subscribe raw channel names; raise SubscriptionError if MEXC refuses one ("Blocked").

        Unknown or outdated names (not ``...v3.api.pb``) are refused locally with ValueError.
        """
        await self._subscriptions.subscribe(channels)

    async def unsubscribe(self, channels: Sequence[str]) -> None:
        await self._refusals.cancel_channels(channels)
        await self._subscriptions.unsubscribe(channels)

    def _pairs(self, symbols: Iterable[Symbol]) -> list[str]:
        return self._subscriptions.pairs(symbols)

    async def _subscribe_chunked(self, channels: list[str]) -> None:
        await self._subscriptions.subscribe_chunked(channels)

    # ------------------------------------------------------------------ typed subscriptions

    async def subscribe_trades(self, symbols: Sequence[Symbol], interval: str | None = None) -> None:
        """Aggregated public trades (``aggre.deals``), de-duplicated across reconnects and rotations."""
        iv = interval or self._interval
        await self._subscribe_chunked([ch.aggre_deals(pair, iv) for pair in self._pairs(symbols)])

    async def unsubscribe_trades(self, symbols: Sequence[Symbol], interval: str | None = None) -> None:
        iv = interval or self._interval
        await self.unsubscribe([ch.aggre_deals(pair, iv) for pair in self._pairs(symbols)])

    async def subscribe_book_ticker(
        self, symbols: Sequence[Symbol], interval: str | None = None, *, batch: bool = False
    ) -> None:
        """Best bid/ask: ``aggre.bookTicker`` per interval, or ``bookTicker.batch`` with ``batch=True``."""
        await self._subscribe_chunked(self._book_ticker_channels(symbols, interval, batch))

    async def unsubscribe_book_ticker(
        self, symbols: Sequence[Symbol], interval: str | None = None, *, batch: bool = False
    ) -> None:
        await self.unsubscribe(self._book_ticker_channels(symbols, interval, batch))

    def _book_ticker_channels(
        self, symbols: Sequence[Symbol], interval: str | None, batch: bool
    ) -> list[str]:
        if batch:
            return [ch.book_ticker_batch(pair) for pair in self._pairs(symbols)]
        return [ch.aggre_book_ticker(pair, interval or self._interval) for pair in self._pairs(symbols)]

    async def subscribe_depth(self, symbols: Sequence[Symbol], level: int = 20) -> None:
        """Partial book snapshots of 5, 10 or 20 levels (``limit.depth``), to the orderbooks stream."""
        await self._subscribe_chunked([ch.limit_depth(pair, level) for pair in self._pairs(symbols)])

    async def unsubscribe_depth(self, symbols: Sequence[Symbol], level: int = 20) -> None:
        await self.unsubscribe([ch.limit_depth(pair, level) for pair in self._pairs(symbols)])

    async def subscribe_klines(
        self, symbols: Sequence[Symbol], interval: KlineInterval | str = KlineInterval.MINUTE_1
    ) -> None:
        await self._subscribe_chunked([ch.kline(pair, interval) for pair in self._pairs(symbols)])

    async def unsubscribe_klines(
        self, symbols: Sequence[Symbol], interval: KlineInterval | str = KlineInterval.MINUTE_1
    ) -> None:
        await self.unsubscribe([ch.kline(pair, interval) for pair in self._pairs(symbols)])

    async def subscribe_mini_ticker(self, symbols: Sequence[Symbol], timezone: str = "24H") -> None:
        """24 h statistics per symbol every 3 s (``miniTicker``), to the tickers stream."""
        await self._subscribe_chunked([ch.mini_ticker(pair, timezone) for pair in self._pairs(symbols)])

    async def unsubscribe_mini_ticker(self, symbols: Sequence[Symbol], timezone: str = "24H") -> None:
        await self.unsubscribe([ch.mini_ticker(pair, timezone) for pair in self._pairs(symbols)])

    async def subscribe_tickers(self, symbols: Sequence[Symbol]) -> None:
        """24 h tickers per symbol (``miniTicker``); the exchange-neutral name of that subscription."""
        await self.subscribe_mini_ticker(symbols)

    async def unsubscribe_tickers(self, symbols: Sequence[Symbol]) -> None:
        await self.unsubscribe_mini_ticker(symbols)

    async def subscribe_mini_tickers(self, timezone: str = "24H") -> None:
        """Statistics of every symbol whose price changed, every 3 s (``miniTickers``)."""
        await self.subscribe([ch.mini_tickers(timezone)])

    async def unsubscribe_mini_tickers(self, timezone: str = "24H") -> None:
        await self.unsubscribe([ch.mini_tickers(timezone)])

    async def subscribe_orderbook(self, symbols: Sequence[Symbol], interval: str | None = None) -> None:
        """Maintain a local order book per symbol (``aggre.depth`` + REST snapshot, API.md §9.5)."""
        await self._book_subscriptions.subscribe(symbols, interval or self._interval)

    async def unsubscribe_orderbook(self, symbols: Sequence[Symbol], interval: str | None = None) -> None:
        await self._book_subscriptions.unsubscribe(symbols, interval or self._interval)

    # ------------------------------------------------------------------ reading

    def trades(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> StreamIterator[Trade]:
        """Async iterator of de-duplicated trades (optionally of one symbol), from now on."""
        return self.trade_stream.iterate(symbol_filter(symbol), maxsize=maxsize)

    def orderbooks(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> StreamIterator[OrderBook]:
        """Local-book snapshots after each applied update, and limit-depth snapshots."""
        return self.orderbook_stream.iterate(symbol_filter(symbol), maxsize=maxsize)

    def book_tickers(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> StreamIterator[BookTicker]:
        return self.book_ticker_stream.iterate(symbol_filter(symbol), maxsize=maxsize)

    def tickers(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> StreamIterator[Ticker]:
        return self.ticker_stream.iterate(symbol_filter(symbol), maxsize=maxsize)

    def klines(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> StreamIterator[Kline]:
        return self.kline_stream.iterate(symbol_filter(symbol), maxsize=maxsize)

    def book_updates(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> StreamIterator[BookUpdate]:
        """The raw versioned depth deltas the local books are built from, as they arrive."""
        return self.book_update_stream.iterate(symbol_filter(symbol), maxsize=maxsize)

    def trade_gaps(self) -> StreamIterator[TradeGap]:
        """One :class:`TradeGap` per traded symbol of every connection that reconnected."""
        return self.trade_gap_stream.iterate()

    def get_orderbook(self, symbol: Symbol, depth: int | None = None) -> OrderBook:
        """The local book's current snapshot; KeyError if ``symbol`` has no local book."""
        return self.books.books[symbol].book.snapshot(depth)

    def orderbook_state(self, symbol: Symbol) -> BookState:
        return self.books.books[symbol].state

    async def wait_book_live(self, symbol: Symbol) -> None:
        """Wait until ``symbol``'s local book is LIVE (bound it with ``asyncio.timeout``)."""
        await self.books.books[symbol].wait_live()

    async def wait_orderbook_ready(self, symbols: Sequence[Symbol], timeout: float) -> None:  # noqa: ASYNC109
        """Wait until every one of ``symbols``' local books is LIVE at the same moment.

        Raises ``TimeoutError`` after ``timeout`` seconds naming the books not LIVE and their
        states, ``KeyError`` for a symbol without a local book, ``ValueError`` for a timeout that is
        not a finite number above 0.
        """
        await self.books.wait_all_live(symbols, timeout)

    def book_states(self) -> StreamIterator[BookStateChange]:
        """Every local book's state changes from now on (unbounded: none is dropped)."""
        return self.book_state_stream.iterate()

    def connection_states(self) -> StreamIterator[ConnectionStateChange]:
        """Every connection's state changes from now on (unbounded: none is dropped)."""
        return self.connection_state_stream.iterate()

    def connection_summary(self) -> dict[str, str]:
        """State of each connection by name (CONNECTED, RECONNECTING, FAILED...), for displays."""
        return {conn.name: conn.state.value for conn in self._pool.connections}

    # ------------------------------------------------------------------ internals

    @property
    def error(self) -> BaseException | None:
        """Why a connection gave up for good (None while every connection is running)."""
        return self._connections.error

    def add_listener(self, listener: WsListener) -> None:
        """Attach ``listener`` (e.g. a recorder's frame tap) to every connection, now and future."""
        self._connections.add_listener(listener)
