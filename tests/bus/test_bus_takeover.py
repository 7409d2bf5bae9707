"""A takeover from a killed gateway never leaves a consumer's book LIVE and behind (simulator over
loopback, a real nats-server, the killed gateway a real ``exchanges gateway`` process).

The root cause of the 300-symbol soak failure, at the smallest scale: a gateway dies (``kill -9``)
with the consumer's book at version v; the market moves while nobody publishes; the gateway that
takes the symbol over starts its book from a REST snapshot at v+k and publishes that snapshot (to
the snapshot bucket) and its liveness, but no delta, because the market is quiet now. Without a
later delta the consumer never saw a version gap, and the new gateway's liveness kept the book
"heard": it stayed LIVE at v forever. The consumer now compares its book with the version the
liveness message announces and resyncs from the bus snapshot when it stays behind.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest_asyncio

from exchanges.bus import LocalNatsServer, MarketDataGateway
from exchanges.bus._gateway import GatewaySettings
from exchanges.bus._leases import LeaseSettings
from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PublicExchange
from exchanges.models import BookState, Symbol
from exchanges_mexc.sim import MexcSimulator

from .cluster import LEASE_TTL, lease_holders, start_gateway

BTC, ETH = Symbol("BTC", "USDT"), Symbol("ETH", "USDT")
SYMBOLS = [BTC, ETH]
NAMES = [str(s) for s in SYMBOLS]
LIVENESS_TIMEOUT = 120.0  # far above the takeover: the consumer must not rely on going STALE


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[MexcSimulator]:
    async with MexcSimulator(symbols=("BTCUSDT", "ETHUSDT"), seed=11, market_rate=20.0) as simulator:
        yield simulator


async def until(check: Callable[[], bool], within: float = 90.0, what: str = "condition") -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, f"not within {within} s: {what}"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def engine_version(sim: MexcSimulator, symbol: Symbol) -> int:
    return int(sim.engine.book_levels(f"{symbol.base}{symbol.quote}")[2])


def equals_engine(exchange: PublicExchange, sim: MexcSimulator, symbol: Symbol) -> bool:
    if exchange.orderbook_state(symbol) is not BookState.LIVE:  # type: ignore[attr-defined]
        return False
    book = exchange.get_local_orderbook(symbol)  # type: ignore[attr-defined]
    bids, asks, version = sim.engine.book_levels(f"{symbol.base}{symbol.quote}")
    return (
        book.version == version
        and [(e.price, e.size) for e in book.bids] == [(float(p), float(q)) for p, q in bids]
        and [(e.price, e.size) for e in book.asks] == [(float(p), float(q)) for p, q in asks]
    )


async def pause(sim: MexcSimulator) -> None:
    sim.market.pause()
    await asyncio.sleep(0.2)  # the market loop finishes the batch it may be in (it sleeps <= 0.1 s)


async def test_a_symbol_taken_over_from_a_killed_gateway_in_a_quiet_market_comes_back_equal(
    sim: MexcSimulator, nats_server: LocalNatsServer
) -> None:
    url = nats_server.url
    factory = FullExchangeFactory(config={}, env={})
    consumer = await factory.create_public_exchange(
        "mexc_spot",
        environment="sim",
        overrides={
            "rest_url": sim.rest_url,
            "ws_url": sim.ws_url,
            "market_data_url": url,
            "ws_liveness_timeout": LIVENESS_TIMEOUT,
        },
    )
    first, first_id = await start_gateway(url, sim, NAMES)
    second_exchange: PublicExchange | None = None
    second: MarketDataGateway | None = None
    try:
        holders: dict[str, str] = {}

        async def all_held_by_first() -> None:
            while set(holders.values()) != {first_id} or len(holders) != len(SYMBOLS):
                await asyncio.sleep(0.1)
                holders.update(await lease_holders(url))

        await asyncio.wait_for(all_held_by_first(), 90)
        await consumer.start_orderbook_stream(SYMBOLS)  # type: ignore[attr-defined]
        await pause(sim)
        await until(lambda: all(equals_engine(consumer, sim, s) for s in SYMBOLS), what="books equal")
        before = {s: engine_version(sim, s) for s in SYMBOLS}

        first.kill()  # kill -9: no hand-over, no lease deleted, nothing more published
        await first.process.wait()
        sim.market.resume()  # the market moves while nobody publishes
        await until(lambda: all(engine_version(sim, s) > before[s] for s in SYMBOLS), what="market moved")
        await pause(sim)  # ... and goes quiet before anyone publishes a delta
        moved = {s: engine_version(sim, s) for s in SYMBOLS}

        second_exchange = await factory.create_public_exchange(
            "mexc_spot", environment="sim", overrides={"rest_url": sim.rest_url, "ws_url": sim.ws_url}
        )
        second = MarketDataGateway(
            second_exchange,
            exchange_name="mexc_spot",
            nats_url=url,
            universe=SYMBOLS,
            settings=GatewaySettings(group="t", leases=LeaseSettings(ttl=LEASE_TTL), liveness_interval=0.25),
        )
        await second.start()
        gateway = second
        await until(lambda: len(gateway.leases.held) == len(SYMBOLS), what="takeover")  # type: ignore[union-attr]
        await until(lambda: all(s in gateway._published for s in SYMBOLS), what="new gateway publishing")
        assert all(gateway._published[s] == moved[s] for s in SYMBOLS)  # from its REST snapshot
        assert gateway.metrics.value("bus.publish.book") == 0  # not one delta: the market is quiet

        # the consumer's books were LIVE at `before`; they must come back equal to the engine
        await until(lambda: all(equals_engine(consumer, sim, s) for s in SYMBOLS), what="books caught up")
        details = consumer.get_performance_metrics()["details"]
        assert all(details[f"bus.books.{s}.behind"] >= 1 for s in SYMBOLS)
        assert details.get("bus.books.silent", 0) == 0  # caught up by the version, not by a timeout
    finally:
        first.kill()
        await first.process.wait()
        if second is not None:
            await second.stop()
        if second_exchange is not None:
            await second_exchange.close()
        await consumer.close()
