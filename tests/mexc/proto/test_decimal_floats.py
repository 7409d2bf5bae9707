"""decimal_floats (one msgspec call for a push's decimal strings) gives exactly what float() gives,
and the column-built trades equal the records built one by one, with the same rejections."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.errors import ProtocolError
from exchanges.models import Side, Symbol, Trade
from exchanges_mexc._proto.PublicAggreDealsV3Api_pb2 import PublicAggreDealsV3Api
from exchanges_mexc._proto.PublicDealsV3Api_pb2 import PublicDealsV3Api
from exchanges_mexc.parsing.market import trades_from_aggre_pb, trades_from_deals_pb
from exchanges_mexc.parsing.values import decimal_floats

BTC = Symbol("BTC", "USDT")

decimals = st.builds(
    lambda digits, point, exponent: (
        (digits[:point] + "." + digits[point:] if 0 < point < len(digits) else digits) + exponent
    ),
    st.text("0123456789", min_size=1, max_size=30),
    st.integers(0, 30),
    st.sampled_from(["", "e5", "E-7", "e+300", "e-330", "e999"]),
)
odd_texts = st.sampled_from(
    [
        "",
        " ",
        ".5",
        "5.",
        "00.1",
        "+1",
        "-1",
        "1_000",
        "nan",
        "NaN",
        "inf",
        "-Infinity",
        "1,2",
        "1]",
        "[1",
        '"1"',
        "true",
        "null",
        " 7 ",
        "0x10",
        "1e",
        "١٢",
    ]
)


def reference(texts: list[str]) -> list[float] | type[ValueError]:
    try:
        return [float(text) for text in texts]
    except ValueError:
        return ValueError


def same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b, strict=True)
    )


@given(st.lists(decimals, max_size=25))
def test_decimal_strings_give_the_same_floats_as_float(texts: list[str]) -> None:
    want = reference(texts)
    assert want is not ValueError
    assert decimal_floats(texts) == want


@given(st.lists(st.one_of(decimals, odd_texts, st.text(max_size=6)), max_size=8))
def test_any_text_gives_what_float_gives_or_value_error(texts: list[str]) -> None:
    want = reference(texts)
    if want is ValueError:
        with pytest.raises(ValueError):  # noqa: PT011 (float()'s own messages vary)
            decimal_floats(texts)
    else:
        assert isinstance(want, list)
        assert same(decimal_floats(texts), want)


deal_values = st.one_of(
    decimals, st.sampled_from(["1", "0.5", "65000.12", "0", "-1", "nan", "inf", "1e999", ".5"])
)


@given(
    st.lists(
        st.tuples(
            deal_values, deal_values, st.sampled_from([1, 2, 3]), st.integers(-1, 2**40), st.text(max_size=3)
        ),
        max_size=12,
    )
)
def test_aggre_deals_equal_the_record_by_record_build(deals: list[tuple[str, str, int, int, str]]) -> None:
    body = PublicAggreDealsV3Api()
    for price, quantity, trade_type, time_ms, trade_id in deals:
        body.deals.add(price=price, quantity=quantity, tradeType=trade_type, time=time_ms, tradeId=trade_id)
    try:
        want: list[Trade] | type[ProtocolError] = [
            Trade(BTC, float(p), float(q), {1: Side.BUY, 2: Side.SELL}[t], tm, i or None)
            for p, q, t, tm, i in deals
        ]
        assert isinstance(want, list)
        if not all(0 < t.price < math.inf and 0 < t.quantity < math.inf and t.timestamp >= 0 for t in want):
            want = ProtocolError
    except (ValueError, KeyError):
        want = ProtocolError
    if want is ProtocolError:
        with pytest.raises(ProtocolError):
            trades_from_aggre_pb(BTC, body)
    else:
        got = trades_from_aggre_pb(BTC, body)
        assert got == want
        assert all(type(trade) is Trade and type(trade.price) is float for trade in got)


def test_a_bad_deal_is_named() -> None:
    body = PublicDealsV3Api()
    body.deals.add(price="1", quantity="2", tradeType=1, time=5)
    body.deals.add(price="-3", quantity="2", tradeType=2, time=5)
    with pytest.raises(ProtocolError, match=r"deals\[1\]\.price"):
        trades_from_deals_pb(BTC, body)
    assert trades_from_deals_pb(BTC, PublicDealsV3Api()) == []


@pytest.mark.parametrize(
    ("price", "quantity", "time_ms", "field"),
    [
        ("nan", "1", 5, "price"),
        ("1", "inf", 5, "quantity"),
        ("1", "1e999", 5, "quantity"),
        ("1", "1", -1, "time"),
    ],
)
def test_a_non_finite_value_or_negative_time_after_a_good_deal_is_rejected(
    price: str, quantity: str, time_ms: int, field: str
) -> None:
    body = PublicAggreDealsV3Api()
    body.deals.add(price="2", quantity="3", tradeType=1, time=5, tradeId="a")
    body.deals.add(price=price, quantity=quantity, tradeType=2, time=time_ms, tradeId="b")
    with pytest.raises(ProtocolError, match=rf"deals\[1\]\.{field}"):
        trades_from_aggre_pb(BTC, body)


@pytest.mark.parametrize("texts", [["1,2"], ["3", "1,2"], ["1,2", "3"]])
def test_a_text_holding_two_numbers_is_not_split(texts: list[str]) -> None:
    with pytest.raises(ValueError, match="could not convert"):
        decimal_floats(texts)
