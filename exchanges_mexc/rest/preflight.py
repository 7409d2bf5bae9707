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

from exchanges.errors import InvalidOrder, SymbolNotSupported, TradingDisabled
from exchanges.models import OrderRequest, OrderType, Side, Symbol, SymbolInfo
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


def _quantity(self: PreparedOrder) -> Decimal | None:
    return self.request.quantity


def _price(self: PreparedOrder) -> Decimal | None:
    return self.request.price


def _quote_quantity(self: PreparedOrder) -> Decimal | None:
    return self.request.quote_quantity


def _client_order_id(self: PreparedOrder) -> str:
    cid = self.request.client_order_id
    if cid is None:
        raise ValueError("a PreparedOrder needs a client order id (prepare_order always sets one)")
    return cid


@attrs.frozen(slots=True)
class PreparedOrder:
    """A validated order ready to send: the caller's :class:`OrderRequest`, its amounts quantized, its
    client order id (always set), and the MEXC pair name. ``params()`` gives the wire parameters.

    The quantized values are fields of their own rather than a second ``OrderRequest`` (building one
    re-ran every check of the first: half the CPU of preparing an order); by default each is the
    request's value."""

    request: OrderRequest
    pair: str
    quantity: Decimal | None = attrs.Factory(_quantity, takes_self=True)
    price: Decimal | None = attrs.Factory(_price, takes_self=True)
    quote_quantity: Decimal | None = attrs.Factory(_quote_quantity, takes_self=True)
    client_order_id: str = attrs.Factory(_client_order_id, takes_self=True)

    @property
    def symbol(self) -> Symbol:
        return self.request.symbol

    @property
    def side(self) -> Side:
        return self.request.side

    @property
    def order_type(self) -> OrderType:
        return self.request.order_type

    def params(self) -> list[tuple[str, str]]:
        request = self.request
        items = [("symbol", self.pair), ("side", request.side.value), ("type", request.order_type.value)]
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


def _prepare_quantity(info: SymbolInfo, requested: Decimal) -> Decimal:
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


def _prepare_price(info: SymbolInfo, value: Decimal) -> Decimal:
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


def prepare_order(info: SymbolInfo | None, request: OrderRequest, pair: str) -> PreparedOrder:
    """Validate and quantize ``request``; raises InvalidOrder / SymbolNotSupported / TradingDisabled.

    ``request`` has already checked types, finiteness and positivity (:class:`OrderRequest`); this adds
    the symbol's rules and generates a client order id when the caller gave none."""
    symbol, side, order_type = request.symbol, request.side, request.order_type
    quantity, price, quote_quantity = request.quantity, request.price, request.quote_quantity
    info = _check_tradable(info, symbol, side, order_type)
    cid = (
        check_client_order_id(request.client_order_id)
        if request.client_order_id is not None
        else new_client_order_id()
    )

    def ready(qty: Decimal | None, px: Decimal | None, quote: Decimal | None) -> PreparedOrder:
        return PreparedOrder(request, pair, qty, px, quote, cid)

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
        return ready(qty, px, None)
    # MARKET
    if price is not None:
        raise InvalidOrder("MARKET orders take no price", exchange=EXCHANGE_NAME)
    if (quantity is None) == (quote_quantity is None):
        raise InvalidOrder(
            "MARKET orders need exactly one of quantity (base) or quote_quantity (quote to spend)",
            exchange=EXCHANGE_NAME,
        )
    if quantity is not None:
        return ready(_prepare_quantity(info, quantity), None, None)
    assert quote_quantity is not None
    requested = quote_quantity
    quote = quantize_down(requested, Decimal(0), info.quote_precision)
    if quote <= 0:
        raise InvalidOrder(
            f"quote_quantity {plain_decimal(requested)} rounds down to 0 at {info.quote_precision} decimals",
            exchange=EXCHANGE_NAME,
        )
    low = info.min_notional_market if info.min_notional_market is not None else info.min_notional
    high = info.max_notional_market if info.max_notional_market is not None else info.max_notional
    _check_notional(info, quote, low, high, "market quote_quantity")
    return ready(None, None, quote)
