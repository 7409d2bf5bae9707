"""MexcPublicSpotWebsocket against the simulator over loopback: books, pooling, acks, trades."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from exchanges.errors import SubscriptionError
from exchanges.handlers import PublicStreamHandlers
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookTicker, KlineInterval, OrderBook, Symbol, Trade
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.sim.app import MexcSimulator
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket

from .conftest import assert_books_match, sim_config, wait_until  # type: ignore[import-not-found]

PAIRS = [f"C{i:02d}USDT" for i in range(20)]
SYMBOLS = [Symbol(pair[:-4], "USDT") for pair in PAIRS]


def resyncs(ws: MexcPublicSpotWebsocket) -> dict[Symbol, int]:
    return {symbol: sync.resync_count for symbol, sync in ws.books.books.items()}


def assert_fully_subscribed(ws: MexcPublicSpotWebsocket, expected: set[str]) -> None:
    assert ws.subscriptions == expected
    union: set[str] = set()
    for conn in ws.connections:
        assert conn.connected
        union |= conn.subscriptions
    assert union == expected


async def test_twenty_local_books_stay_equal_to_the_simulator_through_faults() -> None:
    async with MexcSimulator(symbols=PAIRS, seed=7, market_rate=40.0) as sim:
        config = sim_config(sim, ws_max_subscriptions=8)  # 20 depth channels over 3 connections
        metrics = MetricsRegistry()
        books_seen: list[OrderBook] = []
        async with (
            MexcPublicSpotRest(config, metrics=metrics) as rest,
            MexcPublicSpotWebsocket(
                config,
                rest=rest,
                metrics=metrics,
                handlers=PublicStreamHandlers(orderbook_handler=books_seen.append),
            ) as ws,
        ):
            await ws.subscribe_orderbook(SYMBOLS)
            assert len(ws.connections) == 3
            async with asyncio.timeout(15):
                for symbol in SYMBOLS:
                    await ws.wait_book_live(symbol)
            start_versions = {s: ws.books.books[s].book.version or 0 for s in SYMBOLS}
            await asyncio.sleep(1.0)
            await assert_books_match(sim, ws, SYMBOLS)
            assert sum(resyncs(ws).values()) == 0

            # Phase 1: injected gaps, one at a time per symbol; overlaps (repeats) must not resync.
            gapped = SYMBOLS[:6]
            for round_ in range(2):
                for symbol in gapped:
                    sim.faults.skip_depth_version(ws.symbol_mapper.to_pair(symbol))
                for symbol in SYMBOLS[10:14]:
                    sim.faults.repeat_depth_version(ws.symbol_mapper.to_pair(symbol))
                await wait_until(
                    lambda r=round_: all(ws.books.books[s].resync_count == r + 1 for s in gapped), 15
                )
                await assert_books_match(sim, ws, SYMBOLS)
            counts = resyncs(ws)
            assert {s: n for s, n in counts.items() if n} == {s: 2 for s in gapped}
            assert sum(counts.values()) == 2 * len(gapped)  # resyncs == injected gaps

            # Phase 2: every socket dropped without a close frame: reconnect, resubscribe, resync.
            expected = set(ws.subscriptions)
            before = resyncs(ws)
            sim.faults.drop_connections()
            await wait_until(
                lambda: all(ws.books.books[s].resync_count == before[s] + 1 for s in SYMBOLS), 20
            )
            await wait_until(lambda: ws.is_connected(), 10)
            assert_fully_subscribed(ws, expected)
            await assert_books_match(sim, ws, SYMBOLS)

            # Phase 3: late pushes (queued behind a delay) and a second drop while delayed.
            sim.faults.delay_pushes(0.2)
            await asyncio.sleep(1.0)
            sim.faults.drop_connections()
            await asyncio.sleep(0.5)
            sim.faults.delay_pushes(0)
            await wait_until(lambda: ws.is_connected(), 10)
            assert_fully_subscribed(ws, expected)
            await assert_books_match(sim, ws, SYMBOLS)

            await asyncio.sleep(1.5)
            await assert_books_match(sim, ws, SYMBOLS)
            versions = sum((ws.books.books[s].book.version or 0) - start_versions[s] for s in SYMBOLS)
            assert versions > 3000, versions  # thousands of book updates went through
            assert metrics.value("mexc.ws.frames") > 500
            assert books_seen
            assert isinstance(books_seen[-1], OrderBook)
            assert metrics.snapshot()["mexc.ws.books.live"] == len(SYMBOLS)
            assert metrics.value("mexc.ws.frames.errors") == 0


async def test_45_subscriptions_use_two_connections_and_blocked_raises() -> None:
    async with MexcSimulator(symbols=PAIRS, seed=3, market_rate=5.0) as sim:
        config = sim_config(sim)
        async with (
            MexcPublicSpotRest(config) as rest,
            MexcPublicSpotWebsocket(config, rest=rest) as ws,
        ):
            await ws.subscribe_trades(SYMBOLS)
            await ws.subscribe_book_ticker(SYMBOLS)
            await ws.subscribe_klines(SYMBOLS[:3], KlineInterval.MINUTE_1)
            await ws.subscribe_mini_ticker(SYMBOLS[:1], "UTC+8")
            await ws.subscribe_mini_tickers("24H")
            assert len(ws.subscriptions) == 45
            assert len(ws.connections) == 2
            assert sorted(len(conn.subscriptions) for conn in ws.connections) == [15, 30]

            tickers = ws.book_tickers(SYMBOLS[0])
            first = await asyncio.wait_for(anext(tickers), 5)
            assert isinstance(first, BookTicker)
            assert first.symbol == SYMBOLS[0]
            kline = await asyncio.wait_for(anext(ws.klines()), 5)
            assert kline.interval is KlineInterval.MINUTE_1
            ticker = await asyncio.wait_for(anext(ws.tickers()), 10)
            assert ticker.symbol in SYMBOLS

            # A channel MEXC refuses ("Blocked"): unknown symbol on the server.
            bad = "spot@public.aggre.deals.v3.api.pb@100ms@NOPEUSDT"
            with pytest.raises(SubscriptionError) as info:
                await ws.subscribe([bad])
            assert info.value.channel == bad
            await wait_until(lambda: bad not in ws.subscriptions, 5)
            # Two refused trade channels of one pair: de-duplication is switched off again once
            # both are forgotten (the refusal goes through the normal unsubscribe bookkeeping).
            bad_pair = [bad, bad.replace("@100ms@", "@10ms@")]
            with pytest.raises(SubscriptionError):
                await ws.subscribe(bad_pair)
            await wait_until(lambda: not set(bad_pair) & ws.subscriptions, 5)
            await wait_until(lambda: not ws._router.deduplicating, 5)

            # Unsubscribing frees the slots: the second connection closes when empty.
            await ws.unsubscribe_book_ticker(SYMBOLS)
            await ws.unsubscribe_klines(SYMBOLS[:3])
            await ws.unsubscribe_mini_ticker(SYMBOLS[:1], "UTC+8")
            await ws.unsubscribe_mini_tickers()
            assert len(ws.subscriptions) == 20
            assert len(ws.connections) == 1
            with pytest.raises(ValueError, match="level"):
                await ws.subscribe_depth(SYMBOLS[:1], level=7)


async def test_trades_have_no_duplicates_or_gaps_across_rotation_and_reconnect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pairs = PAIRS[:4]
    symbols = SYMBOLS[:4]
    async with MexcSimulator(symbols=pairs, seed=11, market_rate=60.0) as sim:
        config = sim_config(sim, ws_max_lifetime=0.7)
        metrics = MetricsRegistry()
        handled: list[Trade] = []

        async def on_trade(trade: Trade) -> None:
            handled.append(trade)

        async with (
            MexcPublicSpotRest(config, metrics=metrics) as rest,
            MexcPublicSpotWebsocket(
                config, rest=rest, metrics=metrics, handlers=PublicStreamHandlers(trade_handler=on_trade)
            ) as ws,
        ):
            received: list[Trade] = []
            iterator = ws.trades()

            async def collect() -> None:
                async for trade in iterator:
                    received.append(trade)

            collector = asyncio.create_task(collect())
            await ws.subscribe_trades(symbols)
            await asyncio.sleep(0.3)
            # Every replacement (rotation) or reconnected socket first gets the channel's last push again.
            sim.faults.repeat_deals_on_subscribe(2)
            start_ids = {pair: {t.trade_id for t in sim.engine.history[pair].trades} for pair in pairs}
            await asyncio.sleep(3.0)  # several rotations
            rotations = sum(metrics.value(f"ws.{conn.name}.rotations") for conn in ws.connections)
            assert rotations >= 2
            assert metrics.value("mexc.ws.trades.duplicates") > 0  # the repeats did arrive, and were dropped
            assert metrics.value("mexc.ws.trades.possible_gaps") == 0  # a rotation loses nothing

            # Compare the rotation phase with the simulator's tape: every trade exactly once.
            sim.market.pause()
            await asyncio.sleep(0.5)
            for pair, symbol in zip(pairs, symbols, strict=True):
                tape = [
                    t.trade_id for t in sim.engine.history[pair].trades if t.trade_id not in start_ids[pair]
                ]
                got = [
                    t.trade_id for t in received if t.symbol == symbol and t.trade_id not in start_ids[pair]
                ]
                assert got == tape, pair
            sim.market.resume()

            # A reconnect: still no duplicates, and trades after it arrive; the possible hole is reported.
            count = len(received)
            sim.faults.drop_connections()
            await wait_until(lambda: len(received) > count + 20, 10)
            assert metrics.value("mexc.ws.trades.possible_gaps") == len(pairs)
            assert any(
                "may be missing" in r.getMessage() and pairs[0] in r.getMessage() for r in caplog.records
            )
            ids = Counter(t.trade_id for t in received)
            assert all(n == 1 for n in ids.values())
            await ws.trade_stream.drain()
            assert [t.trade_id for t in handled][: len(received)] == [t.trade_id for t in received][
                : len(handled)
            ]
            await iterator.aclose()
            await asyncio.wait_for(collector, 5)


async def test_a_symbol_on_two_trade_channels_is_delivered_once() -> None:
    """Two intervals of one symbol push every trade twice: de-duplication stays on while both are live."""
    pair, symbol = PAIRS[0], SYMBOLS[0]
    async with MexcSimulator(symbols=[pair], seed=5, market_rate=80.0) as sim:
        config = sim_config(sim)
        async with (
            MexcPublicSpotRest(config) as rest,
            MexcPublicSpotWebsocket(config, rest=rest) as ws,
        ):
            received: list[Trade] = []
            iterator = ws.trades()

            async def collect() -> None:
                async for trade in iterator:
                    received.append(trade)

            collector = asyncio.create_task(collect())
            await ws.subscribe_trades([symbol], "100ms")
            await ws.subscribe_trades([symbol], "10ms")
            await wait_until(lambda: len(received) > 30, 10)
            sim.market.pause()
            await asyncio.sleep(0.3)
            ids = Counter(trade.trade_id for trade in received)
            assert all(n == 1 for n in ids.values())
            assert ws.metrics.value("mexc.ws.trades.duplicates") > 0  # both channels did deliver
            await iterator.aclose()
            await asyncio.wait_for(collector, 5)
