"""Protobuf encoding of every push: ``PushDataV3ApiWrapper`` frames with the body oneof set (API.md §10).

Pure functions from engine state/events to bytes; the WebSocket hub decides when to call them.
Wrapper metadata follows API.md §9.4: ``channel``, ``symbol``, ``sendTime`` for most channels; kline
sets ``symbolId`` + ``createTime``; private account sets ``createTime`` + ``sendTime`` and no symbol.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from decimal import Decimal

from exchanges_mexc._proto import PushDataV3ApiWrapper_pb2
from exchanges_mexc.sim.accounts import BalanceChange
from exchanges_mexc.sim.book import Order, fixed, fmt
from exchanges_mexc.sim.engine import PrivateDeal
from exchanges_mexc.sim.history import Candle, PublicTrade

Wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper
Levels = Sequence[tuple[Decimal, Decimal]]
Places = tuple[int, int]
"""(price decimals, quantity decimals) of a symbol: market pushes pad numbers to them, like MEXC."""

TRADE_TYPE = {"BUY": 1, "SELL": 2}
ORDER_TYPE = {"LIMIT": 1, "LIMIT_MAKER": 2, "IMMEDIATE_OR_CANCEL": 3, "FILL_OR_KILL": 4, "MARKET": 5}
ORDER_STATUS = {"NEW": 1, "FILLED": 2, "PARTIALLY_FILLED": 3, "CANCELED": 4, "PARTIALLY_CANCELED": 5}


def symbol_id(symbol: str) -> str:
    """A stable 32-hex id for a symbol (MEXC sends such ids in ``symbolId``)."""
    return hashlib.md5(symbol.encode()).hexdigest()


def _wrapper(channel: str, symbol: str | None, send_time: int) -> Wrapper:
    wrapper = Wrapper(channel=channel, sendTime=send_time)
    if symbol is not None:
        wrapper.symbol = symbol
    return wrapper


def aggre_deals(
    channel: str, symbol: str, interval: str, trades: Iterable[PublicTrade], now: int, places: Places
) -> bytes:
    """``publicAggreDeals`` (314)."""
    wrapper = _wrapper(channel, symbol, now)
    body = wrapper.publicAggreDeals
    body.eventType = f"spot@public.aggre.deals.v3.api.pb@{interval}"
    for t in trades:
        body.deals.add(
            price=fixed(t.price, places[0]),
            quantity=fixed(t.qty, places[1]),
            tradeType=TRADE_TYPE[t.taker_side],
            time=t.time,
            tradeId=t.trade_id,
        )
    return wrapper.SerializeToString()


def aggre_depth(
    channel: str,
    symbol: str,
    interval: str,
    asks: Levels,
    bids: Levels,
    from_v: int,
    to_v: int,
    last_order: int,
    now: int,
    places: Places,
) -> bytes:
    """``publicAggreDepths`` (313): absolute quantities of changed levels, version range."""
    wrapper = _wrapper(channel, symbol, now)
    body = wrapper.publicAggreDepths
    body.eventType = f"spot@public.aggre.depth.v3.api.pb@{interval}"
    for price, qty in asks:
        body.asks.add(price=fixed(price, places[0]), quantity=fixed(qty, places[1]))
    for price, qty in bids:
        body.bids.add(price=fixed(price, places[0]), quantity=fixed(qty, places[1]))
    body.fromVersion = str(from_v)
    body.toVersion = str(to_v)
    body.lastOrderCreateTime = last_order
    return wrapper.SerializeToString()


def limit_depth(
    channel: str,
    symbol: str,
    asks: Levels,
    bids: Levels,
    version: int,
    last_order: int,
    now: int,
    places: Places,
) -> bytes:
    """``publicLimitDepths`` (303): top-N snapshot."""
    wrapper = _wrapper(channel, symbol, now)
    body = wrapper.publicLimitDepths
    body.eventType = "spot@public.limit.depth.v3.api.pb"
    for price, qty in asks:
        body.asks.add(price=fixed(price, places[0]), quantity=fixed(qty, places[1]))
    for price, qty in bids:
        body.bids.add(price=fixed(price, places[0]), quantity=fixed(qty, places[1]))
    body.version = str(version)
    body.lastOrderCreateTime = last_order
    return wrapper.SerializeToString()


BestTuple = tuple[Decimal | None, Decimal, Decimal | None, Decimal]  # OrderBook.top()


def aggre_book_ticker(
    channel: str, symbol: str, best: BestTuple, version: int, last_order: int, now: int, places: Places
) -> bytes:
    """``publicAggreBookTicker`` (315)."""
    wrapper = _wrapper(channel, symbol, now)
    body = wrapper.publicAggreBookTicker
    bid, bid_qty, ask, ask_qty = best
    body.bidPrice, body.bidQuantity = fixed(bid, places[0]), fixed(bid_qty, places[1])
    body.askPrice, body.askQuantity = fixed(ask, places[0]), fixed(ask_qty, places[1])
    body.version = str(version)
    body.lastOrderCreateTime = last_order
    return wrapper.SerializeToString()


def book_ticker_batch(
    channel: str, symbol: str, best: BestTuple, version: int, last_order: int, now: int, places: Places
) -> bytes:
    """``publicBookTickerBatch`` (311) with one item."""
    wrapper = _wrapper(channel, symbol, now)
    body = wrapper.publicBookTickerBatch
    bid, bid_qty, ask, ask_qty = best
    price_places, qty_places = places
    body.items.add(
        bidPrice=fixed(bid, price_places),
        bidQuantity=fixed(bid_qty, qty_places),
        askPrice=fixed(ask, price_places),
        askQuantity=fixed(ask_qty, qty_places),
    )
    body.version = str(version)
    body.lastOrderCreateTime = last_order
    return wrapper.SerializeToString()


def kline(channel: str, symbol: str, ws_interval: str, candle: Candle, end_ms: int, now: int) -> bytes:
    """``publicSpotKline`` (308); window bounds in seconds."""
    wrapper = Wrapper(channel=channel, symbol=symbol, symbolId=symbol_id(symbol), createTime=now)
    body = wrapper.publicSpotKline
    body.interval = ws_interval
    body.windowStart = candle.open_time // 1000
    body.windowEnd = end_ms // 1000
    body.openingPrice = fmt(candle.open)
    body.closingPrice = fmt(candle.close)
    body.highestPrice = fmt(candle.high)
    body.lowestPrice = fmt(candle.low)
    body.volume = fmt(candle.volume)
    body.amount = fmt(candle.quote_volume)
    return wrapper.SerializeToString()


MiniTickerFields = dict[str, str]


def mini_ticker(channel: str, symbol: str, fields: MiniTickerFields, now: int) -> bytes:
    """``publicMiniTicker`` (309)."""
    wrapper = _wrapper(channel, symbol, now)
    wrapper.publicMiniTicker.CopyFrom(wrapper.publicMiniTicker.__class__(**fields))
    return wrapper.SerializeToString()


def mini_tickers(channel: str, items: Iterable[MiniTickerFields], now: int) -> bytes:
    """``publicMiniTickers`` (310), all symbols, no wrapper symbol."""
    wrapper = _wrapper(channel, None, now)
    for fields in items:
        wrapper.publicMiniTickers.items.add(**fields)
    return wrapper.SerializeToString()


def private_account(change: BalanceChange, now: int) -> bytes:
    """``privateAccount`` (307): one asset."""
    wrapper = Wrapper(channel="spot@private.account.v3.api.pb", createTime=change.time, sendTime=now)
    body = wrapper.privateAccount
    body.vcoinName = change.asset
    body.coinId = symbol_id(change.asset)
    body.balanceAmount = fmt(change.free)
    body.balanceAmountChange = fmt(change.free_change)
    body.frozenAmount = fmt(change.locked)
    body.frozenAmountChange = fmt(change.locked_change)
    body.type = change.reason
    body.time = change.time
    return wrapper.SerializeToString()


def private_deal(deal: PrivateDeal, now: int) -> bytes:
    """``privateDeals`` (306)."""
    wrapper = _wrapper("spot@private.deals.v3.api.pb", deal.symbol, now)
    body = wrapper.privateDeals
    body.price = fmt(deal.price)
    body.quantity = fmt(deal.qty)
    body.amount = fmt(deal.amount)
    body.tradeType = TRADE_TYPE[deal.side]
    body.isMaker = deal.is_maker
    body.isSelfTrade = deal.is_self_trade
    body.tradeId = deal.trade_id
    body.clientOrderId = deal.client_order_id
    body.orderId = deal.order_id
    body.feeAmount = fmt(deal.fee)
    body.feeCurrency = deal.fee_asset
    body.time = deal.time
    return wrapper.SerializeToString()


def private_order(order: Order, now: int) -> bytes:
    """``privateOrders`` (304) with MEXC's int enums."""
    wrapper = _wrapper("spot@private.orders.v3.api.pb", order.symbol, now)
    body = wrapper.privateOrders
    body.id = order.order_id
    body.clientId = order.client_order_id
    body.price = fmt(order.price) if order.price is not None else "0"
    qty = order.orig_qty if order.orig_qty is not None else order.executed_qty
    body.quantity = fmt(qty)
    amount = order.orig_quote_qty if order.orig_quote_qty is not None else (order.price or Decimal(0)) * qty
    body.amount = fmt(amount)
    avg = order.cum_quote / order.executed_qty if order.executed_qty > 0 else Decimal(0)
    body.avgPrice = fmt(avg.quantize(Decimal("1e-12")).normalize() if avg else avg)
    body.orderType = ORDER_TYPE[order.type]
    body.tradeType = TRADE_TYPE[order.side]
    body.isMaker = order.is_maker
    body.remainAmount = fmt(max(amount - order.cum_quote, Decimal(0)) if order.is_open else Decimal(0))
    body.remainQuantity = fmt(max(qty - order.executed_qty, Decimal(0)) if order.is_open else Decimal(0))
    if order.last_fill_qty > 0:
        body.lastDealQuantity = fmt(order.last_fill_qty)
    body.cumulativeQuantity = fmt(order.executed_qty)
    body.cumulativeAmount = fmt(order.cum_quote)
    body.status = ORDER_STATUS[order.status]
    body.createTime = order.time
    return wrapper.SerializeToString()
