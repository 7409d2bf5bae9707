"""Fuzz: random, truncated and corrupted frames never raise past MexcFrameDecoder; the error counter moves."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.metrics import MetricsRegistry
from exchanges_mexc._proto.PushDataV3ApiWrapper_pb2 import PushDataV3ApiWrapper
from exchanges_mexc.compat import MexcProtobufParser
from exchanges_mexc.parsing import ControlMessage, MexcFrameDecoder
from exchanges_mexc.symbols import MexcSymbolMapper


def _valid_frames() -> list[bytes]:
    deals = PushDataV3ApiWrapper(
        channel="spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT", symbol="BTCUSDT", sendTime=1
    )
    for i in range(5):
        deals.publicAggreDeals.deals.add(
            price=f"1{i}.5", quantity="0.25", tradeType=1 + i % 2, time=i, tradeId=str(i)
        )
    depth = PushDataV3ApiWrapper(channel="spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT", symbol="BTCUSDT")
    depth.publicAggreDepths.bids.add(price="1.5", quantity="2")
    depth.publicAggreDepths.fromVersion, depth.publicAggreDepths.toVersion = "10", "12"
    order = PushDataV3ApiWrapper(channel="spot@private.orders.v3.api.pb", symbol="BTCUSDT")
    o = order.privateOrders
    o.id, o.price, o.quantity, o.orderType, o.tradeType, o.status = "abc", "1", "2", 1, 1, 1
    return [w.SerializeToString() for w in (deals, depth, order)]


VALID = _valid_frames()


def _decoder() -> MexcFrameDecoder:
    return MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())


def _total(decoder: MexcFrameDecoder) -> int:
    return (
        decoder.protobuf_count
        + decoder.json_count
        + decoder.error_count
        + decoder.invalid_count
        + decoder.unknown_count
    )


@given(st.binary(max_size=2048))
def test_random_bytes_never_raise(data: bytes) -> None:
    decoder = _decoder()
    events = decoder.decode(data)
    assert isinstance(events, list)
    assert _total(decoder) == 1  # every frame is accounted for exactly once
    MexcProtobufParser.extract_symbol_from_protobuf(data)
    MexcProtobufParser.detect_message_type(data)


@given(st.text(max_size=300))
def test_random_text_never_raises(text: str) -> None:
    decoder = _decoder()
    events = decoder.decode(text)
    assert _total(decoder) == 1
    assert all(isinstance(e, ControlMessage) for e in events)


@given(st.sampled_from(VALID), st.data())
def test_truncated_frames_are_counted(frame: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=1, max_value=len(frame) - 1))
    decoder = _decoder()
    decoder.decode(frame[:cut])
    assert _total(decoder) == 1


@given(st.sampled_from(VALID), st.data())
def test_corrupted_frames_never_raise(frame: bytes, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(frame) - 1))
    value = data.draw(st.integers(min_value=0, max_value=255))
    corrupted = frame[:index] + bytes([value]) + frame[index + 1 :]
    decoder = _decoder()
    decoder.decode(corrupted)
    assert _total(decoder) == 1


def test_truncated_deals_frame_moves_error_counter(caplog: pytest.LogCaptureFixture) -> None:
    decoder = _decoder()
    frame = VALID[0]
    with caplog.at_level(logging.DEBUG, logger="exchanges.mexc.parsing"):
        assert decoder.decode(frame[: len(frame) // 2]) == []
    assert decoder.error_count == 1
    assert frame[:8].hex() in caplog.text  # first bytes are logged for diagnosis
    assert len(decoder.decode(frame)) == 5  # the stream goes on
    assert decoder.protobuf_count == 1


def test_bad_values_inside_a_valid_message_are_counted_and_dropped() -> None:
    decoder = _decoder()
    w = PushDataV3ApiWrapper(channel="c", symbol="BTCUSDT")
    w.publicAggreDeals.deals.add(price="not-a-number", quantity="1", tradeType=1, time=1)
    assert decoder.decode(w.SerializeToString()) == []
    w2 = PushDataV3ApiWrapper(channel="c", symbol="BTCUSDT")
    w2.publicAggreDeals.deals.add(price="1", quantity="1", tradeType=7, time=1)  # unknown side
    assert decoder.decode(w2.SerializeToString()) == []
    w3 = PushDataV3ApiWrapper(channel="c", symbol="???")  # unknown pair
    w3.publicAggreDeals.deals.add(price="1", quantity="1", tradeType=1, time=1)
    assert decoder.decode(w3.SerializeToString()) == []
    assert decoder.invalid_count == 2  # wrong values: ProtocolError, counted as invalid
    assert decoder.error_count == 1  # a pair the mapper cannot split
    metrics = decoder.metrics
    assert metrics.value("mexc.ws.frames.invalid") == 2
    assert metrics.value("mexc.ws.frames.errors") == 1


def test_empty_and_bodiless_frames() -> None:
    decoder = _decoder()
    assert decoder.decode(b"") == []
    assert decoder.decode("") == []
    assert decoder.error_count == 2
    bodiless = PushDataV3ApiWrapper(channel="spot@public.something.new", symbol="BTCUSDT").SerializeToString()
    assert decoder.decode(bodiless) == []
    assert decoder.unknown_count == 1


def test_bytearray_and_memoryview_frames() -> None:
    decoder = _decoder()
    assert len(decoder.decode(bytearray(VALID[0]))) == 5
    assert len(decoder.decode(memoryview(VALID[0]))) == 5
    assert decoder.protobuf_count == 2
