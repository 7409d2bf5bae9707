"""BookSynchronizer: hypothesis-driven streams with gaps, duplicates, stale updates and failed fetches.

A fake exchange keeps the true book (a plain dict per side) at every version. Events (each one
version) accumulate on the "server" and are pushed as one update covering their version range,
so REST snapshots can fall in the middle of a push, as on MEXC. Each push is delivered, dropped
(a gap), delivered twice, or merged with the previous push (an overlapping range). Properties:

* whenever the book is LIVE it equals the true book at its version (never a wrong LIVE book);
* an update that skips versions while LIVE always sends the book to SYNCING and counts a resync;
* once the stream is clean again the book becomes LIVE and equals the true book.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.book_sync import BookSynchronizer
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, BookStateChange, BookUpdate, OrderBook, OrderBookEntry, Symbol
from exchanges.strategies import ReconnectionPolicy

SYMBOL = Symbol("ETH", "USDT")
NO_WAIT = ReconnectionPolicy(initial_delay=0.0, max_delay=0.0, jitter=0.0)

Levels = list[tuple[float, float]]
sizes = st.sampled_from([0.0, 1.0, 2.0, 3.5])
bid_levels = st.lists(st.tuples(st.integers(1, 8).map(float), sizes), max_size=4)
ask_levels = st.lists(st.tuples(st.integers(11, 18).map(float), sizes), max_size=4)

fates = st.sampled_from(["deliver"] * 6 + ["drop", "twice", "merge"])
tick = st.tuples(
    st.just("tick"), st.lists(st.tuples(bid_levels, ask_levels), min_size=1, max_size=3), fates, st.booleans()
)
others = [
    st.tuples(st.just("event"), bid_levels, ask_levels),
    st.tuples(st.just("push"), fates),
    st.tuples(st.just("yield")),
    st.tuples(st.just("redeliver"), st.integers(0, 50)),
    st.tuples(st.just("fail_fetch")),
    st.tuples(st.just("invalidate")),
    st.tuples(st.just("stale")),
    st.tuples(st.just("old_snapshot"), st.integers(1, 6)),
]
# Mostly ticks (events pushed as one update); the rest are rarer disturbances.
step = st.integers(0, 15).flatmap(lambda k: tick if k < 8 else others[k - 8])


class FakeExchange:
    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self.version = 100
        self.history: dict[int, tuple[dict[float, float], dict[float, float]]] = {100: ({}, {})}
        self.pending_from = 101
        self.pending_bids: dict[float, float] = {}
        self.pending_asks: dict[float, float] = {}
        self.pushed: list[BookUpdate] = []
        self.fail_next = 0
        self.lag_next = 0
        """The next snapshot is this many versions old (a REST answer older than the stream)."""
        self.fetches = 0

    def event(self, bids: Levels, asks: Levels) -> None:
        self.version += 1
        for side, pending, changes in (
            (self.bids, self.pending_bids, bids),
            (self.asks, self.pending_asks, asks),
        ):
            for price, size in changes:
                pending[price] = size
                if size > 0:
                    side[price] = size
                else:
                    side.pop(price, None)
        self.history[self.version] = (dict(self.bids), dict(self.asks))

    def push(self) -> BookUpdate | None:
        if self.version < self.pending_from:
            return None
        update = BookUpdate(
            SYMBOL,
            list(self.pending_bids.items()),
            list(self.pending_asks.items()),
            self.pending_from,
            self.version,
            self.version,
        )
        self.pending_from = self.version + 1
        self.pending_bids, self.pending_asks = {}, {}
        self.pushed.append(update)
        return update

    async def fetch(self) -> OrderBook:
        self.fetches += 1
        await asyncio.sleep(0)
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("snapshot endpoint down")
        version = max(100, self.version - self.lag_next)
        self.lag_next = 0
        levels_bids, levels_asks = self.history[version]
        bids = tuple(OrderBookEntry(p, s) for p, s in sorted(levels_bids.items(), reverse=True))
        asks = tuple(OrderBookEntry(p, s) for p, s in sorted(levels_asks.items()))
        return OrderBook(SYMBOL, bids, asks, version, version)


def state_of(sync: BookSynchronizer) -> BookState:
    """Read the state through a call so mypy does not narrow it across on_update calls."""
    return sync.state


def merged(first: BookUpdate, second: BookUpdate) -> BookUpdate:
    bids = dict(first.bids) | dict(second.bids)
    asks = dict(first.asks) | dict(second.asks)
    return BookUpdate(
        SYMBOL,
        list(bids.items()),
        list(asks.items()),
        first.first_version,
        second.last_version,
        second.timestamp,
    )


def assert_matches(sync: BookSynchronizer, exchange: FakeExchange) -> None:
    book = sync.book
    assert book.version is not None
    bids, asks = exchange.history[book.version]
    snap = book.snapshot()
    assert dict(snap.bids) == bids
    assert dict(snap.asks) == asks
    assert [e.price for e in snap.bids] == sorted(bids, reverse=True)


def deliver(sync: BookSynchronizer, update: BookUpdate, exchange: FakeExchange) -> None:
    was_live = state_of(sync) is BookState.LIVE
    version = sync.book.version
    resyncs = sync.resync_count
    sync.on_update(update)
    if was_live and version is not None and update.first_version > version + 1:
        assert sync.state is BookState.SYNCING  # a gap never leaves a LIVE book
        assert sync.resync_count == resyncs + 1
    if state_of(sync) is BookState.LIVE:
        assert_matches(sync, exchange)


async def scenario(steps: list[tuple[Any, ...]]) -> None:
    exchange = FakeExchange()
    metrics = MetricsRegistry()
    callbacks = 0

    reported = [BookState.SYNCING]  # the initial state, then every on_state call

    def on_book(book: object) -> None:
        nonlocal callbacks
        callbacks += 1

    def on_state(change: BookStateChange) -> None:
        state = change.state
        assert change.previous is reported[-1]
        assert state is sync.state  # called once the state is set
        assert state is not reported[-1]  # only on a change
        reported.append(state)

    sync = BookSynchronizer(
        SYMBOL, exchange.fetch, metrics=metrics, on_update=on_book, on_state=on_state, retry=NO_WAIT
    )
    assert sync.state is BookState.SYNCING
    previous: BookUpdate | None = None
    for action, *args in steps:
        if action == "event":
            exchange.event(args[0], args[1])
        elif action in ("push", "tick"):
            if action == "tick":
                for bids, asks in args[0]:
                    exchange.event(bids, asks)
                args = args[1:]
            update = exchange.push()
            if update is None:
                continue
            fate = args[0]
            if fate == "deliver":
                deliver(sync, update, exchange)
            elif fate == "twice":
                deliver(sync, update, exchange)
                deliver(sync, update, exchange)
            elif fate == "merge" and previous is not None:
                deliver(sync, merged(previous, update), exchange)
            previous = update
            if action == "tick" and args[1]:
                for _ in range(4):
                    await asyncio.sleep(0)
        elif action == "redeliver" and exchange.pushed:
            deliver(sync, exchange.pushed[args[0] % len(exchange.pushed)], exchange)
        elif action == "yield":
            for _ in range(4):
                await asyncio.sleep(0)
        elif action == "fail_fetch":
            exchange.fail_next += 1
        elif action == "invalidate":
            sync.invalidate()
            assert sync.state is BookState.SYNCING
        elif action == "stale":
            sync.mark_stale()
            assert sync.state is BookState.STALE  # leaves LIVE at once, whatever it was
            for _ in range(4):
                await asyncio.sleep(0)
            assert sync.state is BookState.STALE  # and stays there until invalidated
        elif action == "old_snapshot":
            exchange.lag_next = args[0]
        if state_of(sync) is BookState.LIVE:
            assert_matches(sync, exchange)
        assert reported[-1] is state_of(sync)  # every change was reported

    # A clean stream from here on: the book must come back LIVE and right.
    exchange.fail_next = 0
    exchange.lag_next = 0
    if sync.state is BookState.STALE:
        sync.invalidate()  # the stream is back
    async with asyncio.timeout(5):
        for price in range(30):
            exchange.event([(float(price % 8 + 1), float(price % 3))], [])
            update = exchange.push()
            assert update is not None
            deliver(sync, update, exchange)
            for _ in range(6):
                await asyncio.sleep(0)
            if state_of(sync) is BookState.LIVE and sync.book.version == exchange.version:
                break
    assert state_of(sync) is BookState.LIVE
    assert sync.book.version == exchange.version
    assert_matches(sync, exchange)
    assert callbacks > 0
    assert metrics.value(f"book.{SYMBOL}.resyncs") == sync.resync_count
    # each LIVE -> SYNCING and STALE -> SYNCING is reported and counted
    assert reported.count(BookState.SYNCING) == sync.resync_count + 1
    await sync.close()
    assert state_of(sync) is BookState.STALE
    assert reported[-1] is BookState.STALE


@given(st.lists(step, min_size=15, max_size=80))
def test_synchronizer_never_serves_a_wrong_live_book(steps: list[tuple[Any, ...]]) -> None:
    asyncio.run(scenario(steps))


async def test_gap_resyncs_and_one_fetch_in_flight() -> None:
    exchange = FakeExchange()
    metrics = MetricsRegistry()
    sync = BookSynchronizer(SYMBOL, exchange.fetch, metrics=metrics, retry=NO_WAIT)
    exchange.event([(1.0, 1.0)], [(11.0, 1.0)])
    first = exchange.push()
    assert first is not None
    sync.on_update(first)  # buffered, fetch scheduled
    sync.on_update(first)
    sync.on_update(first)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert exchange.fetches == 1  # only one fetch in flight
    exchange.event([(2.0, 1.0)], [])
    second = exchange.push()
    assert second is not None
    sync.on_update(second)
    async with asyncio.timeout(2):
        await sync.wait_live()
    assert sync.book.best_bid() == OrderBookEntry(2.0, 1.0)
    assert sync.resync_count == 0

    exchange.event([(3.0, 1.0)], [])
    assert exchange.push() is not None  # lost
    exchange.event([(4.0, 1.0)], [])
    fourth = exchange.push()
    assert fourth is not None
    sync.on_update(fourth)
    assert sync.state is BookState.SYNCING
    assert sync.resync_count == 1
    assert metrics.value(f"book.{SYMBOL}.resyncs") == 1
    async with asyncio.timeout(2):
        await sync.wait_live()  # the snapshot (version 104) alone is LIVE: nothing newer was buffered
    assert sync.book.best_bid() == OrderBookEntry(4.0, 1.0)
    assert sync.book.version == 104
    exchange.event([(5.0, 1.0)], [])
    fifth = exchange.push()
    assert fifth is not None
    sync.on_update(fifth)
    assert state_of(sync) is BookState.LIVE
    assert sync.book.best_bid() == OrderBookEntry(5.0, 1.0)
    await sync.close()


async def test_fetch_failures_are_retried() -> None:
    exchange = FakeExchange()
    exchange.fail_next = 3
    metrics = MetricsRegistry()
    sync = BookSynchronizer(SYMBOL, exchange.fetch, metrics=metrics, retry=NO_WAIT)
    exchange.event([(1.0, 1.0)], [])
    update = exchange.push()
    assert update is not None
    sync.on_update(update)
    async with asyncio.timeout(2):
        while exchange.fetches < 4:  # noqa: ASYNC110
            await asyncio.sleep(0)
    for _ in range(4):
        await asyncio.sleep(0)
    exchange.event([(2.0, 1.0)], [])
    later = exchange.push()
    assert later is not None
    sync.on_update(later)
    assert state_of(sync) is BookState.LIVE
    assert metrics.value(f"book.{SYMBOL}.snapshot_errors") == 3
    await sync.close()


def test_on_update_requires_running_loop_only_when_syncing() -> None:
    sync = BookSynchronizer(SYMBOL, FakeExchange().fetch, metrics=MetricsRegistry())
    with pytest.raises(RuntimeError):
        sync.on_update(BookUpdate(SYMBOL, [], [], 1, 1, 0))


async def test_quiet_book_goes_live_after_invalidate_without_new_updates() -> None:
    exchange = FakeExchange()
    sync = BookSynchronizer(SYMBOL, exchange.fetch, metrics=MetricsRegistry(), retry=NO_WAIT)
    exchange.event([(1.0, 1.0)], [(11.0, 1.0)])
    first = exchange.push()
    assert first is not None
    sync.on_update(first)
    async with asyncio.timeout(2):
        await sync.wait_live()
    sync.invalidate()  # e.g. the stream reconnected; the market stays quiet afterwards
    assert sync.state is BookState.SYNCING
    async with asyncio.timeout(2):
        await sync.wait_live()  # the snapshot is fetched at once and is LIVE by itself
    assert sync.book.best_bid() == OrderBookEntry(1.0, 1.0)
    await sync.close()


async def test_live_book_applies_an_update_overlapping_its_version() -> None:
    exchange = FakeExchange()
    sync = BookSynchronizer(SYMBOL, exchange.fetch, metrics=MetricsRegistry(), retry=NO_WAIT)
    exchange.event([(1.0, 1.0)], [])
    first = exchange.push()
    assert first is not None
    sync.on_update(first)
    async with asyncio.timeout(2):
        await sync.wait_live()
    version = sync.book.version
    assert version is not None
    # absolute quantities as of the update's last version, its range starting inside the book
    overlap = BookUpdate(SYMBOL, [(1.0, 3.0), (0.5, 2.0)], [], version, version + 2, 0)
    sync.on_update(overlap)
    assert sync.state is BookState.LIVE
    assert sync.resync_count == 0
    assert sync.book.best_bid() == OrderBookEntry(1.0, 3.0)
    assert sync.book.version == version + 2
    await sync.close()


async def test_on_state_reports_every_change_once() -> None:
    exchange = FakeExchange()
    reported: list[BookState] = []
    reasons: list[str] = []

    def on_state(change: BookStateChange) -> None:
        reported.append(change.state)
        reasons.append(change.reason)

    sync = BookSynchronizer(
        SYMBOL, exchange.fetch, metrics=MetricsRegistry(), on_state=on_state, retry=NO_WAIT
    )
    exchange.event([(1.0, 1.0)], [])
    first = exchange.push()
    assert first is not None
    sync.on_update(first)
    sync.invalidate()  # already SYNCING: nothing to report
    async with asyncio.timeout(2):
        await sync.wait_live()
    assert reported == [BookState.LIVE]
    exchange.event([(2.0, 1.0)], [])
    second = exchange.push()
    assert second is not None
    sync.on_update(second)  # LIVE hot path: no report
    assert reported == [BookState.LIVE]
    sync.invalidate()
    assert reported == [BookState.LIVE, BookState.SYNCING]
    async with asyncio.timeout(2):
        await sync.wait_live()
    exchange.event([(3.0, 1.0)], [])
    assert exchange.push() is not None  # lost
    exchange.event([(4.0, 1.0)], [])
    fourth = exchange.push()
    assert fourth is not None
    sync.on_update(fourth)  # a gap
    assert reported == [BookState.LIVE, BookState.SYNCING, BookState.LIVE, BookState.SYNCING]
    await sync.close()
    await sync.close()
    sync.invalidate()  # a closed book stays STALE
    assert sync.state is BookState.STALE
    assert reported == [BookState.LIVE, BookState.SYNCING, BookState.LIVE, BookState.SYNCING, BookState.STALE]
    assert reasons == ["snapshot aligned", "invalidated", "snapshot aligned", "gap", "stopped"]


async def test_a_stale_book_waits_for_invalidate_and_then_resyncs() -> None:
    """mark_stale (connection lost or silent) leaves LIVE at once; updates do not revive the book."""
    exchange = FakeExchange()
    reported: list[BookStateChange] = []
    sync = BookSynchronizer(
        SYMBOL, exchange.fetch, metrics=MetricsRegistry(), on_state=reported.append, retry=NO_WAIT
    )
    exchange.event([(1.0, 1.0)], [])
    first = exchange.push()
    assert first is not None
    sync.on_update(first)
    async with asyncio.timeout(2):
        await sync.wait_live()
    sync.mark_stale("connection silent")
    assert sync.state is BookState.STALE
    assert reported[-1].previous is BookState.LIVE
    assert reported[-1].reason == "connection silent"
    for price in (2.0, 3.0):
        exchange.event([(price, 1.0)], [])
        update = exchange.push()
        assert update is not None
        sync.on_update(update)  # continuous, but the stream is not trusted: ignored
    for _ in range(10):
        await asyncio.sleep(0)
    assert sync.state is BookState.STALE
    assert exchange.fetches == 1
    sync.invalidate("reconnected")
    assert sync.state is BookState.SYNCING
    async with asyncio.timeout(2):
        await sync.wait_live()
    assert sync.resync_count == 1
    assert sync.book.version == exchange.version
    assert [change.state for change in reported] == [
        BookState.LIVE,
        BookState.STALE,
        BookState.SYNCING,
        BookState.LIVE,
    ]
    await sync.close()


async def test_a_snapshot_older_than_the_buffer_with_a_gap_inside_never_goes_live_wrong() -> None:
    """Snapshot-plus-buffer path (issue 12.12): the REST snapshot is older than the buffered updates
    and an update is missing between two of them. Applying across that hole would give a LIVE book
    without the lost update's levels; the synchroniser must fetch again instead."""
    exchange = FakeExchange()
    sync = BookSynchronizer(SYMBOL, exchange.fetch, metrics=MetricsRegistry(), retry=NO_WAIT)
    pushed = []
    for price in (1.0, 2.0, 3.0):  # versions 101, 102, 103
        exchange.event([(price, 1.0)], [])
        update = exchange.push()
        assert update is not None
        pushed.append(update)
    exchange.lag_next = 3  # the snapshot the fetch gets is version 100, older than every update
    sync.on_update(pushed[0])
    sync.on_update(pushed[2])  # 102 was lost: a gap inside the buffer
    async with asyncio.timeout(2):
        await sync.wait_live()
    assert sync.book.version == exchange.version
    assert_matches(sync, exchange)  # level 2.0 (from the lost update) is there
    assert exchange.fetches == 2  # the old snapshot was not enough: fetched again
    await sync.close()


