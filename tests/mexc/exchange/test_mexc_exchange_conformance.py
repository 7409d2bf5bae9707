"""The framework's conformance kit run on ``mexc_spot`` against the simulator, as any plugin author would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import pytest_asyncio

from exchanges.config import Credentials
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import AssetName, Symbol
from exchanges.testing import PrivateExchangeConformance, PublicExchangeConformance
from exchanges_mexc.sim import MexcSimulator

BTC = Symbol(AssetName("BTC"), AssetName("USDT"))


class TestMexcPublicConformance(PublicExchangeConformance):
    @pytest_asyncio.fixture
    async def public_exchange(self, public: PublicExchange) -> AsyncIterator[PublicExchange]:  # type: ignore[override]
        yield public

    @pytest.fixture
    def known_symbol(self) -> Symbol:
        return BTC

    @pytest.fixture
    def stream_timeout(self) -> float:
        return 10.0


class TestMexcPrivateConformance(PrivateExchangeConformance):
    @pytest_asyncio.fixture
    async def private_exchange(self, private: PrivateExchange) -> AsyncIterator[PrivateExchange]:  # type: ignore[override]
        yield private

    @pytest.fixture
    def known_symbol(self) -> Symbol:
        return BTC

    @pytest.fixture
    def tradable_quantity(self) -> Decimal:
        return Decimal("0.001")

    @pytest.fixture
    def tradable_price(self) -> Decimal:
        return Decimal("50000")  # below the simulator's ~60000 market, inside its 20 % price band


def test_fixtures_use_the_simulator(sim: MexcSimulator, credentials: Credentials) -> None:
    assert sim.rest_url.startswith("http://127.0.0.1:")
    assert credentials.api_key.startswith("mx0v")
