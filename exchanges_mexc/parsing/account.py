"""Trading and account data, wire -> models (Decimal money), shared by REST JSON and private pushes.

One builder per concept: :func:`_order` (REST POST/GET/DELETE order JSON and ``privateOrders`` pushes),
:func:`_fill` (REST ``myTrades`` and ``privateDeals``), :func:`_balance` (REST ``account`` and
``privateAccount``). Enum values are names on REST and ints in protobuf (API.md §4, §9.6); both go
through :mod:`.enums`. Every Decimal is built from the wire's string.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from exchanges.models import (
    AssetBalance,
    AssetName,
    BalanceUpdate,
    Fill,
    Order,
    OrderId,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    TradeFee,
)

from . import enums
from .values import ZERO, dec, dec_opt, text_opt, to_int, to_int_opt

__all__ = [
    "balance_update_from_pb",
    "fill_from_pb",
    "order_from_pb",
    "parse_account",
    "parse_balance",
    "parse_my_trade",
    "parse_my_trades",
    "parse_order_json",
    "parse_orders_json",
]


_SIDES = dict(enums.SIDE_BY_TRADE_TYPE)
_ORDER_TYPES = dict(enums.ORDER_TYPE_BY_INT)
_STATUSES = dict(enums.ORDER_STATUS_BY_INT)


def _asset(name: object) -> AssetName:
    text = str(name).strip().upper()
    if not text:
        raise ValueError("empty asset name")
    return AssetName(text)


# ------------------------------------------------------------------------------------------------
# One builder per concept
# ------------------------------------------------------------------------------------------------


def _order(
    symbol: Symbol,
    order_id: object,
    side: Side,
    order_type: OrderType,
    status: OrderStatus,
    *,
    quantity: Decimal | None,
    price: Decimal | None,
    client_order_id: object,
    quote_quantity: Decimal | None,
    filled_quantity: Decimal,
    filled_quote_quantity: Decimal,
    average_price: Decimal | None,
    timestamp: int,
    update_time: int | None,
) -> Order:
    """The one Order builder. Zero prices/quantities that mean "not applicable" become None:
    a MARKET order's price, and a quote-sized MARKET order's base quantity."""
    if order_id is None or order_id == "":
        raise ValueError("order without orderId")
    if order_type is OrderType.MARKET:
        if price is not None and not price:
            price = None
        if quantity is not None and not quantity and quote_quantity:
            quantity = None
    if quote_quantity is not None and not quote_quantity:
        quote_quantity = None
    if average_price is None and filled_quantity > 0 and filled_quote_quantity > 0:
        average_price = filled_quote_quantity / filled_quantity
    elif average_price is not None and not average_price:
        average_price = None
    # Positional: attrs' generated __init__ is ~20 % cheaper than with keywords.
    return Order(
        symbol,
        OrderId(order_id if type(order_id) is str else str(order_id)),
        side,
        order_type,
        status,
        quantity,
        price,
        client_order_id or None if type(client_order_id) is str else text_opt(client_order_id),
        quote_quantity,
        filled_quantity,
        filled_quote_quantity,
        average_price,
        timestamp,
        update_time,
    )


def _fill(
    symbol: Symbol,
    order_id: object,
    trade_id: object,
    side: Side,
    price: object,
    quantity: object,
    quote_quantity: object,
    fee: object,
    fee_asset: object,
    is_maker: bool,
    timestamp: int,
    client_order_id: object,
) -> Fill:
    """The one Fill builder; a missing quote amount is price * quantity."""
    price_d = dec(price)
    quantity_d = dec(quantity)
    quote = dec_opt(quote_quantity)
    fee_asset_text = text_opt(fee_asset)
    return Fill(
        symbol=symbol,
        order_id=OrderId(str(order_id)),
        trade_id=str(trade_id) if trade_id is not None else "",
        side=side,
        price=price_d,
        quantity=quantity_d,
        quote_quantity=price_d * quantity_d if quote is None else quote,
        fee=dec(fee),
        fee_asset=None if fee_asset_text is None else _asset(fee_asset_text),
        is_maker=bool(is_maker),
        timestamp=timestamp,
        client_order_id=text_opt(client_order_id),
    )


def _balance(asset: object, free: object, locked: object) -> AssetBalance:
    """The one AssetBalance builder."""
    return AssetBalance(asset=_asset(asset), free=dec(free), locked=dec(locked))


# ------------------------------------------------------------------------------------------------
# REST JSON (API.md §4.1, §14)
# ------------------------------------------------------------------------------------------------


def parse_order_json(data: Mapping[str, Any], symbol: Symbol) -> Order:
    """Any order JSON -> Order: POST /order (no status: the order was accepted, so NEW), GET /order,
    open/all orders items and DELETE /order (its ``origClientOrderId`` is the order's client id; its
    ``clientOrderId`` names the cancel request)."""
    g = data.get
    status_raw = g("status")
    filled = dec(g("executedQty"))
    filled_quote = dec(g("cummulativeQuoteQty"))
    return _order(
        symbol,
        g("orderId"),
        enums.side(g("side")),
        enums.order_type(g("type")),
        OrderStatus.NEW if status_raw in (None, "") else enums.order_status(status_raw),
        quantity=dec_opt(g("origQty")),
        price=dec_opt(g("price")),
        client_order_id=g("origClientOrderId") or g("clientOrderId") or g("newClientOrderId"),
        quote_quantity=dec_opt(g("origQuoteOrderQty")),
        filled_quantity=filled,
        filled_quote_quantity=filled_quote,
        average_price=None,
        timestamp=to_int(g("time") or g("transactTime") or g("updateTime")),
        update_time=to_int_opt(g("updateTime")),
    )


def parse_orders_json(rows: Iterable[Mapping[str, Any]], symbol: Symbol) -> list[Order]:
    """openOrders / allOrders / DELETE openOrders lists."""
    return [parse_order_json(row, symbol) for row in rows]


def parse_my_trade(data: Mapping[str, Any], symbol: Symbol) -> Fill:
    """GET /api/v3/myTrades item -> Fill (side from ``isBuyer``)."""
    g = data.get
    return _fill(
        symbol,
        g("orderId"),
        g("id"),
        Side.BUY if g("isBuyer") is True else Side.SELL,
        g("price"),
        g("qty"),
        g("quoteQty"),
        g("commission"),
        g("commissionAsset"),
        g("isMaker") is True,
        to_int(g("time")),
        g("clientOrderId"),
    )


def parse_my_trades(rows: Iterable[Mapping[str, Any]], symbol: Symbol) -> list[Fill]:
    return [parse_my_trade(row, symbol) for row in rows]


def parse_balance(data: Mapping[str, Any]) -> AssetBalance:
    """One ``balances`` item ``{"asset","free","locked"}``."""
    return _balance(data["asset"], data.get("free"), data.get("locked"))


def parse_trade_fee(symbol: Symbol, data: Mapping[str, Any]) -> TradeFee:
    """``GET /api/v3/tradeFee``: ``{"data": {"makerCommission": .., "takerCommission": ..}, "code": 0}``.

    Accepts the bare inner object too (older captures).
    """
    body = data.get("data", data)
    if not isinstance(body, Mapping):
        body = {}
    return TradeFee(symbol, dec(body.get("makerCommission")), dec(body.get("takerCommission")))


def parse_account(data: Mapping[str, Any]) -> dict[AssetName, AssetBalance]:
    """GET /api/v3/account -> {asset: balance} for every listed balance."""
    balances = (parse_balance(item) for item in data.get("balances") or ())
    return {balance.asset: balance for balance in balances}


# ------------------------------------------------------------------------------------------------
# Private pushes (API.md §9.6, §10)
# ------------------------------------------------------------------------------------------------


def order_from_pb(symbol: Symbol, body: Any, ts: int) -> Order:
    """privateOrders (304) -> Order: int enums (orderType 1..5, tradeType 1/2, status 1..5).

    Protobuf strings are never null, so Decimals are built inline (``""`` -> None / 0)."""
    d = Decimal
    avg = body.avgPrice
    quantity = body.quantity
    price = body.price
    amount = body.amount
    filled = body.cumulativeQuantity
    filled_quote = body.cumulativeAmount
    return _order(
        symbol,
        body.id,
        _SIDES[body.tradeType],
        _ORDER_TYPES[body.orderType],
        _STATUSES[body.status],
        quantity=d(quantity) if quantity else None,
        price=d(price) if price else None,
        client_order_id=body.clientId,
        quote_quantity=d(amount) if amount else None,
        filled_quantity=d(filled) if filled else ZERO,
        filled_quote_quantity=d(filled_quote) if filled_quote else ZERO,
        average_price=(d(avg) or None) if avg else None,
        timestamp=body.createTime,
        update_time=ts or None,
    )


def fill_from_pb(symbol: Symbol, body: Any) -> Fill:
    """privateDeals (306) -> Fill."""
    return _fill(
        symbol,
        body.orderId,
        body.tradeId,
        enums.side(body.tradeType),
        body.price,
        body.quantity,
        body.amount,
        body.feeAmount,
        body.feeCurrency,
        body.isMaker,
        body.time,
        body.clientOrderId,
    )


def balance_update_from_pb(body: Any, ts: int) -> BalanceUpdate:
    """privateAccount (307): one asset's new free/locked amounts, the changes and the reason."""
    return BalanceUpdate(
        balance=_balance(body.vcoinName, body.balanceAmount, body.frozenAmount),
        free_change=dec(body.balanceAmountChange, ZERO),
        locked_change=dec(body.frozenAmountChange, ZERO),
        reason=body.type,
        timestamp=body.time or ts,
    )
