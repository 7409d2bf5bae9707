"""Pre-flight order checks: validate and quantize an order from its SymbolInfo before any request.

Rules (API.md §3.1, §14): MEXC has no tickSize/stepSize filters; ``baseAssetPrecision`` and
``quoteAssetPrecision`` are decimal places, ``baseSizePrecision`` the quantity step/minimum,
``quoteAmountPrecision``/``quoteAmountPrecisionMarket`` the minimum notional, ``maxQuoteAmount*`` the
maximum, ``tradeSideType`` which sides are open. Decisions:

* quantity is rounded **down** to the step (never buys or sells more than asked);
* a price that does not fit the tick is **refused**, never rounded (rounding a price silently changes
  what the user trades at);
* numbers reach the wire as plain decimals (``rest_support.plain_decimal``), never ``1e-05``.

Every violation raises before anything is sent, naming the rule and the numbers.
"""

from __future__ import annotations

import decimal
import os
import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation

import attrs

from exchanges.capabilities import Amount
from exchanges.errors import InvalidOrder, SymbolNotSupported, TradingDisabled
from exchanges.models import OrderType, Side, Symbol, SymbolInfo
from exchanges.transport.rest import plain_decimal
from exchanges_mexc.constants import EXCHANGE_NAME
from exchanges_mexc.errors import SideNotAllowed

LIMIT_TYPES = frozenset(
    {OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.IMMEDIATE_OR_CANCEL, OrderType.FILL_OR_KILL}
)
CLIENT_ORDER_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
"""What we accept as ``newClientOrderId``: MEXC documents no rule, so we stay inside the safe set."""


def new_client_order_id() -> str:
    """A fresh unique client order id: ``ex`` + 30 random hex digits (32 chars, 120 random bits)."""
    return "ex" + os.urandom(15).hex()


def check_client_order_id(client_order_id: str) -> str:
    """Return ``client_order_id`` if it is 1-32 chars of ``[A-Za-z0-9_-]``, else raise InvalidOrder."""
    if not CLIENT_ORDER_ID_RE.match(client_order_id):
        raise InvalidOrder(
            f"client_order_id {client_order_id!r} is invalid: use 1-32 characters from A-Z a-z 0-9 _ -",
            exchange=EXCHANGE_NAME,
        )
    return client_order_id


def to_decimal(value: Amount, name: str) -> Decimal:
    """``value`` as a finite Decimal; floats go through ``str`` (``0.1`` -> ``Decimal("0.1")``)."""
    if isinstance(value, bool):
        raise InvalidOrder(f"{name} must be a number, got {value!r}", exchange=EXCHANGE_NAME)
    try:
        if isinstance(value, Decimal):
            result = value
        elif isinstance(value, float):
            result = Decimal(str(value))
        elif isinstance(value, int):
            result = Decimal(value)
        elif isinstance(value, str):
            result = Decimal(value.strip())
        else:
            raise InvalidOrder(f"{name} must be Decimal, str, int or float, got {type(value).__name__}")
    except InvalidOperation:
        raise InvalidOrder(f"{name} {value!r} is not a number", exchange=EXCHANGE_NAME) from None
    if not result.is_finite():
        raise InvalidOrder(f"{name} must be finite, got {value!r}", exchange=EXCHANGE_NAME)
    return result


_EXACT = decimal.Context(prec=80, rounding=ROUND_DOWN, traps=[decimal.Inexact, InvalidOperation])
"""A context where any inexact step raises: quantization must never round behind our back."""
_QUANTIZE = decimal.Context(prec=80, traps=[InvalidOperation])
_EXPONENTS = tuple(Decimal(1).scaleb(-places, _QUANTIZE) for places in range(41))
"""``1E-places`` for the precisions symbols use (0..40), built once."""

# The operations below run on a fresh copy of these templates (what ``localcontext`` would install,
# without the thread-local context swap and building a new Context per call: ~2.5x faster).


