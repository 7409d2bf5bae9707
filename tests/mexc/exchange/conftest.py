"""Fixtures: a MEXC simulator on loopback and exchanges created through the factory (no mocks)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from exchanges.config import Credentials
from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import AssetName, Symbol
from exchanges_mexc.sim import MexcSimulator, SimAccount

BTC_USDT = Symbol(AssetName("BTC"), AssetName("USDT"))
ETH_USDT = Symbol(AssetName("ETH"), AssetName("USDT"))


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[MexcSimulator]:
    async with MexcSimulator(
        symbols=("BTCUSDT", "ETHUSDT"), seed=3, market_rate=50.0, ticker_interval=0.3
    ) as simulator:
        yield simulator


@pytest.fixture
def account(sim: MexcSimulator) -> SimAccount:
    return sim.create_account({"USDT": "100000", "BTC": "10", "ETH": "50"})


@pytest.fixture
def credentials(account: SimAccount) -> Credentials:
    return Credentials(account.api_key, account.secret_key)


@pytest.fixture
def factory() -> FullExchangeFactory:
    """Config from nothing but the plugin defaults (no TOML file, no environment variables)."""
    return FullExchangeFactory(config={}, env={})


@pytest.fixture
def sim_overrides(sim: MexcSimulator) -> dict[str, str]:
    return {"rest_url": sim.rest_url, "ws_url": sim.ws_url}


@pytest_asyncio.fixture
async def public(
    factory: FullExchangeFactory, sim_overrides: dict[str, str]
) -> AsyncIterator[PublicExchange]:
    exchange = await factory.create_public_exchange(
        "mexc_spot", [BTC_USDT, ETH_USDT], environment="sim", overrides=sim_overrides
    )
    try:
        yield exchange
    finally:
        await exchange.close()


@pytest_asyncio.fixture
async def private(
    factory: FullExchangeFactory, credentials: Credentials, sim_overrides: dict[str, str]
) -> AsyncIterator[PrivateExchange]:
    exchange = await factory.create_private_exchange(
        "mexc_spot", credentials, environment="sim", overrides=sim_overrides
    )
    try:
        yield exchange
    finally:
        await exchange.close()
