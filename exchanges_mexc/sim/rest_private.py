"""Signed spot trading/account endpoints and userDataStream (API.md §4, §6), backed by the engine."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from exchanges_mexc.sim.book import Order, fmt
from exchanges_mexc.sim.engine import PrivateDeal
from exchanges_mexc.sim.errors import SimError
from exchanges_mexc.sim.http import ROUTER, Ctx
from exchanges_mexc.sim.rules import build_request

route = ROUTER.route
DAY_MS = 24 * 3600_000
MAX_BATCH = 20


def _placed_json(order: Order, transact_time: int) -> dict[str, Any]:
    """POST order response: no status/executedQty (API.md §4.1)."""
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": -1,
        "price": fmt(order.price) if order.price is not None else "0",
        "origQty": fmt(order.orig_qty) if order.orig_qty is not None else "0",
        "type": order.type,
        "side": order.side,
        "transactTime": transact_time,
    }


@route("POST", "/api/v3/order", signed=True)
async def new_order(ctx: Ctx) -> Any:
    """Place an order."""
    order = ctx.sim.engine.place(ctx.uid, build_request(ctx.params, ctx.sim.engine.specs))
    return _placed_json(order, order.time)


@route("POST", "/api/v3/order/test", signed=True)
async def test_order(ctx: Ctx) -> Any:
    """Validate only; ``{}``."""
    ctx.sim.engine.check(ctx.uid, build_request(ctx.params, ctx.sim.engine.specs))
    return {}


@route("POST", "/api/v3/batchOrders", signed=True)
async def batch_orders(ctx: Ctx) -> Any:
    """Up to 20 orders of one symbol; one success or failure item per input, in order."""
    raw = ctx.require("batchOrders")
    try:
        items = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise SimError(33333, "param is error: batchOrders") from None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise SimError(33333, "param is error: batchOrders")
    if len(items) > MAX_BATCH:
        raise SimError(33333, "param is error: batchOrders max 20")
    symbols = {str(i.get("symbol", "")).upper() for i in items}
    if len(symbols) != 1:
        raise SimError(33333, "param is error: batchOrders must share one symbol")
    out: list[dict[str, Any]] = []
    for item in items:
        params = {k: str(v) for k, v in item.items() if v is not None}
        client_id = params.get("newClientOrderId")
        try:
            order = ctx.sim.engine.place(ctx.uid, build_request(params, ctx.sim.engine.specs))
        except SimError as err:
            failed: dict[str, Any] = {"msg": err.msg, "code": err.code}
            if client_id:
                failed = {"newClientOrderId": client_id, **failed}
            out.append(failed)
            continue
        ok: dict[str, Any] = {"symbol": order.symbol, "orderId": order.order_id, "orderListId": -1}
        if client_id:
            ok["newClientOrderId"] = client_id
        out.append(ok)
    return out


@route("GET", "/api/v3/order", signed=True)
async def query_order(ctx: Ctx) -> Any:
    """One order by ``orderId`` or ``origClientOrderId``."""
    symbol = ctx.symbol()
    order = ctx.sim.engine.find_order(
        ctx.uid, symbol, ctx.params.get("orderId"), ctx.params.get("origClientOrderId")
    )
    return order.to_json()


@route("DELETE", "/api/v3/order", signed=True)
async def cancel_order(ctx: Ctx) -> Any:
    """Cancel one order."""
    symbol = ctx.require("symbol").upper()
    orig = ctx.params.get("origClientOrderId")
    order = ctx.sim.engine.cancel(ctx.uid, symbol, ctx.params.get("orderId"), orig)
    return order.to_cancel_json(orig)


@route("GET", "/api/v3/openOrders", signed=True)
async def open_orders(ctx: Ctx) -> Any:
    """Open orders of one symbol."""
    symbol = ctx.symbol()
    return [o.to_json() for o in ctx.sim.engine.open_orders(ctx.uid, symbol)]


@route("DELETE", "/api/v3/openOrders", signed=True)
async def cancel_open_orders(ctx: Ctx) -> Any:
    """Cancel all open orders of up to 5 comma-separated symbols."""
    symbols = [s.strip().upper() for s in ctx.require("symbol").split(",") if s.strip()]
    if len(symbols) > 5:
        raise SimError(33333, "param is error: at most 5 symbols")
    out: list[dict[str, Any]] = []
    for symbol in symbols:
        out.extend(o.to_cancel_json(None) for o in ctx.sim.engine.cancel_all(ctx.uid, symbol))
    return out


@route("GET", "/api/v3/allOrders", signed=True)
async def all_orders(ctx: Ctx) -> Any:
    """Orders of one symbol in [startTime, endTime] (default: last 24 h), at most ``limit``."""
    symbol = ctx.symbol()
    now = ctx.sim.now_ms()
    end = ctx.int_param("endTime", None) or now
    start = ctx.int_param("startTime", None) or end - DAY_MS
    limit = ctx.int_param("limit", 500, 1, 1000) or 500
    orders = [o for o in ctx.sim.engine.orders_of(ctx.uid, symbol) if start <= o.time <= end]
    return [o.to_json() for o in orders[-limit:]]


@route("GET", "/api/v3/myTrades", signed=True)
async def my_trades(ctx: Ctx) -> Any:
    """Fills of one symbol (optional ``orderId``, time window), at most ``limit`` (max 100)."""
    symbol = ctx.symbol()
    order_id = ctx.params.get("orderId")
    start = ctx.int_param("startTime", None)
    end = ctx.int_param("endTime", None)
    limit = ctx.int_param("limit", 100, 1, 100) or 100
    deals = [
        d
        for d in ctx.sim.engine.deals_of(ctx.uid, symbol)
        if (not order_id or d.order_id == order_id)
        and (start is None or d.time >= start)
        and (end is None or d.time <= end)
    ]
    return [trade_json(d) for d in deals[-limit:]]


def trade_json(deal: PrivateDeal) -> dict[str, Any]:
    """myTrades item."""
    return {
        "symbol": deal.symbol,
        "id": deal.trade_id,
        "orderId": deal.order_id,
        "orderListId": -1,
        "price": fmt(deal.price),
        "qty": fmt(deal.qty),
        "quoteQty": fmt(deal.amount),
        "commission": fmt(deal.fee),
        "commissionAsset": deal.fee_asset,
        "time": deal.time,
        "isBuyer": deal.side == "BUY",
        "isMaker": deal.is_maker,
        "isBestMatch": True,
        "isSelfTrade": deal.is_self_trade,
        "clientOrderId": deal.client_order_id or None,
    }


@route("GET", "/api/v3/account", signed=True)
async def account(ctx: Ctx) -> Any:
    """Balances (non-zero assets) in MEXC's account shape."""
    balances = [
        {"asset": asset, "free": fmt(free), "locked": fmt(locked)}
        for asset, (free, locked) in sorted(ctx.sim.engine.balances_of(ctx.uid).items())
        if free != 0 or locked != 0
    ]
    return {
        "makerCommission": None,
        "takerCommission": None,
        "buyerCommission": None,
        "sellerCommission": None,
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "updateTime": None,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
    }


