"""BusBooks: a consumer's local order books, synchronised from the bus, and their liveness.

* Book deltas go to one :class:`exchanges.book_sync.BookSynchronizer` per symbol, the same
  synchroniser and continuity checks as with a socket; its snapshots come from the snapshot bucket
  and must be at least as new as the last delta published before we subscribed (those never reach
  us) and as what the book already applied. A version gap (a gateway died, a publish failed) makes
  the book SYNCING and it resyncs from the bucket's next snapshot.
* While the NATS connection is down every book is STALE (nothing proves it current); it resyncs
  when the connection is back.
* A book is LIVE only while its feed is heard: every gateway sends, each ``liveness_interval``, the
  symbols it publishes now (core NATS ``mdlive.<ex>``). A LIVE book that has heard neither a delta
  nor such a message for ``liveness_timeout`` seconds (its gateway died, or holds the symbol but
  does not publish it) is marked STALE (``bus.books.silent``); the next delta or liveness message
  for it resyncs it from the bus snapshot.
* A LIVE book is never left behind what its gateway published: the liveness message names, per
  symbol, the last version the gateway published (delta or snapshot). A book still below an
  announced version ``behind_grace`` seconds after hearing it (the deltas in between never came:
  a gateway took the symbol over from a dead one and started from a REST snapshot, or its own book
  resynced after a MEXC reconnect, and the market went quiet before the next delta could show the
  gap) resyncs from the bus snapshot, at least that new (``bus.books.behind``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from nats.js.errors import KeyNotFoundError, NotFoundError

from exchanges.book_sync import BookSynchronizer
from exchanges.errors import ExchangeConnectionError, ProtocolError
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, BookStateChange, OrderBook, Symbol
from exchanges.orderbook import LocalOrderBook
from exchanges.strategies import ReconnectionPolicy
from exchanges.streams import EventStream
from exchanges.tasks import cancel_and_wait

from ._connection import BusConnection, BusObjects
from ._subjects import Subjects, parse_symbol_token, symbol_token
from .parsing import _events as codec
from .parsing._control import Liveness

logger = logging.getLogger("exchanges.bus.consumer")

_SNAPSHOT_RETRY = ReconnectionPolicy(initial_delay=0.1, max_delay=1.0)
SNAPSHOT_WAIT = 3.0
"""Seconds a snapshot fetch waits for a new enough snapshot before it counts as failed."""

Bus = Callable[[], Awaitable[tuple[BusConnection, BusObjects]]]
"""The owner's connection (opened on first use)."""


def _symbol_filter(symbol: Symbol | None) -> Callable[[OrderBook], bool] | None:
    if symbol is None:
        return None
    return lambda book: bool(book.symbol == symbol)


