"""Hypothesis properties of the domain models the framework relies on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.models import AssetBalance, AssetName, OrderBookEntry, OrderStatus, Side, Symbol

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


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False))
def test_orderbook_entry_is_a_price_size_pair(price: float, size: float) -> None:
    entry = OrderBookEntry(price, size)
    assert tuple(entry) == (price, size)
    assert entry == OrderBookEntry(price=price, size=size)
    assert entry.price == price
    assert entry.size == size


@given(assets, money, money)
def test_asset_balance_total(asset: str, free: Decimal, locked: Decimal) -> None:
    balance = AssetBalance(AssetName(asset.upper()), free, locked)
    assert balance.total == free + locked
    assert balance.total >= balance.free


@given(st.sampled_from(OrderStatus))
def test_order_status_is_open(status: OrderStatus) -> None:
    assert status.is_open == (status in {OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED})


@given(st.sampled_from(Side))
def test_side_opposite_is_an_involution(side: Side) -> None:
    assert side.opposite is not side
    assert side.opposite.opposite is side
