"""After a reconnect, a book's snapshot waits for MEXC to confirm the re-sent depth subscription.

Invariant: a local book never goes LIVE at a version older than the start of the subscription that
feeds it (API.md §9.5: subscribe, buffer, then fetch the snapshot). A snapshot taken before MEXC
starts the channel misses the pushes in between: the book would be LIVE at an old version until the
next push reveals the hole. The simulator makes the race wide: ``delay_subscriptions`` starts (and
acknowledges) each SUBSCRIPTION a second after it arrives while the market keeps moving.

Also: without any acknowledgement a book still resyncs (from its first push, or after the ack timeout
on a quiet market), and a refused re-subscription leaves the book visibly STALE, then retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, BookStateChange, Symbol
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.sim.app import MexcSimulator
from exchanges_mexc.ws import channels as ch
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket

from .conftest import assert_books_match, sim_config, wait_until  # type: ignore[import-not-found]

PAIRS = ["BTCUSDT", "ETHUSDT"]
SYMBOLS = [Symbol(pair[:-4], "USDT") for pair in PAIRS]
SUBSCRIPTION_DELAY = 1.0


@asynccontextmanager
async def streaming(
    seed: int, *, ack_timeout: float
) -> AsyncIterator[tuple[MexcSimulator, MexcPublicSpotWebsocket]]:
    """A moving simulator and a client whose books are LIVE."""
    async with MexcSimulator(symbols=PAIRS, seed=seed, market_rate=60.0) as sim:
        config = sim_config(sim)
        metrics = MetricsRegistry()
        async with (
            MexcPublicSpotRest(config, metrics=metrics) as rest,
            MexcPublicSpotWebsocket(config, rest=rest, metrics=metrics, ack_timeout=ack_timeout) as ws,
        ):
            await ws.subscribe_orderbook(SYMBOLS)
            await ws.wait_orderbook_ready(SYMBOLS, timeout=20)
            yield sim, ws


def depth_channel(ws: MexcPublicSpotWebsocket, symbol: Symbol) -> str:
    return next(
        channel
        for channel in ws.subscriptions
        if ch.parse_channel(channel).kind is ch.ChannelKind.AGGRE_DEPTH
        and ch.parse_channel(channel).pair == ws.symbol_mapper.to_pair(symbol)
    )


async def watch_live_versions(
    sim: MexcSimulator, ws: MexcPublicSpotWebsocket, violations: list[str], seen: list[BookStateChange]
) -> None:
    """Each time a book goes LIVE and still is when we look: MEXC must be running the subscription
    that feeds it, and the book's version must not be older than that subscription's start."""
    async for change in ws.book_states():
        seen.append(change)
        sync = ws.books.books.get(change.symbol)
        if change.state is not BookState.LIVE or sync is None or sync.state is not BookState.LIVE:
            continue
        channel = depth_channel(ws, change.symbol)
        starts = sim.ws.subscription_versions(channel)
        version = sync.book.version or 0
        if not starts:
            violations.append(f"{change.symbol} LIVE at v{version} while MEXC has not started {channel}")
        elif version < min(starts):
            violations.append(f"{change.symbol} LIVE at v{version} < subscription start v{min(starts)}")


async def test_after_a_reconnect_no_book_goes_live_before_its_subscription_is_live() -> None:
    async with streaming(31, ack_timeout=30.0) as (sim, ws):
        gaps = {s: ws.metrics.value(f"book.{s}.gaps") for s in SYMBOLS}
        violations: list[str] = []
        seen: list[BookStateChange] = []
        watcher = asyncio.create_task(watch_live_versions(sim, ws, violations, seen))
        await asyncio.sleep(0)  # the iterator is registered: every change from now on is seen
        sim.faults.delay_subscriptions(SUBSCRIPTION_DELAY)
        moved_from = {pair: sim.engine.book_levels(pair)[2] for pair in PAIRS}
        sim.faults.drop_connections()
        await wait_until(lambda: all(ws.books.books[s].resync_count >= 1 for s in SYMBOLS), 20)
        await ws.wait_orderbook_ready(SYMBOLS, timeout=20)
        sim.faults.delay_subscriptions(0)
        await wait_until(lambda: sum(1 for c in seen if c.state is BookState.LIVE) >= len(SYMBOLS), 10)
        # The engine moved while the subscriptions were pending, so an early snapshot would be old.
        assert all(sim.engine.book_levels(pair)[2] > moved_from[pair] + 10 for pair in PAIRS)
        assert not violations, violations
        # A book LIVE at an old version is found out at the next push, as a gap: none here.
        assert {s: ws.metrics.value(f"book.{s}.gaps") for s in SYMBOLS} == gaps
        assert ws.metrics.value("mexc.ws.books.unconfirmed_resyncs") == 0
        await assert_books_match(sim, ws, SYMBOLS)
        watcher.cancel()


async def test_a_quiet_book_resyncs_as_soon_as_its_resubscription_is_acknowledged() -> None:
    """No push to prove the channel live: the acknowledgement alone starts the snapshot."""
    async with streaming(35, ack_timeout=60.0) as (sim, ws):
        sim.market.pause()
        sim.faults.delay_subscriptions(SUBSCRIPTION_DELAY)
        sim.faults.drop_connections()
        await wait_until(lambda: all(ws.books.books[s].resync_count >= 1 for s in SYMBOLS), 20)
        await ws.wait_orderbook_ready(SYMBOLS, timeout=20)  # far sooner than the 60 s ack timeout
        assert ws.metrics.value("mexc.ws.books.unconfirmed_resyncs") == 0
        sim.market.resume()
        await assert_books_match(sim, ws, SYMBOLS)


async def test_an_unanswered_resubscription_resyncs_from_its_first_push() -> None:
    """The acknowledgement is lost but the channel pushes: the first push proves it live."""
    async with streaming(32, ack_timeout=60.0) as (sim, ws):
        sim.faults.unanswered_subscriptions(1)  # the reconnect re-sends both channels in one request
        sim.faults.drop_connections()
        await wait_until(lambda: all(ws.books.books[s].resync_count >= 1 for s in SYMBOLS), 20)
        await ws.wait_orderbook_ready(SYMBOLS, timeout=20)  # far sooner than the 60 s ack timeout
        assert ws.metrics.value("mexc.ws.books.unconfirmed_resyncs") == 0
        await assert_books_match(sim, ws, SYMBOLS)


async def test_a_quiet_book_without_an_acknowledgement_resyncs_after_the_ack_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with streaming(33, ack_timeout=1.0) as (sim, ws):
        sim.market.pause()  # no push will prove the channel live
        await asyncio.sleep(0.3)  # the last pushes of the moving market are out
        sim.faults.unanswered_subscriptions(1)
        with caplog.at_level(logging.WARNING, logger="exchanges.mexc.ws.books"):
            sim.faults.drop_connections()
            await wait_until(lambda: all(ws.books.books[s].resync_count >= 1 for s in SYMBOLS), 20)
            await ws.wait_orderbook_ready(SYMBOLS, timeout=20)
        assert ws.metrics.value("mexc.ws.books.unconfirmed_resyncs") == len(SYMBOLS)
        assert any("not confirmed" in r.getMessage() for r in caplog.records)
        sim.market.resume()
        await assert_books_match(sim, ws, SYMBOLS)


async def test_a_refused_resubscription_leaves_the_book_stale_then_retries() -> None:
    async with streaming(34, ack_timeout=10.0) as (sim, ws):
        seen: list[BookStateChange] = []

        async def collect() -> None:
            async for change in ws.book_states():
                seen.append(change)

        collector = asyncio.create_task(collect())
        await asyncio.sleep(0)
        sim.faults.refuse_subscriptions(1)  # the reconnect's request (both channels) is refused
        sim.faults.drop_connections()
        refused = lambda: [c for c in seen if c.state is BookState.STALE and "refused" in c.reason]  # noqa: E731
        await wait_until(lambda: len(refused()) == len(SYMBOLS), 20)
        assert all(ws.orderbook_state(s) is not BookState.LIVE for s in SYMBOLS)
        await ws.wait_orderbook_ready(SYMBOLS, timeout=30)  # retried after 1 s, accepted, resynced
        assert ws.metrics.value("mexc.ws.subscriptions_rejected") == len(SYMBOLS)
        assert all(depth_channel(ws, s) for s in SYMBOLS)  # subscribed again
        await assert_books_match(sim, ws, SYMBOLS)
        collector.cancel()


async def test_subscribing_again_while_a_resubscription_is_pending_does_not_fetch_early() -> None:
    """A caller asking for the same books again while their re-sent subscription is not yet started
    (its ``subscribe_orderbook`` returns at once: the channels are already subscribed) must not make
    them fetch a snapshot that predates their stream (breaks when LocalBooks.subscribed ignores the
    pending confirmation)."""
    async with streaming(36, ack_timeout=30.0) as (sim, ws):
        gaps = {s: ws.metrics.value(f"book.{s}.gaps") for s in SYMBOLS}
        violations: list[str] = []
        seen: list[BookStateChange] = []
        watcher = asyncio.create_task(watch_live_versions(sim, ws, violations, seen))
        await asyncio.sleep(0)
        sim.faults.delay_subscriptions(SUBSCRIPTION_DELAY)
        sim.faults.drop_connections()
        await wait_until(
            lambda: all(
                ws.books.awaiting_confirmation(s) and ws.orderbook_state(s) is BookState.SYNCING
                for s in SYMBOLS
            ),
            20,
        )
        await ws.subscribe_orderbook(SYMBOLS)  # already subscribed: returns without waiting
        await ws.wait_orderbook_ready(SYMBOLS, timeout=20)
        sim.faults.delay_subscriptions(0)
        await wait_until(lambda: sum(1 for c in seen if c.state is BookState.LIVE) >= len(SYMBOLS), 10)
        assert not violations, violations
        assert {s: ws.metrics.value(f"book.{s}.gaps") for s in SYMBOLS} == gaps
        await assert_books_match(sim, ws, SYMBOLS)
        watcher.cancel()


async def test_a_refused_books_unanswered_retry_waits_for_confirmation_like_a_reconnect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The retry of a refused channel gets no acknowledgement: its book does not fetch when the ack
    timeout passes (MEXC may not have started the channel yet) but waits for a push or the fallback,
    which is logged and counted exactly as after a reconnect."""
    async with streaming(36, ack_timeout=1.0) as (sim, ws):
        sim.market.pause()  # no push will prove the retried channel live
        await asyncio.sleep(0.3)  # the last pushes of the moving market are out
        sim.faults.refuse_subscriptions(1)  # the reconnect's request is refused ...
        sim.faults.unanswered_subscriptions(len(SYMBOLS))  # ... and each book's retry is not answered
        with caplog.at_level(logging.WARNING, logger="exchanges.mexc.ws.books"):
            sim.faults.drop_connections()
            await wait_until(lambda: ws.metrics.value("mexc.ws.subscriptions_rejected") == len(SYMBOLS), 20)
            await ws.wait_orderbook_ready(SYMBOLS, timeout=30)
        assert sim.faults.unanswered_subscribes == 0  # both retries were sent and left unanswered
        assert ws.metrics.value("mexc.ws.books.unconfirmed_resyncs") == len(SYMBOLS)
        assert sum("not confirmed" in r.getMessage() for r in caplog.records) == len(SYMBOLS)
        sim.market.resume()
        await assert_books_match(sim, ws, SYMBOLS)


