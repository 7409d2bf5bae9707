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

Liveness: every connection must hear something (a push or a PONG) within
``config.ws_liveness_timeout`` seconds (PINGs are sent when it is quiet). The moment a connection is
lost, declared silent, or gives up, the books whose depth channel it carries go STALE (they leave
LIVE at once) and a ``ConnectionStateChange`` is published (``connection_state_handler``,
``connection_states()``); after the reconnect those books go SYNCING and resync from a REST
snapshot taken once MEXC acknowledges the re-sent depth channel (or it pushes; after the ack
timeout at the latest), then LIVE; a refused re-subscription leaves the book STALE and is retried
(:mod:`.book_retries`). Every book state change is a
``BookStateChange`` (``book_state_handler``, ``book_states()``). A connection that gives up for good
(state FAILED) calls ``error_handler`` once with the error.
Rotations (``config.ws_max_lifetime``) lose nothing; their overlap is de-duplicated.

Parts: :class:`.public_subscriptions.PublicSubscriptions` (channels, acks, chunking, trade
de-duplication switch), :class:`.public_connections.PublicConnections` (the pool, loss and reconnect
handling), :class:`.dispatch.PublicRouter` (frames -> books and streams); this class owns the streams.

Metrics (``mexc.ws.*`` plus the transport's ``ws.mexc_public_<n>.*`` and the decoder's
``mexc.ws.frames.*``): ``frames``, ``reconnects``, ``trades.duplicates``, ``book_tickers.stale``,
per-stream ``<stream>.published`` / ``dropped`` / ``handler_errors``, book states and resyncs.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
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
from exchanges.streams import EventStream, StreamIterator
from exchanges.transport.ws import ReconnectingWebSocket, WsListener
from exchanges_mexc.parsing import MexcFrameDecoder
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.settings import mexc_settings
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws import channels as ch
from exchanges_mexc.ws.acks import AckTracker
from exchanges_mexc.ws.book_retries import RefusedBookRetries
from exchanges_mexc.ws.books import SNAPSHOT_LIMIT, LocalBooks
from exchanges_mexc.ws.channel_retries import RefusedChannelRetries
from exchanges_mexc.ws.dispatch import PublicRouter
from exchanges_mexc.ws.public_connections import PublicConnections
from exchanges_mexc.ws.public_subscriptions import PublicSubscriptions
from exchanges_mexc.ws.recording import checkpoints, decode_snapshot, encode_snapshot

logger = logging.getLogger("exchanges.mexc.ws.public")


