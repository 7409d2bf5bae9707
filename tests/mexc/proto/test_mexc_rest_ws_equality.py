"""REST and WebSocket build equal records from the same data (one builder per concept).

For every concept both paths deliver (book snapshots, trades, book tickers, klines, 24 h tickers,
orders, fills, balances), Hypothesis draws the exchange's values once, writes them as the REST JSON
body MEXC sends and as the protobuf push MEXC sends, parses both through the real entry points
(``parse_*`` on the bytes, :class:`MexcFrameDecoder` on the frame) and compares the records.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from exchanges.metrics import MetricsRegistry
from exchanges.models import (
    BalanceUpdate,
    BookTicker,
    Fill,
    Kline,
    KlineInterval,
    Order,
    OrderBook,
    Side,
    Ticker,
    Trade,
)
from exchanges_mexc._proto.PushDataV3ApiWrapper_pb2 import PushDataV3ApiWrapper
from exchanges_mexc.parsing import (
    MexcFrameDecoder,
    parse_account,
    parse_agg_trades,
    parse_book_ticker_json,
    parse_depth_snapshot,
    parse_klines,
    parse_my_trades,
    parse_order_json,
    parse_rest_trades,
    parse_ticker_24h,
)
from exchanges_mexc.parsing.enums import ORDER_STATUS_BY_INT, ORDER_TYPE_BY_INT
from exchanges_mexc.symbols import MexcSymbolMapper

from .conftest import BTC  # type: ignore[import-not-found]

POS = st.decimals(min_value=Decimal("0.00000001"), max_value=10**9, places=8).map(lambda d: format(d, "f"))
NUM = st.decimals(min_value=0, max_value=10**9, places=8).map(lambda d: format(d, "f"))
MS = st.integers(min_value=1, max_value=4_102_444_800_000)
VERSION = st.integers(min_value=0, max_value=2**62)
LEVELS = st.lists(st.tuples(POS, POS), max_size=20)
IDS = st.integers(min_value=1, max_value=2**62).map(str)
SIDES = st.sampled_from([Side.BUY, Side.SELL])
_TRADE_TYPE = {Side.BUY: 1, Side.SELL: 2}


def _push(wrapper: PushDataV3ApiWrapper) -> list[Any]:
    decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
    events = decoder.decode(wrapper.SerializeToString())
    assert decoder.protobuf_count == 1, decoder.stats()
    return list(events)


def _json(value: Any) -> bytes:
    return msgspec.json.encode(value)


@given(LEVELS, LEVELS, VERSION, MS)
def test_book_snapshot(
    bids: list[tuple[str, str]], asks: list[tuple[str, str]], version: int, ts: int
) -> None:
    rest = parse_depth_snapshot(
        BTC, _json({"lastUpdateId": version, "bids": bids, "asks": asks, "timestamp": ts})
    )
    w = PushDataV3ApiWrapper(
        channel="spot@public.limit.depth.v3.api.pb@BTCUSDT@20", symbol="BTCUSDT", sendTime=ts
    )
    for price, quantity in bids:
        w.publicLimitDepths.bids.add(price=price, quantity=quantity)
    for price, quantity in asks:
        w.publicLimitDepths.asks.add(price=price, quantity=quantity)
    w.publicLimitDepths.version = str(version)
    (ws,) = _push(w)
    assert isinstance(ws, OrderBook)
    assert rest == ws


TRADES = st.lists(st.tuples(POS, POS, SIDES, MS, IDS), min_size=1, max_size=10)


@given(TRADES)
def test_trades(trades: list[tuple[str, str, Side, int, str]]) -> None:
    agg = parse_agg_trades(
        BTC, _json([{"a": i, "p": p, "q": q, "T": t, "m": s is Side.SELL} for p, q, s, t, i in trades])
    )
    recent = parse_rest_trades(
        BTC,
        _json(
            [
                {"id": i, "price": p, "qty": q, "time": t, "isBuyerMaker": s is Side.SELL}
                for p, q, s, t, i in trades
            ]
        ),
    )
    w = PushDataV3ApiWrapper(channel="spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT", symbol="BTCUSDT")
    for p, q, s, t, i in trades:
        w.publicAggreDeals.deals.add(price=p, quantity=q, tradeType=_TRADE_TYPE[s], time=t, tradeId=i)
    ws = _push(w)
    assert all(isinstance(trade, Trade) for trade in ws)
    assert agg == recent == ws


@given(POS, POS, POS, POS, MS)
def test_book_ticker(bid: str, bid_qty: str, ask: str, ask_qty: str, ts: int) -> None:
    rest = parse_book_ticker_json(
        BTC,
        _json({"symbol": "BTCUSDT", "bidPrice": bid, "bidQty": bid_qty, "askPrice": ask, "askQty": ask_qty}),
        ts,
    )
    w = PushDataV3ApiWrapper(
        channel="spot@public.bookTicker.v3.api.pb@BTCUSDT", symbol="BTCUSDT", sendTime=ts
    )
    body = w.publicBookTicker
    body.bidPrice, body.bidQuantity, body.askPrice, body.askQuantity = bid, bid_qty, ask, ask_qty
    (ws,) = _push(w)
    assert isinstance(ws, BookTicker)
    assert rest == ws


@given(
    st.integers(min_value=0, max_value=4_102_444_800),
    st.integers(min_value=1, max_value=3_000_000),
    POS,
    POS,
    POS,
    POS,
    NUM,
    NUM,
)
def test_kline(start: int, span: int, o: str, h: str, lo: str, c: str, volume: str, amount: str) -> None:
    end = start + span
    (rest,) = parse_klines(
        BTC, KlineInterval.MINUTE_1, _json([[start * 1000, o, h, lo, c, volume, end * 1000, amount]])
    )
    w = PushDataV3ApiWrapper(channel="spot@public.kline.v3.api.pb@BTCUSDT@Min1", symbol="BTCUSDT")
    k = w.publicSpotKline
    k.interval, k.windowStart, k.windowEnd = "Min1", start, end
    k.openingPrice, k.highestPrice, k.lowestPrice, k.closingPrice = o, h, lo, c
    k.volume, k.amount = volume, amount
    (ws,) = _push(w)
    assert isinstance(ws, Kline)
    assert rest == ws


SIGNED = st.decimals(min_value=-1, max_value=10, places=4).map(lambda d: format(d, "f"))


@given(POS, NUM, NUM, NUM, NUM, SIGNED, MS)
def test_ticker(
    last: str, high: str, low: str, base_volume: str, quote_volume: str, rate: str, ts: int
) -> None:
    rest = parse_ticker_24h(
        BTC,
        _json(
            {
                "symbol": "BTCUSDT",
                "lastPrice": last,
                "highPrice": high,
                "lowPrice": low,
                "volume": base_volume,
                "quoteVolume": quote_volume,
                "priceChangePercent": rate,
                "closeTime": ts,
            }
        ),
    )
    w = PushDataV3ApiWrapper(
        channel="spot@public.miniTicker.v3.api.pb@BTCUSDT@UTC+8", symbol="BTCUSDT", sendTime=ts
    )
    m = w.publicMiniTicker
    m.symbol, m.price, m.high, m.low, m.quantity, m.volume, m.rate = (
        "BTCUSDT",
        last,
        high,
        low,
        base_volume,
        quote_volume,
        rate,
    )
    (ws,) = _push(w)
    assert isinstance(ws, Ticker)
    assert rest == ws


@given(
    IDS,
    st.text(alphabet="abcdef0123456789", min_size=1, max_size=20),
    SIDES,
    st.sampled_from([1, 2, 3, 4]),  # LIMIT, LIMIT_MAKER, IOC, FOK (MARKET has its own zero rules)
    st.sampled_from(sorted(ORDER_STATUS_BY_INT)),
    POS,
    POS,
    st.tuples(NUM, NUM),
    MS,
    MS,
)
def test_order(
    order_id: str,
    client_id: str,
    side: Side,
    order_type: int,
    status: int,
    price: str,
    quantity: str,
    filled: tuple[str, str],
    created: int,
    updated: int,
) -> None:
    filled_qty, filled_quote = filled
    rest = parse_order_json(
        _json(
            {
                "symbol": "BTCUSDT",
                "orderId": order_id,
                "clientOrderId": client_id,
                "side": side.value,
                "type": ORDER_TYPE_BY_INT[order_type].value,
                "status": ORDER_STATUS_BY_INT[status].value,
                "price": price,
                "origQty": quantity,
                "executedQty": filled_qty,
                "cummulativeQuoteQty": filled_quote,
                "time": created,
                "updateTime": updated,
            }
        ),
        BTC,
        "GET /api/v3/order",
    )
    w = PushDataV3ApiWrapper(channel="spot@private.orders.v3.api.pb", symbol="BTCUSDT", sendTime=updated)
    o = w.privateOrders
    o.id, o.clientId, o.price, o.quantity = order_id, client_id, price, quantity
    o.tradeType, o.orderType, o.status, o.createTime = _TRADE_TYPE[side], order_type, status, created
    o.cumulativeQuantity, o.cumulativeAmount = filled_qty, filled_quote
    (ws,) = _push(w)
    assert isinstance(ws, Order)
    assert rest == ws


@given(
    IDS, IDS, SIDES, POS, POS, POS, NUM, st.booleans(), MS, st.text(alphabet="abc123", min_size=1, max_size=8)
)
def test_fill(
    order_id: str,
    trade_id: str,
    side: Side,
    price: str,
    quantity: str,
    amount: str,
    fee: str,
    is_maker: bool,
    ts: int,
    client_id: str,
) -> None:
    (rest,) = parse_my_trades(
        _json(
            [
                {
                    "symbol": "BTCUSDT",
                    "id": trade_id,
                    "orderId": order_id,
                    "price": price,
                    "qty": quantity,
                    "quoteQty": amount,
                    "commission": fee,
                    "commissionAsset": "USDT",
                    "time": ts,
                    "isBuyer": side is Side.BUY,
                    "isMaker": is_maker,
                    "clientOrderId": client_id,
                }
            ]
        ),
        BTC,
    )
    w = PushDataV3ApiWrapper(channel="spot@private.deals.v3.api.pb", symbol="BTCUSDT")
    d = w.privateDeals
    d.price, d.quantity, d.amount, d.tradeType, d.isMaker = (
        price,
        quantity,
        amount,
        _TRADE_TYPE[side],
        is_maker,
    )
    d.tradeId, d.orderId, d.clientOrderId, d.feeAmount, d.feeCurrency, d.time = (
        trade_id,
        order_id,
        client_id,
        fee,
        "USDT",
        ts,
    )
    (ws,) = _push(w)
    assert isinstance(ws, Fill)
    assert rest == ws


@given(st.sampled_from(["BTC", "USDT", "MX"]), NUM, NUM, MS)
def test_balance(asset: str, free: str, locked: str, ts: int) -> None:
    rest = parse_account(_json({"balances": [{"asset": asset, "free": free, "locked": locked}]}))
    w = PushDataV3ApiWrapper(channel="spot@private.account.v3.api.pb", sendTime=ts)
    a = w.privateAccount
    a.vcoinName, a.balanceAmount, a.frozenAmount, a.balanceAmountChange, a.frozenAmountChange = (
        asset,
        free,
        locked,
        "0",
        "0",
    )
    a.type, a.time = "ENTRUST", ts
    (ws,) = _push(w)
    assert isinstance(ws, BalanceUpdate)
    assert rest == {ws.balance.asset: ws.balance}


# ------------------------------------------------------------------------------------------------
# Anchors: equality cannot see a mistake in the shared builder (both paths would carry it), so one
# push per concept with distinct values is checked field by field against what MEXC means.
# ------------------------------------------------------------------------------------------------


def test_anchor_trade() -> None:
    w = PushDataV3ApiWrapper(channel="spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT", symbol="BTCUSDT")
    w.publicAggreDeals.deals.add(price="10.5", quantity="2", tradeType=2, time=7, tradeId="t9")
    (trade,) = _push(w)
    assert trade == Trade(BTC, price=10.5, quantity=2.0, side=Side.SELL, timestamp=7, trade_id="t9")


def test_anchor_book_ticker() -> None:
    w = PushDataV3ApiWrapper(channel="spot@public.bookTicker.v3.api.pb@BTCUSDT", symbol="BTCUSDT", sendTime=9)
    b = w.publicBookTicker
    b.bidPrice, b.bidQuantity, b.askPrice, b.askQuantity = "10", "1.5", "11", "2.5"
    (ticker,) = _push(w)
    assert ticker == BookTicker(
        BTC, bid_price=10.0, bid_quantity=1.5, ask_price=11.0, ask_quantity=2.5, timestamp=9
    )


def test_anchor_ticker() -> None:
    w = PushDataV3ApiWrapper(
        channel="spot@public.miniTicker.v3.api.pb@BTCUSDT@UTC+8", symbol="BTCUSDT", sendTime=9
    )
    m = w.publicMiniTicker
    m.symbol, m.price, m.high, m.low, m.quantity, m.volume, m.rate = (
        "BTCUSDT",
        "10",
        "12",
        "9",
        "3",
        "30",
        "-0.01",
    )
    (ticker,) = _push(w)
    assert isinstance(ticker, Ticker)
    assert (ticker.last_price, ticker.high, ticker.low) == (10.0, 12.0, 9.0)
    assert (ticker.volume, ticker.quote_volume, ticker.price_change_ratio) == (3.0, 30.0, -0.01)


def test_anchor_order() -> None:
    w = PushDataV3ApiWrapper(channel="spot@private.orders.v3.api.pb", symbol="BTCUSDT", sendTime=20)
    o = w.privateOrders
    o.id, o.clientId, o.price, o.quantity, o.amount = "o1", "c1", "10", "3", ""
    o.tradeType, o.orderType, o.status, o.createTime = 2, 1, 3, 10  # SELL LIMIT PARTIALLY_FILLED
    o.cumulativeQuantity, o.cumulativeAmount = "1", "10"
    (order,) = _push(w)
    assert isinstance(order, Order)
    assert (order.order_id, order.client_order_id, order.side) == ("o1", "c1", Side.SELL)
    assert (order.order_type.value, order.status.value) == ("LIMIT", "PARTIALLY_FILLED")
    assert (order.price, order.quantity, order.quote_quantity) == (Decimal(10), Decimal(3), None)
    assert (order.filled_quantity, order.filled_quote_quantity) == (Decimal(1), Decimal(10))
    assert (order.timestamp, order.update_time) == (10, 20)


def test_anchor_fill() -> None:
    w = PushDataV3ApiWrapper(channel="spot@private.deals.v3.api.pb", symbol="BTCUSDT")
    d = w.privateDeals
    d.price, d.quantity, d.amount, d.tradeType, d.isMaker = "10", "2", "20", 1, True
    d.tradeId, d.orderId, d.clientOrderId, d.feeAmount, d.feeCurrency, d.time = (
        "t1",
        "o1",
        "c1",
        "0.02",
        "USDT",
        5,
    )
    (fill,) = _push(w)
    assert isinstance(fill, Fill)
    assert (fill.order_id, fill.trade_id, fill.client_order_id, fill.side) == ("o1", "t1", "c1", Side.BUY)
    assert (fill.price, fill.quantity, fill.quote_quantity) == (Decimal(10), Decimal(2), Decimal(20))
    assert (fill.fee, fill.fee_asset, fill.is_maker, fill.timestamp) == (Decimal("0.02"), "USDT", True, 5)


def test_anchor_balance_and_book() -> None:
    w = PushDataV3ApiWrapper(channel="spot@private.account.v3.api.pb", sendTime=4)
    a = w.privateAccount
    a.vcoinName, a.balanceAmount, a.frozenAmount, a.balanceAmountChange, a.frozenAmountChange = (
        "BTC", "5", "1", "-2", "1",
    )  # fmt: skip
    (update,) = _push(w)
    assert isinstance(update, BalanceUpdate)
    assert (update.balance.asset, update.balance.free, update.balance.locked) == (
        "BTC",
        Decimal(5),
        Decimal(1),
    )
    assert (update.free_change, update.locked_change) == (Decimal(-2), Decimal(1))
    book = parse_depth_snapshot(BTC, _json({"lastUpdateId": 3, "bids": [["10", "1"]], "asks": [["11", "2"]]}))
    assert [(e.price, e.size) for e in book.bids] == [(10.0, 1.0)]
    assert [(e.price, e.size) for e in book.asks] == [(11.0, 2.0)]
    assert book.version == 3