async def test_a_snapshot_fetched_before_invalidate_never_makes_the_book_live() -> None:
    """``invalidate()`` (the stream is back) while a fetch is in flight: that snapshot may predate
    the resubscription, so with an empty buffer it would go LIVE alone on pre-reconnect data. The
    in-flight fetch is abandoned and a new one made."""
    release = asyncio.Event()
    fetches = 0

    async def fetch() -> OrderBook:
        nonlocal fetches
        fetches += 1
        if fetches == 1:
            await release.wait()  # still in flight when invalidate() comes
            return OrderBook(SYMBOL, (OrderBookEntry(1.0, 1.0),), (), 0, version=10)
        return OrderBook(SYMBOL, (OrderBookEntry(2.0, 1.0),), (), 0, version=20)

    sync = BookSynchronizer(SYMBOL, fetch, metrics=MetricsRegistry(), retry=NO_WAIT)
    sync.invalidate("start")
    await asyncio.sleep(0.01)
    assert fetches == 1
    sync.invalidate("reconnected")
    release.set()
    async with asyncio.timeout(2):
        await sync.wait_live()
    assert sync.book.version == 20
    assert fetches == 2
    await sync.close()


async def test_close_reraises_its_callers_cancellation() -> None:
    """A caller cancelled while close() waits for a fetch that takes time to stop gets its
    CancelledError back (it used to be swallowed with the fetch task's own)."""
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_to_stop() -> OrderBook:
        started.set()
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue
        raise asyncio.CancelledError

    sync = BookSynchronizer(SYMBOL, slow_to_stop, metrics=MetricsRegistry(), retry=NO_WAIT)
    sync.invalidate("start")
    await asyncio.wait_for(started.wait(), 2)
    closer = asyncio.create_task(sync.close())
    await asyncio.sleep(0.01)
    closer.cancel()
    await asyncio.sleep(0.01)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(closer, 2)
    assert sync.state is BookState.STALE


