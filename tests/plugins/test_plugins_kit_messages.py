"""A plugin author's mistake gets a message naming the contract, not a bare AssertionError."""

from __future__ import annotations

import pytest
from toy_exchange import ToyExchange
from toy_exchange.plugin import SPEC

from exchanges.models import Symbol
from exchanges.testing import PublicExchangeConformance

BTC = Symbol("BTC", "USDT")


async def test_symbols_must_be_a_tuple_and_the_failure_says_so() -> None:
    exchange = ToyExchange(SPEC.default_config, [BTC])
    exchange.symbols = [BTC]  # type: ignore[assignment]
    with pytest.raises(AssertionError, match=r"'symbols' attribute must be a tuple of Symbol"):
        await PublicExchangeConformance().test_is_public_exchange(exchange)


async def test_a_missing_name_says_what_is_expected() -> None:
    exchange = ToyExchange(SPEC.default_config, [BTC])
    exchange.name = ""
    with pytest.raises(AssertionError, match=r"non-empty str attribute 'name'"):
        await PublicExchangeConformance().test_is_public_exchange(exchange)
