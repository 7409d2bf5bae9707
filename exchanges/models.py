"""Exchange-neutral domain records shared by the framework, every plugin and every user.

Two families, chosen for the path they travel (DESIGN.md, "Numbers"):

* Market data (``OrderBookEntry``, ``Trade``, ``BookTicker``, ``Ticker``, ``Kline``, ``BookUpdate``)
  is hot-path data: prices and sizes are ``float`` and the records are ``typing.NamedTuple`` s.
  They are immutable like attrs frozen classes but cost about 260 ns to build instead of about
  585 ns (measured with timeit on this project's CI machine), which matters at thousands of
  messages per second.
* Trading and account data (``Order``, ``Fill``, ``AssetBalance``, ``Withdrawal``...) carries money:
  ``Decimal`` everywhere, attrs frozen and slotted records.

Times are integers in milliseconds since the Unix epoch, as exchanges send them.
"""

from __future__ import annotations

import enum
import math
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, NewType

import attrs

from exchanges.errors import InvalidOrder

__all__ = [
    "AccountType",
    "Amount",
    "AssetBalance",
    "AssetName",
    "BalanceUpdate",
    "BookState",
    "BookStateChange",
    "BookTicker",
    "BookUpdate",
    "ConnectionState",
    "ConnectionStateChange",
    "Deposit",
    "DepositAddress",
    "DepositStatus",
    "Fill",
    "Kline",
    "KlineInterval",
    "NetworkInfo",
    "Order",
    "OrderBook",
    "OrderBookEntry",
    "OrderId",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Side",
    "Symbol",
    "SymbolInfo",
    "Ticker",
    "TimeInForce",
    "Trade",
    "TradeFee",
    "Transfer",
    "Withdrawal",
    "WithdrawalPlan",
    "WithdrawalRequest",
    "WithdrawalStatus",
    "to_amount",
]

AssetName = NewType("AssetName", str)
"""An upper-case asset ticker such as ``"BTC"``."""

OrderId = NewType("OrderId", str)
"""An exchange order id. Always a string: MEXC ids are opaque strings such as ``"C02__5459..."``."""


def _upper_asset(value: str) -> AssetName:
    text = str(value).strip().upper()
    if not text or not text.isalnum():
        raise ValueError(f"asset name must be non-empty and alphanumeric, got {value!r}")
    return AssetName(text)


@attrs.frozen(slots=True, cache_hash=True, order=True)
class Symbol:
    """A trading pair: ``Symbol("BTC", "USDT")`` or ``Symbol.parse("BTC/USDT")``.

    Assets are normalised to upper case, so ``Symbol("btc", "usdt") == Symbol("BTC", "USDT")``.
    The hash is cached because symbols are dictionary keys on every hot path.
    """

    base: AssetName = attrs.field(converter=_upper_asset)
    quote: AssetName = attrs.field(converter=_upper_asset)

    @classmethod
    def parse(cls, text: str) -> Symbol:
        """Parse ``"BTC/USDT"`` (also ``"BTC-USDT"`` and ``"BTC_USDT"``) into a Symbol."""
        for separator in ("/", "-", "_"):
            if separator in text:
                base, _, quote = text.partition(separator)
                if not base or not quote or separator in quote:
                    break
                return cls(AssetName(base), AssetName(quote))
        raise ValueError(f"cannot parse symbol {text!r}: expected BASE/QUOTE such as 'BTC/USDT'")

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}"