async def test_invalidate_without_fetch_waits_for_subscribed_or_the_first_update() -> None:
    """``invalidate(fetch=False)``: the stream is not confirmed yet, so no snapshot is fetched until
    ``subscribed()`` (the acknowledgement) or an update (the stream flows), whichever comes first."""
    exchange = FakeExchange()
    sync = BookSynchronizer(SYMBOL, exchange.fetch, metrics=MetricsRegistry(), retry=NO_WAIT)
    exchange.event([(1.0, 1.0)], [])
    first = exchange.push()
    assert first is not None
    sync.on_update(first)
    async with asyncio.timeout(2):
        await sync.wait_live()
    sync.mark_stale("connection lost")

    sync.invalidate("reconnected", fetch=False)
    for _ in range(10):
        await asyncio.sleep(0)
    assert sync.state is BookState.SYNCING
    assert not sync.fetching
    assert exchange.fetches == 1  # nothing fetched before the stream is confirmed
    sync.subscribed()  # acknowledged
    assert sync.fetching
    async with asyncio.timeout(2):
        await sync.wait_live()
    assert exchange.fetches == 2

    sync.mark_stale("connection lost")
    sync.invalidate("reconnected", fetch=False)
    exchange.event([(2.0, 1.0)], [])
    update = exchange.push()
    assert update is not None
    sync.on_update(update)  # the first push proves the stream flowing: fetch, buffer it
    assert sync.fetching
    async with asyncio.timeout(2):
        await sync.wait_live()
    assert exchange.fetches == 3
    assert sync.book.version == exchange.version
    await sync.close()
