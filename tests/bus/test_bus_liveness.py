"""A consumer's book is LIVE only while its feed is heard (simulator over loopback, real nats-server).

A gateway that holds a symbol's lease but does not publish it (the takeover fault seen in the
300-symbol soak) must not leave consumer books LIVE and behind: the consumer marks them STALE after
``ws_liveness_timeout``, the gateway's self-check gives the lease back, a gateway takes the symbol
afresh, and the book comes back LIVE and equal to the engine. A quiet market is not a silent feed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import attrs
import pytest_asyncio

from exchanges.bus import LocalNatsServer, MarketDataGateway
from exchanges.bus._gateway import GatewaySettings
from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PublicExchange
from exchanges.models import BookState, Symbol
from exchanges_mexc.sim import MexcSimulator

BTC, ETH = Symbol("BTC", "USDT"), Symbol("ETH", "USDT")
SYMBOLS = [BTC, ETH]
LIVENESS_TIMEOUT = 1.5
NEVER = 1e9


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[MexcSimulator]:
    async with MexcSimulator(symbols=("BTCUSDT", "ETHUSDT"), seed=7, market_rate=20.0) as simulator:
        yield simulator


@pytest_asyncio.fixture
async def gateway(sim: MexcSimulator, nats_server: LocalNatsServer) -> AsyncIterator[MarketDataGateway]:
    factory = FullExchangeFactory(config={}, env={})
    exchange = await factory.create_public_exchange(
        "mexc_spot", environment="sim", overrides={"rest_url": sim.rest_url, "ws_url": sim.ws_url}
    )
    settings = GatewaySettings(liveness_interval=0.25, stuck_after=NEVER)  # self-check off until asked
    gw = MarketDataGateway(
        exchange, exchange_name="mexc_spot", nats_url=nats_server.url, universe=SYMBOLS, settings=settings
    )
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()
        await exchange.close()


@pytest_asyncio.fixture
async def consumer(
    sim: MexcSimulator, nats_server: LocalNatsServer, gateway: MarketDataGateway
) -> AsyncIterator[PublicExchange]:
    factory = FullExchangeFactory(config={}, env={})
    exchange = await factory.create_public_exchange(
        "mexc_spot",
        environment="sim",
        overrides={
            "rest_url": sim.rest_url,
            "ws_url": sim.ws_url,
            "market_data_url": nats_server.url,
            "ws_liveness_timeout": LIVENESS_TIMEOUT,
        },
    )
    try:
        yield exchange
    finally:
        await exchange.close()


async def until(check: Callable[[], bool], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def state(exchange: PublicExchange, symbol: Symbol) -> BookState:
    return exchange.orderbook_state(symbol)  # type: ignore[attr-defined, no-any-return]


def equals_engine(exchange: PublicExchange, sim: MexcSimulator, symbol: Symbol) -> bool:
    if state(exchange, symbol) is not BookState.LIVE:
        return False
    book = exchange.get_local_orderbook(symbol)  # type: ignore[attr-defined]
    bids, asks, version = sim.engine.book_levels(f"{symbol.base}{symbol.quote}")
    return (
        book.version == version
        and [(e.price, e.size) for e in book.bids] == [(float(p), float(q)) for p, q in bids]
        and [(e.price, e.size) for e in book.asks] == [(float(p), float(q)) for p, q in asks]
    )


async def test_a_held_but_silent_symbol_leaves_live_and_returns_when_taken_afresh(
    sim: MexcSimulator, gateway: MarketDataGateway, consumer: PublicExchange
) -> None:
    await consumer.start_orderbook_stream(SYMBOLS)  # type: ignore[attr-defined]
    await until(lambda: all(state(consumer, s) is BookState.LIVE for s in SYMBOLS))
    assert "BTC-USDT" in gateway.leases.held  # type: ignore[union-attr]

    gateway.owned.discard(BTC)  # the fault: the lease stays held, nothing of BTC is published
    await until(lambda: state(consumer, BTC) is not BookState.LIVE)
    assert state(consumer, BTC) is BookState.STALE
    assert "BTC-USDT" in gateway.leases.held  # type: ignore[union-attr]  (no lease change told it)
    details = consumer.get_performance_metrics()["details"]
    assert details["bus.books.BTC/USDT.silent"] >= 1
    assert details.get("bus.books.ETH/USDT.silent", 0) == 0  # its feed is heard: it stays LIVE
    assert state(consumer, ETH) is BookState.LIVE

    gateway.settings = attrs.evolve(gateway.settings, stuck_after=1.0)  # the self-check now acts
    await until(lambda: gateway.metrics.value("bus.gateway.stuck_given_back") >= 1)
    await until(lambda: BTC in gateway.owned and state(consumer, BTC) is BookState.LIVE)
    sim.market.pause()
    await asyncio.sleep(0.2)  # the market loop finishes its batch (it sleeps <= 0.1 s)
    await until(lambda: all(equals_engine(consumer, sim, s) for s in SYMBOLS))


async def test_a_quiet_market_keeps_books_live_through_gateway_liveness(
    sim: MexcSimulator, consumer: PublicExchange
) -> None:
    await consumer.start_orderbook_stream(SYMBOLS)  # type: ignore[attr-defined]
    await until(lambda: all(state(consumer, s) is BookState.LIVE for s in SYMBOLS))
    sim.market.pause()
    await asyncio.sleep(3 * LIVENESS_TIMEOUT)  # no delta at all for three deadlines
    assert consumer.get_performance_metrics()["bus"]["silent_books"] == 0
    assert all(equals_engine(consumer, sim, s) for s in SYMBOLS)
