"""What handlers receive: every top-N book pushed to ``orderbook_handler`` is the top N of the local
book at that moment (the cached top of :class:`~exchanges.orderbook.LocalOrderBook` is never stale),
and once the market pauses the last one pushed equals the simulator's top N, through a gap and a
reconnect (snapshots, resyncs and uncrossing all drop the cache)."""

from __future__ import annotations

import asyncio

from exchanges.handlers import PublicStreamHandlers
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, OrderBook, Symbol
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.sim.app import MexcSimulator
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket

from .conftest import sim_config, sim_levels, wait_until  # type: ignore[import-not-found]

PAIRS = ["AAAUSDT", "BBBUSDT", "CCCUSDT"]
SYMBOLS = [Symbol(pair[:-4], "USDT") for pair in PAIRS]
DEPTH = 5  # shallow, so that most updates reach the cached top


async def test_every_pushed_top_is_the_books_top_and_ends_equal_to_the_simulator() -> None:
    async with MexcSimulator(symbols=PAIRS, seed=11, market_rate=60.0) as sim:
        config = sim_config(sim)
        metrics = MetricsRegistry()
        pushed: dict[Symbol, OrderBook] = {}
        stale: list[str] = []
        counts: list[int] = []
        client: list[MexcPublicSpotWebsocket] = []  # the handler reads the book it was pushed from

        def on_book(book: OrderBook) -> None:
            full = client[0].books.books[book.symbol].book.snapshot()  # built fresh, never from the cache
            if book.bids != full.bids[:DEPTH] or book.asks != full.asks[:DEPTH]:
                stale.append(f"{book.symbol} v{book.version}: pushed {book.bids} {book.asks}, book {full}")
            pushed[book.symbol] = book
            counts.append(1)

        async with (
            MexcPublicSpotRest(config, metrics=metrics) as rest,
            MexcPublicSpotWebsocket(
                config,
                rest=rest,
                metrics=metrics,
                handlers=PublicStreamHandlers(orderbook_handler=on_book),
                publish_depth=DEPTH,
            ) as ws,
        ):
            client.append(ws)
            await ws.subscribe_orderbook(SYMBOLS)
            async with asyncio.timeout(15):
                for symbol in SYMBOLS:
                    await ws.wait_book_live(symbol)
            await asyncio.sleep(1.0)
            sim.faults.skip_depth_version(PAIRS[0])  # a gap: resync from a new snapshot
            await asyncio.sleep(1.0)
            sim.faults.drop_connections()  # a reconnect: every book resyncs
            await wait_until(lambda: all(ws.books.books[s].state is BookState.LIVE for s in SYMBOLS), 20)
            after_reconnect = len(counts)
            await wait_until(lambda: len(counts) >= after_reconnect + 30, 20)  # the top moves under pushes
            sim.market.pause()
            for symbol, pair in zip(SYMBOLS, PAIRS, strict=True):
                await wait_until(lambda s=symbol, p=pair: pushed[s].version == sim_levels(sim, p)[2], 15)
                bids, asks, _ = sim_levels(sim, pair)
                assert list(pushed[symbol].bids) == bids[:DEPTH]
                assert list(pushed[symbol].asks) == asks[:DEPTH]
            assert not stale, stale[:3]
            assert sum(sync.resync_count for sync in ws.books.books.values()) >= len(SYMBOLS)