@route("GET", "/api/v3/tradeFee", signed=True)
async def trade_fee(ctx: Ctx) -> Any:
    """Fee rates of one symbol in the ``{data, code, msg, timestamp}`` envelope."""
    spec = ctx.sim.engine.specs[ctx.symbol()]
    return {
        "data": {
            "makerCommission": float(Decimal(spec.maker_commission)),
            "takerCommission": float(Decimal(spec.taker_commission)),
        },
        "code": 0,
        "msg": "success",
        "timestamp": ctx.sim.now_ms(),
    }


@route("POST", "/api/v3/userDataStream", signed=True)
async def new_listen_key(ctx: Ctx) -> Any:
    """New listen key, valid 60 min."""
    return {"listenKey": ctx.sim.accounts.new_listen_key(ctx.uid)}


@route("GET", "/api/v3/userDataStream", signed=True)
async def list_listen_keys(ctx: Ctx) -> Any:
    """All valid keys of the account."""
    return {"listenKey": ctx.sim.accounts.listen_keys_of(ctx.uid)}


@route("PUT", "/api/v3/userDataStream", signed=True)
async def keepalive_listen_key(ctx: Ctx) -> Any:
    """Extend a key by 60 min."""
    key = ctx.require("listenKey")
    if not ctx.sim.accounts.keepalive_listen_key(ctx.uid, key):
        raise SimError(730002, "Your input param is invalid")
    return {"listenKey": key}


@route("DELETE", "/api/v3/userDataStream", signed=True)
async def delete_listen_key(ctx: Ctx) -> Any:
    """Invalidate a key and close its sockets."""
    key = ctx.require("listenKey")
    if not ctx.sim.accounts.delete_listen_key(ctx.uid, key):
        raise SimError(730002, "Your input param is invalid")
    ctx.sim.ws.close_listen_key(key)
    return {"listenKey": key}
