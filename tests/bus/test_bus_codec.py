"""The bus wire format: every record survives a round trip; wrong shapes are typed errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.bus._subjects import (
    Subjects,
    book_ticker_msg_id,
    kline_channel,
    kline_msg_id,
    parse_symbol_token,
    symbol_token,
)
from exchanges.bus.parsing import _events as codec
from exchanges.errors import ProtocolError
from exchanges.models import (
    BookTicker,
    BookUpdate,
    Kline,
    KlineInterval,
    OrderBook,
    OrderBookEntry,
    Side,
    Symbol,
    Ticker,
    Trade,
)

SYM = Symbol("BTC", "USDT")
price = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
level = st.tuples(price, price)
assets = st.from_regex(r"[A-Z0-9]{1,8}", fullmatch=True)


@given(st.lists(level, max_size=30), st.lists(level, max_size=30), st.integers(0, 2**53), st.integers(0, 100))
def test_book_deltas_round_trip(
    bids: list[tuple[float, float]], asks: list[tuple[float, float]], first: int, span: int
) -> None:
    update = BookUpdate(SYM, bids, asks, first, first + span, 1_700_000_000_000)
    decoded, msg = codec.decode_book_delta(SYM, codec.encode_book_delta(update, "gw", 1.5))
    assert decoded == update
    assert msg.g == "gw"


@given(st.lists(level, max_size=30), st.lists(level, max_size=30), st.integers(0, 2**53))
def test_book_snapshots_round_trip(
    bids: list[tuple[float, float]], asks: list[tuple[float, float]], version: int
) -> None:
    book = OrderBook(
        SYM, tuple(OrderBookEntry(*b) for b in bids), tuple(OrderBookEntry(*a) for a in asks), 5, version
    )
    assert codec.decode_book_snapshot(SYM, codec.encode_book_snapshot(book, "gw", 0.0))[0] == book


@given(price, price, st.sampled_from(Side), st.one_of(st.none(), st.text(min_size=1, max_size=20)))
def test_trades_round_trip(p: float, q: float, side: Side, trade_id: str | None) -> None:
    trade = Trade(SYM, p, q, side, 123, trade_id)
    assert codec.decode_trade(SYM, codec.encode_trade(trade, "gw", 0.0))[0] == trade


def test_tickers_round_trip() -> None:
    ticker = Ticker(SYM, 1.0, 2.0, 0.5, 10.0, 20.0, -3.5, 99, 1.1, 0.9, 1.2)
    assert codec.decode_ticker(SYM, codec.encode_ticker(ticker, "gw", 0.0))[0] == ticker


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[]",
        b'{"b": [], "a": [], "fv": 5, "lv": 4, "ts": 0, "g": "x", "pt": 0}',  # runs backwards
        b'{"b": [[1, -2]], "a": [], "fv": 1, "lv": 1, "ts": 0, "g": "x", "pt": 0}',  # negative size
        b'{"b": [[1e999, 2]], "a": [], "fv": 1, "lv": 1, "ts": 0, "g": "x", "pt": 0}',  # not finite
        b'{"b": [["1", 2]], "a": [], "fv": 1, "lv": 1, "ts": 0, "g": "x", "pt": 0}',  # wrong type
        b'{"a": [], "fv": 1, "lv": 1, "ts": 0, "g": "x", "pt": 0}',  # missing field
    ],
)
def test_malformed_book_deltas_are_protocol_errors(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        codec.decode_book_delta(SYM, data)


def test_malformed_trades_are_protocol_errors() -> None:
    with pytest.raises(ProtocolError):
        codec.decode_trade(SYM, b'{"p": 1, "q": 1, "s": "HOLD", "ts": 1, "g": "x", "pt": 0}')
    with pytest.raises(ProtocolError):
        codec.encode_trade(Trade(SYM, float("nan"), 1.0, Side.BUY, 1), "gw", 0.0)


@given(assets, assets)
def test_symbol_tokens_round_trip_and_subjects_parse(base: str, quote: str) -> None:
    symbol = Symbol(base, quote)
    assert parse_symbol_token(symbol_token(symbol)) == symbol
    subjects = Subjects("mexc_spot")
    assert subjects.parse(subjects.subject("trade", symbol)) == ("trade", symbol)


@pytest.mark.parametrize("bad", ["BTC.X-USDT", "BTCUSDT", "BTC-", "-USDT", "BTC-US*"])
def test_tokens_that_are_not_symbols_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a bus symbol token"):
        parse_symbol_token(bad)


positive = st.floats(min_value=1e-12, max_value=1e12, allow_nan=False, allow_infinity=False)
times = st.integers(0, 2**50)


@given(price, price, price, price, times, st.one_of(st.none(), st.integers(0, 2**53)))
def test_book_tickers_round_trip(
    bid: float, bid_qty: float, ask: float, ask_qty: float, ts: int, version: int | None
) -> None:
    ticker = BookTicker(SYM, bid, bid_qty, ask or 1.0, ask_qty, ts, version)
    assert codec.decode_book_ticker(SYM, codec.encode_book_ticker(ticker, "gw", 0.0))[0] == ticker


@given(
    st.sampled_from(KlineInterval),
    times,
    st.integers(0, 10**8),
    positive,
    positive,
    positive,
    positive,
    price,
    price,
)
def test_klines_round_trip_on_their_width_channel(
    interval: KlineInterval, ot: int, span: int, o: float, h: float, lo: float, c: float, v: float, qv: float
) -> None:
    kline = Kline(SYM, interval, ot, ot + span, o, h, lo, c, v, qv)
    assert codec.decode_kline(SYM, interval, codec.encode_kline(kline, "gw", 0.0))[0] == kline
    subjects = Subjects("mexc_spot")
    channel = kline_channel(interval)
    assert subjects.parse(subjects.subject(channel, SYM)) == (channel, SYM)


@pytest.mark.parametrize(
    "data",
    [
        b'{"b": 0, "bq": 0, "a": 0, "aq": 0, "ts": 1, "g": "x", "pt": 0}',  # both sides empty
        b'{"b": -1, "bq": 1, "a": 2, "aq": 1, "ts": 1, "g": "x", "pt": 0}',  # negative price
        b'{"b": 1, "bq": 1, "a": 1e999, "aq": 1, "ts": 1, "g": "x", "pt": 0}',  # not finite
        b'{"b": 1, "bq": 1, "a": 2, "aq": 1, "ts": 1, "g": "x", "pt": 0, "v": -1}',  # negative version
        b'{"b": 1, "bq": 1, "a": 2, "ts": 1, "g": "x", "pt": 0}',  # missing field
    ],
)
def test_malformed_book_tickers_are_protocol_errors(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        codec.decode_book_ticker(SYM, data)


KLINE = '"o": 1, "h": 1, "l": 1, "g": "x", "pt": 0'


@pytest.mark.parametrize(
    "data",
    [
        b'{"ot": 5, "ct": 4, "c": 1, "v": 0, "qv": 0, %s}' % KLINE.encode(),  # window runs backwards
        b'{"ot": 0, "ct": 4, "c": 0, "v": 0, "qv": 0, %s}' % KLINE.encode(),  # zero price
        b'{"ot": 0, "ct": 4, "c": 1, "v": -1, "qv": 0, %s}' % KLINE.encode(),  # negative volume
        b'{"ot": 0, "ct": 4, "c": "1", "v": 0, "qv": 0, %s}' % KLINE.encode(),  # wrong type
        b'{"ot": 0, "ct": 4, "c": 1, "v": 0, %s}' % KLINE.encode(),  # missing field
    ],
)
def test_malformed_klines_are_protocol_errors(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        codec.decode_kline(SYM, KlineInterval.MINUTE_1, data)


def test_unknown_channels_and_widths_are_refused() -> None:
    subjects = Subjects("mexc_spot")
    for subject in (
        "md.mexc_spot.kline_2m.BTC-USDT",
        "md.mexc_spot.klines.BTC-USDT",
        "md.mexc_spot.bt.BTC-USDT",
    ):
        with pytest.raises(ValueError, match="unknown channel"):
            subjects.parse(subject)


def test_de_duplication_ids_are_the_exchange_identity_of_the_event() -> None:
    ticker = BookTicker(SYM, 1.0, 2.0, 3.0, 4.0, 5, 77)
    assert book_ticker_msg_id("mexc_spot", ticker) == "mexc_spot:bt:BTC-USDT:77"
    assert book_ticker_msg_id("mexc_spot", ticker._replace(timestamp=9)) == "mexc_spot:bt:BTC-USDT:77"
    unversioned = ticker._replace(version=None)
    assert book_ticker_msg_id("mexc_spot", unversioned) != book_ticker_msg_id(
        "mexc_spot", unversioned._replace(bid_quantity=2.5)
    )
    kline = Kline(SYM, KlineInterval.MINUTE_1, 60_000, 119_999, 1.0, 2.0, 0.5, 1.5, 10.0, 15.0)
    same = kline_msg_id("mexc_spot", kline)
    assert same == kline_msg_id("mexc_spot", Kline(*kline))  # the same state pushed again
    assert same != kline_msg_id("mexc_spot", kline._replace(volume=11.0, close=1.6))  # it moved
    assert same != kline_msg_id("mexc_spot", kline._replace(interval=KlineInterval.MINUTE_5))
