"""MEXC spot WebSocket channel names: builders, validation and parsing (API.md §9.4).

Only the current protobuf channels (names ending ``.v3.api.pb``) are built here. The spec's older
JSON names (``spot@public.limit.depth.v3.api@...``, ``spot@public.ticker.v3.api@...``) are answered
by MEXC with "Blocked!" and are deliberately not offered.

Builders take MEXC pair strings (``"BTCUSDT"``) and validate every parameter, so a typo fails at
the call site with a ``ValueError`` instead of as a silent server-side rejection.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import NamedTuple

from exchanges.models import KlineInterval
from exchanges_mexc.parsing.enums import WS_INTERVAL_BY_NAME, WS_INTERVALS

PREFIX_PUBLIC = "spot@public."
SUFFIX = ".v3.api.pb"

STREAM_INTERVALS: tuple[str, ...] = ("100ms", "10ms")
"""Push aggregation intervals of the aggre.* channels."""

LIMIT_DEPTH_LEVELS: tuple[int, ...] = (5, 10, 20)

KLINE_INTERVALS: Mapping[KlineInterval, str] = WS_INTERVALS
"""Our intervals -> MEXC WebSocket kline names (REST uses other names: ``60m``, ``1W``...); one table,
in :mod:`exchanges_mexc.parsing.enums`, shared with the kline parser."""

KLINE_INTERVALS_BY_WIRE: Mapping[str, KlineInterval] = WS_INTERVAL_BY_NAME

MINI_TICKER_TIMEZONES: tuple[str, ...] = (
    "24H",
    "UTC-10",
    "UTC-8",
    "UTC-7",
    "UTC-6",
    "UTC-5",
    "UTC-4",
    "UTC-3",
    "UTC+0",
    "UTC+1",
    "UTC+2",
    "UTC+3",
    "UTC+4",
    "UTC+4:30",
    "UTC+5",
    "UTC+5:30",
    "UTC+6",
    "UTC+7",
    "UTC+8",
    "UTC+9",
    "UTC+10",
    "UTC+11",
    "UTC+12",
    "UTC+12:45",
    "UTC+13",
)
"""Time zones accepted by the miniTicker(s) channels; ``24H`` is the rolling 24 h window."""

PRIVATE_ACCOUNT = "spot@private.account.v3.api.pb"
PRIVATE_ORDERS = "spot@private.orders.v3.api.pb"
PRIVATE_DEALS = "spot@private.deals.v3.api.pb"
PRIVATE_CHANNELS: tuple[str, ...] = (PRIVATE_ACCOUNT, PRIVATE_ORDERS, PRIVATE_DEALS)


class ChannelKind(enum.Enum):
    """What a channel carries; the value is the name fragment between ``spot@public.`` and ``.v3``."""

    AGGRE_DEALS = "aggre.deals"
    AGGRE_DEPTH = "aggre.depth"
    AGGRE_BOOK_TICKER = "aggre.bookTicker"
    BOOK_TICKER_BATCH = "bookTicker.batch"
    LIMIT_DEPTH = "limit.depth"
    KLINE = "kline"
    MINI_TICKER = "miniTicker"
    MINI_TICKERS = "miniTickers"
    PRIVATE_ACCOUNT = "private.account"
    PRIVATE_ORDERS = "private.orders"
    PRIVATE_DEALS = "private.deals"


class Channel(NamedTuple):
    """A parsed channel name. ``pair`` is None for all-symbol and private channels; ``param`` is the
    interval, depth level, kline interval or time zone (None when the channel has none)."""

    kind: ChannelKind
    pair: str | None
    param: str | None


def validate_pair(pair: str) -> str:
    """A MEXC pair must be non-empty, upper case and alphanumeric (MEXC ignores lower case)."""
    if not pair or not pair.isalnum() or pair != pair.upper():
        raise ValueError(f"MEXC pair must be upper-case alphanumeric such as 'BTCUSDT', got {pair!r}")
    return pair


def validate_interval(interval: str) -> str:
    if interval not in STREAM_INTERVALS:
        raise ValueError(f"stream interval must be one of {STREAM_INTERVALS}, got {interval!r}")
    return interval


def validate_timezone(timezone: str) -> str:
    if timezone not in MINI_TICKER_TIMEZONES:
        raise ValueError(f"miniTicker time zone must be one of {MINI_TICKER_TIMEZONES}, got {timezone!r}")
    return timezone


def kline_wire_interval(interval: KlineInterval | str) -> str:
    """``KlineInterval.HOUR_1`` -> ``"Min60"``; a wire name such as ``"Min60"`` passes through."""
    if isinstance(interval, KlineInterval):
        return KLINE_INTERVALS[interval]
    if interval not in KLINE_INTERVALS_BY_WIRE:
        raise ValueError(f"kline interval must be one of {tuple(KLINE_INTERVALS_BY_WIRE)}, got {interval!r}")
    return interval


def aggre_deals(pair: str, interval: str = "100ms") -> str:
    """Aggregated public trades: ``spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT``."""
    return f"spot@public.aggre.deals{SUFFIX}@{validate_interval(interval)}@{validate_pair(pair)}"


def aggre_depth(pair: str, interval: str = "100ms") -> str:
    """Incremental depth with fromVersion/toVersion (the local order book feed)."""
    return f"spot@public.aggre.depth{SUFFIX}@{validate_interval(interval)}@{validate_pair(pair)}"


def aggre_book_ticker(pair: str, interval: str = "100ms") -> str:
    """Best bid/ask per interval."""
    return f"spot@public.aggre.bookTicker{SUFFIX}@{validate_interval(interval)}@{validate_pair(pair)}"


def book_ticker_batch(pair: str) -> str:
    """Batched best bid/ask pushes."""
    return f"spot@public.bookTicker.batch{SUFFIX}@{validate_pair(pair)}"


def limit_depth(pair: str, level: int = 20) -> str:
    """Partial book snapshots of 5, 10 or 20 levels: ``spot@public.limit.depth.v3.api.pb@BTCUSDT@20``."""
    if level not in LIMIT_DEPTH_LEVELS:
        raise ValueError(f"limit depth level must be one of {LIMIT_DEPTH_LEVELS}, got {level!r}")
    return f"spot@public.limit.depth{SUFFIX}@{validate_pair(pair)}@{level}"


def kline(pair: str, interval: KlineInterval | str = KlineInterval.MINUTE_1) -> str:
    """Current candle: ``spot@public.kline.v3.api.pb@BTCUSDT@Min1``."""
    return f"spot@public.kline{SUFFIX}@{validate_pair(pair)}@{kline_wire_interval(interval)}"


def mini_ticker(pair: str, timezone: str = "24H") -> str:
    """24 h statistics of one symbol every 3 s: ``spot@public.miniTicker.v3.api.pb@BTCUSDT@UTC+8``."""
    return f"spot@public.miniTicker{SUFFIX}@{validate_pair(pair)}@{validate_timezone(timezone)}"


def mini_tickers(timezone: str = "24H") -> str:
    """Statistics of every symbol whose price changed, every 3 s."""
    return f"spot@public.miniTickers{SUFFIX}@{validate_timezone(timezone)}"


_KINDS = {kind.value: kind for kind in ChannelKind}


def parse_channel(channel: str) -> Channel:
    """Split a current channel name into kind, pair and parameter; ``ValueError`` for anything else.

    The inverse of the builders (``parse_channel(aggre_deals("BTCUSDT")).pair == "BTCUSDT"``).
    """
    head, sep, tail = channel.partition(SUFFIX)
    if not sep or not head.startswith("spot@"):
        raise ValueError(f"not a current MEXC protobuf channel: {channel!r}")
    name = head[len("spot@") :]
    private = name.startswith("private.")
    if not private:
        if not name.startswith("public."):
            raise ValueError(f"unknown MEXC channel: {channel!r}")
        name = name[len("public.") :]
    kind = _KINDS.get(name)
    if kind is None or kind.value.startswith("private.") != private:
        raise ValueError(f"unknown MEXC channel: {channel!r}")
    parts = tail.split("@")[1:] if tail else []
    if kind in (ChannelKind.PRIVATE_ACCOUNT, ChannelKind.PRIVATE_ORDERS, ChannelKind.PRIVATE_DEALS):
        if parts:
            raise ValueError(f"private channels take no parameters: {channel!r}")
        return Channel(kind, None, None)
    if kind in (ChannelKind.AGGRE_DEALS, ChannelKind.AGGRE_DEPTH, ChannelKind.AGGRE_BOOK_TICKER):
        if len(parts) != 2:
            raise ValueError(f"expected <interval>@<PAIR> in {channel!r}")
        return Channel(kind, validate_pair(parts[1]), validate_interval(parts[0]))
    if kind is ChannelKind.BOOK_TICKER_BATCH:
        if len(parts) != 1:
            raise ValueError(f"expected @<PAIR> in {channel!r}")
        return Channel(kind, validate_pair(parts[0]), None)
    if kind is ChannelKind.MINI_TICKERS:
        if len(parts) != 1:
            raise ValueError(f"expected @<TZ> in {channel!r}")
        return Channel(kind, None, validate_timezone(parts[0]))
    if len(parts) != 2:
        raise ValueError(f"expected @<PAIR>@<param> in {channel!r}")
    pair, param = validate_pair(parts[0]), parts[1]
    if kind is ChannelKind.LIMIT_DEPTH:
        if not param.isdigit() or int(param) not in LIMIT_DEPTH_LEVELS:
            raise ValueError(f"limit depth level must be one of {LIMIT_DEPTH_LEVELS}: {channel!r}")
    elif kind is ChannelKind.KLINE:
        kline_wire_interval(param)
    else:
        validate_timezone(param)
    return Channel(kind, pair, param)


def is_current_channel(channel: str) -> bool:
    """True for a valid current (protobuf) channel name."""
    try:
        parse_channel(channel)
    except ValueError:
        return False
    return True
