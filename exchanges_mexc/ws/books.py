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
* after a reconnect the snapshot waits for the re-sent subscription to be live (API.md §9.5:
  subscribe, buffer, then fetch): a snapshot taken before MEXC starts the channel would miss the
  pushes in between and make the book LIVE at an old version. The book stays SYNCING until MEXC
  acknowledges the channel (:meth:`LocalBooks.confirmed`) or its first push arrives (which proves
  it flowing), whichever is first; if neither comes within the ack timeout, the snapshot is fetched
  anyway (logged at WARNING, counted in ``mexc.ws.books.unconfirmed_resyncs``): the next push is
  still checked against it, so at worst the book resyncs once more;
* every state change is published as a :class:`~exchanges.models.BookStateChange` to the
  ``book_states`` stream (handler ``book_state_handler``);
* metrics: ``mexc.ws.books.live`` / ``syncing`` / ``stale`` gauges, ``mexc.ws.book.<symbol>.state``
  (1 LIVE, 0 SYNCING, -1 STALE), ``mexc.ws.book.<symbol>.invalidations``, ``mexc.ws.book_states``
  counters; the synchronizer adds ``book.<symbol>.resyncs`` / ``gaps`` / ``snapshots``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
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
        # books whose depth channel was lost and is not confirmed live again -> ack-timeout fallback
        self._unconfirmed: dict[Symbol, asyncio.TimerHandle | None] = {}
        # books whose depth channel MEXC refused: STALE until their retry is acknowledged
        self._refused: set[Symbol] = set()
        self._m_unconfirmed = metrics.counter("mexc.ws.books.unconfirmed_resyncs")
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
        self._forget_unconfirmed(symbol)
        self._refused.discard(symbol)
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

    def invalidate(self, symbols: Iterable[Symbol], *, confirm_within: float | None = None) -> None:
        """Distrust these books (their connection reconnected) and resync them from a new snapshot.

        With ``confirm_within`` (seconds), a book whose depth channel is not confirmed since the
        connection was lost (:meth:`expect_resubscription`, :meth:`confirmed`) fetches its snapshot
        only once the channel is confirmed, its first push arrives, or ``confirm_within`` has passed.
        Without it (a replay: its snapshots come from the recording) every book fetches now.

        A reconnect (``confirm_within`` given) leaves a book whose channel MEXC refused STALE: the
        refusal may be delivered before the reconnect's resync while the refused channel is still on
        the connection, and that book has no stream until its retry is acknowledged.
        """
        for symbol in symbols:
            sync = self.books.get(symbol)
            if sync is None:
                continue
            if confirm_within is not None and symbol in self._refused:
                continue
            self._refused.discard(symbol)
            self._metrics.counter(f"mexc.ws.book.{symbol}.invalidations").inc()
            if confirm_within is None or symbol not in self._unconfirmed:
                self._forget_unconfirmed(symbol)
                sync.invalidate("reconnected")
                continue
            sync.invalidate("reconnected", fetch=False)  # same reason as a replay
            self._cancel_timer(symbol)
            loop = asyncio.get_running_loop()
            self._unconfirmed[symbol] = loop.call_later(
                confirm_within, self._not_confirmed, symbol, confirm_within
            )

    def expect_resubscription(self, symbols: Iterable[Symbol]) -> None:
        """These books' connection is lost: their depth channel will be re-sent on the next socket
        and is not live until MEXC confirms it there (see :meth:`invalidate`)."""
        for symbol in symbols:
            if symbol in self.books:
                self._cancel_timer(symbol)
                self._unconfirmed[symbol] = None

    def confirmed(self, symbol: Symbol) -> None:
        """MEXC acknowledged ``symbol``'s depth channel: a book waiting for it fetches its snapshot now.

        An acknowledgement for a book that is not waiting (e.g. MEXC's answer to an UNSUBSCRIPTION,
        which looks the same) changes nothing.
        """
        if symbol not in self._unconfirmed:
            return
        self._forget_unconfirmed(symbol)
        sync = self.books.get(symbol)
        if sync is not None and sync.state is BookState.SYNCING:
            sync.subscribed()

    def awaiting_confirmation(self, symbol: Symbol) -> bool:
        """True while ``symbol``'s depth channel was lost and is not confirmed live again."""
        return symbol in self._unconfirmed

    def refused(self, symbol: Symbol, reason: str) -> None:
        """MEXC refused ``symbol``'s depth channel: the book has no stream and goes STALE now (it
        resyncs through :meth:`invalidate` once the channel is subscribed again)."""
        self._forget_unconfirmed(symbol)
        sync = self.books.get(symbol)
        if sync is not None:
            self._refused.add(symbol)
            sync.mark_stale(reason)

    def resubscribed(self, symbol: Symbol, *, confirm_within: float) -> None:
        """The retry of ``symbol``'s refused depth channel was answered (or its ack timeout passed):
        the book is no longer refused and resyncs as after a reconnect (:meth:`invalidate` with
        ``confirm_within``): now if MEXC acknowledged the retry since :meth:`expect_resubscription`,
        else once it does, the channel pushes, or ``confirm_within`` has passed (logged, counted)."""
        self._refused.discard(symbol)
        self.invalidate([symbol], confirm_within=confirm_within)

    def _not_confirmed(self, symbol: Symbol, waited: float) -> None:
        """The ack-timeout fallback: neither an ack nor a push within ``waited`` seconds."""
        self._unconfirmed.pop(symbol, None)
        sync = self.books.get(symbol)
        if sync is None or sync.state is not BookState.SYNCING or sync.fetching:
            return  # a push already started the fetch, or the book was lost again
        self._m_unconfirmed.inc()
        logger.warning(
            "%s: depth subscription not confirmed within %.1fs of the reconnect (no ack, no push); "
            "fetching the snapshot anyway",
            symbol,
            waited,
        )
        sync.subscribed()

    def _cancel_timer(self, symbol: Symbol) -> None:
        timer = self._unconfirmed.get(symbol)
        if timer is not None:
            timer.cancel()
            self._unconfirmed[symbol] = None

    def _forget_unconfirmed(self, symbol: Symbol) -> None:
        timer = self._unconfirmed.pop(symbol, None)
        if timer is not None:
            timer.cancel()

    def subscribed(self, symbols: Iterable[Symbol]) -> None:
        """These books' depth channels are confirmed subscribed: each SYNCING one fetches its
        snapshot now (a quiet symbol would otherwise wait for its first push).

        A book whose channel was lost and re-sent is left waiting for *that* confirmation
        (:meth:`confirmed`): a ``subscribe`` call for a channel already subscribed returns at once
        without MEXC having started it again on the new socket."""
        for symbol in symbols:
            sync = self.books.get(symbol)
            if sync is not None and symbol not in self._unconfirmed:
                sync.subscribed()

    def mark_stale(self, symbols: Iterable[Symbol], reason: str) -> None:
        """These books' connection is lost or silent: they leave LIVE now (see BookSynchronizer)."""
        for symbol in symbols:
            sync = self.books.get(symbol)
            if sync is not None:
                self._cancel_timer(symbol)  # a fallback armed for the previous socket is moot
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

    async def wait_all_live(self, symbols: Iterable[Symbol], timeout: float) -> None:  # noqa: ASYNC109
        """Wait until every one of ``symbols``' local books is LIVE at the same moment.

        Raises ``TimeoutError`` after ``timeout`` seconds naming the books not LIVE and their
        states, ``KeyError`` for a symbol without a local book, ``ValueError`` for a timeout that is
        not a finite number above 0.
        """
        if not isinstance(timeout, int | float) or not math.isfinite(timeout) or timeout <= 0:
            raise ValueError(f"timeout must be a finite number of seconds above 0, got {timeout!r}")
        syncs = [self.books[symbol] for symbol in symbols]
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
