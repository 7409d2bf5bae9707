"""BookSynchronizer: keep a LocalOrderBook in step with a snapshot source and an update stream.

The generic recipe (MEXC API.md §9.5; Binance and others use the same one):

1. While SYNCING, buffer every update and fetch a snapshot (one fetch in flight at a time,
   retried with exponential backoff when it fails). The snapshot must be taken after the stream is
   live: after a reconnect the owner calls ``invalidate(fetch=False)`` and the fetch starts on
   ``subscribed()`` (the subscription was acknowledged) or on the first update, whichever is first.
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

6. ``mark_stale()`` (the owner's connection was lost or went silent): the book leaves LIVE at
   once and goes STALE; fetching stops and updates are ignored until ``invalidate()`` (the stream
   is back) starts step 1 again. ``close()`` leaves the book STALE for good.

One owner per state: this synchroniser owns the book's state (SYNCING / LIVE / STALE), the
version expected next and the counters; :class:`~exchanges.orderbook.LocalOrderBook` is only the
data structure (levels plus the version and time of the data it holds).

``on_update`` is the hot path: while LIVE it is one comparison plus ``apply_update``. The
``on_update`` callback runs after every update applied while LIVE, and once after the buffered
updates were applied when the book becomes LIVE. The optional ``on_state`` callback gets a
:class:`~exchanges.models.BookStateChange` each time the state changes (SYNCING -> LIVE,
LIVE -> SYNCING on a gap, -> STALE, STALE -> SYNCING); it is never called on the LIVE hot path.
``resync_count`` counts the times a book that had been LIVE (or STALE) went back to SYNCING.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, BookStateChange, BookUpdate, OrderBook, Symbol
from exchanges.orderbook import LocalOrderBook
from exchanges.strategies import ReconnectionPolicy
from exchanges.tasks import cancel_and_wait

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
        on_state: Callable[[BookStateChange], None] | None = None,
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
        self.state = BookState.SYNCING
        self.resync_count = 0
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

    def on_update(self, update: BookUpdate) -> None:
        """Feed one stream update (sync; call it from the event loop)."""
        if self._live and update.first_version == self._next:
            self.book.apply_update(update)
            self._next = update.last_version + 1
            if self._callback is not None:
                self._callback(self.book)
            return
        self._slow_path(update)

    def invalidate(self, reason: str = "invalidated", *, fetch: bool = True) -> None:
        """Distrust the book (e.g. the stream reconnected): go SYNCING and fetch a new snapshot.

        ``fetch=False``: the update stream is not confirmed yet (its subscription was re-sent but not
        acknowledged), so a snapshot taken now could predate it and miss the updates in between. The
        fetch waits for :meth:`subscribed` (the acknowledgement) or for the first update, which proves
        the stream is flowing; whichever comes first.
        """
        if self._closed:
            return
        self._buffer.clear()
        # A fetch in flight may predate the stream's return: alone (empty buffer) its snapshot
        # would make the book LIVE on old data. Abandon it; the new fetch starts after now.
        task, self._fetch_task = self._fetch_task, None
        if task is not None and not task.done():
            task.cancel()
        self._resync(reason, count=self.state is BookState.STALE)
        if fetch:
            self._ensure_fetch()

    def subscribed(self) -> None:
        """The update stream is subscribed (confirmed): fetch the first snapshot now instead of
        waiting for an update, so a quiet symbol goes LIVE (step 4) rather than staying SYNCING
        until something trades. Nothing happens unless the book is SYNCING without a fetch."""
        self._ensure_fetch()

    @property
    def fetching(self) -> bool:
        """True while a snapshot fetch is in flight (or waiting to retry)."""
        return self._fetch_task is not None and not self._fetch_task.done()

    def mark_stale(self, reason: str = "connection lost") -> None:
        """The stream feeding this book is gone: leave LIVE now, stop fetching, ignore updates until
        :meth:`invalidate` (call it once the stream is back)."""
        if self._closed or self.state is BookState.STALE:
            return
        self._live = False
        self._live_event.clear()
        self._buffer.clear()
        task, self._fetch_task = self._fetch_task, None
        if task is not None and not task.done():
            task.cancel()
        self._set_state(BookState.STALE, reason)

    async def wait_live(self) -> None:
        """Wait until the book is LIVE (wrap in ``asyncio.timeout`` to bound the wait)."""
        await self._live_event.wait()

    async def close(self) -> None:
        """Stop fetching; the book is left as it is, marked STALE."""
        if not self._closed:
            self._live = False
            self._live_event.clear()
            self._set_state(BookState.STALE, "stopped")
        self._closed = True
        task, self._fetch_task = self._fetch_task, None
        await cancel_and_wait(task)  # the caller's own cancellation is re-raised, never swallowed

    # ------------------------------------------------------------------ internals

    def _slow_path(self, update: BookUpdate) -> None:
        if self._closed or self.state is BookState.STALE:
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
        if self._live or count:
            self.resync_count += 1
            self._m_resyncs.inc()
        self._live = False
        self._live_event.clear()
        logger.debug("%s: resync (%s)", self.symbol, reason)
        self._set_state(BookState.SYNCING, reason)

    def _set_state(self, state: BookState, reason: str) -> None:
        previous = self.state
        if state is previous:
            return
        self.state = state
        if self._on_state is not None:
            change = BookStateChange(self.symbol, state, previous, reason, int(time.time() * 1000))
            try:
                self._on_state(change)
            except Exception:
                logger.exception("%s: on_state callback failed", self.symbol)

    def _ensure_fetch(self) -> None:
        if (
            self._closed
            or self.state is BookState.STALE
            or (self._fetch_task is not None and not self._fetch_task.done())
        ):
            return
        self._fetch_task = asyncio.get_running_loop().create_task(
            self._fetch_loop(), name=f"book-sync-{self.symbol}"
        )

    def _wants_snapshot(self) -> bool:
        return not self._closed and not self._live and self.state is BookState.SYNCING

    async def _fetch_loop(self) -> None:
        attempt = 0
        while self._wants_snapshot():
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
            if not self._wants_snapshot():  # closed, stale or LIVE while the fetch was running
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
                logger.info(
                    "%s: gap inside the buffered updates (expected %d, got %d); fetching again",
                    self.symbol,
                    expected,
                    update.first_version,
                )
                return
            book.apply_update(update)
            expected = update.last_version + 1
        self._next = expected
        self._live = True
        self._live_event.set()
        self._set_state(_LIVE, "snapshot aligned")
        if self._callback is not None:
            self._callback(book)
