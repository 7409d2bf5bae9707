"""BookSynchronizer: keep a LocalOrderBook in step with a snapshot source and an update stream.

The generic recipe (MEXC API.md §9.5; Binance and others use the same one):

1. While SYNCING, buffer every update and fetch a snapshot (one fetch in flight at a time,
   retried with exponential backoff when it fails).
2. Drop buffered updates already contained in the snapshot (``last_version <= snapshot.version``).
3. The first remaining update must cover the version right after the snapshot
   (``first_version <= snapshot.version + 1``). If it starts later there is a gap between the
   snapshot and the stream: fetch again (the buffer is kept).
4. Apply the snapshot and the remaining buffer; the book is LIVE. With nothing left in the buffer
   the snapshot alone is LIVE: the stream was subscribed before the fetch, so the next update is
   checked against ``snapshot.version + 1`` exactly like any other (a quiet symbol must not stay
   SYNCING until something trades).
5. While LIVE, each update must cover ``previous last_version + 1``. An update entirely at or
   below the book's version is a duplicate (e.g. from a rotation overlap) and is ignored. Any other
   mismatch is a gap: the book goes SYNCING, ``resync_count`` and ``book.<symbol>.resyncs`` are
   incremented and a new snapshot is fetched (step 1).

Overlap is accepted everywhere (``first_version <= expected <= last_version``), which generalises
MEXC's "snapshot version within [fromVersion, toVersion]": quantities are absolute and an update
carries each changed level's quantity as of its ``last_version``, so levels it shares with versions
already applied are set to the values they already have. (This module is for absolute-quantity
books only; a delta-based exchange needs a stricter rule.)

``on_update`` is the hot path: while LIVE it is one comparison plus ``apply_update``. The
``on_update`` callback runs after every update applied while LIVE, and once after the buffered
updates were applied when the book becomes LIVE. The optional ``on_state`` callback runs with the
new state each time the book's state changes (SYNCING -> LIVE, LIVE -> SYNCING, -> STALE on
``close``); it is never called on the LIVE hot path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, BookUpdate, OrderBook, Symbol
from exchanges.orderbook import LocalOrderBook
from exchanges.strategies import ReconnectionPolicy

__all__ = [
    "BookSynchronizer",
]

logger = logging.getLogger("exchanges.book_sync")

_LIVE = BookState.LIVE
_DEFAULT_RETRY = ReconnectionPolicy(initial_delay=0.2, max_delay=10.0)


class BookSynchronizer:
    """Buffer / snapshot / continuity state machine around one :class:`LocalOrderBook`."""

    def __init__(
        self,
        symbol: Symbol,
        fetch_snapshot: Callable[[], Awaitable[OrderBook]],
        *,
        metrics: MetricsRegistry,
        on_update: Callable[[LocalOrderBook], None] | None = None,
        on_state: Callable[[BookState], None] | None = None,
        max_buffer: int = 10000,
        retry: ReconnectionPolicy | None = None,
    ) -> None:
        self.symbol = symbol
        self.book = LocalOrderBook(symbol)
        self._fetch_snapshot = fetch_snapshot
        self._callback = on_update
        self._on_state = on_state
        self._retry = retry or _DEFAULT_RETRY
        self._buffer: deque[BookUpdate] = deque(maxlen=max_buffer)
        self._fetch_task: asyncio.Task[None] | None = None
        self._live = False
        self._next = 0  # first_version expected next while LIVE
        self._closed = False
        self._live_event = asyncio.Event()
        prefix = f"book.{symbol}."
        self._m_resyncs = metrics.counter(prefix + "resyncs")
        self._m_gaps = metrics.counter(prefix + "gaps")
        self._m_stale = metrics.counter(prefix + "stale_dropped")
        self._m_overflow = metrics.counter(prefix + "buffer_overflow")
        self._m_fetch_errors = metrics.counter(prefix + "snapshot_errors")
        self._m_snapshots = metrics.counter(prefix + "snapshots")

    @property
    def state(self) -> BookState:
        return self.book.state

    @property
    def resync_count(self) -> int:
        return self.book.resync_count

    def on_update(self, update: BookUpdate) -> None:
        """Feed one stream update (sync; call it from the event loop)."""
        if self._live and update.first_version == self._next:
            self.book.apply_update(update)
            self._next = update.last_version + 1
            if self._callback is not None:
                self._callback(self.book)
            return
        self._slow_path(update)

    def invalidate(self) -> None:
        """Distrust the book (e.g. the stream reconnected): go SYNCING and fetch a new snapshot now."""
        if self._closed:
            return
        self._buffer.clear()
        self._resync("invalidated")
        self._ensure_fetch()

    async def wait_live(self) -> None:
        """Wait until the book is LIVE (wrap in ``asyncio.timeout`` to bound the wait)."""
        await self._live_event.wait()

    async def close(self) -> None:
        """Stop fetching; the book is left as it is, marked STALE."""
        was_closed, self._closed = self._closed, True
        self._live = False
        self.book.state = BookState.STALE
        if not was_closed and self._on_state is not None:
            self._on_state(BookState.STALE)
        task, self._fetch_task = self._fetch_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ------------------------------------------------------------------ internals

    def _slow_path(self, update: BookUpdate) -> None:
        if self._closed:
            return
        if self._live:
            if update.last_version < self._next:
                self._m_stale.inc()  # duplicate or stale, already in the book
                return
            if update.first_version < self._next:  # overlaps what is applied: absolute quantities
                self.book.apply_update(update)
                self._next = update.last_version + 1
                if self._callback is not None:
                    self._callback(self.book)
                return
            self._m_gaps.inc()
            logger.info(
                "%s: book gap (expected version %d, got %d..%d); resyncing",
                self.symbol,
                self._next,
                update.first_version,
                update.last_version,
            )
            self._buffer.clear()
            self._resync("gap")
        if len(self._buffer) == self._buffer.maxlen:
            self._m_overflow.inc()
        self._buffer.append(update)
        self._ensure_fetch()

    def _resync(self, reason: str, *, count: bool = False) -> None:
        """Go SYNCING; a LIVE book losing sync (or ``count``) increments ``resync_count``."""
        was_live = self._live
        if was_live or count:
            self.book.resync_count += 1
            self._m_resyncs.inc()
        self._live = False
        self._live_event.clear()
        self.book.state = BookState.SYNCING
        logger.debug("%s: resync (%s)", self.symbol, reason)
        if was_live and self._on_state is not None:
            self._on_state(BookState.SYNCING)

    def _ensure_fetch(self) -> None:
        if self._closed or (self._fetch_task is not None and not self._fetch_task.done()):
            return
        self._fetch_task = asyncio.get_running_loop().create_task(
            self._fetch_loop(), name=f"book-sync-{self.symbol}"
        )

    async def _fetch_loop(self) -> None:
        attempt = 0
        while not self._closed and not self._live:
            if attempt:
                await asyncio.sleep(self._retry.delay(attempt - 1))
            attempt += 1
            try:
                snapshot = await self._fetch_snapshot()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._m_fetch_errors.inc()
                logger.warning("%s: order book snapshot failed (attempt %d): %r", self.symbol, attempt, exc)
                continue
            if self._closed or self._live:
                return
            if snapshot.version is None:
                self._m_fetch_errors.inc()
                logger.warning("%s: order book snapshot without a version; retrying", self.symbol)
                continue
            self._m_snapshots.inc()
            self._align(snapshot, snapshot.version)  # not LIVE afterwards: the loop fetches again

    def _align(self, snapshot: OrderBook, version: int) -> None:
        """Try to start the book from ``snapshot`` and the buffer (steps 2-4); runs in the fetch loop."""
        buffer = self._buffer
        while buffer and buffer[0].last_version <= version:
            buffer.popleft()
            self._m_stale.inc()
        if buffer and buffer[0].first_version > version + 1:
            logger.info(
                "%s: snapshot %d older than the stream (%d); fetching again",
                self.symbol,
                version,
                buffer[0].first_version,
            )
            return
        book = self.book
        book.apply_snapshot(snapshot.bids, snapshot.asks, version, snapshot.timestamp)
        expected = version + 1
        while buffer:
            update = buffer.popleft()
            if update.last_version < expected:
                self._m_stale.inc()
                continue
            if update.first_version > expected:
                # a gap inside the buffer: keep what follows it and start over
                buffer.appendleft(update)
                self._m_gaps.inc()
                self._resync("gap in buffered updates", count=True)
                return
            book.apply_update(update)
            expected = update.last_version + 1
        self._next = expected
        self._live = True
        book.state = _LIVE
        self._live_event.set()
        if self._on_state is not None:
            self._on_state(_LIVE)
        if self._callback is not None:
            self._callback(book)
