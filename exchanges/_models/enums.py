"""The enums of the domain: sides, order types and statuses, candle widths, stream and
movement states, account types."""

from __future__ import annotations

import enum


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


class AccountType(enum.Enum):
    """The user's own accounts money can move between with ``transfer``."""

    SPOT = "SPOT"
    FUTURES = "FUTURES"
