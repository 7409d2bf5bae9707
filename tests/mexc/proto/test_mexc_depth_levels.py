"""Protobuf depth sides are read by msgspec from one JSON text built from the wire strings (the hot
path); these tests hold it to the plain reading it replaced: ``float()`` of each string and the range
check. For any strings (numbers in every format, text that only ``float()`` reads, text that is no
number, commas and brackets that would change the JSON's shape), an update, an increase update and a
limit snapshot give exactly the values the plain reading gives, or the same typed error."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from exchanges.errors import ProtocolError
from exchanges.models import Symbol
from exchanges_mexc._proto.PublicAggreDepthsV3Api_pb2 import PublicAggreDepthsV3Api
from exchanges_mexc._proto.PublicIncreaseDepthsV3Api_pb2 import PublicIncreaseDepthsV3Api
from exchanges_mexc._proto.PublicLimitDepthsV3Api_pb2 import PublicLimitDepthsV3Api
from exchanges_mexc.parsing import book_update_from_increase_pb, book_update_from_pb, order_book_from_pb

BTC = Symbol("BTC", "USDT")
Strings = list[tuple[str, str]]

odd_text = st.sampled_from(
    ["", " ", ".5", "5.", "+1", "1_000", "00.5", "-0", "-0.0", "0", "0.0", "nan", "NaN", "inf", "-inf",
     "Infinity", "1e999", "-1e999", "1e-400", "1,2", "1],[2", "1]]", "[1", "1 ", " 2", "\t3\n", "true",
     "null", '"1"', "0x10", "١٢", "1e5", "1E+2", "2.5e-3", "123456789012345678901234567890"]
)  # fmt: skip
formatted = st.floats(allow_nan=True, allow_infinity=True).flatmap(
    lambda x: st.sampled_from([repr(x), str(x), f"{x:.8f}", f"{x:e}", f"{x:.17g}"])
)
decimal_text = st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str)
shaped = st.text(alphabet="0123456789.eE+-,[] ", max_size=8)
near_valid = st.floats(-5, 1e6).map(lambda x: f"{x:.3f}")  # mostly valid: one bad sign fails a side
number_text = st.one_of(near_valid, near_valid, odd_text, formatted, decimal_text, shaped)
sides = st.lists(st.tuples(number_text, number_text), max_size=6)
good_sides = st.lists(
    st.tuples(st.floats(0.01, 1e6).map(lambda x: f"{x:.2f}"), st.floats(0, 1e4).map(lambda x: f"{x:.4f}")),
    max_size=20,
)


def _plain(strings: Strings, *, snapshot: bool) -> list[tuple[float, float]] | None:
    """The reading the fast path replaced: float() of each string, then the range check (None: an error)."""
    try:
        pairs = [(float(price), float(size)) for price, size in strings]
    except ValueError:
        return None
    for price, size in pairs:
        size_ok = 0.0 < size < math.inf if snapshot else 0.0 <= size < math.inf
        if not (0.0 < price < math.inf and size_ok):
            return None
    return pairs


def _update(bids: Strings, asks: Strings) -> PublicAggreDepthsV3Api:
    body = PublicAggreDepthsV3Api(fromVersion="4", toVersion="5")
    for price, quantity in bids:
        body.bids.add(price=price, quantity=quantity)
    for price, quantity in asks:
        body.asks.add(price=price, quantity=quantity)
    return body


def _outcome(build: object) -> object:
    try:
        return build() if callable(build) else build
    except ProtocolError as error:
        return ("error", error.field)


@given(sides, sides)
@example([("1e999", "1")], []).via("overflow takes the slow path and is rejected")
@example([("10", "-1")], [("11", "0")]).via("a negative size is an error, a zero size is not")
@example([(".5", "1"), ("2", "-0")], [("3", "1")]).via("float()-only text is read as before")
@example([("5,1],[7", "1")], []).via("a comma cannot add a level")
@example([("1", "2],[3,4")], [("5", "6")]).via("brackets cannot reshape the side")
def test_update_sides_read_exactly_as_float_and_check(bids: Strings, asks: Strings) -> None:
    plain_bids, plain_asks = _plain(bids, snapshot=False), _plain(asks, snapshot=False)
    outcome = _outcome(lambda: book_update_from_pb(BTC, _update(bids, asks), 1))
    if plain_bids is None or plain_asks is None:
        assert isinstance(outcome, tuple)
        assert outcome[0] == "error"
        return
    assert outcome.bids == plain_bids  # type: ignore[attr-defined]
    assert outcome.asks == plain_asks  # type: ignore[attr-defined]
    assert all(type(level) is tuple and len(level) == 2 for level in outcome.bids + outcome.asks)  # type: ignore[attr-defined]


@given(sides)
def test_increase_and_limit_sides_read_exactly_as_float_and_check(bids: Strings) -> None:
    increase = PublicIncreaseDepthsV3Api(version="5")
    limit = PublicLimitDepthsV3Api(version="5")
    for price, quantity in bids:
        increase.bids.add(price=price, quantity=quantity)
        limit.bids.add(price=price, quantity=quantity)
    update = _outcome(lambda: book_update_from_increase_pb(BTC, increase, 1))
    plain = _plain(bids, snapshot=False)
    if plain is None:
        assert isinstance(update, tuple)
    else:
        assert update.bids == plain  # type: ignore[attr-defined]
    book = _outcome(lambda: order_book_from_pb(BTC, limit, 1))
    plain = _plain(bids, snapshot=True)
    if plain is None:
        assert isinstance(book, tuple)
    else:
        assert list(book.bids) == plain  # type: ignore[attr-defined]


@given(good_sides, good_sides)
def test_realistic_sides_take_the_fast_path_and_keep_every_value(bids: Strings, asks: Strings) -> None:
    update = book_update_from_pb(BTC, _update(bids, asks), 1)
    assert update.bids == [(float(p), float(q)) for p, q in bids]
    assert update.asks == [(float(p), float(q)) for p, q in asks]


@pytest.mark.parametrize(
    ("side", "price", "quantity", "field"),
    [
        ("bids", "10", "-1", "bids[1].quantity"),
        ("asks", "0", "1", "asks[1].price"),
        ("asks", "1", "nan", "asks[1].quantity"),
        ("bids", "1e999", "1", "bids[1].price"),
    ],
)
def test_a_bad_level_is_named(side: str, price: str, quantity: str, field: str) -> None:
    body = _update([("9", "1")], [("11", "1")])
    getattr(body, side).add(price=price, quantity=quantity)
    with pytest.raises(ProtocolError) as caught:
        book_update_from_pb(BTC, body, 1)
    assert caught.value.field == field
    assert caught.value.source == "publicAggreDepths"
