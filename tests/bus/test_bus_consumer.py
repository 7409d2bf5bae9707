"""One gateway and one consumer in this process: simulator over loopback, a real nats-server.

The consumer is the usual public exchange from the factory with ``market_data_url``; nothing in the
user's code changes. Faults are injected on the bus itself: garbage messages, a version gap.
"""

from __future__ import annotations

import asyncio

import pytest

from exchanges.bus import (
    BusMarketData,
    BusPublisher,
    LocalNatsServer,
    Subjects,
    connect_bus,
    declare_bus,
)
from exchanges.bus.parsing._events import encode_book_delta
from exchanges.errors import ConfigurationError, ExchangeConnectionError
from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PublicExchange
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, BookUpdate, OrderBook, OrderBookEntry, Side, Symbol, Trade
from exchanges_mexc.sim import MexcSimulator

from .helpers import BTC, ETH, SYMBOLS, equals_engine, until


async def test_books_equal_the_engine_and_trades_arrive_once_through_the_usual_api(
    sim: MexcSimulator, consumer: PublicExchange
) -> None:
    trades: list[Trade] = []

    async def collect() -> None:
        async for trade in consumer.iter_trades():  # type: ignore[attr-defined]
            trades.append(trade)

    collector = asyncio.create_task(collect())
    await consumer.start_trades_stream(SYMBOLS)  # type: ignore[attr-defined]
    await consumer.start_orderbook_stream(SYMBOLS)  # type: ignore[attr-defined]
    await until(lambda: all(consumer.orderbook_state(s) is BookState.LIVE for s in SYMBOLS))  # type: ignore[attr-defined]
    before = {t.trade_id for s in ("BTCUSDT", "ETHUSDT") for t in sim.engine.history[s].trades}
    await asyncio.sleep(2)
    sim.market.pause()
    await asyncio.sleep(0.2)  # the market loop finishes its batch (it sleeps <= 0.1 s)
    await until(lambda: all(equals_engine(consumer, sim, s) for s in SYMBOLS))
    made = {t.trade_id for s in ("BTCUSDT", "ETHUSDT") for t in sim.engine.history[s].trades} - before
    assert made
    await until(lambda: made <= {t.trade_id for t in trades})
    ids = [t.trade_id for t in trades]
    assert len(ids) == len(set(ids))
    assert set(ids) <= made | before
    metrics = consumer.get_performance_metrics()
    assert metrics["bus"]["connected"] is True
    assert metrics["bus"]["events"]["trade"] >= len(made)
    assert metrics["orderbooks"] == {"BTC/USDT": "LIVE", "ETH/USDT": "LIVE"}
    collector.cancel()


async def test_malformed_bus_messages_are_counted_and_skipped(
    sim: MexcSimulator, consumer: PublicExchange, nats_server: LocalNatsServer
) -> None:
    await consumer.start_trades_stream([BTC])  # type: ignore[attr-defined]
    await consumer.start_orderbook_stream([BTC])  # type: ignore[attr-defined]
    await until(lambda: consumer.orderbook_state(BTC) is BookState.LIVE)  # type: ignore[attr-defined]
    conn = await connect_bus(nats_server.url, name="vandal")
    try:
        await conn.js.publish("md.mexc_spot.trade.BTC-USDT", b"not json")
        await conn.js.publish(
            "md.mexc_spot.trade.BTC-USDT", b'{"p": -1, "q": 1, "s": "BUY", "ts": 1, "g": "x", "pt": 1}'
        )
        await conn.js.publish("md.mexc_spot.book.BTC-USDT", b'{"b": [[1, "NaN"]], "a": []}')
    finally:
        await conn.close()
    await until(lambda: consumer.get_performance_metrics()["bus"]["malformed"] == 3)
    sim.market.pause()
    await asyncio.sleep(0.2)  # the market loop finishes its batch (it sleeps <= 0.1 s)
    await until(lambda: equals_engine(consumer, sim, BTC))


async def test_a_version_gap_on_the_bus_resyncs_the_book_from_the_bus_snapshot(
    sim: MexcSimulator, consumer: PublicExchange, nats_server: LocalNatsServer
) -> None:
    await consumer.start_orderbook_stream([BTC])  # type: ignore[attr-defined]
    await until(lambda: consumer.orderbook_state(BTC) is BookState.LIVE)  # type: ignore[attr-defined]
    version = consumer.get_local_orderbook(BTC).version  # type: ignore[attr-defined]
    assert version is not None
    ahead = version + 4  # a delta from the future: the versions between never came
    conn = await connect_bus(nats_server.url, name="gap maker")
    try:
        delta = BookUpdate(BTC, [], [], ahead, ahead, 0)
        await conn.js.publish("md.mexc_spot.book.BTC-USDT", encode_book_delta(delta, "test", 0.0))
    finally:
        await conn.close()
    await until(lambda: consumer.get_performance_metrics()["details"].get("book.BTC/USDT.gaps", 0) >= 1)
    await asyncio.sleep(1)  # the market moves past the fake version
    sim.market.pause()
    await asyncio.sleep(0.2)  # the market loop finishes its batch (it sleeps <= 0.1 s)
    await until(lambda: equals_engine(consumer, sim, BTC))
    assert consumer.get_performance_metrics()["details"]["book.BTC/USDT.resyncs"] >= 1


