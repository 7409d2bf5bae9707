"""Trading records (``Decimal``, attrs frozen): a symbol's rules, the order request checked at
the door, orders and fills as the exchange reports them."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

import attrs

from exchanges._models.enums import OrderStatus, OrderType, Side
from exchanges._models.symbol import AssetName, OrderId, Symbol
from exchanges.errors import InvalidOrder


@attrs.frozen(slots=True)
class SymbolInfo:
    """Trading rules of one symbol, used for pre-flight order checks.

    ``base_precision``/``quote_precision`` are decimal places for quantity and price.
    ``min_notional``/``max_notional`` apply to limit orders, the ``*_market`` variants to market orders.
    ``tradable`` says the market is open; ``api_tradable`` that orders may be placed through the API.
    """

    symbol: Symbol
    base_precision: int
    quote_precision: int
    min_quantity: Decimal = Decimal(0)
    quantity_step: Decimal | None = None
    min_notional: Decimal = Decimal(0)
    max_notional: Decimal | None = None
    min_notional_market: Decimal | None = None
    max_notional_market: Decimal | None = None
    order_types: frozenset[OrderType] = frozenset(OrderType)
    buy_allowed: bool = True
    sell_allowed: bool = True
    tradable: bool = True
    api_tradable: bool = True
    maker_fee: Decimal | None = None
    taker_fee: Decimal | None = None
    max_buy_price_ratio: Decimal | None = None
    """A buy price may be at most ``reference * (1 + ratio)`` (MEXC ``PERCENT_PRICE_BY_SIDE``)."""
    min_sell_price_ratio: Decimal | None = None
    """A sell price may be at least ``reference * (1 - ratio)``."""

    @property
    def tick_size(self) -> Decimal:
        return Decimal(1).scaleb(-self.quote_precision)

    @property
    def step_size(self) -> Decimal:
        return self.quantity_step if self.quantity_step else Decimal(1).scaleb(-self.base_precision)


@attrs.frozen(slots=True)
class Order:
    """An order as the exchange last reported it."""

    symbol: Symbol
    order_id: OrderId
    side: Side
    order_type: OrderType
    status: OrderStatus
    quantity: Decimal | None
    price: Decimal | None = None
    client_order_id: str | None = None
    quote_quantity: Decimal | None = None
    filled_quantity: Decimal = Decimal(0)
    filled_quote_quantity: Decimal = Decimal(0)
    average_price: Decimal | None = None
    timestamp: int = 0
    update_time: int | None = None

    @property
    def remaining_quantity(self) -> Decimal | None:
        return None if self.quantity is None else self.quantity - self.filled_quantity


Amount = Decimal | str | int | float
"""Order inputs accept any of these; they become finite positive Decimals (:func:`to_amount`)."""


def _to_side(value: Side | str) -> Side:
    """A :class:`Side`, or its name in any case (``"buy"``); anything else is refused."""
    if isinstance(value, Side):
        return value
    if isinstance(value, str):
        try:
            return Side(value.strip().upper())
        except ValueError:
            raise InvalidOrder(
                f"side must be Side.BUY or Side.SELL (or 'BUY'/'SELL'), got {value!r}"
            ) from None
    raise TypeError(f"side must be a Side (or 'BUY'/'SELL'), got {type(value).__name__} {value!r}")


def _to_order_type(value: OrderType | str) -> OrderType:
    """An :class:`OrderType`, or its name in any case (``"limit"``); anything else is refused."""
    if isinstance(value, OrderType):
        return value
    names = ", ".join(t.value for t in OrderType)
    if isinstance(value, str):
        try:
            return OrderType(value.strip().upper())
        except ValueError:
            raise InvalidOrder(f"order_type must be one of {names}, got {value!r}") from None
    raise TypeError(
        f"order_type must be an OrderType (or one of {names}), got {type(value).__name__} {value!r}"
    )


def to_amount(value: Amount, name: str) -> Decimal:
    """``value`` as a finite, positive Decimal. Floats go through ``repr`` (``0.1`` -> ``Decimal("0.1")``).

    Raises TypeError for a type that is not a number (``bool`` included) and InvalidOrder for text that
    is not a number, NaN, infinities, zero and negative values: the message names ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, str, int, float)):
        raise TypeError(f"{name} must be a Decimal, str, int or float, got {type(value).__name__} {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidOrder(f"{name} must be a finite number, got {value!r}")
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidOrder(f"{name} {value!r} is not a number") from None
    else:
        result = Decimal(value)
    if not result.is_finite():
        raise InvalidOrder(f"{name} must be a finite number, got {value!r}")
    if result <= 0:
        raise InvalidOrder(f"{name} must be positive, got {value!r}")
    return result


def _quantity(value: Amount | None) -> Decimal | None:
    return None if value is None else to_amount(value, "quantity")


def _price(value: Amount | None) -> Decimal | None:
    return None if value is None else to_amount(value, "price")


def _quote_quantity(value: Amount | None) -> Decimal | None:
    return None if value is None else to_amount(value, "quote_quantity")


def _check_symbol(_: object, __: attrs.Attribute[Symbol], value: object) -> None:
    if not isinstance(value, Symbol):
        raise TypeError(
            f"symbol must be a Symbol such as Symbol('BTC', 'USDT') or Symbol.parse('BTC/USDT'), "
            f"got {type(value).__name__} {value!r}"
        )


def _check_client_order_id(_: object, __: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"client_order_id must be a str or None, got {type(value).__name__} {value!r}")
    if value == "":
        raise InvalidOrder("client_order_id must not be empty (pass None to have one generated)")


@attrs.frozen(slots=True)
class OrderRequest:
    """One order as a caller asks for it: the single record an order travels in, from the API door to
    the wire (and through a plugin's simulator rules).

    Checked at construction, before any request: ``symbol`` must be a :class:`Symbol`; ``side`` and
    ``order_type`` are the enums or their names in any case (``"buy"``, ``"LIMIT"``: friendlier, and
    validated); amounts are ``Decimal``, ``str``, ``int`` or ``float`` and become finite positive
    ``Decimal`` s; ``client_order_id`` is a non-empty ``str`` or None (the plugin then generates one).
    A wrong type raises ``TypeError``, a wrong value :class:`~exchanges.errors.InvalidOrder`, each
    naming the field and what was expected. Exchange rules (tick, step, minimums, which of quantity /
    price / quote_quantity a type needs) are the plugin's pre-flight checks.
    """

    symbol: Symbol = attrs.field(validator=_check_symbol)
    side: Side = attrs.field(converter=_to_side)
    order_type: OrderType = attrs.field(converter=_to_order_type)
    quantity: Decimal | None = attrs.field(default=None, converter=_quantity)
    price: Decimal | None = attrs.field(default=None, converter=_price)
    quote_quantity: Decimal | None = attrs.field(default=None, converter=_quote_quantity)
    client_order_id: str | None = attrs.field(default=None, validator=_check_client_order_id)


@attrs.frozen(slots=True)
class Fill:
    """One execution of one of our orders."""

    symbol: Symbol
    order_id: OrderId
    trade_id: str
    side: Side
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal
    fee: Decimal
    fee_asset: AssetName | None
    is_maker: bool
    timestamp: int
    client_order_id: str | None = None
