"""Fixtures for the MEXC REST tests: a simulator on 127.0.0.1 and clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from exchanges.config import Credentials, ExchangeConfig
from exchanges_mexc.plugin import SPEC
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.sim import MexcSimulator

SYMBOL_OVERRIDES: dict[str, dict[str, Any]] = {
    "FOOUSDT": {"trade_side_type": 2},  # buy only
    "BARUSDT": {"api_tradable": False},  # listed, not API-tradable (10007)
}


def make_config(sim: MexcSimulator, **overrides: Any) -> ExchangeConfig:
    settings: dict[str, Any] = {
        "rest_url": sim.rest_url,
        "ws_url": sim.ws_url,
        "environment": "sim",
        "request_timeout": 3.0,
        "order_timeout": 0.5,
        "connect_timeout": 1.0,
        "max_retries": 2,
        "retry_delay": 0.01,
        "reconcile_settle_delay": 0.05,
        "reconcile_backoff": 0.02,
    }
    settings.update(overrides)
    return SPEC.default_config.with_overrides(**settings)


@pytest.fixture(name="make_config")
def make_config_fixture() -> Callable[..., ExchangeConfig]:
    """``make_config(sim, **overrides)`` for tests that run their own simulator."""
    return make_config


@pytest.fixture
def make_cfg(sim: MexcSimulator) -> Callable[..., ExchangeConfig]:
    """``make_cfg(**overrides)``: a config for this simulator."""
    return lambda **overrides: make_config(sim, **overrides)


@pytest.fixture
async def sim() -> AsyncIterator[MexcSimulator]:
    simulator = MexcSimulator(
        symbols=("BTCUSDT", "ETHUSDT", "FOOUSDT", "BARUSDT"),
        seed=7,
        market_rate=0.0,
        symbol_overrides=SYMBOL_OVERRIDES,
    )
    async with simulator:
        yield simulator


@pytest.fixture
def account(sim: MexcSimulator) -> Any:
    return sim.create_account(balances={"USDT": "100000", "BTC": "10", "FOO": "1000"})


@pytest.fixture
async def public(sim: MexcSimulator) -> AsyncIterator[MexcPublicSpotRest]:
    client = MexcPublicSpotRest(make_config(sim))
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def private(sim: MexcSimulator, account: Any) -> AsyncIterator[MexcPrivateSpotRest]:
    client = MexcPrivateSpotRest(make_config(sim), Credentials(account.api_key, account.secret_key))
    await client.initialize()
    try:
        yield client
    finally:
        await client.close()
