"""Shared fixtures for the invariant tests: a simulator, a seeded fault schedule, a chaos proxy in between.

Seeds: ``CHAOS_SEED=N`` replays one run; CI (``CI=true``) uses each test's fixed default seed so a run is
reproducible; local runs draw a fresh seed each time so they keep exploring. The seed of a failing test
is printed in its report (section "chaos schedule").
"""

from __future__ import annotations

import os
import zlib
from collections.abc import AsyncIterator, Generator
from typing import Any

import pytest
import pytest_asyncio

from exchanges.config import Credentials
from exchanges.factory import FullExchangeFactory
from exchanges.testing.chaos import SEED_VARIABLE
from exchanges_mexc.sim import MexcSimulator, SimAccount


def chaos_seed(request: pytest.FixtureRequest) -> int:
    """``$CHAOS_SEED``, else (in CI) a fixed seed per test, else a fresh one."""
    if os.environ.get(SEED_VARIABLE):
        return int(os.environ[SEED_VARIABLE])
    if os.environ.get("CI"):
        return zlib.crc32(request.node.nodeid.encode())
    return int.from_bytes(os.urandom(4), "big")


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    value = chaos_seed(request)
    request.node.chaos_seed = value
    return value


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    chaos = getattr(item, "chaos_seed", None)
    if report.failed and chaos is not None:
        report.sections.append(("chaos schedule", f"seed={chaos}: replay with {SEED_VARIABLE}={chaos}"))


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[MexcSimulator]:
    async with MexcSimulator(
        symbols=("BTCUSDT", "ETHUSDT"), seed=5, market_rate=40.0, ticker_interval=0.5
    ) as simulator:
        yield simulator


@pytest.fixture
def account(sim: MexcSimulator) -> SimAccount:
    return sim.create_account({"USDT": "10000000", "BTC": "1000", "ETH": "10000"})


@pytest.fixture
def credentials(account: SimAccount) -> Credentials:
    return Credentials(account.api_key, account.secret_key)


@pytest.fixture
def factory() -> FullExchangeFactory:
    return FullExchangeFactory(config={}, env={})
