"""One validation layer at the wire: every parse returns a valid record or raises ProtocolError.

REST: hostile bodies (wrong shapes, wrong types, missing keys, NaN/inf/negative/zero numbers) on every
parse function raise :class:`ProtocolError` naming the endpoint and the field, never TypeError,
KeyError, AttributeError or ValueError. WebSocket: pushes with such values are counted and dropped by
the frame decoder (never published, never fatal), with a rate-limited log line. Hypothesis drives
arbitrary JSON values and arbitrary protobuf field values through both paths.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from hypothesis import example, given, settings
from hypothesis import strategies as st

from exchanges.errors import ProtocolError
from exchanges.metrics import MetricsRegistry
from exchanges.models import Side
from exchanges_mexc._proto.PushDataV3ApiWrapper_pb2 import PushDataV3ApiWrapper
from exchanges_mexc.parsing import MexcFrameDecoder, parse_order_json
from exchanges_mexc.parsing.frames import BODY_FIELDS
from exchanges_mexc.symbols import MexcSymbolMapper

from .conftest import BTC, REST_PARSERS, SINGLE_OBJECT, assert_valid  # type: ignore[import-not-found]

HOSTILE_BODIES = [
    b"",
    b"null",
    b"[]",
    b"{}",
    b'""',
    b'"x"',
    b"1",
    b"true",
    b"[null]",
    b"[{}]",
    b"[[]]",
    b"[1]",
    b'{"x": 1}',
    b"not json",
    b"{",
    b'{"bids": null, "asks": null, "lastUpdateId": null}',
    b'{"serverTime": "soon"}',
    b'{"price": {}}',
    b'{"balances": [{"asset": null}]}',
    b'{"symbols": null}',
]


def _outcome(name: str, body: bytes) -> object:
    """The parse result, or the ProtocolError; any other exception fails the test."""
    try:
        result = REST_PARSERS[name](body)
    except ProtocolError as error:
        caught = error
    else:
        assert_valid(result)
        return result
    assert caught.source.startswith(("GET ", "POST ", "DELETE ")), caught.source
    return caught


@pytest.mark.parametrize("name", sorted(REST_PARSERS))
@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=repr)
def test_hostile_shapes_raise_protocol_error_only(name: str, body: bytes) -> None:
    outcome = _outcome(name, body)
    if name in SINGLE_OBJECT and body in (b"", b"null", b"[]", b"{}", b'{"x": 1}'):
        assert isinstance(outcome, ProtocolError), f"{name} accepted {body!r}: {outcome!r}"


@pytest.mark.parametrize("name", SINGLE_OBJECT)
def test_empty_object_never_becomes_zeros(name: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        REST_PARSERS[name](b"{}")
    assert caught.value.field, "the missing field is named"


def test_missing_server_time_names_the_field() -> None:
    with pytest.raises(ProtocolError) as caught:
        REST_PARSERS["time"](b'{"time": 1}')
    assert (caught.value.source, caught.value.field) == ("GET /api/v3/time", "$.serverTime")


def test_empty_depth_is_not_an_empty_book() -> None:
    with pytest.raises(ProtocolError) as caught:
        REST_PARSERS["depth"](b"{}")
    assert caught.value.source == "GET /api/v3/depth"
    assert caught.value.field == "$.lastUpdateId"


BAD_NUMBERS = ["NaN", "nan", "inf", "-Infinity", "1e999", "-1", "-0.5"]


@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize(
    ("name", "template"),
    [
        ("depth", '{"lastUpdateId": 5, "bids": [["%s", "1"]], "asks": []}'),
        ("depth", '{"lastUpdateId": 5, "bids": [], "asks": [["10", "%s"]]}'),
        ("trades", '[{"price": "%s", "qty": "1", "time": 1, "isBuyerMaker": true}]'),
        ("trades", '[{"price": "1", "qty": "%s", "time": 1, "isBuyerMaker": true}]'),
        ("aggTrades", '[{"p": "%s", "q": "1", "T": 1, "m": false}]'),
        ("klines", '[[1, "%s", "2", "1", "1", "3", 2, "4"]]'),
        ("klines", '[[1, "1", "2", "1", "1", "%s", 2, "4"]]'),
        ("ticker24h", '{"lastPrice": "%s", "highPrice": "1", "lowPrice": "1", "volume": "1"}'),
        ("ticker24h", '{"lastPrice": "1", "highPrice": "1", "lowPrice": "1", "volume": "%s"}'),
        ("price", '{"symbol": "BTCUSDT", "price": "%s"}'),
        ("bookTicker", '{"bidPrice": "%s", "bidQty": "1", "askPrice": "2", "askQty": "1"}'),
        ("bookTicker", '{"bidPrice": "1", "bidQty": "1", "askPrice": "2", "askQty": "%s"}'),
        ("order", '{"orderId": "1", "side": "BUY", "type": "LIMIT", "price": "%s", "origQty": "1"}'),
        ("order", '{"orderId": "1", "side": "BUY", "type": "LIMIT", "price": "1", "origQty": "%s"}'),
        ("myTrades", '[{"orderId": "1", "price": "%s", "qty": "1", "time": 1, "isBuyer": true}]'),
        ("account", '{"balances": [{"asset": "BTC", "free": "%s", "locked": "0"}]}'),
    ],
)
def test_non_finite_and_negative_numbers_are_rejected(name: str, template: str, bad: str) -> None:
    with pytest.raises(ProtocolError):
        REST_PARSERS[name]((template % bad).encode())


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("depth", b'{"lastUpdateId": 5, "bids": [["0", "1"]], "asks": []}'),  # zero price
        ("depth", b'{"lastUpdateId": 5, "bids": [["1", "0"]], "asks": []}'),  # zero size in a snapshot
        ("trades", b'[{"price": "0", "qty": "1", "time": 1, "isBuyerMaker": true}]'),
        ("trades", b'[{"price": "1", "qty": "0", "time": 1, "isBuyerMaker": true}]'),
        ("price", b'{"price": "0"}'),
        ("ticker24h", b'{"lastPrice": "0"}'),
        ("myTrades", b'[{"orderId": "1", "price": "1", "qty": "0", "time": 1, "isBuyer": true}]'),
    ],
)
def test_meaningless_zeros_are_rejected(name: str, body: bytes) -> None:
    with pytest.raises(ProtocolError):
        REST_PARSERS[name](body)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"[]", "$"),
        (b"null", "$"),
        (b"{}", "$.orderId"),
        (b'{"orderId": "7", "type": "LIMIT", "price": "1", "origQty": "1"}', "$.side"),
        (b'{"orderId": "7", "side": null, "type": "LIMIT"}', "$.side"),
        (b'{"orderId": "7", "side": "HOLD", "type": "LIMIT"}', None),
        (b'{"orderId": "", "side": "BUY", "type": "LIMIT"}', "orderId"),
        (b'{"orderId": "7", "side": "BUY", "type": "LIMIT", "price": "NaN"}', None),
        (b"<html>502 Bad Gateway</html>", None),
    ],
)
def test_unusable_order_answers_raise_protocol_error(body: bytes, field: str | None) -> None:
    """A POST answer that is not an order is a ProtocolError naming the request (the placement
    turns it into OrderOutcomeUnknown and reconciles)."""
    with pytest.raises(ProtocolError) as caught:
        parse_order_json(body, BTC, "POST /api/v3/order")
    assert caught.value.source == "POST /api/v3/order"
    if field is not None:
        assert caught.value.field == field


@pytest.mark.parametrize("version", ["-1", "9" * 400, "1.5"])
def test_batch_book_ticker_with_a_bad_version_is_counted_not_published(version: str) -> None:
    decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
    assert decoder.decode(_batch_ticker_with_version(version)) == []
    assert decoder.invalid_count == 1
    assert decoder.decode(_batch_ticker_with_version("7"))[0].version == 7  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "body", [b"{}", b'{"listenKey": null}', b'{"listenKey": ""}', b'{"listenKey": 5}', b"[]"]
)
def test_unusable_listen_key_answer_raises_protocol_error(body: bytes) -> None:
    """Never a user stream opened with ``"None"`` or ``""`` as its key."""
    with pytest.raises(ProtocolError) as caught:
        REST_PARSERS["listenKey"](body)
    assert caught.value.source == "POST /api/v3/userDataStream"
    assert REST_PARSERS["listenKey"](b'{"listenKey": "abc"}') == "abc"
    assert REST_PARSERS["listenKeys"](b'{"listenKey": ["a", "b"]}') == ["a", "b"]


def test_depth_update_may_remove_a_level_with_size_zero() -> None:
    decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
    w = PushDataV3ApiWrapper(channel="c", symbol="BTCUSDT", sendTime=1)
    w.publicAggreDepths.bids.add(price="10", quantity="0")
    w.publicAggreDepths.fromVersion, w.publicAggreDepths.toVersion = "4", "5"
    (update,) = decoder.decode(w.SerializeToString())
    assert update.bids == [(10.0, 0.0)]  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------------
# Hypothesis: arbitrary JSON values on every REST parser
# ------------------------------------------------------------------------------------------------

KEYS = [
    "serverTime", "lastUpdateId", "bids", "asks", "timestamp", "price", "qty", "time", "isBuyerMaker",
    "id", "p", "q", "T", "m", "a", "lastPrice", "highPrice", "lowPrice", "volume", "quoteVolume",
    "priceChangePercent", "closeTime", "openPrice", "bidPrice", "askPrice", "symbol", "bidQty", "askQty",
    "orderId", "side", "type", "status", "origQty", "origQuoteOrderQty", "executedQty",
    "cummulativeQuoteQty", "clientOrderId", "transactTime", "updateTime", "balances", "asset", "free",
    "locked", "isBuyer", "quoteQty", "commission", "commissionAsset", "isMaker", "makerCommission",
    "takerCommission", "data", "code", "msg", "symbols", "baseAsset", "quoteAsset", "status",
]  # fmt: skip
WORDS = [
    "nan", "NaN", "inf", "-inf", "1e999", "-1", "0", "0.0", "1.5", "12", "", "BUY", "SELL", "LIMIT",
    "MARKET", "NEW", "FILLED", "BTCUSDT", "ETHUSDT", "BTC", "USDT", "true", "x",
]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(WORDS)
    | st.text(max_size=6)
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=10)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(REST_PARSERS)), JSON)
def test_arbitrary_json_gives_a_valid_record_or_protocol_error(name: str, value: Any) -> None:
    _outcome(name, msgspec.json.encode(value))


_ORDER = {"orderId": "7", "side": "BUY", "type": "LIMIT", "price": "10", "origQty": "1", "time": 5}
VALID_BODIES: dict[str, Any] = {
    "time": {"serverTime": 1767225600000},
    "depth": {"lastUpdateId": 9, "bids": [["10", "1"], ["9", "2"]], "asks": [["11", "1"]], "timestamp": 5},
    "trades": [{"id": None, "price": "10", "qty": "1", "time": 5, "isBuyerMaker": True}],
    "aggTrades": [{"a": 1, "p": "10", "q": "1", "T": 5, "m": False}],
    "klines": [[60000, "10", "12", "9", "11", "3", 119999, "30"]],
    "ticker24h": {"symbol": "BTCUSDT", "lastPrice": "10", "highPrice": "12", "lowPrice": "9", "volume": "3",
                  "quoteVolume": "30", "priceChangePercent": "-0.01", "closeTime": 5},
    "price": {"symbol": "BTCUSDT", "price": "10"},
    "avgPrice": {"mins": 5, "price": "10"},
    "bookTicker": {"symbol": "BTCUSDT", "bidPrice": "9", "bidQty": "1", "askPrice": "11", "askQty": "2"},
    "order": _ORDER,
    "orders": [_ORDER],
    "myTrades": [{"orderId": "7", "id": "3", "price": "10", "qty": "1", "quoteQty": "10", "commission": "0",
                  "commissionAsset": "USDT", "time": 5, "isBuyer": True, "isMaker": False}],
    "account": {"balances": [{"asset": "BTC", "free": "1", "locked": "0"}]},
    "tradeFee": {"data": {"makerCommission": "0", "takerCommission": "0.0005"}, "code": 0},
    "withdrawals": [{"id": "w1", "coin": "USDT", "netWork": "TRX", "address": "T1", "amount": "20",
                     "status": 7, "transactionFee": "1", "txId": "0x1", "memo": None,
                     "withdrawOrderId": "c1", "applyTime": 5, "updateTime": 6}],
    "withdraw": {"id": "w1"},
    "cancelWithdrawal": {"id": "w1"},
    "deposits": [{"coin": "USDT", "network": "TRC20", "amount": "50", "status": 5, "address": "T1",
                  "txId": "0x2", "insertTime": 5, "memo": "m"}],
    "depositAddresses": {"data": [{"coin": "USDT", "netWork": "TRX", "address": "T1", "tag": "7"}]},
    "coinConfig": [{"coin": "USDT", "networkList": [
        {"coin": "USDT", "netWork": "TRX", "network": "Tron(TRC20)", "depositEnable": True,
         "withdrawEnable": True, "withdrawFee": "1", "withdrawMin": "10", "withdrawMax": "1000",
         "minConfirm": 3, "withdrawIntegerMultiple": "0.01", "sameAddress": False, "contract": "TR7"}]}],
    "transfer": [{"tranId": "t1"}],
    "exchangeInfo": {"symbols": [{"symbol": "BTCUSDT", "status": "1", "baseAsset": "BTC",
                                  "quoteAsset": "USDT", "baseAssetPrecision": 6, "quoteAssetPrecision": 2,
                                  "baseSizePrecision": "0.0001", "quoteAmountPrecision": "5",
                                  "maxQuoteAmount": "2000000", "orderTypes": ["LIMIT", "MARKET"],
                                  "isSpotTradingAllowed": True, "takerCommission": "0.0005",
                                  "filters": [{"filterType": "PERCENT_PRICE_BY_SIDE",
                                               "bidMultiplierUp": "0.05", "askMultiplierDown": "0.05"}]}]},
    "defaultSymbols": {"code": 0, "data": ["BTCUSDT"]},
}  # fmt: skip
"""A valid body per endpoint; the mutation test below breaks one value at a time."""


@pytest.mark.parametrize("name", sorted(VALID_BODIES))
def test_valid_templates_parse(name: str) -> None:
    result = REST_PARSERS[name](msgspec.json.encode(VALID_BODIES[name]))
    assert_valid(result)
    assert result not in ({}, [], None)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) to a value inside ``value``."""
    found: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid body with one value replaced by an arbitrary JSON value, or one key deleted."""
    name = draw(st.sampled_from(sorted(VALID_BODIES)))
    body = msgspec.json.decode(msgspec.json.encode(VALID_BODIES[name]))  # a deep copy
    path = draw(st.sampled_from(_paths(body)))
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(SCALARS | JSON)
    return name, msgspec.json.encode(body)


@settings(max_examples=500, deadline=None)
@given(mutated())
@example(("order", b'{"orderId":"7","side":"BUY","type":"LIMIT","price":"10","origQty":"1","time":"1e999"}'))
@example(("orders", b'[{"orderId":"7","side":"BUY","type":"LIMIT","price":"10","origQty":"1","time":1e300}]'))
def test_one_broken_value_gives_a_valid_record_or_protocol_error(case: tuple[str, bytes]) -> None:
    name, body = case
    _outcome(name, body)


# ------------------------------------------------------------------------------------------------
# Hypothesis: arbitrary protobuf field values on every push body
# ------------------------------------------------------------------------------------------------

POSITIVE_TEXT = st.decimals(min_value="0.0001", max_value=10**9, places=4).map(str)
NUMBER_TEXT = st.one_of(
    POSITIVE_TEXT,  # most pushes are valid, so the check on published values has something to check
    POSITIVE_TEXT,
    POSITIVE_TEXT,
    st.sampled_from(WORDS),
    st.decimals(allow_nan=False, places=4).map(str),
    st.text(max_size=5),
)
VERSION_TEXT = st.integers(0, 10**12).map(str) | st.sampled_from(["", "x", "-1", "1.5"])
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
}


def _fill(draw: st.DrawFn, message: Message, depth: int = 0) -> None:
    """Set every field of ``message`` to an arbitrary value of its wire type (strings: number-ish)."""
    for field in message.DESCRIPTOR.fields:
        if field.containing_oneof is not None:
            continue
        repeated = field.is_repeated
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if depth > 1:
                continue
            container = getattr(message, field.name)
            for _ in range(draw(st.integers(0, 3)) if repeated else 1):
                _fill(draw, container.add() if repeated else container, depth + 1)
            continue
        if field.type == FieldDescriptor.TYPE_STRING and "ersion" in field.name:
            values: st.SearchStrategy[Any] = VERSION_TEXT  # mostly valid, so the levels get checked
        elif field.type == FieldDescriptor.TYPE_STRING:
            values = NUMBER_TEXT
        elif field.type == FieldDescriptor.TYPE_BOOL:
            values = st.booleans()
        elif field.type in _INT_RANGES:
            low, high = _INT_RANGES[field.type]
            values = st.integers(low, high) | st.integers(-2, 12)
        else:
            continue
        if repeated:
            getattr(message, field.name).extend(draw(st.lists(values, max_size=3)))
        else:
            setattr(message, field.name, draw(values))


@st.composite
def pushes(draw: st.DrawFn) -> bytes:
    body = draw(st.sampled_from(sorted(BODY_FIELDS.values())))
    wrapper = PushDataV3ApiWrapper(
        channel=f"spot@{body}",
        symbol=draw(st.sampled_from(["BTCUSDT", "ETHUSDC"])),
        sendTime=draw(st.integers(0, 2**62)),
        createTime=draw(st.integers(0, 2**62)),
    )
    _fill(draw, getattr(wrapper, body))
    return wrapper.SerializeToString()


def _batch_ticker_with_version(version: str) -> bytes:
    w = PushDataV3ApiWrapper(channel="spot@public.bookTicker.batch.v3.api.pb@BTCUSDT", symbol="BTCUSDT")
    w.publicBookTickerBatch.items.add(bidPrice="1", bidQuantity="1", askPrice="2", askQuantity="1")
    w.publicBookTickerBatch.version = version
    return w.SerializeToString()


@settings(max_examples=400, deadline=None)
@given(pushes())
@example(_batch_ticker_with_version("-1"))
@example(_batch_ticker_with_version("9" * 400))
def test_arbitrary_push_values_are_published_valid_or_counted(frame: bytes) -> None:
    decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
    events = decoder.decode(frame)  # never raises
    for event in events:
        assert_valid(event)
    counted = (
        decoder.protobuf_count
        + decoder.invalid_count
        + decoder.error_count
        + decoder.unknown_count
        + decoder.json_count
    )
    assert counted == 1
    if events:
        assert decoder.protobuf_count == 1 or decoder.json_count == 1


@pytest.mark.parametrize(
    ("price", "quantity"),
    [("NaN", "1"), ("inf", "1"), ("-1", "1"), ("0", "1"), ("1", "0"), ("1", "-2"), ("1", "1e999")],
)
def test_invalid_trades_are_counted_dropped_and_logged_once(
    price: str, quantity: str, caplog: pytest.LogCaptureFixture
) -> None:
    decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
    w = PushDataV3ApiWrapper(channel="spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT", symbol="BTCUSDT")
    w.publicAggreDeals.deals.add(price="10", quantity="1", tradeType=1, time=1)
    w.publicAggreDeals.deals.add(price=price, quantity=quantity, tradeType=2, time=2)
    frame = w.SerializeToString()
    with caplog.at_level(logging.WARNING, logger="exchanges.mexc.parsing"):
        for _ in range(50):
            assert decoder.decode(frame) == []
    assert decoder.invalid_count == 50
    assert decoder.metrics.value("mexc.ws.frames.invalid") == 50
    assert decoder.stats()["invalid_frames"] == 50
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # rate-limited
    assert "publicAggreDeals" in warnings[0].getMessage()
    assert "deals[1]" in warnings[0].getMessage()
    # the stream goes on: a valid push after the bad ones is published
    good = PushDataV3ApiWrapper(channel="c", symbol="BTCUSDT")
    good.publicAggreDeals.deals.add(price="10", quantity="1", tradeType=1, time=1)
    (trade,) = decoder.decode(good.SerializeToString())
    assert (trade.price, trade.side) == (10.0, Side.BUY)  # type: ignore[union-attr]


@pytest.mark.parametrize("body", ["publicAggreDepths", "publicIncreaseDepths", "publicLimitDepths"])
@pytest.mark.parametrize(
    ("price", "quantity"),
    [
        ("NaN", "1"),
        ("inf", "1"),
        ("-1", "1"),
        ("0", "1"),
        ("1", "-1"),
        ("1", "inf"),
        ("1", "nan"),
        ("1", "1e999"),
    ],
)
def test_invalid_depth_levels_are_dropped(body: str, price: str, quantity: str) -> None:
    decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
    w = PushDataV3ApiWrapper(channel=f"spot@{body}", symbol="BTCUSDT", sendTime=1)
    depth = getattr(w, body)
    depth.bids.add(price="10", quantity="1")
    depth.asks.add(price=price, quantity=quantity)
    if body == "publicAggreDepths":
        depth.fromVersion, depth.toVersion = "4", "5"
    else:
        depth.version = "5"
    assert decoder.decode(w.SerializeToString()) == []
    assert decoder.invalid_count == 1
