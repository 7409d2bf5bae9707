"""BusMarketData: the market-data source of a ``PublicExchange`` whose ``market_data_url`` is NATS.

It feeds the same pipeline a WebSocket client feeds, from JetStream instead of a socket:

* one JetStream **ordered consumer** over exactly the subjects wanted (``filter_subjects``:
  the book, trade, ticker and gap subjects of the streamed symbols). Ordered consumers detect a
  missed message or a lost server (heartbeats) and recreate themselves from the last stream sequence
  delivered, so a NATS restart or reconnect loses nothing that the stream stored. Changing the
  symbol set recreates the consumer from the last sequence as well (no loss, no repeat).
* book deltas go to one :class:`exchanges.book_sync.BookSynchronizer` per symbol, the same
  synchroniser and continuity checks as with a socket; its snapshots come from the snapshot bucket.
  A version gap (a gateway died, a publish failed) makes the book SYNCING and it resyncs from the
  bucket's next snapshot. While the NATS connection is down every book is SYNCING (nothing proves
  it current); it resyncs when the connection is back.
* a book is LIVE only while its feed is heard: every gateway sends, each ``liveness_interval``, the
  symbols it publishes now (core NATS ``mdlive.<ex>``). A LIVE book that has heard neither a delta
  nor such a message for ``liveness_timeout`` seconds (its gateway died, or holds the symbol but
  does not publish it) is marked STALE (``bus.books.silent``); the next delta or liveness message
  for it resyncs it from the bus snapshot.
* trades are delivered once each: the stream stored each trade id once (two gateways during a
  hand-over), and the ordered consumer never repeats. A gap marker (a gateway started publishing a
  symbol that was not handed over live, or failed to publish trades) is counted in
  ``bus.trades.possible_gaps`` and logged: trades before it may be missing.
* a malformed message is counted (``bus.malformed``) and skipped.

Metrics (in the owner's registry): ``bus.consume.<channel>``, ``bus.consume.lag`` (publish to
receive, ms-resolution gateway clock), ``bus.malformed``, ``bus.trades.possible_gaps``,
``bus.reconnects``, ``bus.disconnects``; the synchronisers add ``book.<symbol>.*``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, TypeVar

import msgspec
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import KeyNotFoundError, NotFoundError

from exchanges.book_sync import BookSynchronizer
from exchanges.errors import ExchangeConnectionError, ProtocolError
from exchanges.handlers import PublicStreamHandlers
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, OrderBook, Symbol, Ticker, Trade
from exchanges.orderbook import LocalOrderBook
from exchanges.strategies import ReconnectionPolicy
from exchanges.streams import EventStream

from ._connection import BusConnection, BusConnectOptions, BusObjects, connect_bus, declare_bus, redact_url
from ._subjects import Subjects, parse_symbol_token, symbol_token
from .parsing import _events as codec
from .parsing._control import Liveness

logger = logging.getLogger("exchanges.bus.consumer")

_LIVENESS = msgspec.json.Decoder(Liveness)

T = TypeVar("T")

_SNAPSHOT_RETRY = ReconnectionPolicy(initial_delay=0.1, max_delay=1.0)
SNAPSHOT_WAIT = 3.0
"""Seconds a snapshot fetch waits for a new enough snapshot before it counts as failed."""


def _symbol_filter(symbol: Symbol | None) -> Callable[[Any], bool] | None:
    if symbol is None:
        return None
    return lambda event: bool(event.symbol == symbol)


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
        if not (isinstance(liveness_timeout, int | float) and math.isfinite(liveness_timeout)):
            raise ValueError(f"liveness_timeout must be a finite number of seconds, got {liveness_timeout!r}")
        if liveness_timeout <= 0:
            raise ValueError(f"liveness_timeout must be above 0, got {liveness_timeout!r}")
        self._liveness_timeout = float(liveness_timeout)
        self._heard: dict[Symbol, float] = {}  # last delta or liveness message, monotonic
        self._watchdog: asyncio.Task[None] | None = None
        self.url = url
        self.subjects = Subjects(exchange)
        self.metrics = metrics
        self._connect_options = connect
        self._publish_depth = publish_depth
        self._idle_heartbeat = idle_heartbeat
        self.trade_stream: EventStream[Trade] = EventStream(
            "trades", metrics, prefix="bus", maxsize=maxsize, policy=policy
        )
        self.orderbook_stream: EventStream[OrderBook] = EventStream(
            "orderbooks", metrics, prefix="bus", maxsize=maxsize, policy=policy
        )
        self.ticker_stream: EventStream[Ticker] = EventStream(
            "tickers", metrics, prefix="bus", maxsize=maxsize, policy=policy
        )
        self.books: dict[Symbol, BookSynchronizer] = {}
        self._wanted: dict[str, set[Symbol]] = {"book": set(), "trade": set(), "ticker": set()}
        self._conn: BusConnection | None = None
        self._objects: BusObjects | None = None
        self._sub: Any = None
        self._last_seq = 0
        self._floor: dict[Symbol, int] = {}
        self._had_delta: set[Symbol] = set()
        self._lock = asyncio.Lock()
        self._closed = False
        self._first_error_logged = False
        m = metrics
        self._m_events = {ch: m.counter(f"bus.consume.{ch}") for ch in ("book", "trade", "ticker", "gap")}
        self._m_malformed = m.counter("bus.malformed")
        self._m_trade_gaps = m.counter("bus.trades.possible_gaps")
        self._m_reconnects = m.counter("bus.reconnects")
        self._m_disconnects = m.counter("bus.disconnects")
        self._m_unrouted = m.counter("bus.unrouted")
        self._m_lag = m.histogram("bus.consume.lag")
        self._m_silent = m.counter("bus.books.silent")

    # ------------------------------------------------------------------ lifecycle

    async def _connection(self) -> BusConnection:
        if self._closed:
            raise ExchangeConnectionError("the bus market-data source is closed")
        if self._conn is None:
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
            self._watchdog = asyncio.get_running_loop().create_task(
                self._watch_liveness(), name="bus-liveness"
            )
        return self._conn

    async def close(self) -> None:
        """Stop the consumer, the books and every stream. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None
        for sync in list(self.books.values()):
            await sync.close()
        if self._conn is not None:
            await self._conn.close()
        for stream in (self.trade_stream, self.orderbook_stream, self.ticker_stream):
            await stream.close()

    def set_handlers(self, handlers: PublicStreamHandlers) -> None:
        self.trade_stream.set_handler(handlers.trade_handler)
        self.orderbook_stream.set_handler(handlers.orderbook_handler)
        self.ticker_stream.set_handler(handlers.ticker_handler)

    def is_connected(self) -> bool:
        return self._conn is not None and self._conn.connected

    async def _on_disconnect(self) -> None:
        """Nothing proves a book current while the bus is unreachable: STALE until it is back."""
        self._m_disconnects.inc()
        for sync in self.books.values():
            sync.mark_stale("bus connection lost")

    async def _on_reconnect(self) -> None:
        """Resync every book from the bus snapshot plus the deltas the ordered consumer resumes with."""
        self._m_reconnects.inc()
        for sync in self.books.values():
            if sync.state is BookState.STALE:  # one that already saw a delta is resyncing with it
                sync.invalidate("bus reconnected")

    # ------------------------------------------------------------------ subscriptions

    async def subscribe_orderbook(self, symbols: Sequence[Symbol]) -> None:
        now = time.monotonic()
        for symbol in symbols:
            self._heard.setdefault(symbol, now)  # the deadline starts at the subscription
            if symbol not in self.books:
                self.books[symbol] = BookSynchronizer(
                    symbol,
                    functools.partial(self._fetch_snapshot, symbol),
                    metrics=self.metrics,
                    on_update=self._publish_book,
                    retry=_SNAPSHOT_RETRY,
                )
        new = [symbol for symbol in symbols if symbol not in self._wanted["book"]]
        await self._change("book", symbols, add=True)
        await self._set_floors(new)
        for symbol in symbols:
            sync = self.books[symbol]
            if sync.state is not BookState.LIVE and symbol not in self._had_delta:
                # the bus keeps a snapshot: a quiet symbol need not wait for a delta (one that had a
                # delta is already fetching, and invalidating would drop its buffered deltas)
                sync.invalidate()

    async def _set_floors(self, symbols: Sequence[Symbol]) -> None:
        """The last version published before we subscribed: deltas up to it never reach us, so the
        first snapshot must be at least that new (a snapshot alone must not leave the book behind)."""
        conn = await self._connection()
        for symbol in symbols:
            try:
                raw = await conn.js.get_last_msg(self.subjects.stream, self.subjects.subject("book", symbol))
            except NotFoundError:
                continue
            try:
                update, _ = codec.decode_book_delta(symbol, raw.data or b"")
            except ProtocolError:
                continue
            self._floor[symbol] = update.last_version

    async def unsubscribe_orderbook(self, symbols: Sequence[Symbol]) -> None:
        await self._change("book", symbols, add=False)
        for symbol in symbols:
            sync = self.books.pop(symbol, None)
            self._heard.pop(symbol, None)
            if sync is not None:
                await sync.close()

    async def subscribe_trades(self, symbols: Sequence[Symbol]) -> None:
        await self._change("trade", symbols, add=True)

    async def unsubscribe_trades(self, symbols: Sequence[Symbol]) -> None:
        await self._change("trade", symbols, add=False)

    async def subscribe_tickers(self, symbols: Sequence[Symbol]) -> None:
        await self._change("ticker", symbols, add=True)

    async def unsubscribe_tickers(self, symbols: Sequence[Symbol]) -> None:
        await self._change("ticker", symbols, add=False)

    async def _change(self, channel: str, symbols: Iterable[Symbol], *, add: bool) -> None:
        for symbol in symbols:
            symbol_token(symbol)  # ValueError for a symbol the bus cannot name
        async with self._lock:
            wanted = self._wanted[channel]
            before = set(wanted)
            if add:
                wanted.update(symbols)
            else:
                wanted.difference_update(symbols)
            if wanted != before:
                await self._resubscribe()

    def _filter_subjects(self) -> list[str]:
        s = self.subjects
        subjects = {s.subject(channel, sym) for channel, syms in self._wanted.items() for sym in syms}
        subjects.update(s.subject("gap", sym) for sym in self._wanted["trade"])
        return sorted(subjects)

    async def _resubscribe(self) -> None:
        """(Re)create the ordered consumer over the wanted subjects, from the last sequence seen."""
        conn = await self._connection()
        old, self._sub = self._sub, None
        if old is not None:
            with contextlib.suppress(Exception):
                await old.unsubscribe()
        subjects = self._filter_subjects()
        if not subjects:
            return
        if self._last_seq:
            config = ConsumerConfig(
                filter_subjects=subjects,
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=self._last_seq + 1,
            )
        else:
            config = ConsumerConfig(filter_subjects=subjects, deliver_policy=DeliverPolicy.NEW)
        self._sub = await self._subscribe(conn.js, subjects[0], config)

    async def _subscribe(self, js: JetStreamContext, subject: str, config: ConsumerConfig) -> Any:
        return await js.subscribe(
            subject,
            stream=self.subjects.stream,
            cb=self._on_msg,
            ordered_consumer=True,
            idle_heartbeat=self._idle_heartbeat,
            config=config,
        )

    # ------------------------------------------------------------------ hot path

    async def _on_msg(self, msg: Msg) -> None:
        try:
            self._last_seq = msg.metadata.sequence.stream
        except Exception:
            self._m_malformed.inc()
            return
        try:
            channel, symbol = self.subjects.parse(msg.subject)
            self._route(channel, symbol, msg.data)
        except (ProtocolError, ValueError, KeyError) as exc:
            self._m_malformed.inc()
            if not self._first_error_logged:
                self._first_error_logged = True
                logger.warning(
                    "malformed bus message on %s skipped (counted in bus.malformed): %s", msg.subject, exc
                )

    def _route(self, channel: str, symbol: Symbol, data: bytes) -> None:
        now_ms = time.time() * 1000
        if channel == "book":
            update, delta = codec.decode_book_delta(symbol, data)
            self._m_events["book"].inc()
            self._m_lag.record(max(0.0, now_ms - delta.pt) / 1000)
            sync = self.books.get(symbol)
            if sync is None:
                self._m_unrouted.inc()
                return
            self._had_delta.add(symbol)
            self._heard[symbol] = time.monotonic()
            if sync.state is BookState.STALE:
                # the bus is back and this delta may arrive before the reconnect callback: resync
                # now, so it is buffered (a STALE book would drop it) and the book cannot skip it
                sync.invalidate("bus reconnected")
            sync.on_update(update)
        elif channel == "trade":
            trade, msg = codec.decode_trade(symbol, data)
            self._m_events["trade"].inc()
            self._m_lag.record(max(0.0, now_ms - msg.pt) / 1000)
            if symbol in self._wanted["trade"]:
                self.trade_stream.publish(trade)
        elif channel == "ticker":
            ticker, _ = codec.decode_ticker(symbol, data)
            self._m_events["ticker"].inc()
            if symbol in self._wanted["ticker"]:
                self.ticker_stream.publish(ticker)
        else:
            gap = codec.decode_gap(data)
            self._m_events["gap"].inc()
            if symbol in self._wanted["trade"]:
                self._m_trade_gaps.inc()
                self.metrics.counter(f"bus.trades.{symbol}.possible_gaps").inc()
                logger.warning(
                    "%s: trades before now may be missing (%s, gateway %s)", symbol, gap.reason, gap.g
                )

    async def _on_liveness(self, msg: Msg) -> None:
        """A gateway serves these symbols now: their books are heard; a STALE one resyncs."""
        try:
            liveness = _LIVENESS.decode(msg.data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            self._m_malformed.inc()
            return
        now = time.monotonic()
        for token in liveness.v:
            try:
                symbol = parse_symbol_token(token)
            except ValueError:
                self._m_malformed.inc()
                continue
            sync = self.books.get(symbol)
            if sync is None:
                continue
            self._heard[symbol] = now
            if sync.state is BookState.STALE and self.is_connected():
                sync.invalidate("feed heard again")  # a quiet symbol has no delta to wake it

    async def _watch_liveness(self) -> None:
        """Mark STALE every LIVE book not heard for ``liveness_timeout`` (the guarantee)."""
        timeout = self._liveness_timeout
        while True:
            await asyncio.sleep(min(1.0, timeout / 4))
            now = time.monotonic()
            for symbol, sync in list(self.books.items()):
                heard = self._heard.get(symbol, now)
                if sync.state is BookState.LIVE and now - heard > timeout:
                    self._m_silent.inc()
                    self.metrics.counter(f"bus.books.{symbol}.silent").inc()
                    logger.warning("%s: no delta or gateway liveness for %gs: book STALE", symbol, timeout)
                    sync.mark_stale(f"feed silent for {timeout:g}s")

    def _publish_book(self, book: LocalOrderBook) -> None:
        stream = self.orderbook_stream
        if stream.has_consumers:
            stream.publish(book.snapshot(self._publish_depth))

    async def _fetch_snapshot(self, symbol: Symbol) -> OrderBook:
        """The symbol's latest bus snapshot, at least as new as what we applied or will never see.

        A snapshot older than that floor is normal for a moment (the gateway stores a newer one
        within its snapshot interval): poll for up to ``SNAPSHOT_WAIT`` seconds before failing
        (the synchroniser then retries with backoff).
        """
        await self._connection()
        assert self._objects is not None
        books, token = self._objects.books, symbol_token(symbol)
        deadline = time.monotonic() + SNAPSHOT_WAIT
        while True:
            try:
                entry = await books.get(token)
            except KeyNotFoundError:
                entry = None
            book = codec.decode_book_snapshot(symbol, entry.value)[0] if entry and entry.value else None
            sync = self.books.get(symbol)
            floor = max(self._floor.get(symbol, 0), (sync.book.version or 0) if sync is not None else 0)
            if book is not None and (book.version or 0) >= floor:
                return book
            if time.monotonic() > deadline:
                if book is None:
                    raise ExchangeConnectionError(
                        f"no snapshot of {symbol} on the bus (is a gateway publishing it?)"
                    )
                raise ExchangeConnectionError(
                    f"bus snapshot of {symbol} (v{book.version}) still older than v{floor}"
                )
            await asyncio.sleep(0.1)

    # ------------------------------------------------------------------ reading

    def trades(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> AsyncIterator[Trade]:
        return self.trade_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def orderbooks(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> AsyncIterator[OrderBook]:
        return self.orderbook_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def tickers(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> AsyncIterator[Ticker]:
        return self.ticker_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def get_orderbook(self, symbol: Symbol, depth: int | None = None) -> OrderBook:
        return self.books[symbol].book.snapshot(depth)

    def orderbook_state(self, symbol: Symbol) -> BookState:
        return self.books[symbol].state

    async def wait_orderbook_ready(self, symbols: Sequence[Symbol], timeout: float) -> None:  # noqa: ASYNC109
        """Wait until every one of ``symbols``' books is LIVE at the same moment; TimeoutError naming
        the others after ``timeout`` seconds, KeyError for a symbol without a book."""
        if not isinstance(timeout, int | float) or not math.isfinite(timeout) or timeout <= 0:
            raise ValueError(f"timeout must be a finite number of seconds above 0, got {timeout!r}")
        syncs = [self.books[symbol] for symbol in symbols]
        try:
            async with asyncio.timeout(timeout):
                while not all(sync.state is BookState.LIVE for sync in syncs):
                    for sync in syncs:
                        await sync.wait_live()
        except TimeoutError:
            waiting = ", ".join(f"{s.symbol} {s.state.value}" for s in syncs if s.state is not BookState.LIVE)
            raise TimeoutError(f"order books not LIVE after {timeout:g}s: {waiting}") from None

    def stats(self) -> dict[str, Any]:
        """Bus figures for ``get_performance_metrics()``."""
        lag = self._m_lag
        return {
            "url": redact_url(self.url),
            "connected": self.is_connected(),
            "events": {ch: c.value for ch, c in self._m_events.items()},
            "malformed": self._m_malformed.value,
            "trade_possible_gaps": self._m_trade_gaps.value,
            "reconnects": self._m_reconnects.value,
            "disconnects": self._m_disconnects.value,
            "lag_ms": lag.snapshot_ms() if lag.count else {},
            "silent_books": self._m_silent.value,
            "last_sequence": self._last_seq,
            "books": {str(s): sync.state.value for s, sync in self.books.items()},
        }
