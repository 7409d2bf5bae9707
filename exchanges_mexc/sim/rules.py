"""Order validation against a symbol spec, with MEXC's error codes (API.md §7.2).

Choices where MEXC does not document the exact code (see docs/simulator.md): a missing mandatory
parameter is 700004 ("Mandatory parameter 'x' was not sent..."), an unparsable number 700008, too many
decimals or a non-positive number 33333 ("param is error" family), below the minimum quantity or
notional 30002, above the maximum notional 30003, outside PERCENT_PRICE_BY_SIDE 30087.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from exchanges.models import OrderRequest, OrderType, Side, Symbol
from exchanges_mexc.sim.book import fmt
from exchanges_mexc.sim.errors import SimError, missing
from exchanges_mexc.sim.specs import SymbolSpec

ORDER_TYPES = ("LIMIT", "MARKET", "LIMIT_MAKER", "IMMEDIATE_OR_CANCEL", "FILL_OR_KILL")
LIMIT_LIKE = ("LIMIT", "LIMIT_MAKER", "IMMEDIATE_OR_CANCEL", "FILL_OR_KILL")


def pair_of(symbol: Symbol) -> str:
    """The MEXC pair name of ``symbol``: ``BTC/USDT`` -> ``BTCUSDT``."""
    return f"{symbol.base}{symbol.quote}"


def symbol_of(spec: SymbolSpec) -> Symbol:
    """The framework symbol of a listed pair."""
    return Symbol(spec.base, spec.quote)


def parse_decimal(name: str, raw: str | None) -> Decimal | None:
    """Parse a decimal parameter; None if absent; 700008 if it is not a plain finite number."""
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise SimError(
            700008, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9.]+$'."
        ) from None
    if not value.is_finite() or "e" in raw.lower():
        raise SimError(700008, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9.]+$'.")
    return value


def build_request(params: Mapping[str, str], specs: Mapping[str, SymbolSpec]) -> OrderRequest:
    """Turn REST params (or one batch item) into the framework's :class:`OrderRequest`: the shape
    checks MEXC makes before its business rules (missing parameter, unknown side/type/symbol,
    unparsable or non-positive number), each with MEXC's code."""
    for name in ("symbol", "side", "type"):
        if not params.get(name):
            raise missing(name)
    side = params["side"].upper()
    if side not in ("BUY", "SELL"):
        raise SimError(33333, "param is error: side")
    otype = params["type"].upper()
    if otype == "LIMIT_ORDER":
        otype = "LIMIT"
    if otype not in ORDER_TYPES:
        raise SimError(33333, "param is error: type")
    spec = specs.get(params["symbol"].upper())
    if spec is None:
        raise SimError(30014, "invalid symbol")
    amounts = {
        name: parse_decimal(wire, params.get(wire))
        for name, wire in (("quantity", "quantity"), ("quote_quantity", "quoteOrderQty"), ("price", "price"))
    }
    for name, value in amounts.items():
        if value is not None and value <= 0:
            raise SimError(33333, f"param is error: {name} must be positive")
    return OrderRequest(
        symbol_of(spec),
        Side(side),
        OrderType(otype),
        quantity=amounts["quantity"],
        quote_quantity=amounts["quote_quantity"],
        price=amounts["price"],
        client_order_id=params.get("newClientOrderId") or None,
    )


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def validate(spec: SymbolSpec, req: OrderRequest, ref_price: Decimal | None) -> None:
    """Raise :class:`SimError` if ``req`` breaks a symbol rule; ``ref_price`` is last trade or mid."""
    if spec.status != "1":
        raise SimError(30000, "suspended transaction for the symbol")
    if not spec.api_tradable:
        raise SimError(10007, "symbol not support api")
    sts = spec.trade_side_type
    if sts == 4 or (sts == 2 and req.side is Side.SELL) or (sts == 3 and req.side is Side.BUY):
        raise SimError(30001, "current transaction direction not allowed to place an order")
    otype = req.order_type.value
    if otype == "MARKET" and "MARKET" not in spec.order_types:
        raise SimError(30019, "api market order is disabled")
    if otype == "LIMIT_MAKER" and "LIMIT_MAKER" not in spec.order_types:
        raise SimError(30041, "current order type can not place order")
    if req.price is not None and _decimals(req.price) > spec.quote_precision:
        raise SimError(33333, "price scale is invalid")
    if req.quantity is not None and _decimals(req.quantity) > spec.base_precision:
        raise SimError(33333, "quantity scale is invalid")
    if req.quote_quantity is not None and _decimals(req.quote_quantity) > spec.quote_precision:
        raise SimError(33333, "quoteOrderQty scale is invalid")
    if otype in LIMIT_LIKE:
        if req.quantity is None:
            raise missing("quantity")
        if req.price is None:
            raise missing("price")
        _check_qty(spec, req.quantity)
        _check_notional(spec, req.price * req.quantity, spec.min_notional, spec.max_notional)
        _check_price_band(spec, req, ref_price)
        return
    # MARKET: quantity or quoteOrderQty
    if req.quantity is None and req.quote_quantity is None:
        raise missing("quantity")
    if req.quantity is not None:
        _check_qty(spec, req.quantity)
        if ref_price is not None:
            notional = req.quantity * ref_price
            _check_notional(spec, notional, spec.min_notional_market, spec.max_notional_market)
    else:
        assert req.quote_quantity is not None
        _check_notional(spec, req.quote_quantity, spec.min_notional_market, spec.max_notional_market)


def _check_qty(spec: SymbolSpec, qty: Decimal) -> None:
    if spec.min_qty > 0 and qty < spec.min_qty:
        raise SimError(30002, f"The minimum transaction quantity cannot be less than:{fmt(spec.min_qty)}")


def _check_notional(spec: SymbolSpec, notional: Decimal, lo: str, hi: str) -> None:
    if notional < Decimal(lo):
        raise SimError(30002, f"The minimum transaction volume cannot be less than:{lo}{spec.quote}")
    if notional > Decimal(hi):
        raise SimError(30003, f"The maximum transaction volume cannot be greater than:{hi}{spec.quote}")


def _check_price_band(spec: SymbolSpec, req: OrderRequest, ref: Decimal | None) -> None:
    if ref is None or req.price is None:
        return
    if req.side is Side.BUY and req.price > ref * (1 + Decimal(spec.bid_multiplier_up)):
        raise SimError(30087, "Order price exceeds allowed range")
    if req.side is Side.SELL and req.price < ref * (1 - Decimal(spec.ask_multiplier_down)):
        raise SimError(30087, "Order price exceeds allowed range")
