"""Local order books fed by ``spot@public.aggre.depth`` and REST depth snapshots (API.md §9.5).

One :class:`exchanges.book_sync.BookSynchronizer` per symbol does the generic buffer / snapshot /
continuity work; this module adds what is MEXC- and transport-specific:

* snapshots come from ``MexcPublicSpotRest.get_orderbook(symbol, limit=1000)`` (``lastUpdateId``
  is the version);
* overlapping and duplicate updates (a rotation's two sockets deliver the same versions, possibly
  aggregated into different 100 ms windows) need nothing here: the synchronizer applies overlaps
  (MEXC quantities are absolute) and drops updates at or below the book's version.
* the moment the connection that carries a symbol's depth channel is lost or declared silent, the
  book goes STALE (:meth:`LocalBooks.mark_stale`); after the reconnect it is invalidated and
  resynced (frames were lost while disconnected);
* every state change is published as a :class:`~exchanges.models.BookStateChange` to the
  ``book_states`` stream (handler ``book_state_handler``);
* metrics: ``mexc.ws.books.live`` / ``syncing`` / ``stale`` gauges, ``mexc.ws.book.<symbol>.state``
  (1 LIVE, 0 SYNCING, -1 STALE), ``mexc.ws.book.<symbol>.invalidations``, ``mexc.ws.book_states``
  counters; the synchronizer adds ``book.<symbol>.resyncs`` / ``gaps`` / ``snapshots``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable

from exchanges.book_sync import BookSynchronizer
from exchanges.metrics import Gauge, MetricsRegistry
from exchanges.models import BookState, BookStateChange, BookUpdate, OrderBook, Symbol
from exchanges.orderbook import LocalOrderBook
from exchanges.streams import EventStream

logger = logging.getLogger("exchanges.mexc.ws.books")

SNAPSHOT_LIMIT = 1000
"""REST depth levels fetched per snapshot (MEXC's recommended book-building depth)."""

_STATE_VALUE = {BookState.LIVE: 1.0, BookState.SYNCING: 0.0, BookState.STALE: -1.0}


class LocalBooks:
    """The local books of one public WebSocket client, keyed by symbol.

    Hot path per applied update: one dict lookup by symbol (``on_depth``), the synchronizer's
    continuity check and ``apply_update``, then the top-``publish_depth`` snapshot (cached per side by
    :class:`~exchanges.orderbook.LocalOrderBook`) to the ``orderbooks`` stream if anyone listens.
    Gauges are updated only when a book's state changes (the synchronizer's ``on_state``).
    """

    def __init__(
        self,
        fetch_snapshot: Callable[[Symbol], Awaitable[OrderBook]],
        *,
        metrics: MetricsRegistry,
        stream: EventStream[OrderBook],
        state_stream: EventStream[BookStateChange],
        publish_depth: int | None = 20,
        max_buffer: int = 10000,
        updates: EventStream[BookUpdate] | None = None,
    ) -> None:
        self._fetch = fetch_snapshot
        self._updates = updates
        self._metrics = metrics
        self._stream = stream
        self._state_stream = state_stream
        self._publish_depth = publish_depth
        self._max_buffer = max_buffer
        self.books: dict[Symbol, BookSynchronizer] = {}
        self._live = metrics.gauge("mexc.ws.books.live")
        self._syncing = metrics.gauge("mexc.ws.books.syncing")
        self._stale = metrics.gauge("mexc.ws.books.stale")
        self._unknown = metrics.counter("mexc.ws.books.unrouted")

    def __contains__(self, symbol: Symbol) -> bool:
        return symbol in self.books

    def add(self, symbol: Symbol) -> BookSynchronizer:
        """Create the book for ``symbol`` (idempotent); it syncs on the first depth push or on
        :meth:`subscribed`, whichever comes first."""
        sync = self.books.get(symbol)
        if sync is not None:
            return sync
        gauge = self._metrics.gauge(f"mexc.ws.book.{symbol}.state")
        sync = BookSynchronizer(
            symbol,
            functools.partial(self._fetch, symbol),
            metrics=self._metrics,
            on_update=self._publish,
            on_state=functools.partial(self._on_state, symbol, gauge),
            max_buffer=self._max_buffer,
        )
        self.books[symbol] = sync
        gauge.set(_STATE_VALUE[sync.state])
        self._count_states()
        return sync

    async def remove(self, symbol: Symbol) -> None:
        sync = self.books.pop(symbol, None)
        if sync is not None:
            await sync.close()  # on_state(STALE): gauge -1, no longer counted

    def on_depth(self, update: BookUpdate) -> None:
        """Route one parsed aggre.depth push to its book (hot path)."""
        sync = self.books.get(update.symbol)
        if sync is None:
            self._unknown.inc()  # e.g. a push that raced an unsubscribe
            return
        updates = self._updates
        if updates is not None and updates.has_consumers:
            updates.publish(update)  # the raw versioned delta (a market-data gateway republishes it)
        sync.on_update(update)

    def invalidate(self, symbols: Iterable[Symbol]) -> None:
        """Distrust these books (their connection reconnected) and resync them from a new snapshot."""
        for symbol in symbols:
            sync = self.books.get(symbol)
            if sync is None:
                continue
            self._metrics.counter(f"mexc.ws.book.{symbol}.invalidations").inc()
            sync.invalidate("reconnected")

    def subscribed(self, symbols: Iterable[Symbol]) -> None:
        """These books' depth channels are confirmed subscribed: each SYNCING one fetches its
        snapshot now (a quiet symbol would otherwise wait for its first push)."""
        for symbol in symbols:
            sync = self.books.get(symbol)
            if sync is not None:
                sync.subscribed()

    def mark_stale(self, symbols: Iterable[Symbol], reason: str) -> None:
        """These books' connection is lost or silent: they leave LIVE now (see BookSynchronizer)."""
        for symbol in symbols:
            sync = self.books.get(symbol)
            if sync is not None:
                sync.mark_stale(reason)

    def _publish(self, book: LocalOrderBook) -> None:
        stream = self._stream
        if stream.has_consumers:
            stream.publish(book.snapshot(self._publish_depth))

    def _on_state(self, symbol: Symbol, gauge: Gauge, change: BookStateChange) -> None:
        gauge.set(_STATE_VALUE[change.state])
        logger.debug("%s: book %s (%s)", symbol, change.state.value, change.reason)
        self._count_states()
        self._state_stream.publish(change)

    def _count_states(self) -> None:
        states = [sync.state for sync in self.books.values()]
        self._live.set(sum(1 for state in states if state is BookState.LIVE))
        self._syncing.set(sum(1 for state in states if state is BookState.SYNCING))
        self._stale.set(sum(1 for state in states if state is BookState.STALE))

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

    def symbols_in_state(self, state: BookState) -> list[Symbol]:
        return [symbol for symbol, sync in self.books.items() if sync.state is state]
