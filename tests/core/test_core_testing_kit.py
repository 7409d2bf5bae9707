"""The conformance kit's checks reject records that break the contract (so the kit can fail)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.models import AssetBalance, AssetName, OrderBook, OrderBookEntry, Symbol, Trade
from exchanges.models import Side as S
from exchanges.testing import assert_valid_balances, assert_valid_orderbook, assert_valid_trades

BTC = Symbol("BTC", "USDT")


def book(bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> OrderBook:
    return OrderBook(
        BTC, tuple(OrderBookEntry(*b) for b in bids), tuple(OrderBookEntry(*a) for a in asks), 1, None
    )


def test_valid_book_passes() -> None:
    assert_valid_orderbook(book([(2.0, 1.0), (1.0, 1.0)], [(3.0, 1.0), (4.0, 1.0)]), BTC)


@pytest.mark.parametrize(
    ("bids", "asks", "message"),
    [
        ([(1.0, 1.0), (2.0, 1.0)], [(3.0, 1.0)], "bids must be sorted"),
        ([(2.0, 1.0)], [(4.0, 1.0), (3.0, 1.0)], "asks must be sorted"),
        ([(3.0, 1.0)], [(3.0, 1.0)], "crossed"),
        ([(2.0, 0.0)], [(3.0, 1.0)], "bid size must be positive"),
        ([(2, 1.0)], [(3.0, 1.0)], "must be a float"),
    ],
)
def test_bad_books_fail(
    bids: list[tuple[float, float]], asks: list[tuple[float, float]], message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        assert_valid_orderbook(book(bids, asks), BTC)


def test_wrong_symbol_and_trade_order_fail() -> None:
    with pytest.raises(AssertionError):
        assert_valid_orderbook(book([], []), Symbol("ETH", "USDT"))
    trades = [Trade(BTC, 1.0, 1.0, S.BUY, 2), Trade(BTC, 1.0, 1.0, S.BUY, 1)]
    with pytest.raises(AssertionError, match="oldest first"):
        assert_valid_trades(trades, BTC)


def test_balance_checks() -> None:
    usdt = AssetName("USDT")
    assert_valid_balances({usdt: AssetBalance(usdt, Decimal(1))})
    with pytest.raises(AssertionError):
        assert_valid_balances({usdt: AssetBalance(usdt, Decimal(-1))})


def test_every_kit_check_says_what_the_contract_expected() -> None:
    """No bare AssertionError from the kit: each assert in it carries a message."""
    import ast
    from pathlib import Path

    import exchanges.testing

    kit = Path(exchanges.testing.__file__).parent
    bare = [
        f"{path.name}:{node.lineno}"
        for path in kit.glob("_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assert) and node.msg is None
    ]
    assert not bare, f"asserts without a message in the conformance kit: {bare}"


def test_contract_violation_is_an_assertion_error() -> None:
    from exchanges.testing import ContractViolation

    with pytest.raises(AssertionError, match="got -1"):
        assert_valid_balances({AssetName("X"): AssetBalance(AssetName("X"), Decimal(-1))})
    assert issubclass(ContractViolation, AssertionError)