async def test_unsubscribing_a_refused_book_leaves_no_channel_behind() -> None:
    """A refused book's retry must not outlive ``unsubscribe_orderbook``: if it woke between the
    unsubscription and its cancellation it would subscribe the channel again, with no book behind it.
    The window is held open here: the unsubscription returns only once the retry has either been
    cancelled or subscribed again."""
    async with streaming(37, ack_timeout=10.0) as (sim, ws):
        gone, kept = SYMBOLS
        channel = depth_channel(ws, gone)
        sim.faults.refuse_subscriptions(1)  # the reconnect's request is refused: both books retry
        sim.faults.drop_connections()
        await wait_until(lambda: ws.metrics.value("mexc.ws.subscriptions_rejected") == len(SYMBOLS), 20)
        retries = ws._refusals._book_retries._tasks  # the retry tasks by symbol
        assert gone in retries
        unsubscribe = ws._subscriptions.unsubscribe

        async def unsubscribe_then_wait_for_the_retry(channels: list[str]) -> None:
            await unsubscribe(channels)
            await wait_until(lambda: gone not in retries or channel in ws.subscriptions, 20)

        ws._subscriptions.unsubscribe = unsubscribe_then_wait_for_the_retry  # type: ignore[method-assign]
        await ws.unsubscribe_orderbook([gone])
        assert gone not in retries
        assert gone not in ws.books
        assert channel not in ws.subscriptions
        assert sim.ws.subscription_versions(channel) == []
        await ws.wait_orderbook_ready([kept], timeout=30)  # the other book's retry goes on
        await assert_books_match(sim, ws, [kept])
