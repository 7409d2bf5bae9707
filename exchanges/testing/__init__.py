"""A conformance kit for plugin authors: point it at your exchange (and your simulator) and run pytest.

::

    from exchanges.testing import PublicExchangeConformance

    class TestToyPublic(PublicExchangeConformance):
        @pytest_asyncio.fixture
        async def public_exchange(self):
            async with ToyExchange() as exchange:
                yield exchange

        @pytest.fixture
        def known_symbol(self):
            return Symbol("BTC", "USDT")

Every inherited ``test_*`` method then checks one part of the contract of
:mod:`exchanges.interfaces` and :mod:`exchanges.capabilities`. The kit needs pytest and
pytest-asyncio: install ``exchangekit[testing]``. Its pytest plugin
(:mod:`exchanges.testing.pytest_plugin`, loaded through the ``pytest11`` entry point) runs the async
tests without any asyncio configuration and provides the ``exchange_factory`` fixture; see
docs/writing-a-plugin.md for every fixture. The ``assert_valid_*`` helpers below
can be used on their own.
"""

from exchanges.testing._checks import (
    assert_valid_balances,
    assert_valid_book_ticker,
    assert_valid_order,
    assert_valid_orderbook,
    assert_valid_symbols_info,
    assert_valid_ticker,
    assert_valid_trades,
    wait_for_condition,
)
from exchanges.testing._contract import ContractViolation
from exchanges.testing._private import PrivateExchangeConformance
from exchanges.testing._public import PublicExchangeConformance

__all__ = [
    "ContractViolation",
    "PrivateExchangeConformance",
    "PublicExchangeConformance",
    "assert_valid_balances",
    "assert_valid_book_ticker",
    "assert_valid_order",
    "assert_valid_orderbook",
    "assert_valid_symbols_info",
    "assert_valid_ticker",
    "assert_valid_trades",
    "wait_for_condition",
]