class BusBooks:
    """The bus-fed local books of one consumer (see module doc)."""

    def __init__(
        self,
        subjects: Subjects,
        bus: Bus,
        *,
        metrics: MetricsRegistry,
        is_connected: Callable[[], bool],
        liveness_timeout: float,
        behind_grace: float = 2.0,
        publish_depth: int | None,
        maxsize: int,
        policy: str,
    ) -> None:
        if not (isinstance(liveness_timeout, int | float) and math.isfinite(liveness_timeout)):
            raise ValueError(f"liveness_timeout must be a finite number of seconds, got {liveness_timeout!r}")
        if liveness_timeout <= 0:
            raise ValueError(f"liveness_timeout must be above 0, got {liveness_timeout!r}")
        if not (isinstance(behind_grace, int | float) and math.isfinite(behind_grace) and behind_grace > 0):
            raise ValueError(f"behind_grace must be a finite number of seconds above 0, got {behind_grace!r}")
        self._behind_grace = float(behind_grace)
        self._announced: dict[Symbol, tuple[int, float]] = {}  # a version ahead of the book, heard at
        self.subjects = subjects
        self._bus = bus
        self._is_connected = is_connected
        self._liveness_timeout = float(liveness_timeout)
        self._publish_depth = publish_depth
        self.metrics = metrics
        self.syncs: dict[Symbol, BookSynchronizer] = {}
        self._heard: dict[Symbol, float] = {}  # last delta or liveness message, monotonic
        self._floor: dict[Symbol, int] = {}
        self._had_delta: set[Symbol] = set()
        self.orderbook_stream: EventStream[OrderBook] = EventStream(
            "orderbooks", metrics, prefix="bus", maxsize=maxsize, policy=policy
        )
        # state changes are rare and must all arrive: unbounded
        self.state_stream: EventStream[BookStateChange] = EventStream(
            "book_states", metrics, prefix="bus", maxsize=0
        )
        self._watchdog: asyncio.Task[None] | None = None
        m = metrics
        self._m_events = m.counter("bus.consume.book")
        self._m_lag = m.histogram("bus.consume.lag")
        self._m_malformed = m.counter("bus.malformed")
        self._m_unrouted = m.counter("bus.unrouted")
        self._m_silent = m.counter("bus.books.silent")
        self._m_behind = m.counter("bus.books.behind")

    # ------------------------------------------------------------------ lifecycle

    def start_watchdog(self) -> None:
        if self._watchdog is None:
            self._watchdog = asyncio.get_running_loop().create_task(self._watch(), name="bus-liveness")

    async def close(self) -> None:
        await cancel_and_wait(self._watchdog)  # the caller's own cancellation is re-raised
        for sync in list(self.syncs.values()):
            await sync.close()
        await self.orderbook_stream.close()
        await self.state_stream.close()

    def mark_all_stale(self, reason: str) -> None:
        for sync in self.syncs.values():
            sync.mark_stale(reason)

    def resync_stale(self, reason: str) -> None:
        """After a reconnect: every STALE book resyncs (one that already saw a delta is resyncing)."""
        for sync in self.syncs.values():
            if sync.state is BookState.STALE:
                sync.invalidate(reason)

    # ------------------------------------------------------------------ subscriptions

    def add(self, symbols: Sequence[Symbol]) -> None:
        now = time.monotonic()
        for symbol in symbols:
            self._heard.setdefault(symbol, now)  # the deadline starts at the subscription
            if symbol not in self.syncs:
                self.syncs[symbol] = BookSynchronizer(
                    symbol,
                    functools.partial(self._fetch_snapshot, symbol),
                    metrics=self.metrics,
                    on_update=self._publish_book,
                    on_state=self.state_stream.publish,
                    retry=_SNAPSHOT_RETRY,
                )

    async def subscribed(self, symbols: Sequence[Symbol], new: Sequence[Symbol]) -> None:
        """The feed carries ``symbols`` now (``new`` among them for the first time): set floors and
        start the snapshot of those not LIVE."""
        await self._set_floors(new)
        for symbol in symbols:
            sync = self.syncs[symbol]
            if sync.state is not BookState.LIVE and symbol not in self._had_delta:
                # the bus keeps a snapshot: a quiet symbol need not wait for a delta (one that had a
                # delta is already fetching, and invalidating would drop its buffered deltas)
                sync.invalidate()

    async def _set_floors(self, symbols: Sequence[Symbol]) -> None:
        """The last version published before we subscribed: deltas up to it never reach us, so the
        first snapshot must be at least that new (a snapshot alone must not leave the book behind)."""
        conn, _ = await self._bus()
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

    async def remove(self, symbols: Sequence[Symbol]) -> None:
        for symbol in symbols:
            sync = self.syncs.pop(symbol, None)
            self._heard.pop(symbol, None)
            if sync is not None:
                await sync.close()

    # ------------------------------------------------------------------ hot path

    def on_delta(self, symbol: Symbol, data: bytes) -> None:
        """A book delta from the bus (ProtocolError when malformed: the caller counts it)."""
        update, delta = codec.decode_book_delta(symbol, data)
        self._m_events.inc()
        self._m_lag.record(max(0.0, time.time() * 1000 - delta.pt) / 1000)
        sync = self.syncs.get(symbol)
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

    def on_liveness(self, liveness: Liveness) -> None:
        """A gateway serves these symbols now: their books are heard; a STALE one resyncs."""
        now = time.monotonic()
        for token in liveness.v:
            try:
                symbol = parse_symbol_token(token)
            except ValueError:
                self._m_malformed.inc()
                continue
            sync = self.syncs.get(symbol)
            if sync is None:
                continue
            self._heard[symbol] = now
            if sync.state is BookState.STALE and self._is_connected():
                sync.invalidate("feed heard again")  # a quiet symbol has no delta to wake it
            elif sync.state is BookState.LIVE:
                self._check_behind(symbol, sync, liveness.v[token], now)
            else:
                self._announced.pop(symbol, None)  # resyncing: its snapshot is at least that new

    def _check_behind(self, symbol: Symbol, sync: BookSynchronizer, announced: int, now: float) -> None:
        """Resync a LIVE book that stays below a version its gateway announced (see module doc).

        The deltas up to an announced version were published before the announcement, but they
        travel through the stream while the announcement is core NATS: allow ``behind_grace``."""
        version = sync.book.version or 0
        pending = self._announced.get(symbol)
        if pending is not None and version >= pending[0]:
            pending = None  # reached: the deltas came
            del self._announced[symbol]
        if pending is None:
            if announced > version:
                self._announced[symbol] = (announced, now)
            return
        target, since = pending
        if now - since < self._behind_grace:
            return
        del self._announced[symbol]
        self._m_behind.inc()
        self.metrics.counter(f"bus.books.{symbol}.behind").inc()
        logger.warning(
            "%s: book LIVE at v%d but its gateway published v%d %.1fs ago: resyncing from the bus snapshot",
            symbol,
            version,
            target,
            now - since,
        )
        self._floor[symbol] = max(self._floor.get(symbol, 0), target)  # the snapshot must be that new
        sync.invalidate("behind the gateway's published version")

    async def _watch(self) -> None:
        """Mark STALE every LIVE book not heard for ``liveness_timeout`` (the guarantee)."""
        timeout = self._liveness_timeout
        while True:
            await asyncio.sleep(min(1.0, timeout / 4))
            now = time.monotonic()
            for symbol, sync in list(self.syncs.items()):
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
        _, objects = await self._bus()
        books, token = objects.books, symbol_token(symbol)
        deadline = time.monotonic() + SNAPSHOT_WAIT
        while True:
            try:
                entry = await books.get(token)
            except KeyNotFoundError:
                entry = None
            book = codec.decode_book_snapshot(symbol, entry.value)[0] if entry and entry.value else None
            sync = self.syncs.get(symbol)
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

    def orderbooks(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> AsyncIterator[OrderBook]:
        return self.orderbook_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def states(self) -> AsyncIterator[BookStateChange]:
        return self.state_stream.iterate()

    def get(self, symbol: Symbol, depth: int | None = None) -> OrderBook:
        return self.syncs[symbol].book.snapshot(depth)

    def state(self, symbol: Symbol) -> BookState:
        return self.syncs[symbol].state

    async def wait_ready(self, symbols: Sequence[Symbol], timeout: float) -> None:  # noqa: ASYNC109
        """Wait until every one of ``symbols``' books is LIVE at the same moment; TimeoutError naming
        the others after ``timeout`` seconds, KeyError for a symbol without a book."""
        if not isinstance(timeout, int | float) or not math.isfinite(timeout) or timeout <= 0:
            raise ValueError(f"timeout must be a finite number of seconds above 0, got {timeout!r}")
        syncs = [self.syncs[symbol] for symbol in symbols]
        try:
            async with asyncio.timeout(timeout):
                while not all(sync.state is BookState.LIVE for sync in syncs):
                    for sync in syncs:
                        await sync.wait_live()
        except TimeoutError:
            waiting = ", ".join(f"{s.symbol} {s.state.value}" for s in syncs if s.state is not BookState.LIVE)
            raise TimeoutError(f"order books not LIVE after {timeout:g}s: {waiting}") from None

    @property
    def silent(self) -> int:
        return self._m_silent.value

    @property
    def behind(self) -> int:
        return self._m_behind.value
