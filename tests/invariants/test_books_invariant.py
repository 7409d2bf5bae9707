"""Invariant: a local book is never silently wrong.

* A book is never ``LIVE`` while its versions are discontinuous: dropped, duplicated, reordered and late
  depth frames (and failed or wrong-shape REST snapshots) never leave a LIVE book that differs from the
  exchange. Checked at checkpoints: faults calmed, market paused, the book LIVE at the engine's version
  must equal the engine's book level for level.
* A book is never ``LIVE`` while its connection is dead: when the proxy silences the WebSocket (open
  sockets, no FIN/RST, PINGs unanswered), every book on it leaves LIVE within the liveness timeout,
  health says the stream is down, and the client reconnects, resyncs and equals the engine again.
* A book never goes ``LIVE`` at a version older than the subscription that feeds it: after each
  reconnect the simulator starts (and acknowledges) the re-sent subscriptions late, a seeded delay
  while the market moves, and every LIVE book must be fed by a started subscription and not be
  older than its start (a snapshot taken before it would miss the pushes in between).

Limits (stated in the README): a frame corrupted in transit into another valid frame cannot be detected
(MEXC frames carry no checksum; TCP/TLS protect real connections), so CORRUPT is exercised by the bad-data
invariant instead.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PublicExchange
from exchanges.models import AssetName, BookState, Symbol
from exchanges.testing.chaos import ChaosProxy, FaultSchedule, HttpFault, WsFault
from exchanges_mexc.sim import MexcSimulator
from exchanges_mexc.ws import channels as ch

from .support import start_proxy, through  # type: ignore[import-not-found]

BTC = Symbol(AssetName("BTC"), AssetName("USDT"))
ETH = Symbol(AssetName("ETH"), AssetName("USDT"))
PAIRS = {BTC: "BTCUSDT", ETH: "ETHUSDT"}
LIVENESS_TIMEOUT = 2.0
FRAME_FAULTS = {
    WsFault.DROP: 0.04,
    WsFault.DUPLICATE: 0.04,
    WsFault.REORDER: 0.04,
    WsFault.DELAY: 0.02,
}
SNAPSHOT_FAULTS = {
    HttpFault.SERVER_ERROR: 0.1,
    HttpFault.EMPTY_OBJECT: 0.05,
    HttpFault.TRUNCATED_JSON: 0.05,
    HttpFault.DELAY: 0.1,
}


FORCED_GAPS = (WsFault.DROP, WsFault.DROP)
"""Dropped depth frames leave a version gap, so every seed forces at least one resync."""


def make_schedule(seed: int) -> FaultSchedule:
    return FaultSchedule(
        seed,
        ws=FRAME_FAULTS,
        http=SNAPSHOT_FAULTS,
        http_paths=("/api/v3/depth",),
        ws_delay=0.2,
        must_include=FORCED_GAPS,
    )


async def public_through(
    factory: FullExchangeFactory, proxy: ChaosProxy, sim: MexcSimulator, **settings: object
) -> PublicExchange:
    return await factory.create_public_exchange(
        "mexc_spot", list(PAIRS), environment="sim", overrides=through(proxy, sim, **settings)
    )


async def wait_until(predicate: Callable[[], bool], within: float, failure: Callable[[], str]) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, failure()
        await asyncio.sleep(0.05)


async def checkpoint(public: PublicExchange, sim: MexcSimulator, schedule: FaultSchedule) -> None:
    """Faults calmed: every book becomes LIVE (the market still moving, so a resync has updates to
    line up with); then, market paused, each must reach the engine's version and equal it."""
    schedule.calm()
    try:
        await wait_until(
            lambda: all(public.orderbook_state(s) is BookState.LIVE for s in PAIRS),
            20,
            lambda: (
                f"books never LIVE again: { {str(s): public.orderbook_state(s) for s in PAIRS} }; {schedule}"
            ),
        )
        sim.market.pause()
        for symbol, pair in PAIRS.items():

            def caught_up(symbol: Symbol = symbol, pair: str = pair) -> bool:
                book = public.get_local_orderbook(symbol)
                live = public.orderbook_state(symbol) is BookState.LIVE
                return live and book.version == sim.engine.book_levels(pair)[2]

            await wait_until(
                caught_up,
                20,
                lambda symbol=symbol, pair=pair: (  # type: ignore[misc]
                    f"{symbol} never caught up: {public.orderbook_state(symbol)} "
                    f"v{public.get_local_orderbook(symbol).version}, "
                    f"engine v{sim.engine.book_levels(pair)[2]}; {schedule}"
                ),
            )
            bids, asks, version = sim.engine.book_levels(pair)
            book = public.get_local_orderbook(symbol)
            engine = ([(float(p), float(q)) for p, q in bids], [(float(p), float(q)) for p, q in asks])
            local = ([tuple(level) for level in book.bids], [tuple(level) for level in book.asks])
            assert local == engine, f"{symbol} LIVE at v{version} but differs from the engine; {schedule}"
    finally:
        sim.market.resume()
        schedule.resume()


@pytest_asyncio.fixture
async def chaos(seed: int, sim: MexcSimulator) -> AsyncIterator[tuple[ChaosProxy, FaultSchedule]]:
    schedule = make_schedule(seed)
    proxy = await start_proxy(sim, schedule)
    yield proxy, schedule
    await proxy.close()


