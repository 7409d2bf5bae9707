"""Hypothesis properties of the domain models the framework relies on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.models import AssetBalance, AssetName, OrderStatus, Side, Symbol

assets = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefxyz", min_size=1, max_size=10)
money = st.decimals(min_value=0, max_value=10**12, places=8, allow_nan=False, allow_infinity=False)


@given(assets, assets)
def test_symbol_str_parse_round_trip(base: str, quote: str) -> None:
    symbol = Symbol(AssetName(base), AssetName(quote))
    assert Symbol.parse(str(symbol)) == symbol
    assert str(symbol) == f"{base.upper()}/{quote.upper()}"
    for separator in "-_":
        assert Symbol.parse(f"{base}{separator}{quote}") == symbol
    assert hash(Symbol(AssetName(base.lower()), AssetName(quote.lower()))) == hash(symbol)


@given(st.text(max_size=12).filter(lambda t: not any(sep in t for sep in "/-_")))
def test_symbol_parse_rejects_text_without_separator(text: str) -> None:
    with pytest.raises(ValueError, match="cannot parse symbol"):
        Symbol.parse(text)


@given(assets, money, money)
def test_asset_balance_total(asset: str, free: Decimal, locked: Decimal) -> None:
    balance = AssetBalance(AssetName(asset.upper()), free, locked)
    assert balance.total == free + locked
    assert balance.total >= balance.free


def test_order_status_is_open_for_exactly_the_tradable_states() -> None:
    # A fixed table: a new status must be classified here on purpose, not inherit a default.
    expected = {
        OrderStatus.NEW: True,
        OrderStatus.PARTIALLY_FILLED: True,
        OrderStatus.FILLED: False,
        OrderStatus.CANCELED: False,
        OrderStatus.PARTIALLY_CANCELED: False,
        OrderStatus.REJECTED: False,
        OrderStatus.EXPIRED: False,
    }
    assert {status: status.is_open for status in OrderStatus} == expected


@given(st.sampled_from(Side))
def test_side_opposite_is_an_involution(side: Side) -> None:
    assert side.opposite is not side
    assert side.opposite.opposite is side
