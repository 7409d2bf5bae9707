"""The framework's conformance kit run against the toy exchange (no conftest, no asyncio config)."""

from decimal import Decimal

import pytest
import pytest_asyncio
from toy_exchange import ToyExchange, ToyPrivateExchange
from toy_exchange.plugin import SPEC

from exchanges.config import Credentials
from exchanges.models import Symbol
from exchanges.testing import PrivateExchangeConformance, PublicExchangeConformance

BTC = Symbol("BTC", "USDT")


class TestToyPublic(PublicExchangeConformance):
    @pytest_asyncio.fixture
    async def public_exchange(self):
        async with ToyExchange(SPEC.default_config, [BTC]) as exchange:
            yield exchange

    @pytest.fixture
    def known_symbol(self):
        return BTC

    @pytest.fixture
    def exchange_spec(self):
        return SPEC

    @pytest.fixture
    def stream_timeout(self):
        return 5.0


class TestToyPrivate(PrivateExchangeConformance):
    @pytest_asyncio.fixture
    async def private_exchange(self):
        async with ToyPrivateExchange(SPEC.default_config, Credentials("k" * 12, "s" * 12)) as exchange:
            yield exchange

    @pytest.fixture
    def known_symbol(self):
        return BTC

    @pytest.fixture
    def tradable_quantity(self):
        return Decimal("0.001")

    @pytest.fixture
    def tradable_price(self):
        return Decimal("10000")

    @pytest.fixture
    def exchange_spec(self):
        return SPEC
