"""BusMarketData: the market-data source of a ``PublicExchange`` whose ``market_data_url`` is NATS.

It feeds the same pipeline a WebSocket client feeds, from JetStream instead of a socket, with the
same subscription calls, streams, iterators and handlers. Three parts, one job each:

* :class:`~._consumer_feed.OrderedFeed`: one JetStream ordered consumer over exactly the wanted
  subjects, resumed from the last stream sequence after a reconnect, a server restart or a change
  of the symbol set (no loss, no repeat); malformed messages counted in ``bus.malformed``, skipped;
* :class:`~._consumer_books.BusBooks`: local books (the core synchroniser, snapshots from the
  bucket, continuity checks, STALE while the bus is down or a symbol's feed is silent, resynced
  when it stays behind the version its gateway announces);
* :class:`~._consumer_channels.BusChannels`: the wanted subjects, and trades, tickers, book
  tickers, candles and trade-gap markers decoded into their streams.

Metrics (in the owner's registry): ``bus.consume.<channel>``, ``bus.consume.lag`` (publish to
receive, ms-resolution gateway clock), ``bus.malformed``, ``bus.trades.possible_gaps`` (and per
symbol), ``bus.books.silent``, ``bus.books.behind``, ``bus.reconnects``, ``bus.disconnects``; the
synchronisers add ``book.<symbol>.*``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import msgspec
from nats.aio.msg import Msg

from exchanges.errors import ExchangeConnectionError
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

from ._connection import BusConnection, BusConnectOptions, BusObjects, connect_bus, declare_bus, redact_url
from ._consumer_books import BusBooks
from ._consumer_channels import BusChannels, kline_subject_channel
from ._consumer_feed import OrderedFeed
from ._subjects import Subjects, symbol_token
from .parsing._control import Liveness

_LIVENESS = msgspec.json.Decoder(Liveness)


class BusMarketData:
    """Streams and local books of one exchange, read from the bus (see module doc)."""

    def __init__(
        self,
        url: str,
        *,
        exchange: str,
        metrics: MetricsRegistry,
        maxsize: int = 10000,
        policy: str = "drop_oldest",
        connect: BusConnectOptions | None = None,
        publish_depth: int | None = 20,
        idle_heartbeat: float = 1.0,
        liveness_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.subjects = Subjects(exchange)
        self.metrics = metrics
        self._connect_options = connect
        self.books = BusBooks(
            self.subjects,
            self._bus,
            metrics=metrics,
            is_connected=self.is_connected,
            liveness_timeout=liveness_timeout,
            publish_depth=publish_depth,
            maxsize=maxsize,
            policy=policy,
        )
        self.channels = BusChannels(
            self.subjects, metrics=metrics, maxsize=maxsize, policy=policy, liveness_timeout=liveness_timeout
        )
        self.feed = OrderedFeed(self.subjects, self._on_event, metrics=metrics, idle_heartbeat=idle_heartbeat)
        self._conn: BusConnection | None = None
        self._objects: BusObjects | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._m_reconnects = metrics.counter("bus.reconnects")
        self._m_disconnects = metrics.counter("bus.disconnects")
        self._m_malformed = metrics.counter("bus.malformed")

    # ------------------------------------------------------------------ lifecycle

    async def _connection(self) -> BusConnection:
        return (await self._bus())[0]

    async def _bus(self) -> tuple[BusConnection, BusObjects]:
        if self._closed:
            raise ExchangeConnectionError("the bus market-data source is closed")
        if self._conn is None or self._objects is None:
            conn = await connect_bus(
                self.url,
                name=f"consumer {self.subjects.exchange}",
                options=self._connect_options,
                on_disconnect=self._on_disconnect,
                on_reconnect=self._on_reconnect,
            )
            self._objects = await declare_bus(conn.js, self.subjects)
            await conn.nc.subscribe(self.subjects.liveness, cb=self._on_liveness)
            self._conn = conn
            self.books.start_watchdog()
        return self._conn, self._objects

    async def close(self) -> None:
        """Stop the consumer, the books and every stream. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self.feed.close()
        await self.books.close()
        if self._conn is not None:
            await self._conn.close()
        await self.channels.close()

    def set_handlers(self, handlers: PublicStreamHandlers) -> None:
        self.channels.set_handlers(handlers)
        self.books.orderbook_stream.set_handler(handlers.orderbook_handler)
        self.books.state_stream.set_handler(handlers.book_state_handler)

    def is_connected(self) -> bool:
        return self._conn is not None and self._conn.connected

    async def _on_disconnect(self) -> None:
        """Nothing proves a book current while the bus is unreachable: STALE until it is back."""
        self._m_disconnects.inc()
        self.books.mark_all_stale("bus connection lost")

    async def _on_reconnect(self) -> None:
        """Resync every book from the bus snapshot plus the deltas the ordered consumer resumes with."""
        self._m_reconnects.inc()
        self.books.resync_stale("bus reconnected")

    async def _on_liveness(self, msg: Msg) -> None:
        """A gateway's liveness message: its symbols' books are heard, its channels are served."""
        try:
            liveness = _LIVENESS.decode(msg.data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            self._m_malformed.inc()
            return
        self.books.on_liveness(liveness)
        self.channels.coverage.heard(liveness.g, liveness.c)

    def _on_event(self, channel: str, symbol: Symbol, data: bytes) -> None:
        if channel == "book":
            self.books.on_delta(symbol, data)
        else:
            self.channels.route(channel, symbol, data)

    # ------------------------------------------------------------------ subscriptions

    async def subscribe_orderbook(self, symbols: Sequence[Symbol]) -> None:
        self.books.add(symbols)
        new = [symbol for symbol in symbols if symbol not in self.channels.symbols("book")]
        await self._change("book", symbols, add=True)
        await self.books.subscribed(symbols, new)

    async def unsubscribe_orderbook(self, symbols: Sequence[Symbol]) -> None:
        await self._change("book", symbols, add=False)
        await self.books.remove(symbols)

    async def subscribe_trades(self, symbols: Sequence[Symbol]) -> None:
        await self._change("trade", symbols, add=True)

    async def unsubscribe_trades(self, symbols: Sequence[Symbol]) -> None:
        await self._change("trade", symbols, add=False)

    async def subscribe_tickers(self, symbols: Sequence[Symbol]) -> None:
        await self._change("ticker", symbols, add=True)

    async def unsubscribe_tickers(self, symbols: Sequence[Symbol]) -> None:
        await self._change("ticker", symbols, add=False)

    async def subscribe_book_ticker(self, symbols: Sequence[Symbol]) -> None:
        await self._change("book_ticker", symbols, add=True)

    async def unsubscribe_book_ticker(self, symbols: Sequence[Symbol]) -> None:
        await self._change("book_ticker", symbols, add=False)

    async def subscribe_klines(self, symbols: Sequence[Symbol], interval: KlineInterval) -> None:
        """Candles of ``interval`` (gateways publish the widths they are configured for: docs/bus.md)."""
        await self._change(kline_subject_channel(interval), symbols, add=True)

    async def unsubscribe_klines(self, symbols: Sequence[Symbol], interval: KlineInterval) -> None:
        await self._change(kline_subject_channel(interval), symbols, add=False)

    async def _change(self, channel: str, symbols: Iterable[Symbol], *, add: bool) -> None:
        symbols = list(symbols)
        for symbol in symbols:
            symbol_token(symbol)  # ValueError for a symbol the bus cannot name
        async with self._lock:
            wanted = self.channels.symbols(channel)
            before = set(wanted)
            if add:
                wanted.update(symbols)
            else:
                wanted.difference_update(symbols)
            if wanted != before:
                conn = await self._connection()
                await self.feed.follow(conn.js, self.channels.filter_subjects())

    # ------------------------------------------------------------------ reading

    def trades(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> AsyncIterator[Trade]:
        return self.channels.trades(symbol, maxsize=maxsize)

    def orderbooks(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> AsyncIterator[OrderBook]:
        return self.books.orderbooks(symbol, maxsize=maxsize)

    def tickers(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> AsyncIterator[Ticker]:
        return self.channels.tickers(symbol, maxsize=maxsize)

    def book_tickers(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> AsyncIterator[BookTicker]:
        return self.channels.book_tickers(symbol, maxsize=maxsize)

    def klines(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> AsyncIterator[Kline]:
        return self.channels.klines(symbol, maxsize=maxsize)

    def trade_gaps(self) -> AsyncIterator[TradeGap]:
        """A :class:`TradeGap` for every gap marker of a traded symbol (unbounded)."""
        return self.channels.trade_gaps()

    def book_states(self) -> AsyncIterator[BookStateChange]:
        """Every local book's state changes (LIVE / STALE / SYNCING, with the reason), unbounded."""
        return self.books.states()

    def get_orderbook(self, symbol: Symbol, depth: int | None = None) -> OrderBook:
        return self.books.get(symbol, depth)

    def orderbook_state(self, symbol: Symbol) -> BookState:
        return self.books.state(symbol)

    async def wait_orderbook_ready(self, symbols: Sequence[Symbol], timeout: float) -> None:  # noqa: ASYNC109
        """Wait until every one of ``symbols``' books is LIVE at the same moment; TimeoutError naming
        the others after ``timeout`` seconds, KeyError for a symbol without a book."""
        await self.books.wait_ready(symbols, timeout)

    def stats(self) -> dict[str, Any]:
        """Bus figures for ``get_performance_metrics()``."""
        lag = self.metrics.histogram("bus.consume.lag")
        return {
            "url": redact_url(self.url),
            "connected": self.is_connected(),
            "events": self.channels.events(),
            "malformed": self.metrics.value("bus.malformed"),
            "trade_possible_gaps": self.channels.possible_gaps,
            "reconnects": self._m_reconnects.value,
            "disconnects": self._m_disconnects.value,
            "lag_ms": lag.snapshot_ms() if lag.count else {},
            "silent_books": self.books.silent,
            "behind_books": self.books.behind,
            "last_sequence": self.feed.last_sequence,
            "books": {str(s): sync.state.value for s, sync in self.books.syncs.items()},
            "unserved_channels": self.channels.coverage.unserved(),
            "streams": {
                channel: len(symbols) for channel, symbols in sorted(self.channels.wanted.items()) if symbols
            },
        }
