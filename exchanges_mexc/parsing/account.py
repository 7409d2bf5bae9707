"""Trading and account data, wire -> models (Decimal money), shared by REST JSON and private pushes.

One builder per concept: :func:`_order` (REST POST/GET/DELETE order JSON and ``privateOrders`` pushes),
:func:`_fill` (REST ``myTrades`` and ``privateDeals``), :func:`_balance` (REST ``account`` and
``privateAccount``). Enum values are names on REST and ints in protobuf (API.md §4, §9.6); both go
through :mod:`.enums`. Every Decimal is built from the wire's string.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

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

from .._proto.PrivateAccountV3Api_pb2 import PrivateAccountV3Api
from .._proto.PrivateDealsV3Api_pb2 import PrivateDealsV3Api
from .._proto.PrivateOrdersV3Api_pb2 import PrivateOrdersV3Api
from . import enums
from .checks import fail, non_negative_dec, non_negative_time, positive_dec, protocol_error
from .shapes import (
    AccountInfo,
    ListenKeyAnswer,
    ListenKeyList,
    MyTradeRow,
    OrderRow,
    TradeFeeAnswer,
    convert,
    read,
)
from .values import ZERO, dec, dec_opt, text_opt, to_int, to_int_opt

__all__ = [
    "balance_update_from_pb",
    "fill_from_pb",
    "order_from_pb",
    "parse_account",
    "parse_listen_key",
    "parse_listen_keys",
    "parse_my_trade",
    "parse_my_trades",
    "parse_order_json",
    "parse_order_mapping",
    "parse_orders_json",
    "parse_trade_fee",
]

# REST endpoints, as named in ProtocolError.source (an order answer names its own request).
ORDER_NEW: Final = "POST /api/v3/order"
ORDER_QUERY: Final = "GET /api/v3/order"
OPEN_ORDERS: Final = "GET /api/v3/openOrders"
ACCOUNT: Final = "GET /api/v3/account"
MY_TRADES: Final = "GET /api/v3/myTrades"
TRADE_FEE: Final = "GET /api/v3/tradeFee"
LISTEN_KEY_NEW: Final = "POST /api/v3/userDataStream"
LISTEN_KEYS: Final = "GET /api/v3/userDataStream"
_PARSE_ERRORS = (ValueError, KeyError, TypeError, ArithmeticError)
"""What a builder can raise on a bad value (InvalidField is a ValueError); always re-raised typed."""


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
        fail("orderId", "missing")
    for name, value in (("origQty", quantity), ("price", price), ("origQuoteOrderQty", quote_quantity)):
        if value is not None:
            non_negative_dec(value, name)
    non_negative_dec(filled_quantity, "executedQty")
    non_negative_dec(filled_quote_quantity, "cummulativeQuoteQty")
    non_negative_time(timestamp, "time")
    if update_time is not None:
        non_negative_time(update_time, "updateTime")
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
    if order_id is None or order_id == "":
        fail("orderId", "missing")
    non_negative_time(timestamp, "time")
    price_d = positive_dec(dec(price), "price")
    quantity_d = positive_dec(dec(quantity), "quantity")
    quote = dec_opt(quote_quantity)
    if quote is not None:
        non_negative_dec(quote, "quoteQty")
    fee_asset_text = text_opt(fee_asset)
    return Fill(  # positional, in field order: attrs' __init__ is ~20 % cheaper than with keywords
        symbol,
        OrderId(order_id if type(order_id) is str else str(order_id)),
        str(trade_id) if trade_id is not None else "",
        side,
        price_d,
        quantity_d,
        price_d * quantity_d if quote is None else quote,
        dec(fee),
        None if fee_asset_text is None else _asset(fee_asset_text),
        bool(is_maker),
        timestamp,
        text_opt(client_order_id),
    )


def _balance(asset: object, free: object, locked: object) -> AssetBalance:
    """The one AssetBalance builder: free and locked finite and >= 0."""
    return AssetBalance(
        _asset(asset), non_negative_dec(dec(free), "free"), non_negative_dec(dec(locked), "locked")
    )


# ------------------------------------------------------------------------------------------------
# REST JSON (bytes decoded by .shapes; API.md §4.1, §14)
# ------------------------------------------------------------------------------------------------


def _order_from_row(row: OrderRow, symbol: Symbol, client_order_id: str | None = None) -> Order:
    status_raw = row.status
    return _order(
        symbol,
        row.orderId,
        enums.side(row.side),
        enums.order_type(row.type),
        OrderStatus.NEW if status_raw in (None, "") else enums.order_status(status_raw),
        quantity=dec_opt(row.origQty),
        price=dec_opt(row.price),
        client_order_id=row.origClientOrderId or row.clientOrderId or row.newClientOrderId or client_order_id,
        quote_quantity=dec_opt(row.origQuoteOrderQty),
        filled_quantity=dec(row.executedQty),
        filled_quote_quantity=dec(row.cummulativeQuoteQty),
        average_price=None,
        timestamp=to_int(row.time or row.transactTime or row.updateTime),
        update_time=to_int_opt(row.updateTime),
    )


def parse_order_json(
    body: bytes, symbol: Symbol, source: str = ORDER_NEW, *, client_order_id: str | None = None
) -> Order:
    """Any order answer -> Order: POST /order (no status: the order was accepted, so NEW), GET /order,
    and DELETE /order (its ``origClientOrderId`` is the order's client id; its ``clientOrderId`` names
    the cancel request). ``source`` names the request in the ProtocolError raised for an unusable body
    (``[]``, ``null``, ``{}``, ``side`` missing...), which for a POST means "outcome unknown".
    ``client_order_id``: the id to record when the answer carries none (the POST answer does not echo
    the one we sent)."""
    return read(body, OrderRow, source, lambda row: _order_from_row(row, symbol, client_order_id))


def parse_order_mapping(data: Mapping[str, object], symbol: Symbol, source: str) -> Order:
    """An already-decoded order object (one item of a batch answer, merged with its request) -> Order;
    same checks and errors as :func:`parse_order_json`."""
    row = convert(data, OrderRow, source)
    try:
        return _order_from_row(row, symbol)
    except _PARSE_ERRORS as error:
        raise protocol_error(source, error) from None


def parse_orders_json(body: bytes, symbol: Symbol, source: str = OPEN_ORDERS) -> list[Order]:
    """openOrders / allOrders / DELETE openOrders lists."""
    return read(body, list[OrderRow], source, lambda rows: [_order_from_row(row, symbol) for row in rows])


def _my_trade(row: MyTradeRow, symbol: Symbol) -> Fill:
    return _fill(
        symbol,
        row.orderId,
        row.id,
        Side.BUY if row.isBuyer else Side.SELL,
        row.price,
        row.qty,
        row.quoteQty,
        row.commission,
        row.commissionAsset,
        row.isMaker,
        row.time,
        row.clientOrderId,
    )


def parse_my_trade(body: bytes, symbol: Symbol) -> Fill:
    """One GET /api/v3/myTrades item -> Fill (side from ``isBuyer``)."""
    return read(body, MyTradeRow, MY_TRADES, lambda row: _my_trade(row, symbol))


def parse_my_trades(body: bytes, symbol: Symbol) -> list[Fill]:
    """GET /api/v3/myTrades -> fills."""
    return read(body, list[MyTradeRow], MY_TRADES, lambda rows: [_my_trade(row, symbol) for row in rows])


def parse_trade_fee(symbol: Symbol, body: bytes) -> TradeFee:
    """``GET /api/v3/tradeFee``: ``{"data": {"makerCommission": .., "takerCommission": ..}, "code": 0}``.

    Accepts the bare inner object too (older captures); ``{}`` is an error, never zero fees.
    """
    return read(body, TradeFeeAnswer, TRADE_FEE, lambda answer: _trade_fee(symbol, answer))


def _trade_fee(symbol: Symbol, answer: TradeFeeAnswer) -> TradeFee:
    row = answer.data if answer.data is not None else answer
    maker = dec_opt(row.makerCommission)
    taker = dec_opt(row.takerCommission)
    if maker is None or taker is None:
        fail("makerCommission" if maker is None else "takerCommission", "missing")
    # A maker rate may be negative (a rebate); a taker rate may not.
    return TradeFee(symbol, maker, non_negative_dec(taker, "takerCommission"))


def parse_account(body: bytes) -> dict[AssetName, AssetBalance]:
    """GET /api/v3/account -> {asset: balance} for every listed balance."""
    return read(
        body,
        AccountInfo,
        ACCOUNT,
        lambda data: {
            balance.asset: balance
            for balance in (_balance(item.asset, item.free, item.locked) for item in data.balances)
        },
    )


# ------------------------------------------------------------------------------------------------
# Private pushes (API.md §9.6, §10), typed against the generated classes. Each raises ProtocolError
# (source = the push body) for a push that is not a valid record.
# ------------------------------------------------------------------------------------------------


def order_from_pb(symbol: Symbol, body: PrivateOrdersV3Api, ts: int) -> Order:
    """privateOrders (304) -> Order: int enums (orderType 1..5, tradeType 1/2, status 1..5).

    Protobuf strings are never null, so Decimals are built inline (``""`` -> None / 0)."""
    try:
        d = Decimal
        avg = body.avgPrice
        quantity = body.quantity
        price = body.price
        amount = body.amount
        filled = body.cumulativeQuantity
        filled_quote = body.cumulativeAmount
        average = d(avg) if avg else None
        if average is not None:
            non_negative_dec(average, "avgPrice")
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
            average_price=average or None,
            timestamp=body.createTime,
            update_time=ts or None,
        )
    except _PARSE_ERRORS as error:
        raise protocol_error("privateOrders", error) from None


def fill_from_pb(symbol: Symbol, body: PrivateDealsV3Api) -> Fill:
    """privateDeals (306) -> Fill."""
    try:
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
    except _PARSE_ERRORS as error:
        raise protocol_error("privateDeals", error) from None


def balance_update_from_pb(body: PrivateAccountV3Api, ts: int) -> BalanceUpdate:
    """privateAccount (307): one asset's new free/locked amounts, the changes and the reason."""
    try:
        return BalanceUpdate(
            balance=_balance(body.vcoinName, body.balanceAmount, body.frozenAmount),
            free_change=dec(body.balanceAmountChange, ZERO),
            locked_change=dec(body.frozenAmountChange, ZERO),
            reason=body.type,
            timestamp=non_negative_time(body.time or ts, "time"),
        )
    except _PARSE_ERRORS as error:
        raise protocol_error("privateAccount", error) from None


def _listen_key(key: str) -> str:
    if key.strip():
        return key
    fail("listenKey", "empty listen key")


def parse_listen_key(body: bytes) -> str:
    """POST /api/v3/userDataStream -> the new listen key (an answer without one raises ProtocolError,
    never a stream opened with ``"None"`` as its key)."""
    return read(body, ListenKeyAnswer, LISTEN_KEY_NEW, lambda answer: _listen_key(answer.listenKey))


def parse_listen_keys(body: bytes) -> list[str]:
    """GET /api/v3/userDataStream -> every valid listen key of the account."""
    return read(body, ListenKeyList, LISTEN_KEYS, lambda answer: [_listen_key(k) for k in answer.listenKey])
