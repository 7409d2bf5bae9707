"""Pre-flight order validation and quantization (pure; hypothesis for the number handling)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.errors import InvalidOrder, SymbolNotSupported, TradingDisabled
from exchanges.models import OrderRequest, OrderType, Side, Symbol, SymbolInfo, to_amount
from exchanges.transport._rest_support import plain_decimal
from exchanges_mexc.parsing.reference import parse_symbol_info
from exchanges_mexc.rest.preflight import (
    PreparedOrder,
    check_client_order_id,
    new_client_order_id,
    prepare_order,
    quantize_down,
)

BTC = Symbol("BTC", "USDT")
INFO = SymbolInfo(
    symbol=BTC,
    base_precision=6,
    quote_precision=2,
    min_quantity=Decimal("0.000001"),
    quantity_step=Decimal("0.000001"),
    min_notional=Decimal("5"),
    max_notional=Decimal("2000000"),
    min_notional_market=Decimal("1"),
    max_notional_market=Decimal("100000"),
    order_types=frozenset({OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER}),
)


def prepare_order_args(info: SymbolInfo | None, *args: object, **kw: object) -> PreparedOrder:
    """The pre-flight of ``OrderRequest(BTC, *args, **kw)`` for pair BTCUSDT."""
    return prepare_order(info, OrderRequest(BTC, *args, **kw), "BTCUSDT")  # type: ignore[arg-type]


def prep(info: SymbolInfo | None = INFO, **kw: object) -> object:
    args: dict[str, object] = {"side": Side.BUY, "order_type": OrderType.LIMIT}
    args.update(kw)
    return prepare_order(info, OrderRequest(BTC, **args), "BTCUSDT")  # type: ignore[arg-type]


def test_limit_order_params_are_plain_decimals() -> None:
    order = prepare_order_args(INFO, Side.BUY, OrderType.LIMIT, 0.0012345678, "50000.10", None, "abc_1")
    assert order.quantity == Decimal("0.001234")
    assert order.params() == [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("quantity", "0.001234"),
        ("price", "50000.1"),
        ("newClientOrderId", "abc_1"),
    ]


def test_float_never_reaches_wire_in_exponent_form() -> None:
    info = SymbolInfo(symbol=BTC, base_precision=8, quote_precision=8, order_types=frozenset(OrderType))
    order = prepare_order_args(info, Side.SELL, OrderType.LIMIT, 1e-05, 2e-05)
    params = dict(order.params())
    assert params["quantity"] == "0.00001"
    assert params["price"] == "0.00002"


def test_price_off_tick_is_refused_not_rounded() -> None:
    with pytest.raises(InvalidOrder, match=r"price 50000.123 does not fit the tick size 0.01"):
        prep(quantity="0.01", price="50000.123")


@pytest.mark.parametrize("bad", [0, -1, "0", "-0.5", "nan", "inf", "abc", Decimal("-1E-3")])
def test_non_positive_or_non_finite_quantity(bad: object) -> None:
    with pytest.raises(InvalidOrder):
        prep(quantity=bad, price="50000")


def test_quantity_rounding_to_zero_is_refused() -> None:
    with pytest.raises(InvalidOrder, match="rounds down to 0"):
        prep(quantity="0.0000001", price="50000")


def test_min_notional_limit() -> None:
    with pytest.raises(InvalidOrder, match=r"below the minimum notional 5"):
        prep(quantity="0.0001", price="100")


def test_max_notional_limit() -> None:
    with pytest.raises(InvalidOrder, match="above the maximum notional"):
        prep(quantity="100", price="50000")


def test_min_quantity() -> None:
    info = SymbolInfo(symbol=BTC, base_precision=2, quote_precision=2, min_quantity=Decimal("1"))
    with pytest.raises(InvalidOrder, match="below the minimum quantity 1"):
        prep(info, quantity="0.5", price="100")


def test_unknown_symbol() -> None:
    with pytest.raises(SymbolNotSupported, match="not listed"):
        prep(None, quantity="1", price="1")


def test_not_api_tradable() -> None:
    info = SymbolInfo(symbol=BTC, base_precision=6, quote_precision=2, api_tradable=False)
    with pytest.raises(SymbolNotSupported, match="API"):
        prep(info, quantity="1", price="1")


def test_suspended_symbol() -> None:
    info = SymbolInfo(symbol=BTC, base_precision=6, quote_precision=2, tradable=False)
    with pytest.raises(TradingDisabled, match="suspended"):
        prep(info, quantity="1", price="10")


def test_wrong_side_is_invalid_order_and_trading_disabled() -> None:
    info = SymbolInfo(symbol=BTC, base_precision=6, quote_precision=2, sell_allowed=False)
    with pytest.raises(InvalidOrder, match="SELL") as caught:
        prep(info, side=Side.SELL, quantity="1", price="10")
    assert isinstance(caught.value, TradingDisabled)


def test_order_type_not_allowed() -> None:
    # Through the exchangeInfo parser, as in production: it adds IOC/FOK wherever LIMIT is listed.
    info = parse_symbol_info(
        {
            "symbol": "BTCUSDT",
            "status": "1",
            "baseAsset": "BTC",
            "quoteAsset": "USDT",
            "baseAssetPrecision": 6,
            "quoteAssetPrecision": 2,
            "orderTypes": ["LIMIT"],
        }
    )
    assert info.order_types == {OrderType.LIMIT, OrderType.IMMEDIATE_OR_CANCEL, OrderType.FILL_OR_KILL}
    with pytest.raises(InvalidOrder, match="does not allow MARKET"):
        prep(info, order_type=OrderType.MARKET, quantity="1")
    with pytest.raises(InvalidOrder, match="does not allow LIMIT_MAKER"):
        prep(info, order_type=OrderType.LIMIT_MAKER, quantity="1", price="10")
    # IOC/FOK ride on LIMIT
    assert prep(info, order_type=OrderType.IMMEDIATE_OR_CANCEL, quantity="1", price="10")
    assert prep(info, order_type=OrderType.FILL_OR_KILL, quantity="1", price="10")
    # Without LIMIT listed, IOC is refused too: preflight trusts order_types, it adds nothing itself.
    market_only = SymbolInfo(
        symbol=BTC, base_precision=6, quote_precision=2, order_types=frozenset({OrderType.MARKET})
    )
    with pytest.raises(InvalidOrder, match="does not allow IMMEDIATE_OR_CANCEL"):
        prep(market_only, order_type=OrderType.IMMEDIATE_OR_CANCEL, quantity="1", price="10")


def test_market_rules() -> None:
    with pytest.raises(InvalidOrder, match="exactly one"):
        prep(order_type=OrderType.MARKET)
    with pytest.raises(InvalidOrder, match="exactly one"):
        prep(order_type=OrderType.MARKET, quantity="1", quote_quantity="10")
    with pytest.raises(InvalidOrder, match="no price"):
        prep(order_type=OrderType.MARKET, quantity="1", price="10")
    with pytest.raises(InvalidOrder, match="below the minimum notional 1"):
        prep(order_type=OrderType.MARKET, quote_quantity="0.5")
    with pytest.raises(InvalidOrder, match="above the maximum notional 100000"):
        prep(order_type=OrderType.MARKET, quote_quantity="100001")
    order = prep(order_type=OrderType.MARKET, quote_quantity="10.129")
    assert dict(order.params())["quoteOrderQty"] == "10.12"  # type: ignore[attr-defined]


def test_limit_needs_price_and_no_quote_quantity() -> None:
    with pytest.raises(InvalidOrder, match="both quantity and price"):
        prep(quantity="1")
    with pytest.raises(InvalidOrder, match="only for MARKET"):
        prep(quantity="1", price="10", quote_quantity="5")


def test_client_order_ids() -> None:
    ids = {new_client_order_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(check_client_order_id(i) == i for i in ids)
    for bad in ["", "a" * 33, "has space", "semi;colon", "ünï"]:
        with pytest.raises(InvalidOrder):
            check_client_order_id(bad)


_amounts = st.one_of(
    st.decimals(min_value=Decimal("1E-12"), max_value=Decimal("1E12"), allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e-12, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=10**12),
)


@given(amount=_amounts, places=st.integers(0, 12), step_exp=st.integers(-12, 2))
def test_quantization_never_increases_and_respects_precision(
    amount: object, places: int, step_exp: int
) -> None:
    value = to_amount(amount, "quantity")  # type: ignore[arg-type]
    step = Decimal(1).scaleb(step_exp)
    rounded = quantize_down(value, step, places)
    assert rounded <= value
    assert rounded >= 0
    exponent = rounded.as_tuple().exponent
    assert isinstance(exponent, int)
    assert -exponent <= places
    assert rounded % step == 0
    assert value - rounded < max(step, Decimal(1).scaleb(-places))
    text = plain_decimal(rounded)
    assert re.fullmatch(r"\d+(\.\d+)?", text), text
    assert Decimal(text) == rounded


@given(amount=_amounts)
def test_format_never_uses_exponent(amount: object) -> None:
    text = plain_decimal(to_amount(amount, "x"))  # type: ignore[arg-type]
    assert "e" not in text.lower()
    assert re.fullmatch(r"\d+(\.\d*[1-9])?", text), text


@given(qty=_amounts, base_precision=st.integers(0, 10))
def test_prepared_quantity_fits_symbol(qty: object, base_precision: int) -> None:
    info = SymbolInfo(symbol=BTC, base_precision=base_precision, quote_precision=8)
    value = to_amount(qty, "q")  # type: ignore[arg-type]
    if value < Decimal(1).scaleb(-base_precision):
        with pytest.raises(InvalidOrder, match="rounds down to 0"):
            prepare_order_args(info, Side.BUY, OrderType.MARKET, quantity=qty)  # type: ignore[arg-type]
        return
    order = prepare_order_args(info, Side.BUY, OrderType.MARKET, quantity=qty)  # type: ignore[arg-type]
    assert order.quantity is not None
    assert order.quantity <= to_amount(qty, "q")  # type: ignore[arg-type]
    wire = dict(order.params())["quantity"]
    assert "." not in wire or len(wire.split(".")[1]) <= base_precision
