"""Fixtures for the bus: a real ``nats-server -js`` on a free loopback port (never a mock), the
simulator over loopback, one in-process gateway, and public exchanges reading the bus or MEXC."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from exchanges.bus import LocalNatsServer, MarketDataGateway
from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PublicExchange
from exchanges_mexc.sim import MexcSimulator

from .helpers import SYMBOLS


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[LocalNatsServer]:
    """``nats-server -js -a 127.0.0.1 -p <free port> -sd <tmp dir>``, stopped after the test."""
    server = LocalNatsServer(store_dir=tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[MexcSimulator]:
    async with MexcSimulator(symbols=("BTCUSDT", "ETHUSDT"), seed=5, market_rate=20.0) as simulator:
        yield simulator


async def sim_exchange(sim: MexcSimulator, **overrides: object) -> PublicExchange:
    """A public exchange on the simulator (``market_data_url=...`` makes it read the bus)."""
    factory = FullExchangeFactory(config={}, env={})
    return await factory.create_public_exchange(
        "mexc_spot",
        environment="sim",
        overrides={"rest_url": sim.rest_url, "ws_url": sim.ws_url, **overrides},
    )


@pytest_asyncio.fixture
async def gateway(sim: MexcSimulator, nats_server: LocalNatsServer) -> AsyncIterator[MarketDataGateway]:
    exchange = await sim_exchange(sim)
    gw = MarketDataGateway(exchange, exchange_name="mexc_spot", nats_url=nats_server.url, universe=SYMBOLS)
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
    """The usual public exchange, reading market data from the bus the gateway publishes to."""
    exchange = await sim_exchange(sim, market_data_url=nats_server.url)
    try:
        yield exchange
    finally:
        await exchange.close()


@pytest_asyncio.fixture
async def direct(sim: MexcSimulator) -> AsyncIterator[PublicExchange]:
    """The same public exchange connected to the simulator directly (what the bus must equal)."""
    exchange = await sim_exchange(sim)
    try:
        yield exchange
    finally:
        await exchange.close()
