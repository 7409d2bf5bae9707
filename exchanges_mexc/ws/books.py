"""Local order books fed by ``spot@public.aggre.depth`` and REST depth snapshots (API.md §9.5).

One :class:`exchanges.book_sync.BookSynchronizer` per symbol does the generic buffer / snapshot /
continuity work; this module adds what is MEXC- and transport-specific:

* snapshots come from ``MexcPublicSpotRest.get_orderbook(symbol, limit=1000)`` (``lastUpdateId``
  is the version);
* overlapping and duplicate updates (a rotation's two sockets deliver the same versions, possibly
  aggregated into different 100 ms windows) need nothing here: the synchronizer applies overlaps
  (MEXC quantities are absolute) and drops updates at or below the book's version.
* after a reconnect of the connection that carries a symbol's depth channel, the book is
  invalidated and resynced (frames were lost while disconnected);
* metrics: ``mexc.ws.books.live`` / ``mexc.ws.books.syncing`` gauges, ``mexc.ws.book.<symbol>.state``
  (1 LIVE, 0 SYNCING, -1 STALE), ``mexc.ws.book.<symbol>.invalidations``; the
  synchronizer adds ``book.<symbol>.resyncs`` / ``gaps`` / ``snapshots``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from exchanges.book_sync import BookSynchronizer
from exchanges.metrics import Gauge, MetricsRegistry
from exchanges.models import BookState, BookUpdate, OrderBook, Symbol
from exchanges.orderbook import LocalOrderBook
from exchanges_mexc.ws.streams import EventStream

logger = logging.getLogger("exchanges.mexc.ws.books")

SNAPSHOT_LIMIT = 1000
"""REST depth levels fetched per snapshot (MEXC's recommended book-building depth)."""

_STATE_VALUE = {BookState.LIVE: 1.0, BookState.SYNCING: 0.0, BookState.STALE: -1.0}


class _Tracked:
    """What the manager keeps per book: the synchronizer and the state its gauges last showed."""

    __slots__ = ("gauge", "state", "sync")

    def __init__(self, sync: BookSynchronizer, gauge: Gauge) -> None:
        self.sync = sync
        self.state = sync.state
        self.gauge = gauge


class LocalBooks:
    """The local books of one public WebSocket client, keyed by symbol.

    Hot path per applied update: one dict lookup by symbol (``on_depth``), the synchronizer's
    continuity check and ``apply_update``, then the top-``publish_depth`` snapshot (cached per side by
    :class:`~exchanges.orderbook.LocalOrderBook`) to the ``orderbooks`` stream if anyone listens.
    """

    def __init__(
        self,
        fetch_snapshot: Callable[[Symbol], Awaitable[OrderBook]],
        *,
        metrics: MetricsRegistry,
        stream: EventStream[OrderBook],
        publish_depth: int | None = 20,
        max_buffer: int = 10000,
    ) -> None:
        self._fetch = fetch_snapshot
        self._metrics = metrics
        self._stream = stream
        self._publish_depth = publish_depth
        self._max_buffer = max_buffer
        self.books: dict[Symbol, BookSynchronizer] = {}
        self._tracked: dict[Symbol, _Tracked] = {}
        self._live = metrics.gauge("mexc.ws.books.live")
        self._syncing = metrics.gauge("mexc.ws.books.syncing")
        self._unknown = metrics.counter("mexc.ws.books.unrouted")

    def __contains__(self, symbol: Symbol) -> bool:
        return symbol in self.books

    def add(self, symbol: Symbol) -> BookSynchronizer:
        """Create the book for ``symbol`` (idempotent); it syncs on the first depth push."""
        sync = self.books.get(symbol)
        if sync is not None:
            return sync
        fetch = self._fetch

        async def fetch_snapshot() -> OrderBook:
            return await fetch(symbol)

        def on_book(book: LocalOrderBook) -> None:
            self._on_book(tracked, book)

        sync = BookSynchronizer(
            symbol,
            fetch_snapshot,
            metrics=self._metrics,
            on_update=on_book,
            max_buffer=self._max_buffer,
        )
        tracked = _Tracked(sync, self._metrics.gauge(f"mexc.ws.book.{symbol}.state"))
        self.books[symbol] = sync
        self._tracked[symbol] = tracked
        tracked.gauge.set(_STATE_VALUE[sync.state])
        self._count_states()
        return sync

    async def remove(self, symbol: Symbol) -> None:
        sync = self.books.pop(symbol, None)
        if sync is None:
            return
        await sync.close()
        tracked = self._tracked.pop(symbol, None)
        if tracked is not None:
            tracked.gauge.set(_STATE_VALUE[BookState.STALE])
        self._count_states()

    def on_depth(self, update: BookUpdate) -> None:
        """Route one parsed aggre.depth push to its book (hot path)."""
        tracked = self._tracked.get(update.symbol)
        if tracked is None:
            self._unknown.inc()  # e.g. a push that raced an unsubscribe
            return
        sync = tracked.sync
        sync.on_update(update)
        if sync.book.state is not tracked.state:
            self._refresh_gauges(tracked)

    def invalidate(self, symbols: Iterable[Symbol]) -> None:
        """Distrust these books (their connection reconnected) and resync them from a new snapshot."""
        for symbol in symbols:
            tracked = self._tracked.get(symbol)
            if tracked is None:
                continue
            self._metrics.counter(f"mexc.ws.book.{symbol}.invalidations").inc()
            tracked.sync.invalidate()
            self._refresh_gauges(tracked)

    def _on_book(self, tracked: _Tracked, book: LocalOrderBook) -> None:
        if book.state is not tracked.state:
            self._refresh_gauges(tracked)
        stream = self._stream
        if stream.has_consumers:
            stream.publish(book.snapshot(self._publish_depth))

    def _refresh_gauges(self, tracked: _Tracked) -> None:
        state = tracked.sync.book.state
        previous = tracked.state
        tracked.state = state
        tracked.gauge.set(_STATE_VALUE[state])
        if previous is not state:
            logger.debug("%s: book %s", tracked.sync.symbol, state.value)
        self._count_states()

    def _count_states(self) -> None:
        states = [tracked.state for tracked in self._tracked.values()]
        self._live.set(sum(1 for state in states if state is BookState.LIVE))
        self._syncing.set(sum(1 for state in states if state is BookState.SYNCING))

    def stats(self) -> dict[str, dict[str, object]]:
        """Per-symbol state, version and resync count (for health checks and metrics)."""
        return {
            str(symbol): {
                "state": sync.state.value,
                "version": sync.book.version,
                "resyncs": sync.resync_count,
                "bids": sync.book.bid_depth,
                "asks": sync.book.ask_depth,
            }
            for symbol, sync in self.books.items()
        }

    async def close(self) -> None:
        for symbol in list(self.books):
            await self.remove(symbol)
