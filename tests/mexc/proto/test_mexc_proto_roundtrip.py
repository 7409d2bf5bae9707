"""Round trips: random values -> protobuf push -> bytes -> MexcFrameDecoder -> model fields equal inputs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.metrics import MetricsRegistry
from exchanges.models import (
    BalanceUpdate,
    BookTicker,
    BookUpdate,
    Fill,
    Kline,
    KlineInterval,
    Order,
    OrderBook,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    Ticker,
    Trade,
)
from exchanges_mexc._proto.PushDataV3ApiWrapper_pb2 import PushDataV3ApiWrapper
from exchanges_mexc.compat import MexcProtobufParser
from exchanges_mexc.parsing import MexcFrameDecoder
from exchanges_mexc.symbols import MexcSymbolMapper

BASES = st.sampled_from(["BTC", "ETH", "MX", "PEPE", "1000SATS", "SOL"])
QUOTES = st.sampled_from(["USDT", "USDC", "BTC", "ETH", "EUR", "USD1"])
# Decimal strings as MEXC sends them: plain notation, up to 8 decimals.
NUM = st.decimals(min_value=0, max_value=10**9, places=8, allow_nan=False, allow_infinity=False).map(
    lambda d: format(d, "f")
)
POS = st.decimals(min_value=Decimal("0.00000001"), max_value=10**9, places=8).map(lambda d: format(d, "f"))
MS = st.integers(min_value=0, max_value=4_102_444_800_000)
VERSION = st.integers(min_value=0, max_value=2**62)
LEVELS = st.lists(st.tuples(POS, NUM), max_size=25)
"""Depth-update levels: a price > 0, a size >= 0 (0 removes the level)."""
SNAPSHOT_LEVELS = st.lists(st.tuples(POS, POS), max_size=25)
"""Snapshot levels: price and size > 0."""
TEXT_ID = st.text(alphabet="0123456789abcdefXC_", min_size=1, max_size=30)

WS_INTERVALS = {
    "Min1": KlineInterval.MINUTE_1,
    "Min5": KlineInterval.MINUTE_5,
    "Min15": KlineInterval.MINUTE_15,
    "Min30": KlineInterval.MINUTE_30,
    "Min60": KlineInterval.HOUR_1,
    "Hour4": KlineInterval.HOUR_4,
    "Hour8": KlineInterval.HOUR_8,
    "Day1": KlineInterval.DAY_1,
    "Week1": KlineInterval.WEEK_1,
    "Month1": KlineInterval.MONTH_1,
}


def _decoder() -> MexcFrameDecoder:
    return MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())


def _decode_one(decoder: MexcFrameDecoder, wrapper: PushDataV3ApiWrapper) -> list[object]:
    events = decoder.decode(wrapper.SerializeToString())
    assert decoder.error_count == 0
    assert decoder.protobuf_count == 1
    return list(events)


@given(BASES, QUOTES, st.lists(st.tuples(POS, POS, st.sampled_from([1, 2]), MS, TEXT_ID), max_size=20), MS)
def test_aggre_deals_round_trip(
    base: str, quote: str, deals: list[tuple[str, str, int, int, str]], send: int
) -> None:
    w = PushDataV3ApiWrapper(
        channel="spot@public.aggre.deals.v3.api.pb@100ms@X", symbol=base + quote, sendTime=send
    )
    for price, qty, trade_type, ts, trade_id in deals:
        w.publicAggreDeals.deals.add(
            price=price, quantity=qty, tradeType=trade_type, time=ts, tradeId=trade_id
        )
    w.publicAggreDeals.eventType = "spot@public.aggre.deals.v3.api.pb@100ms"
    events = _decode_one(_decoder(), w)
    assert len(events) == len(deals)
    for event, (price, qty, trade_type, ts, trade_id) in zip(events, deals, strict=True):
        assert isinstance(event, Trade)
        assert event.symbol == Symbol(base, quote)
        assert event.price == float(price)
        assert event.quantity == float(qty)
        assert event.side is (Side.BUY if trade_type == 1 else Side.SELL)
        assert event.timestamp == ts
        assert event.trade_id == trade_id


@given(st.lists(st.tuples(POS, POS, st.sampled_from([1, 2]), MS), min_size=1, max_size=10))
def test_legacy_deals_round_trip(deals: list[tuple[str, str, int, int]]) -> None:
    w = PushDataV3ApiWrapper(channel="spot@public.deals.v3.api.pb@BTCUSDT", symbol="BTCUSDT")
    for price, qty, trade_type, ts in deals:
        w.publicDeals.deals.add(price=price, quantity=qty, tradeType=trade_type, time=ts)
    events = _decode_one(_decoder(), w)
    assert [(e.price, e.quantity, e.timestamp, e.trade_id) for e in events] == [  # type: ignore[attr-defined]
        (float(p), float(q), t, None) for p, q, _, t in deals
    ]


@given(LEVELS, LEVELS, VERSION, st.integers(min_value=0, max_value=1000), MS, MS)
def test_aggre_depth_round_trip(
    bids: list[tuple[str, str]],
    asks: list[tuple[str, str]],
    start: int,
    span: int,
    send: int,
    last_order: int,
) -> None:
    w = PushDataV3ApiWrapper(channel="c", symbol="ETHUSDC", sendTime=send)
    body = w.publicAggreDepths
    for p, q in bids:
        body.bids.add(price=p, quantity=q)
    for p, q in asks:
        body.asks.add(price=p, quantity=q)
    body.fromVersion, body.toVersion = str(start), str(start + span)
    body.lastOrderCreateTime = last_order
    (event,) = _decode_one(_decoder(), w)
    assert isinstance(event, BookUpdate)
    assert event.symbol == Symbol("ETH", "USDC")
    assert event.bids == [(float(p), float(q)) for p, q in bids]
    assert event.asks == [(float(p), float(q)) for p, q in asks]
    assert (event.first_version, event.last_version) == (start, start + span)
    assert type(event.first_version) is int
    assert event.timestamp == (send or last_order)


@given(SNAPSHOT_LEVELS, SNAPSHOT_LEVELS, VERSION, MS)
def test_limit_depth_round_trip(
    bids: list[tuple[str, str]], asks: list[tuple[str, str]], version: int, send: int
) -> None:
    w = PushDataV3ApiWrapper(
        channel="spot@public.limit.depth.v3.api.pb@BTCUSDT@20", symbol="BTCUSDT", sendTime=send
    )
    body = w.publicLimitDepths
    for p, q in bids:
        body.bids.add(price=p, quantity=q)
    for p, q in asks:
        body.asks.add(price=p, quantity=q)
    body.version = str(version)
    (event,) = _decode_one(_decoder(), w)
    assert isinstance(event, OrderBook)
    assert [(e.price, e.size) for e in event.bids] == [(float(p), float(q)) for p, q in bids]
    assert [(e.price, e.size) for e in event.asks] == [(float(p), float(q)) for p, q in asks]
    assert event.version == version


@given(POS, POS, POS, POS, st.one_of(st.just(""), VERSION.map(str)), MS)
def test_aggre_book_ticker_round_trip(bid: str, bq: str, ask: str, aq: str, version: str, send: int) -> None:
    w = PushDataV3ApiWrapper(channel="c", symbol="MXUSDT", sendTime=send)
    b = w.publicAggreBookTicker
    b.bidPrice, b.bidQuantity, b.askPrice, b.askQuantity, b.version = bid, bq, ask, aq, version
    (event,) = _decode_one(_decoder(), w)
    assert isinstance(event, BookTicker)
    assert event.symbol == Symbol("MX", "USDT")
    assert (event.bid_price, event.bid_quantity, event.ask_price, event.ask_quantity) == (
        float(bid),
        float(bq),
        float(ask),
        float(aq),
    )
    assert event.version == (int(version) if version else None)
    assert event.timestamp == send


@given(st.lists(st.tuples(POS, POS, POS, POS), min_size=1, max_size=5), VERSION, MS)
def test_book_ticker_batch_round_trip(
    items: list[tuple[str, str, str, str]], version: int, send: int
) -> None:
    w = PushDataV3ApiWrapper(channel="c", symbol="BTCUSDT", sendTime=send)
    for bid, bq, ask, aq in items:
        w.publicBookTickerBatch.items.add(bidPrice=bid, bidQuantity=bq, askPrice=ask, askQuantity=aq)
    w.publicBookTickerBatch.version = str(version)
    events = _decode_one(_decoder(), w)
    assert [(e.bid_price, e.ask_quantity, e.version) for e in events] == [  # type: ignore[attr-defined]
        (float(b), float(aq), version) for b, _, _, aq in items
    ]


@given(POS, POS, POS, POS)
def test_legacy_book_ticker(bid: str, bq: str, ask: str, aq: str) -> None:
    w = PushDataV3ApiWrapper(channel="c", symbol="BTCUSDT", sendTime=5)
    w.publicBookTicker.bidPrice, w.publicBookTicker.bidQuantity = bid, bq
    w.publicBookTicker.askPrice, w.publicBookTicker.askQuantity = ask, aq
    (event,) = _decode_one(_decoder(), w)
    assert isinstance(event, BookTicker)
    assert (event.bid_price, event.ask_price, event.version) == (float(bid), float(ask), None)


@given(
    st.sampled_from(sorted(WS_INTERVALS)),
    st.integers(min_value=0, max_value=4_102_444_800),
    st.integers(min_value=1, max_value=3_000_000),
    POS,
    POS,
    POS,
    POS,
    NUM,
    NUM,
)
def test_kline_round_trip(
    interval: str, start: int, width: int, o: str, c: str, h: str, lo: str, vol: str, amount: str
) -> None:
    w = PushDataV3ApiWrapper(channel="c", symbol="BTCUSDT", symbolId="x", createTime=1)
    k = w.publicSpotKline
    k.interval, k.windowStart, k.windowEnd = interval, start, start + width
    k.openingPrice, k.closingPrice, k.highestPrice, k.lowestPrice = o, c, h, lo
    k.volume, k.amount = vol, amount
    (event,) = _decode_one(_decoder(), w)
    assert isinstance(event, Kline)
    assert event.interval is WS_INTERVALS[interval]
    assert event.open_time == start * 1000
    assert event.close_time == (start + width) * 1000
    assert (event.open, event.high, event.low, event.close) == (float(o), float(h), float(lo), float(c))
    assert (event.volume, event.quote_volume) == (float(vol), float(amount))


@given(POS, NUM, NUM, POS, POS, NUM, NUM, MS)
def test_mini_ticker_round_trip(
    price: str, rate: str, zoned: str, high: str, low: str, volume: str, quantity: str, send: int
) -> None:
    w = PushDataV3ApiWrapper(channel="c", symbol="ETHBTC", sendTime=send)
    m = w.publicMiniTicker
    m.symbol, m.price, m.rate, m.zonedRate, m.high, m.low = "ETHBTC", price, rate, zoned, high, low
    m.volume, m.quantity = volume, quantity
    (event,) = _decode_one(_decoder(), w)
    assert isinstance(event, Ticker)
    assert event.symbol == Symbol("ETH", "BTC")
    assert (event.last_price, event.high, event.low) == (float(price), float(high), float(low))
    assert event.volume == float(quantity)  # MEXC "quantity" is the base volume
    assert event.quote_volume == float(volume)  # MEXC "volume" is the quote turnover
    assert event.price_change_ratio == float(rate)
    assert event.price_change_percent == pytest.approx(float(rate) * 100)
    assert event.timestamp == send


def test_mini_tickers_skip_unknown_pairs() -> None:
    w = PushDataV3ApiWrapper(channel="spot@public.miniTickers.v3.api.pb@UTC+8", sendTime=9)
    w.publicMiniTickers.items.add(
        symbol="BTCUSDT", price="1", rate="0.1", high="2", low="0.5", volume="3", quantity="4"
    )
    w.publicMiniTickers.items.add(symbol="WEIRDXYZ", price="1")
    w.publicMiniTickers.items.add(symbol="ETHUSDC", price="2")
    events = _decode_one(_decoder(), w)
    assert [e.symbol for e in events] == [Symbol("BTC", "USDT"), Symbol("ETH", "USDC")]  # type: ignore[attr-defined]


@given(st.lists(st.tuples(LEVELS, VERSION), min_size=1, max_size=4))
def test_increase_depth_batch(items: list[tuple[list[tuple[str, str]], int]]) -> None:
    w = PushDataV3ApiWrapper(channel="c", symbol="BTCUSDT", sendTime=3)
    for levels, version in items:
        item = w.publicIncreaseDepthsBatch.items.add(version=str(version))
        for p, q in levels:
            item.bids.add(price=p, quantity=q)
    events = _decode_one(_decoder(), w)
    assert [(e.first_version, e.last_version, e.bids) for e in events] == [  # type: ignore[attr-defined]
        (v, v, [(float(p), float(q)) for p, q in lv]) for lv, v in items
    ]


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8), NUM, NUM, NUM, NUM, MS
)
def test_private_account_round_trip(
    asset: str, free: str, free_ch: str, locked: str, locked_ch: str, ts: int
) -> None:
    w = PushDataV3ApiWrapper(channel="spot@private.account.v3.api.pb", createTime=1, sendTime=2)
    a = w.privateAccount
    a.vcoinName, a.coinId, a.balanceAmount, a.balanceAmountChange = asset, "id", free, free_ch
    a.frozenAmount, a.frozenAmountChange, a.type, a.time = locked, locked_ch, "ENTRUST_PLACE", ts
    (event,) = _decode_one(_decoder(), w)
    assert isinstance(event, BalanceUpdate)
    assert event.balance.asset == asset
    assert (event.balance.free, event.balance.locked) == (Decimal(free), Decimal(locked))
    assert (event.free_change, event.locked_change) == (Decimal(free_ch), Decimal(locked_ch))
    assert event.reason == "ENTRUST_PLACE"
    assert event.timestamp == (ts or 2)


@given(POS, POS, POS, st.sampled_from([1, 2]), st.booleans(), TEXT_ID, TEXT_ID, NUM, MS)
def test_private_deals_round_trip(
    price: str,
    qty: str,
    amount: str,
    trade_type: int,
    maker: bool,
    trade_id: str,
    order_id: str,
    fee: str,
    ts: int,
) -> None:
    w = PushDataV3ApiWrapper(channel="spot@private.deals.v3.api.pb", symbol="BTCUSDT", sendTime=1)
    d = w.privateDeals
    d.price, d.quantity, d.amount, d.tradeType, d.isMaker, d.isSelfTrade = (
        price,
        qty,
        amount,
        trade_type,
        maker,
        False,
    )
    d.tradeId, d.clientOrderId, d.orderId, d.feeAmount, d.feeCurrency, d.time = (
        trade_id,
        "",
        order_id,
        fee,
        "mx",
        ts,
    )
    (event,) = _decode_one(_decoder(), w)
    assert isinstance(event, Fill)
    assert event.symbol == Symbol("BTC", "USDT")
    assert (event.price, event.quantity, event.quote_quantity, event.fee) == (
        Decimal(price),
        Decimal(qty),
        Decimal(amount),
        Decimal(fee),
    )
    assert event.side is (Side.BUY if trade_type == 1 else Side.SELL)
    assert (event.is_maker, event.trade_id, event.order_id, event.timestamp) == (
        maker,
        trade_id,
        order_id,
        ts,
    )
    assert event.fee_asset == "MX"
    assert event.client_order_id is None


ORDER_TYPES = {
    1: OrderType.LIMIT,
    2: OrderType.LIMIT_MAKER,
    3: OrderType.IMMEDIATE_OR_CANCEL,
    4: OrderType.FILL_OR_KILL,
}
STATUSES = {
    1: OrderStatus.NEW,
    2: OrderStatus.FILLED,
    3: OrderStatus.PARTIALLY_FILLED,
    4: OrderStatus.CANCELED,
    5: OrderStatus.PARTIALLY_CANCELED,
}


@given(
    TEXT_ID,
    POS,
    POS,
    POS,
    NUM,
    NUM,
    NUM,
    st.sampled_from(sorted(ORDER_TYPES)),
    st.sampled_from([1, 2]),
    st.sampled_from(sorted(STATUSES)),
    MS,
    MS,
)
def test_private_orders_round_trip(
    order_id: str,
    price: str,
    qty: str,
    amount: str,
    avg: str,
    cum_qty: str,
    cum_amount: str,
    order_type: int,
    trade_type: int,
    status: int,
    created: int,
    send: int,
) -> None:
    w = PushDataV3ApiWrapper(channel="spot@private.orders.v3.api.pb", symbol="ETHUSDT", sendTime=send)
    o = w.privateOrders
    o.id, o.clientId, o.price, o.quantity, o.amount, o.avgPrice = order_id, "cid-1", price, qty, amount, avg
    o.orderType, o.tradeType, o.status, o.createTime = order_type, trade_type, status, created
    o.cumulativeQuantity, o.cumulativeAmount = cum_qty, cum_amount
    o.remainQuantity, o.remainAmount = "0", "0"
    (event,) = _decode_one(_decoder(), w)
    assert isinstance(event, Order)
    assert event.symbol == Symbol("ETH", "USDT")
    assert (event.order_id, event.client_order_id) == (order_id, "cid-1")
    assert event.order_type is ORDER_TYPES[order_type]
    assert event.side is (Side.BUY if trade_type == 1 else Side.SELL)
    assert event.status is STATUSES[status]
    assert (event.price, event.quantity, event.quote_quantity) == (
        Decimal(price),
        Decimal(qty),
        Decimal(amount),
    )
    assert (event.filled_quantity, event.filled_quote_quantity) == (Decimal(cum_qty), Decimal(cum_amount))
    if Decimal(avg):
        assert event.average_price == Decimal(avg)
    elif Decimal(cum_qty) and Decimal(cum_amount):  # avgPrice "0": derived from the cumulative amounts
        assert event.average_price == Decimal(cum_amount) / Decimal(cum_qty)
    else:
        assert event.average_price is None
    assert event.timestamp == created
    assert event.update_time == (send or None)


def test_private_market_order_by_quote_amount() -> None:
    w = PushDataV3ApiWrapper(channel="spot@private.orders.v3.api.pb", symbol="BTCUSDT", sendTime=1)
    o = w.privateOrders
    o.id, o.price, o.quantity, o.amount, o.orderType, o.tradeType, o.status = "1", "0", "0", "100", 5, 1, 1
    (event,) = _decode_one(_decoder(), w)
    assert isinstance(event, Order)
    assert (event.order_type, event.price, event.quantity, event.quote_quantity) == (
        OrderType.MARKET,
        None,
        None,
        Decimal(100),
    )


def test_unknown_order_type_is_counted_not_raised() -> None:
    decoder = _decoder()
    w = PushDataV3ApiWrapper(channel="spot@private.orders.v3.api.pb", symbol="BTCUSDT")
    w.privateOrders.id, w.privateOrders.orderType, w.privateOrders.tradeType, w.privateOrders.status = (
        "1",
        100,
        1,
        1,
    )
    assert decoder.decode(w.SerializeToString()) == []
    assert decoder.invalid_count == 1


@given(BASES, QUOTES)
def test_extract_symbol_and_detect_type(base: str, quote: str) -> None:
    w = PushDataV3ApiWrapper(
        channel="spot@public.aggre.deals.v3.api.pb@100ms@X", symbol=base + quote, sendTime=1
    )
    w.publicAggreDeals.deals.add(price="1", quantity="2", tradeType=1, time=3)
    data = w.SerializeToString()
    assert MexcProtobufParser.extract_symbol_from_protobuf(data) == base + quote
    assert MexcProtobufParser.detect_message_type(data) == "publicAggreDeals"
    parsed = MexcProtobufParser.parse_wrapper_message(data)
    assert parsed.WhichOneof("body") == "publicAggreDeals"
    assert parsed.symbol == base + quote


def test_parser_helpers_on_other_inputs() -> None:
    assert MexcProtobufParser.detect_message_type(b'{"id":0}') == "json"
    assert MexcProtobufParser.detect_message_type("Invalid listen key") == "text"
    assert MexcProtobufParser.detect_message_type(b"") == "empty"
    assert MexcProtobufParser.extract_symbol_from_protobuf(b'{"msg":"PONG"}') is None
    no_symbol = PushDataV3ApiWrapper(channel="spot@private.account.v3.api.pb")
    no_symbol.privateAccount.vcoinName = "USDT"
    data = no_symbol.SerializeToString()
    assert MexcProtobufParser.extract_symbol_from_protobuf(data) is None
    assert MexcProtobufParser.detect_message_type(data) == "privateAccount"
    events = MexcProtobufParser().parse_message(data)
    assert isinstance(events[0], BalanceUpdate)
