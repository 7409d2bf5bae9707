"""The conformance kit run against the toy plugin, as a plugin author would run it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import pytest_asyncio
from toy_exchange import ToyExchange, ToyPrivateExchange
from toy_exchange.plugin import SPEC

from exchanges.config import Credentials
from exchanges.models import Symbol
from exchanges.registry import ExchangeSpec
from exchanges.testing import PrivateExchangeConformance, PublicExchangeConformance


class TestToyPublicConformance(PublicExchangeConformance):
    @pytest_asyncio.fixture
    async def public_exchange(self) -> AsyncIterator[ToyExchange]:
        async with ToyExchange(SPEC.default_config, [Symbol("BTC", "USDT")]) as exchange:
            yield exchange

    @pytest.fixture
    def known_symbol(self) -> Symbol:
        return Symbol("BTC", "USDT")

    @pytest.fixture
    def exchange_spec(self) -> ExchangeSpec:
        return SPEC

    @pytest.fixture
    def stream_timeout(self) -> float:
        return 5.0


class TestToyPrivateConformance(PrivateExchangeConformance):
    @pytest_asyncio.fixture
    async def private_exchange(self) -> AsyncIterator[ToyPrivateExchange]:
        async with ToyPrivateExchange(SPEC.default_config, Credentials("k" * 12, "s" * 12)) as exchange:
            yield exchange

    @pytest.fixture
    def known_symbol(self) -> Symbol:
        return Symbol("BTC", "USDT")

    @pytest.fixture
    def tradable_quantity(self) -> Decimal:
        return Decimal("0.001")

    @pytest.fixture
    def tradable_price(self) -> Decimal:
        return Decimal("10000")

    @pytest.fixture
    def exchange_spec(self) -> ExchangeSpec:
        return SPEC