async def test_an_unreachable_bus_is_a_clear_error(sim: MexcSimulator) -> None:
    factory = FullExchangeFactory(config={}, env={})
    exchange = await factory.create_public_exchange(
        "mexc_spot",
        environment="sim",
        overrides={
            "rest_url": sim.rest_url,
            "ws_url": sim.ws_url,
            "market_data_url": "nats://user:secret@127.0.0.1:9",
            "connect_timeout": 1,
        },
    )
    try:
        with pytest.raises(
            ExchangeConnectionError, match=r"NATS at nats://127\.0\.0\.1:9 unreachable"
        ) as info:
            await exchange.start_trades_stream([BTC])  # type: ignore[attr-defined]
        assert "secret" not in str(info.value)
    finally:
        await exchange.close()


def test_market_data_url_must_be_a_nats_url() -> None:
    factory = FullExchangeFactory(config={}, env={})
    with pytest.raises(ConfigurationError, match="market_data_url"):
        factory.get_config("mexc_spot", overrides={"market_data_url": "http://127.0.0.1:4222"})


async def test_two_gateways_publishing_the_same_trade_deliver_it_once(
    consumer: PublicExchange, nats_server: LocalNatsServer
) -> None:
    """The hand-over overlap: both publishers send the exchange's trade; the stream keeps one."""
    got: list[Trade] = []

    async def collect() -> None:
        async for trade in consumer.iter_trades():  # type: ignore[attr-defined]
            if trade.trade_id and trade.trade_id.startswith("overlap-"):
                got.append(trade)

    collector = asyncio.create_task(collect())
    await consumer.start_trades_stream([ETH])  # type: ignore[attr-defined]
    publishers = []
    for gid in ("gw-old", "gw-new"):
        conn = await connect_bus(nats_server.url, name=gid)
        subjects = Subjects("mexc_spot")
        objects = await declare_bus(conn.js, subjects)
        publishers.append(
            (conn, BusPublisher(conn, objects, subjects, gateway_id=gid, metrics=MetricsRegistry()))
        )
    try:
        for n in range(5):
            trade = Trade(ETH, 3000.0 + n, 1.0, Side.SELL, 1_700_000_000_000 + n, f"overlap-{n}")
            for _, publisher in publishers:
                await publisher.trade(trade)
        for _, publisher in publishers:
            await publisher.drain()
        await until(lambda: len(got) >= 5)
        await asyncio.sleep(0.5)  # room for a duplicate to show up
        assert [t.trade_id for t in got] == [f"overlap-{n}" for n in range(5)]
        assert publishers[1][1].sent("trade") == 5
    finally:
        collector.cancel()
        for conn, _ in publishers:
            await conn.close()


async def test_a_snapshot_older_than_deltas_the_consumer_never_saw_does_not_make_a_live_book(
    nats_server: LocalNatsServer,
) -> None:
    """Deltas 11 and 12 went out before the consumer subscribed; the stored snapshot is still v10.
    The book must wait for a snapshot at least at v12 instead of going LIVE behind the truth."""
    sol = Symbol("SOL", "USDT")
    conn = await connect_bus(nats_server.url, name="publisher")
    subjects = Subjects("mexc_spot")
    objects = await declare_bus(conn.js, subjects)
    publisher = BusPublisher(conn, objects, subjects, gateway_id="gw", metrics=MetricsRegistry())
    source = BusMarketData(nats_server.url, exchange="mexc_spot", metrics=MetricsRegistry())
    try:
        await publisher.snapshot(
            OrderBook(sol, (OrderBookEntry(99.0, 1.0),), (OrderBookEntry(101.0, 1.0),), 1, 10)
        )
        await publisher.book_delta(BookUpdate(sol, [(99.0, 2.0)], [], 11, 11, 2))
        await publisher.book_delta(BookUpdate(sol, [(98.0, 5.0)], [], 12, 12, 3))
        await publisher.drain()
        await source.subscribe_orderbook([sol])
        with pytest.raises(TimeoutError):
            await source.wait_orderbook_ready([sol], timeout=1.0)
        await publisher.snapshot(
            OrderBook(
                sol,
                (OrderBookEntry(99.0, 2.0), OrderBookEntry(98.0, 5.0)),
                (OrderBookEntry(101.0, 1.0),),
                3,
                12,
            )
        )
        await source.wait_orderbook_ready([sol], timeout=30.0)
        book = source.get_orderbook(sol)
        assert book.version == 12
        assert [(e.price, e.size) for e in book.bids] == [(99.0, 2.0), (98.0, 5.0)]
    finally:
        await source.close()
        await conn.close()