def quantize_down(value: Decimal, step: Decimal, places: int) -> Decimal:
    """The largest multiple of ``step`` <= ``value`` (value >= 0) with at most ``places`` decimals."""
    try:
        ctx = _EXACT.copy()
        if step > 0:
            value = ctx.subtract(value, ctx.remainder(value, step))
        exponent = _EXPONENTS[places] if 0 <= places < len(_EXPONENTS) else Decimal(1).scaleb(-places)
        return value.quantize(exponent, rounding=ROUND_DOWN, context=_QUANTIZE.copy())
    except (decimal.Inexact, InvalidOperation):
        raise InvalidOrder(
            f"number {value} has too many digits to quantize exactly", exchange=EXCHANGE_NAME
        ) from None


def fits_step(value: Decimal, step: Decimal) -> bool:
    """True when ``value`` is an exact multiple of ``step`` (computed without rounding)."""
    try:
        return _EXACT.copy().remainder(value, step) == 0
    except (decimal.Inexact, InvalidOperation):
        return False


def _positive(value: Amount, name: str) -> Decimal:
    result = to_decimal(value, name)
    if result <= 0:
        raise InvalidOrder(f"{name} must be positive, got {plain_decimal(result)}", exchange=EXCHANGE_NAME)
    return result


@attrs.frozen(slots=True)
class PreparedOrder:
    """A validated order, quantized and ready to send. ``params()`` gives the wire parameters."""

    symbol: Symbol
    pair: str
    side: Side
    order_type: OrderType
    quantity: Decimal | None
    price: Decimal | None
    quote_quantity: Decimal | None
    client_order_id: str

    def params(self) -> list[tuple[str, str]]:
        items = [("symbol", self.pair), ("side", self.side.value), ("type", self.order_type.value)]
        if self.quantity is not None:
            items.append(("quantity", plain_decimal(self.quantity)))
        if self.quote_quantity is not None:
            items.append(("quoteOrderQty", plain_decimal(self.quote_quantity)))
        if self.price is not None:
            items.append(("price", plain_decimal(self.price)))
        items.append(("newClientOrderId", self.client_order_id))
        return items

    def batch_item(self) -> dict[str, str]:
        """The same parameters as one item of ``batchOrders``."""
        return dict(self.params())


def _check_tradable(info: SymbolInfo | None, symbol: Symbol, side: Side, order_type: OrderType) -> SymbolInfo:
    if info is None:
        raise SymbolNotSupported(f"{symbol} is not listed on MEXC spot", exchange=EXCHANGE_NAME)
    if not info.api_tradable:
        raise SymbolNotSupported(
            f"{symbol} cannot be traded through the MEXC API (not API-tradable)", exchange=EXCHANGE_NAME
        )
    if not info.tradable:
        raise TradingDisabled(f"{symbol} trading is suspended on MEXC", exchange=EXCHANGE_NAME)
    if (side is Side.BUY and not info.buy_allowed) or (side is Side.SELL and not info.sell_allowed):
        raise SideNotAllowed(f"{symbol} does not accept {side.value} orders now", exchange=EXCHANGE_NAME)
    # IOC/FOK are in order_types wherever LIMIT is: parsing.reference adds them when reading exchangeInfo.
    if order_type not in info.order_types:
        names = ", ".join(sorted(t.value for t in info.order_types))
        raise InvalidOrder(
            f"{symbol} does not allow {order_type.value} orders (allowed: {names})", exchange=EXCHANGE_NAME
        )
    return info


def _prepare_quantity(info: SymbolInfo, quantity: Amount) -> Decimal:
    requested = _positive(quantity, "quantity")
    step = info.step_size
    rounded = quantize_down(requested, step, info.base_precision)
    if rounded <= 0:
        raise InvalidOrder(
            f"{info.symbol} quantity {plain_decimal(requested)} rounds down to 0 at step "
            f"{plain_decimal(step)} ({info.base_precision} decimals)",
            exchange=EXCHANGE_NAME,
        )
    if rounded < info.min_quantity:
        raise InvalidOrder(
            f"{info.symbol} quantity {plain_decimal(rounded)} is below the minimum quantity "
            f"{plain_decimal(info.min_quantity)}",
            exchange=EXCHANGE_NAME,
        )
    return rounded


