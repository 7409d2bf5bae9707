"""The snapshot-plus-buffer path against the simulator (issue 12.12).

Invariant: whatever order the REST snapshot and the buffered pushes arrive in, a book goes LIVE
only when the snapshot and every buffered push line up without a hole, and then it equals the
engine's book. Two simulator faults make the hard cases real:

* a **stale snapshot**: the depth answer was captured before the pushes the client buffered (a
  lagging cache), so there is a hole between the snapshot and the stream: fetch again;
* a **delayed snapshot** with a **lost push** inside the buffer: the answer is taken when asked but
  arrives a second later, after pushes around a lost one were buffered: applying across the hole
  would give a LIVE book without the lost changes, so the synchroniser must fetch again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, Symbol
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.sim.app import MexcSimulator
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket

from .conftest import assert_books_match, sim_config, wait_until  # type: ignore[import-not-found]

PAIRS = ["BTCUSDT", "ETHUSDT", "C01USDT"]
SYMBOLS = [Symbol(pair[:-4], "USDT") for pair in PAIRS]
BTC = SYMBOLS[0]


@pytest.fixture
async def streaming() -> AsyncIterator[tuple[MexcSimulator, MexcPublicSpotWebsocket]]:
    async with MexcSimulator(symbols=PAIRS, seed=21, market_rate=60.0) as sim:
        config = sim_config(sim)
        metrics = MetricsRegistry()
        async with (
            MexcPublicSpotRest(config, metrics=metrics) as rest,
            MexcPublicSpotWebsocket(config, rest=rest, metrics=metrics) as ws,
        ):
            await ws.subscribe_orderbook(SYMBOLS)
            await ws.wait_orderbook_ready(SYMBOLS, timeout=20)
            yield sim, ws


def version(sim: MexcSimulator, pair: str) -> int:
    return sim.engine.book_levels(pair)[2]


async def a_push_applied(ws: MexcPublicSpotWebsocket, symbol: Symbol) -> None:
    """Wait until a push was applied after the last snapshot: from then on a version the simulator
    skips or loses is a real hole for the client (right after a snapshot it may already be covered)."""
    sync = ws.books.books[symbol]
    start = sync.book.version or 0
    await wait_until(lambda: (sync.book.version or 0) > start and sync.state is BookState.LIVE)


async def test_a_snapshot_older_than_the_buffered_pushes_is_fetched_again(
    streaming: tuple[MexcSimulator, MexcPublicSpotWebsocket],
) -> None:
    sim, ws = streaming
    metrics = ws.metrics
    sync = ws.books.books[BTC]
    captured = version(sim, "BTCUSDT")
    sim.faults.stale_snapshot("BTCUSDT")  # the next depth answer is the book as of now
    await wait_until(lambda: version(sim, "BTCUSDT") > captured + 10)  # the market moves on
    snapshots = metrics.value(f"book.{BTC}.snapshots")
    await a_push_applied(ws, BTC)
    sim.faults.skip_depth_version("BTCUSDT")  # a gap: resync, buffering pushes newer than `captured`
    await wait_until(lambda: sync.resync_count == 1)
    await ws.wait_orderbook_ready(SYMBOLS, timeout=20)
    assert not sim.faults.stale_depth  # the stale answer was served
    assert metrics.value(f"book.{BTC}.snapshots") >= snapshots + 2  # stale one refused, then a good one
    assert (sync.book.version or 0) > captured
    await assert_books_match(sim, ws, SYMBOLS)


async def test_a_delayed_snapshot_with_a_lost_push_in_the_buffer_never_goes_live_wrong(
    streaming: tuple[MexcSimulator, MexcPublicSpotWebsocket],
) -> None:
    sim, ws = streaming
    metrics = ws.metrics
    sync = ws.books.books[BTC]
    gaps = metrics.value(f"book.{BTC}.gaps")
    await a_push_applied(ws, BTC)
    sim.faults.delay_snapshots(1.5)  # the next depth answer is taken at once, sent 1.5 s later
    sim.faults.skip_depth_version("BTCUSDT")  # a gap: resync; the fetch is now in flight
    await wait_until(lambda: sync.state is BookState.SYNCING)
    await wait_until(lambda: len(sync._buffer) >= 2)  # pushes newer than the snapshot are buffered
    sim.faults.drop_depth_push("BTCUSDT")  # ... and one of them is lost, inside the buffer
    await wait_until(lambda: not any(sim.faults.drop_depth.values()))
    await ws.wait_orderbook_ready(SYMBOLS, timeout=20)
    assert metrics.value(f"book.{BTC}.gaps") >= gaps + 2  # the live gap, then the hole in the buffer
    await assert_books_match(sim, ws, SYMBOLS)
