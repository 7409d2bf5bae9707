"""Hostile wire strings against the fast number paths (depth sides joined into one JSON text, a trade
push's decimal strings joined into one JSON array): JSON's structural and string characters (commas,
brackets, quotes, backslashes, braces, colons), whitespace JSON does and does not know, digits
``float()`` reads and JSON does not (Arabic-Indic, fullwidth), underscores, hex, and very long
numbers, spread over several levels so that one string's injection could be offset by another's.
Whatever they hold, the result is what ``float()`` of each string and the range check give (the same
levels with the same values, sign of zero included) or the same typed error."""

from __future__ import annotations

import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from exchanges.errors import ProtocolError
from exchanges.models import Symbol
from exchanges_mexc._proto.PublicAggreDealsV3Api_pb2 import PublicAggreDealsV3Api
from exchanges_mexc._proto.PublicAggreDepthsV3Api_pb2 import PublicAggreDepthsV3Api
from exchanges_mexc._proto.PublicLimitDepthsV3Api_pb2 import PublicLimitDepthsV3Api
from exchanges_mexc.parsing import book_update_from_pb, order_book_from_pb
from exchanges_mexc.parsing.market import trades_from_aggre_pb
from exchanges_mexc.parsing.values import decimal_floats

BTC = Symbol("BTC", "USDT")
Pairs = list[tuple[str, str]]

hostile = st.text(
    alphabet=st.sampled_from(
        [*'0123456789.eE+-,[]"\\{}: \t\n\r_xabnulIfity', *"\u00a0\u2003\u0661\u0662\uff11\u00b2\x00"]
    ),
    max_size=10,
)
long_number = st.builds(
    lambda sign, digits, point, exponent: sign + digits[:point] + "." + digits[point:] + exponent,
    st.sampled_from(["", "-", "+"]),
    st.text("0123456789", min_size=1, max_size=400),
    st.integers(0, 400),
    st.sampled_from(["", "e-400", "e308", "e-5", "E+2", "e0"]),
)
plain_number = st.floats(0, 1e9).map(lambda x: f"{x:.6f}")
text = st.one_of(hostile, long_number, plain_number, plain_number)
sides = st.lists(st.tuples(text, text), max_size=6)


def _same(a: float, b: float) -> bool:
    """Equal (or both NaN), the sign included except for zero: msgspec reads the integer ``-0`` as
    ``0.0`` where ``float()`` gives ``-0.0``; both are zero (a zero size removes the level, a zero
    price or trade quantity is rejected), so no reader of the result can tell them apart by value."""
    return a == b or (math.isnan(a) and math.isnan(b))


def _plain(pairs: Pairs, *, snapshot: bool) -> list[tuple[float, float]] | None:
    try:
        values = [(float(price), float(size)) for price, size in pairs]
    except ValueError:
        return None
    for price, size in values:
        size_ok = 0.0 < size < math.inf if snapshot else 0.0 <= size < math.inf
        if not (0.0 < price < math.inf and size_ok):
            return None
    return values


def _levels_match(got: object, want: list[tuple[float, float]]) -> bool:
    levels = list(got)  # type: ignore[call-overload]
    return len(levels) == len(want) and all(
        len(level) == 2 and _same(level[0], p) and _same(level[1], q)
        for level, (p, q) in zip(levels, want, strict=True)
    )


@settings(max_examples=300)
@given(sides, sides)
@example([("1", '2],[3,"4')], [('"', "5")]).via("a quote opens a string across levels")
@example([("1", "0],[1"), ("0", "2")], []).via("an injected pair offset by a broken one")
@example([("\u0661", "1")], []).via("Arabic-Indic digits: float() reads them, JSON does not")
@example([("1", "-0")], [("2", "-0.0")]).via("negative zero removes the level")
def test_depth_update_sides_are_what_float_and_the_check_give(bids: Pairs, asks: Pairs) -> None:
    body = PublicAggreDepthsV3Api(fromVersion="4", toVersion="5")
    for price, quantity in bids:
        body.bids.add(price=price, quantity=quantity)
    for price, quantity in asks:
        body.asks.add(price=price, quantity=quantity)
    want_bids, want_asks = _plain(bids, snapshot=False), _plain(asks, snapshot=False)
    try:
        update = book_update_from_pb(BTC, body, 1)
    except ProtocolError:
        assert want_bids is None or want_asks is None
        return
    assert want_bids is not None
    assert want_asks is not None
    assert _levels_match(update.bids, want_bids)
    assert _levels_match(update.asks, want_asks)


@settings(max_examples=300)
@given(sides)
def test_depth_snapshot_sides_are_what_float_and_the_check_give(bids: Pairs) -> None:
    body = PublicLimitDepthsV3Api(version="5")
    for price, quantity in bids:
        body.bids.add(price=price, quantity=quantity)
    want = _plain(bids, snapshot=True)
    try:
        book = order_book_from_pb(BTC, body, 1)
    except ProtocolError:
        assert want is None
        return
    assert want is not None
    assert _levels_match(book.bids, want)


@settings(max_examples=300)
@given(st.lists(text, max_size=12))
@example(["1", "-0", "-0.0"]).via("negative zero is zero")
def test_decimal_floats_are_what_float_gives(texts: list[str]) -> None:
    try:
        want = [float(t) for t in texts]
    except ValueError:
        want = None
    try:
        got = decimal_floats(texts)
    except ValueError:
        assert want is None
        return
    assert want is not None
    assert len(got) == len(want)
    assert all(_same(a, b) for a, b in zip(got, want, strict=True))


@settings(max_examples=200)
@given(st.lists(st.tuples(text, text), max_size=8))
@example([("1E308", "1"), ("1E308", "1")]).via("finite prices whose sum overflows are valid")
def test_trade_pushes_are_what_float_and_the_check_give(deals: Pairs) -> None:
    body = PublicAggreDealsV3Api()
    for price, quantity in deals:
        body.deals.add(price=price, quantity=quantity, tradeType=1, time=5, tradeId="t")
    want = _plain(deals, snapshot=True)  # trades: price and quantity > 0 and finite
    try:
        trades = trades_from_aggre_pb(BTC, body)
    except ProtocolError:
        assert want is None
        return
    assert want is not None
    assert _levels_match([(t.price, t.quantity) for t in trades], want)