def _symbol_filter(symbol: Symbol | None) -> Callable[[Any], bool] | None:
    if symbol is None:
        return None
    return lambda event: bool(event.symbol == symbol)


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
        self._recorder = recorder
        self._replay = replay
        self.metrics = metrics if metrics is not None else MetricsRegistry()
        self._rest = rest
        self.symbol_mapper = symbol_mapper if symbol_mapper is not None else rest.symbol_mapper
        settings = mexc_settings(config)
        self._interval = settings.ws_stream_interval
        ch.validate_interval(self._interval)
        self._decoder = MexcFrameDecoder(self.symbol_mapper, self.metrics)
        self._acks = AckTracker(
            self.metrics,
            prefix="mexc.ws",
            on_rejected=lambda channel, error: self._on_rejected(channel, error),
            on_ack=lambda channel: self._connections.on_ack(channel),
        )
        ack_timeout = ack_timeout if ack_timeout is not None else max(config.connect_timeout, 1.0)
        size, policy = config.ws_max_queue_size, config.ws_overflow_policy
        m = self.metrics

        def bounded(name: str) -> EventStream[Any]:
            return EventStream(name, m, maxsize=size, policy=policy, prefix="mexc.ws")

        self.trade_stream: EventStream[Trade] = bounded("trades")
        self.orderbook_stream: EventStream[OrderBook] = bounded("orderbooks")
        self.book_ticker_stream: EventStream[BookTicker] = bounded("book_tickers")
        self.ticker_stream: EventStream[Ticker] = bounded("tickers")
        self.kline_stream: EventStream[Kline] = bounded("klines")
        self.book_update_stream: EventStream[BookUpdate] = bounded("book_updates")
        # state changes are rare and must all arrive: unbounded
        self.book_state_stream: EventStream[BookStateChange] = EventStream(
            "book_states", m, maxsize=0, prefix="mexc.ws"
        )
        self.connection_state_stream: EventStream[ConnectionStateChange] = EventStream(
            "connection_states", m, maxsize=0, prefix="mexc.ws"
        )
        self.error_stream: EventStream[BaseException] = EventStream("errors", m, maxsize=0, prefix="mexc.ws")
        # rare, and a bus gateway must forward every one: unbounded
        self.trade_gap_stream: EventStream[TradeGap] = EventStream(
            "trade_gaps", m, maxsize=0, prefix="mexc.ws"
        )
        self.books = LocalBooks(
            self._fetch_snapshot,
            metrics=m,
            stream=self.orderbook_stream,
            state_stream=self.book_state_stream,
            publish_depth=publish_depth,
            updates=self.book_update_stream,
        )
        self._router = PublicRouter(
            self._decoder,
            metrics=m,
            books=self.books,
            acks=self._acks,
            trades=self.trade_stream,
            orderbooks=self.orderbook_stream,
            book_tickers=self.book_ticker_stream,
            tickers=self.ticker_stream,
            klines=self.kline_stream,
            timed_streams=self._streams(),  # their directly called handlers are not frame processing
        )
        self._connections = PublicConnections(
            config,
            max_subscriptions=settings.ws_max_subscriptions,
            metrics=m,
            router=self._router,
            books=self.books,
            symbol_mapper=self.symbol_mapper,
            connection_state_stream=self.connection_state_stream,
            error_stream=self.error_stream,
            trade_gap_stream=self.trade_gap_stream,
            end_streams=self._end_streams,
            end_replay=self._end_replay_streams,
            ack_timeout=ack_timeout,
            session=session,
            recorder=recorder,
            replay=replay,
        )
        self._pool = self._connections.pool
        self._subscriptions = PublicSubscriptions(
            self._pool,
            acks=self._acks,
            router=self._router,
            symbol_mapper=self.symbol_mapper,
            ack_timeout=ack_timeout,
            recorder=recorder,
            replay=replay,
        )
        self._book_retries = RefusedBookRetries(
            self.books,
            self._subscriptions.subscribe,
            self._subscriptions.forgotten,
            confirm_within=ack_timeout,
        )
        self._channel_retries = RefusedChannelRetries(
            self._subscriptions.subscribe, self._subscriptions.forgotten, on_refused=self._trades_refused
        )
        self._closed = False
        if recorder is not None:
            recorder.add_checkpoint_source(lambda: checkpoints(self.books))
        self.handlers = PublicStreamHandlers()
        if handlers is not None:
            self.set_handlers(handlers)

    def _on_rejected(self, channel: str, error: SubscriptionError) -> None:
        """A refused channel is forgotten (not re-sent after every reconnect). If nobody awaited it
        (a re-subscription after a reconnect, or an answer after the ack timeout) and it fed a local
        book, that book goes STALE and its channel is retried (:mod:`.book_retries`); any other
        channel is retried too (:mod:`.channel_retries`), a trade channel's loss counted as a gap."""
        unawaited = channel in self._pool.subscriptions and not self._subscriptions.awaits(channel)
        self._subscriptions.on_rejected(channel, error)
        if unawaited and not self._closed:
            fed = self._connections.books_fed_by(channel)
            for symbol in fed:
                self._book_retries.refused(symbol, channel, error)
            if not fed:
                self._channel_retries.refused(channel, error)

    def _trades_refused(self, channel: str, error: SubscriptionError) -> None:
        """A trade channel refused while nobody awaited it: its trades until the retry are lost."""
        parsed = ch.parse_channel(channel)
        if parsed.kind is not ch.ChannelKind.AGGRE_DEALS or parsed.pair is None:
            return
        symbol = self.symbol_mapper.to_symbol(parsed.pair)
        self.metrics.counter("mexc.ws.trades.possible_gaps").inc()
        now_ms = int(time.time() * 1000)
        self.trade_gap_stream.publish(TradeGap(symbol, now_ms, f"subscription refused: {error}"))

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Nothing to open up front: connections open with the first subscription. Kept for symmetry."""

    async def close(self) -> None:
        """Close every connection, stop the books and end every iterator. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._subscriptions.close()
        await self._book_retries.close()
        await self._channel_retries.close()
        await self._connections.close()
        await self.books.close()
        self._acks.fail_all(SubscriptionError("client closed", channel="*", exchange="mexc_spot"))
        for stream in self._streams():
            await stream.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def set_handlers(self, handlers: PublicStreamHandlers) -> None:
        """Install the spec-style callbacks (``handlers.trade_handler`` ...); None fields are removed."""
        self.handlers = handlers
        self.trade_stream.set_handler(handlers.trade_handler)
        self.orderbook_stream.set_handler(handlers.orderbook_handler)
        self.book_ticker_stream.set_handler(handlers.book_ticker_handler)
        self.ticker_stream.set_handler(handlers.ticker_handler)
        self.kline_stream.set_handler(handlers.kline_handler)
        self.book_state_stream.set_handler(handlers.book_state_handler)
        self.connection_state_stream.set_handler(handlers.connection_state_handler)
        self.error_stream.set_handler(handlers.error_handler)

    def _streams(self) -> tuple[EventStream[Any], ...]:
        return (
            self.trade_stream,
            self.orderbook_stream,
            self.book_ticker_stream,
            self.ticker_stream,
            self.kline_stream,
            self.book_state_stream,
            self.connection_state_stream,
            self.error_stream,
            self.book_update_stream,
            self.trade_gap_stream,
        )

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
        await self._channel_retries.cancel(channels)  # a refused channel being retried is dropped too
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
        iv = interval or self._interval
        pairs = self._pairs(symbols)
        added = [symbol for symbol in symbols if symbol not in self.books]
        for symbol in added:
            self.books.add(symbol)
        try:
            await self._subscribe_chunked([ch.aggre_depth(pair, iv) for pair in pairs])
        except BaseException:
            for symbol in added:
                channel = ch.aggre_depth(self.symbol_mapper.to_pair(symbol), iv)
                if channel not in self._pool.subscriptions:
                    await self.books.remove(symbol)
            raise
        self.books.subscribed(symbols)  # acknowledged: a quiet symbol must not wait for a push

    async def unsubscribe_orderbook(self, symbols: Sequence[Symbol], interval: str | None = None) -> None:
        """Stop the local books of ``symbols`` and their depth channels.

        A refused book's retry is cancelled first: one waking after the unsubscription would
        subscribe the channel again, left subscribed with no book behind it."""
        iv = interval or self._interval
        pairs = self._pairs(symbols)  # unknown symbols are refused before anything is cancelled
        for symbol in symbols:
            await self._book_retries.cancel(symbol)
        await self.unsubscribe([ch.aggre_depth(pair, iv) for pair in pairs])
        for symbol in symbols:
            await self.books.remove(symbol)

    # ------------------------------------------------------------------ reading

    def trades(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> StreamIterator[Trade]:
        """Async iterator of de-duplicated trades (optionally of one symbol), from now on."""
        return self.trade_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def orderbooks(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> StreamIterator[OrderBook]:
        """Local-book snapshots after each applied update, and limit-depth snapshots."""
        return self.orderbook_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def book_tickers(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> StreamIterator[BookTicker]:
        return self.book_ticker_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def tickers(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> StreamIterator[Ticker]:
        return self.ticker_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def klines(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> StreamIterator[Kline]:
        return self.kline_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def book_updates(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> StreamIterator[BookUpdate]:
        """The raw versioned depth deltas the local books are built from, as they arrive."""
        return self.book_update_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

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
        if not isinstance(timeout, int | float) or not math.isfinite(timeout) or timeout <= 0:
            raise ValueError(f"timeout must be a finite number of seconds above 0, got {timeout!r}")
        syncs = [self.books.books[symbol] for symbol in symbols]
        try:
            async with asyncio.timeout(timeout):
                while not all(sync.state is BookState.LIVE for sync in syncs):
                    for sync in syncs:
                        await sync.wait_live()  # a book may drop out of LIVE meanwhile: loop
        except TimeoutError:
            waiting = ", ".join(
                f"{sync.symbol} {sync.state.value}" for sync in syncs if sync.state is not BookState.LIVE
            )
            raise TimeoutError(f"order books not LIVE after {timeout:g}s: {waiting}") from None

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

    async def _fetch_snapshot(self, symbol: Symbol) -> OrderBook:
        """The REST snapshot a book syncs from; recorded when recording, read back when replaying."""
        if self._replay is not None:
            return decode_snapshot(await self._replay.fetch_snapshot(str(symbol)))
        recorder = self._recorder
        try:
            book = await self._rest.get_orderbook(symbol, limit=SNAPSHOT_LIMIT)
        except Exception as exc:
            if recorder is not None:
                recorder.record_snapshot_failure(str(symbol), exc)
            raise
        if recorder is not None:  # the synchroniser applies it in this same step
            recorder.record_snapshot(str(symbol), encode_snapshot(book))
        return book

    @property
    def error(self) -> BaseException | None:
        """Why a connection gave up for good (None while every connection is running)."""
        return self._connections.error

    def add_listener(self, listener: WsListener) -> None:
        """Attach ``listener`` (e.g. a recorder's frame tap) to every connection, now and future."""
        self._connections.add_listener(listener)

    async def _end_replay_streams(self) -> None:
        """The replay is over: handlers deliver what they hold, then every iterator ends."""
        for stream in self._streams():
            await stream.close(drain_timeout=60.0)

    async def _end_streams(self, error: BaseException) -> None:
        """A connection gave up: every data iterator raises ``error`` after its buffered events."""
        for stream in self._streams():
            if stream not in (self.error_stream, self.connection_state_stream, self.book_state_stream):
                await stream.close(error=error)