async def test_live_books_equal_the_engine_under_frame_and_snapshot_faults(
    factory: FullExchangeFactory, sim: MexcSimulator, chaos: tuple[ChaosProxy, FaultSchedule]
) -> None:
    proxy, schedule = chaos
    public = await public_through(factory, proxy, sim)
    try:
        schedule.calm()  # subscribe cleanly; the faults start once streaming
        await public.start_orderbook_stream(list(PAIRS))
        schedule.resume()

        def frame_faults() -> int:
            return sum(n for key, n in schedule.counts().items() if key.startswith("ws:"))

        for _ in range(3):  # each round: some frame faults (however slow the host), then a checkpoint
            target = frame_faults() + 4
            await wait_until(
                lambda target=target: frame_faults() >= target,  # type: ignore[misc]
                60,
                lambda: f"only {frame_faults()} frame faults so far; {schedule}",
            )
            await checkpoint(public, sim, schedule)
        counts = schedule.counts()
        assert sum(n for key, n in counts.items() if key.startswith("ws:")) >= 10, counts
        resyncs = public.get_performance_metrics()["orderbook_resyncs"]
        assert resyncs >= 1, f"faults never forced a resync: {counts}; {schedule}"
    finally:
        await public.close()


async def test_a_silent_connection_takes_books_out_of_live(
    factory: FullExchangeFactory, sim: MexcSimulator, chaos: tuple[ChaosProxy, FaultSchedule], seed: int
) -> None:
    proxy, schedule = chaos
    rng = random.Random(seed)
    public = await public_through(factory, proxy, sim, ws_liveness_timeout=LIVENESS_TIMEOUT)
    try:
        schedule.calm()
        await public.start_orderbook_stream(list(PAIRS))
        schedule.resume()
        for _ in range(2):
            await checkpoint(public, sim, schedule)
            await asyncio.sleep(rng.uniform(0.2, 1.5))
            stalled_at = time.monotonic()
            proxy.stall_websockets()
            # Every book leaves LIVE within the liveness timeout (plus a generous margin for a busy host).
            left_live: dict[Symbol, float] = {}
            while len(left_live) < len(PAIRS):
                for symbol in PAIRS:
                    if symbol not in left_live and public.orderbook_state(symbol) is not BookState.LIVE:
                        left_live[symbol] = time.monotonic() - stalled_at
                if time.monotonic() - stalled_at > LIVENESS_TIMEOUT + 8:
                    pytest.fail(f"books still LIVE {LIVENESS_TIMEOUT + 8:.0f} s after silence; {schedule}")
                await asyncio.sleep(0.02)
            # Then it reconnects (a new proxied connection, not silenced) and resyncs.
            await checkpoint(public, sim, schedule)
            health = await public.health_check()
            assert health["websocket_connectivity"], health
    finally:
        await public.close()


async def watch_live_versions(public: PublicExchange, sim: MexcSimulator, violations: list[str]) -> None:
    """At each change to LIVE (if the book still is when we look): MEXC ran the subscription that
    feeds the book at the moment of the change, and the book is not older than that subscription's
    start. Judged against the simulator's subscriptions open at the change's timestamp, not when the
    watcher gets to it: by then a dropped connection may be closed at the simulator already while
    the client has not seen the close (and its book is rightly still LIVE)."""
    async for change in public.iter_book_states():
        if change.state is not BookState.LIVE or public.orderbook_state(change.symbol) is not BookState.LIVE:
            continue
        channel = ch.aggre_depth(PAIRS[change.symbol], "100ms")
        starts = sim.ws.subscription_versions_at(channel, change.timestamp)
        version = public.get_local_orderbook(change.symbol).version or 0
        if not starts:
            violations.append(f"{change.symbol} LIVE at v{version} before MEXC started {channel}")
        elif version < min(starts):
            violations.append(f"{change.symbol} LIVE at v{version} < its subscription's start v{min(starts)}")


async def test_no_book_goes_live_before_its_resubscription_started(
    factory: FullExchangeFactory, sim: MexcSimulator, chaos: tuple[ChaosProxy, FaultSchedule], seed: int
) -> None:
    proxy, schedule = chaos
    rng = random.Random(seed)
    public = await public_through(factory, proxy, sim)
    violations: list[str] = []
    watcher = asyncio.create_task(watch_live_versions(public, sim, violations))
    try:
        schedule.calm()
        await public.start_orderbook_stream(list(PAIRS))
        schedule.resume()
        for _ in range(3):
            # below the 2 s ack timeout, after which a book fetches anyway (the stated fallback)
            sim.faults.delay_subscriptions(rng.uniform(0.2, 1.2))
            await asyncio.sleep(rng.uniform(0.2, 1.0))
            proxy.drop_websockets()
            await checkpoint(public, sim, schedule)
            assert not violations, f"{violations}; {schedule}"
        resyncs = public.get_performance_metrics()["orderbook_resyncs"]
        assert resyncs >= 3, f"the reconnects never resynced the books: {schedule}"
    finally:
        watcher.cancel()
        sim.faults.delay_subscriptions(0)
        await public.close()