def _prepare_price(info: SymbolInfo, price: Amount) -> Decimal:
    value = _positive(price, "price")
    tick = info.tick_size
    if not fits_step(value, tick):
        raise InvalidOrder(
            f"{info.symbol} price {plain_decimal(value)} does not fit the tick size {plain_decimal(tick)} "
            f"({info.quote_precision} decimals); prices are refused, not rounded",
            exchange=EXCHANGE_NAME,
        )
    return value


def _check_notional(
    info: SymbolInfo, notional: Decimal, low: Decimal | None, high: Decimal | None, what: str
) -> None:
    if low is not None and low > 0 and notional < low:
        raise InvalidOrder(
            f"{info.symbol} {what} {plain_decimal(notional)} is below the minimum notional "
            f"{plain_decimal(low)}",
            exchange=EXCHANGE_NAME,
        )
    if high is not None and high > 0 and notional > high:
        raise InvalidOrder(
            f"{info.symbol} {what} {plain_decimal(notional)} is above the maximum notional "
            f"{plain_decimal(high)}",
            exchange=EXCHANGE_NAME,
        )


def prepare_order(
    info: SymbolInfo | None,
    symbol: Symbol,
    pair: str,
    side: Side,
    order_type: OrderType,
    quantity: Amount | None = None,
    price: Amount | None = None,
    quote_quantity: Amount | None = None,
    client_order_id: str | None = None,
) -> PreparedOrder:
    """Validate and quantize an order; raises InvalidOrder / SymbolNotSupported / TradingDisabled."""
    info = _check_tradable(info, symbol, side, order_type)
    cid = check_client_order_id(client_order_id) if client_order_id is not None else new_client_order_id()
    if order_type in LIMIT_TYPES:
        if quantity is None or price is None:
            raise InvalidOrder(
                f"{order_type.value} orders need both quantity and price", exchange=EXCHANGE_NAME
            )
        if quote_quantity is not None:
            raise InvalidOrder(
                f"quote_quantity is only for MARKET orders, not {order_type.value}", exchange=EXCHANGE_NAME
            )
        qty = _prepare_quantity(info, quantity)
        px = _prepare_price(info, price)
        _check_notional(
            info, qty * px, info.min_notional, info.max_notional, "order value (quantity x price)"
        )
        return PreparedOrder(symbol, pair, side, order_type, qty, px, None, cid)
    # MARKET
    if price is not None:
        raise InvalidOrder("MARKET orders take no price", exchange=EXCHANGE_NAME)
    if (quantity is None) == (quote_quantity is None):
        raise InvalidOrder(
            "MARKET orders need exactly one of quantity (base) or quote_quantity (quote to spend)",
            exchange=EXCHANGE_NAME,
        )
    if quantity is not None:
        return PreparedOrder(
            symbol, pair, side, order_type, _prepare_quantity(info, quantity), None, None, cid
        )
    assert quote_quantity is not None
    requested = _positive(quote_quantity, "quote_quantity")
    quote = quantize_down(requested, Decimal(0), info.quote_precision)
    if quote <= 0:
        raise InvalidOrder(
            f"quote_quantity {plain_decimal(requested)} rounds down to 0 at {info.quote_precision} decimals",
            exchange=EXCHANGE_NAME,
        )
    low = info.min_notional_market if info.min_notional_market is not None else info.min_notional
    high = info.max_notional_market if info.max_notional_market is not None else info.max_notional
    _check_notional(info, quote, low, high, "market quote_quantity")
    return PreparedOrder(symbol, pair, side, order_type, None, None, quote, cid)