class Side(enum.Enum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(enum.Enum):
    """Order types. Time in force is part of the type, as on MEXC (no separate parameter)."""

    LIMIT = "LIMIT"
    MARKET = "MARKET"
    LIMIT_MAKER = "LIMIT_MAKER"
    IMMEDIATE_OR_CANCEL = "IMMEDIATE_OR_CANCEL"
    FILL_OR_KILL = "FILL_OR_KILL"


class TimeInForce(enum.Enum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    POST_ONLY = "POST_ONLY"


class OrderStatus(enum.Enum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    PARTIALLY_CANCELED = "PARTIALLY_CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_open(self) -> bool:
        """True while the order can still trade."""
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


class KlineInterval(enum.Enum):
    """Candle widths; plugins map them to their wire names (MEXC REST ``60m``, WS ``Min60``)."""

    MINUTE_1 = "1m"
    MINUTE_5 = "5m"
    MINUTE_15 = "15m"
    MINUTE_30 = "30m"
    HOUR_1 = "1h"
    HOUR_4 = "4h"
    HOUR_8 = "8h"
    DAY_1 = "1d"
    WEEK_1 = "1w"
    MONTH_1 = "1M"


class BookState(enum.Enum):
    """State of a local order book: SYNCING until a snapshot and the stream line up, then LIVE.

    STALE: the book can no longer be trusted and is not being repaired yet (its connection was lost
    or went silent, or the book was stopped); it becomes SYNCING once the stream is back.
    """

    SYNCING = "SYNCING"
    LIVE = "LIVE"
    STALE = "STALE"


class ConnectionState(enum.Enum):
    """State of a reconnecting stream: RECONNECTING from the moment a socket is lost (or declared
    silent) until its replacement is subscribed; CLOSED by its owner; FAILED when it gave up."""

    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    RECONNECTING = "RECONNECTING"
    CLOSED = "CLOSED"
    FAILED = "FAILED"


class WithdrawalStatus(enum.Enum):
    """Normalised withdrawal lifecycle; ``raw_status`` on :class:`Withdrawal` keeps the exchange's value."""

    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class DepositStatus(enum.Enum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


# --------------------------------------------------------------------------------------------------
# Market data (float, NamedTuple: hot path)
# --------------------------------------------------------------------------------------------------


class OrderBookEntry(NamedTuple):
    """One price level of an order book."""

    price: float
    size: float


class OrderBook(NamedTuple):
    """An order book snapshot: bids best (highest) first, asks best (lowest) first."""

    symbol: Symbol
    bids: tuple[OrderBookEntry, ...]
    asks: tuple[OrderBookEntry, ...]
    timestamp: int
    version: int | None = None

    @property
    def best_bid(self) -> OrderBookEntry | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> OrderBookEntry | None:
        return self.asks[0] if self.asks else None


class BookUpdate(NamedTuple):
    """An incremental book update with absolute quantities per level (0 deletes the level).

    ``first_version``/``last_version`` are the exchange's sequence range (MEXC ``fromVersion`` and
    ``toVersion``); the local order book checks their continuity.
    Levels are plain ``(price, size)`` tuples: they are applied, not kept.
    """

    symbol: Symbol
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]
    first_version: int
    last_version: int
    timestamp: int


class Trade(NamedTuple):
    """A public trade. ``side`` is the taker's side."""

    symbol: Symbol
    price: float
    quantity: float
    side: Side
    timestamp: int
    trade_id: str | None = None


class BookTicker(NamedTuple):
    """Best bid and ask."""

    symbol: Symbol
    bid_price: float
    bid_quantity: float
    ask_price: float
    ask_quantity: float
    timestamp: int
    version: int | None = None


class Ticker(NamedTuple):
    """Rolling 24 h statistics.

    ``price_change_ratio`` is the 24 h change as a fraction (0.01 = +1 %), which is what exchanges
    such as MEXC send under the name "priceChangePercent"; ``price_change_percent`` is the same
    change in percent (1.0 = +1 %), derived from it.
    """

    symbol: Symbol
    last_price: float
    high: float
    low: float
    volume: float
    quote_volume: float
    price_change_ratio: float
    """24 h change as a fraction: 0.01 means +1 %."""
    timestamp: int
    open_price: float | None = None
    bid_price: float | None = None
    ask_price: float | None = None

    @property
    def price_change_percent(self) -> float:
        """24 h change in percent: 1.0 means +1 % (``price_change_ratio * 100``)."""
        return self.price_change_ratio * 100.0


class Kline(NamedTuple):
    """A candle. Times are milliseconds (MEXC's WebSocket sends seconds; parsers convert)."""

    symbol: Symbol
    interval: KlineInterval
    open_time: int
    close_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float


# --------------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Trading and account (Decimal, attrs frozen)
# --------------------------------------------------------------------------------------------------


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


@attrs.frozen(slots=True)
class AssetBalance:
    asset: AssetName
    free: Decimal
    locked: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@attrs.frozen(slots=True)
class TradeFee:
    """The account's commission rates for one symbol, as fractions (0.001 = 0.1 %)."""

    symbol: Symbol
    maker: Decimal
    taker: Decimal


@attrs.frozen(slots=True)
class BalanceUpdate:
    """A pushed balance change: the new balance plus what changed and why (exchange's reason text)."""

    balance: AssetBalance
    free_change: Decimal
    locked_change: Decimal
    reason: str
    timestamp: int


@attrs.frozen(slots=True)
class WithdrawalRequest:
    """What a user asks to withdraw. ``network`` is the exchange's network id (MEXC ``netWork``)."""

    asset: AssetName
    amount: Decimal = attrs.field(converter=Decimal)
    address: str
    network: str | None = None
    memo: str | None = None
    client_id: str | None = None
    remark: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount <= 0:
            raise ValueError(f"withdrawal amount must be positive, got {self.amount}")
        if not self.address:
            raise ValueError("withdrawal address must not be empty")


@attrs.frozen(slots=True)
class Withdrawal:
    withdrawal_id: str
    asset: AssetName
    amount: Decimal
    address: str
    status: WithdrawalStatus
    raw_status: str = ""
    network: str | None = None
    fee: Decimal | None = None
    tx_id: str | None = None
    memo: str | None = None
    client_id: str | None = None
    timestamp: int = 0


@attrs.frozen(slots=True)
class Deposit:
    asset: AssetName
    amount: Decimal
    status: DepositStatus
    raw_status: str = ""
    network: str | None = None
    address: str | None = None
    tx_id: str | None = None
    memo: str | None = None
    timestamp: int = 0


@attrs.frozen(slots=True)
class DepositAddress:
    asset: AssetName
    address: str
    network: str | None = None
    memo: str | None = None


@attrs.frozen(slots=True)
class NetworkInfo:
    """One network an asset can move on, with its withdrawal rules."""

    asset: AssetName
    network: str
    name: str
    deposit_enabled: bool
    withdraw_enabled: bool
    withdraw_fee: Decimal
    withdraw_min: Decimal
    withdraw_max: Decimal | None = None
    min_confirmations: int = 0
    withdraw_multiple: Decimal | None = None
    """Withdrawal amounts must be a multiple of this (None or 0: no rule beyond the asset's precision)."""
    memo_required: bool = False
    """The destination needs a memo/tag (shared deposit address, e.g. XRP, EOS, TON)."""
    contract: str | None = None
    """The token contract on this network, when the exchange says."""


# --------------------------------------------------------------------------------------------------
# Requests and account movements (breadth of the private API)
# --------------------------------------------------------------------------------------------------


class AccountType(enum.Enum):
    """The user's own accounts money can move between with ``transfer``."""

    SPOT = "SPOT"
    FUTURES = "FUTURES"


@attrs.frozen(slots=True)
class Transfer:
    """A completed internal transfer between two of the user's own accounts."""

    transfer_id: str
    asset: AssetName
    amount: Decimal
    from_account: AccountType
    to_account: AccountType
    timestamp: int = 0


@attrs.frozen(slots=True)
class WithdrawalPlan:
    """What a withdrawal would send after every pre-send check passed (``dry_run=True`` returns it).

    ``network`` is the exchange's id the request is sent with; ``receive_amount`` is ``amount - fee``.
    ``params`` are the exact request parameters (without signature, timestamp or client id).
    """

    asset: AssetName
    network: str
    network_name: str
    address: str
    amount: Decimal
    fee: Decimal
    receive_amount: Decimal
    memo: str | None = None
    params: tuple[tuple[str, str], ...] = ()


# --------------------------------------------------------------------------------------------------
# Stream status (rare events: attrs frozen)
# --------------------------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class BookStateChange:
    """A local order book changed state (e.g. LIVE -> STALE when its connection went silent)."""

    symbol: Symbol
    state: BookState
    previous: BookState
    reason: str
    """Why, in a few words: ``"snapshot aligned"``, ``"gap"``, ``"connection lost"``..."""
    timestamp: int
    """Milliseconds since the epoch, local clock."""


@attrs.frozen(slots=True)
class ConnectionStateChange:
    """A stream connection changed state; ``error`` says why it was lost or why it gave up."""

    connection: str
    """The stream's name, e.g. ``"mexc_public_1"`` or ``"mexc_private"``."""
    state: ConnectionState
    previous: ConnectionState
    timestamp: int
    """Milliseconds since the epoch, local clock."""
    error: BaseException | None = None
