"""MEXC enum values <-> model enums, for both wire formats.

REST JSON uses names (``"BUY"``, ``"LIMIT"``, ``"FILLED"``); protobuf pushes use ints (``tradeType`` 1/2,
``orderType`` 1..5, ``status`` 1..5, API.md §9.6). Withdrawal (1..10) and deposit (1..12) statuses are ints
on REST. Kline intervals have three spellings: ours (:class:`~exchanges.models.KlineInterval`), REST
(``1m .. 60m 4h 1d 1W 1M``) and WebSocket (``Min1 .. Month1``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

from exchanges.errors import ExchangeAPIError
from exchanges.models import (
    DepositStatus,
    KlineInterval,
    OrderStatus,
    OrderType,
    Side,
    WithdrawalStatus,
)
from exchanges_mexc.constants import EXCHANGE_NAME

__all__ = [
    "DEPOSIT_STATUS_BY_INT",
    "ORDER_STATUS_BY_INT",
    "ORDER_STATUS_BY_NAME",
    "ORDER_TYPE_BY_INT",
    "ORDER_TYPE_BY_NAME",
    "SIDE_BY_NAME",
    "SIDE_BY_TRADE_TYPE",
    "WITHDRAWAL_STATUS_BY_INT",
    "WS_INTERVAL_BY_NAME",
    "deposit_status",
    "interval_from_rest",
    "interval_from_ws",
    "order_status",
    "order_type",
    "rest_interval",
    "side",
    "withdrawal_status",
    "ws_interval",
]


SIDE_BY_TRADE_TYPE: Mapping[int, Side] = MappingProxyType({1: Side.BUY, 2: Side.SELL})
"""Protobuf ``tradeType``: 1 buy, 2 sell (public deals: the taker's side)."""

SIDE_BY_NAME: Mapping[str, Side] = MappingProxyType(
    {"BUY": Side.BUY, "SELL": Side.SELL, "BID": Side.BUY, "ASK": Side.SELL}
)

ORDER_TYPE_BY_INT: Mapping[int, OrderType] = MappingProxyType(
    {
        1: OrderType.LIMIT,
        2: OrderType.LIMIT_MAKER,
        3: OrderType.IMMEDIATE_OR_CANCEL,
        4: OrderType.FILL_OR_KILL,
        5: OrderType.MARKET,
    }
)
"""Protobuf ``orderType``: 1 LIMIT_ORDER, 2 POST_ONLY, 3 IOC, 4 FOK, 5 MARKET_ORDER (100 = stop orders,
which this client neither places nor models)."""

ORDER_TYPE_BY_NAME: Mapping[str, OrderType] = MappingProxyType(
    {
        **{member.value: member for member in OrderType},
        "LIMIT_ORDER": OrderType.LIMIT,
        "POST_ONLY": OrderType.LIMIT_MAKER,
        "MARKET_ORDER": OrderType.MARKET,
        "IOC": OrderType.IMMEDIATE_OR_CANCEL,
        "FOK": OrderType.FILL_OR_KILL,
    }
)

ORDER_STATUS_BY_INT: Mapping[int, OrderStatus] = MappingProxyType(
    {
        1: OrderStatus.NEW,
        2: OrderStatus.FILLED,
        3: OrderStatus.PARTIALLY_FILLED,
        4: OrderStatus.CANCELED,
        5: OrderStatus.PARTIALLY_CANCELED,
    }
)

ORDER_STATUS_BY_NAME: Mapping[str, OrderStatus] = MappingProxyType(
    {**{member.value: member for member in OrderStatus}, "CANCELLED": OrderStatus.CANCELED}
)

WITHDRAWAL_STATUS_BY_INT: Mapping[int, WithdrawalStatus] = MappingProxyType(
    {
        1: WithdrawalStatus.PENDING,  # APPLY
        2: WithdrawalStatus.PENDING,  # AUDITING
        3: WithdrawalStatus.PENDING,  # WAIT
        4: WithdrawalStatus.PROCESSING,  # PROCESSING
        5: WithdrawalStatus.PROCESSING,  # WAIT_PACKAGING
        6: WithdrawalStatus.PROCESSING,  # WAIT_CONFIRM
        7: WithdrawalStatus.COMPLETED,  # SUCCESS
        8: WithdrawalStatus.FAILED,  # FAILED
        9: WithdrawalStatus.CANCELED,  # CANCEL
        10: WithdrawalStatus.PROCESSING,  # MANUAL (held for manual review)
    }
)

DEPOSIT_STATUS_BY_INT: Mapping[int, DepositStatus] = MappingProxyType(
    {
        1: DepositStatus.FAILED,  # SMALL: below the minimum, not credited
        2: DepositStatus.PENDING,  # TIME_DELAY
        3: DepositStatus.PENDING,  # LARGE_DELAY
        4: DepositStatus.PENDING,  # PENDING
        5: DepositStatus.COMPLETED,  # SUCCESS
        6: DepositStatus.PENDING,  # AUDITING
        7: DepositStatus.FAILED,  # REJECTED
        8: DepositStatus.FAILED,  # REFUND
        9: DepositStatus.PENDING,  # PRE_SUCCESS: seen on chain, not yet final
        10: DepositStatus.FAILED,  # INVALID
        11: DepositStatus.PENDING,  # RESTRICTED: held by risk control, may still be released
        12: DepositStatus.COMPLETED,  # COMPLETED
    }
)

_WITHDRAWAL_NAMES: Mapping[str, int] = MappingProxyType(
    {
        "APPLY": 1,
        "AUDITING": 2,
        "WAIT": 3,
        "PROCESSING": 4,
        "WAIT_PACKAGING": 5,
        "WAIT_CONFIRM": 6,
        "SUCCESS": 7,
        "FAILED": 8,
        "CANCEL": 9,
        "MANUAL": 10,
    }
)
_DEPOSIT_NAMES: Mapping[str, int] = MappingProxyType(
    {
        "SMALL": 1,
        "TIME_DELAY": 2,
        "LARGE_DELAY": 3,
        "PENDING": 4,
        "SUCCESS": 5,
        "AUDITING": 6,
        "REJECTED": 7,
        "REFUND": 8,
        "PRE_SUCCESS": 9,
        "INVALID": 10,
        "RESTRICTED": 11,
        "COMPLETED": 12,
    }
)

REST_INTERVALS: Mapping[KlineInterval, str] = MappingProxyType(
    {
        KlineInterval.MINUTE_1: "1m",
        KlineInterval.MINUTE_5: "5m",
        KlineInterval.MINUTE_15: "15m",
        KlineInterval.MINUTE_30: "30m",
        KlineInterval.HOUR_1: "60m",
        KlineInterval.HOUR_4: "4h",
        KlineInterval.DAY_1: "1d",
        KlineInterval.WEEK_1: "1W",
        KlineInterval.MONTH_1: "1M",
    }
)
"""REST ``interval`` values (API.md §3): no ``1h`` (it is ``60m``) and no ``8h`` on REST."""

WS_INTERVALS: Mapping[KlineInterval, str] = MappingProxyType(
    {
        KlineInterval.MINUTE_1: "Min1",
        KlineInterval.MINUTE_5: "Min5",
        KlineInterval.MINUTE_15: "Min15",
        KlineInterval.MINUTE_30: "Min30",
        KlineInterval.HOUR_1: "Min60",
        KlineInterval.HOUR_4: "Hour4",
        KlineInterval.HOUR_8: "Hour8",
        KlineInterval.DAY_1: "Day1",
        KlineInterval.WEEK_1: "Week1",
        KlineInterval.MONTH_1: "Month1",
    }
)

_FROM_REST: Mapping[str, KlineInterval] = MappingProxyType(
    {**{name: interval for interval, name in REST_INTERVALS.items()}, "1h": KlineInterval.HOUR_1}
)
WS_INTERVAL_BY_NAME: Mapping[str, KlineInterval] = MappingProxyType(
    {name: interval for interval, name in WS_INTERVALS.items()}
)
_FROM_WS = WS_INTERVAL_BY_NAME


E = TypeVar("E")


def _from_int_or_name(value: object, by_int: Mapping[int, E], by_name: Mapping[str, E], what: str) -> E:
    """Look up a protobuf int enum or a REST name (case-insensitive); ValueError naming ``what``."""
    found = by_int.get(value) if isinstance(value, int) else None
    if found is None and isinstance(value, str):
        found = by_name.get(value.upper())
    if found is None:
        raise ValueError(f"unknown MEXC {what} {value!r}")
    return found


def side(value: object) -> Side:
    """Side from a protobuf ``tradeType`` int or a REST name (BUY/SELL, BID/ASK)."""
    return _from_int_or_name(value, SIDE_BY_TRADE_TYPE, SIDE_BY_NAME, "side")


def order_type(value: object) -> OrderType:
    """OrderType from a protobuf ``orderType`` int or a REST ``type`` name."""
    return _from_int_or_name(value, ORDER_TYPE_BY_INT, ORDER_TYPE_BY_NAME, "order type")


def order_status(value: object) -> OrderStatus:
    """OrderStatus from a protobuf ``status`` int or a REST ``status`` name."""
    return _from_int_or_name(value, ORDER_STATUS_BY_INT, ORDER_STATUS_BY_NAME, "order status")


def _status_code(value: object, names: Mapping[str, int]) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        return names.get(text.upper())
    return None


def withdrawal_status(value: object) -> WithdrawalStatus:
    """Normalised withdrawal status from MEXC's 1..10 (int, digit string or name).

    Unknown values map to PROCESSING rather than failing: the withdrawal exists and its raw status is
    kept on the record, so nothing is hidden and nothing is declared final by guesswork.
    """
    code = _status_code(value, _WITHDRAWAL_NAMES)
    found = WITHDRAWAL_STATUS_BY_INT.get(code) if code is not None else None
    return WithdrawalStatus.PROCESSING if found is None else found


def deposit_status(value: object) -> DepositStatus:
    """Normalised deposit status from MEXC's 1..12; unknown values are PENDING (raw kept by the caller)."""
    code = _status_code(value, _DEPOSIT_NAMES)
    found = DEPOSIT_STATUS_BY_INT.get(code) if code is not None else None
    return DepositStatus.PENDING if found is None else found


def rest_interval(interval: KlineInterval) -> str:
    """REST ``interval`` parameter; raises ExchangeAPIError (before anything is sent) for a width MEXC
    REST lacks (8h)."""
    try:
        return REST_INTERVALS[interval]
    except KeyError:
        supported = ", ".join(i.name for i in REST_INTERVALS)
        raise ExchangeAPIError(
            f"MEXC REST klines do not support {interval.name} ({interval.value}); supported: {supported}. "
            "(8h candles exist only on the WebSocket kline stream.)",
            exchange=EXCHANGE_NAME,
        ) from None


def ws_interval(interval: KlineInterval) -> str:
    """WebSocket kline channel interval (``Min1`` .. ``Month1``)."""
    return WS_INTERVALS[interval]


def interval_from_rest(name: str) -> KlineInterval:
    try:
        return _FROM_REST[name]
    except KeyError:
        raise ValueError(f"unknown MEXC REST kline interval {name!r}") from None


def interval_from_ws(name: str) -> KlineInterval:
    try:
        return _FROM_WS[name]
    except KeyError:
        raise ValueError(f"unknown MEXC WebSocket kline interval {name!r}") from None
