"""Channel names the simulator serves (API.md §9.4), parsed into keys; anything else is "Blocked".

Only the current protobuf channels (``.pb``) are served; legacy JSON channels, lower-case or unknown
symbols, bad intervals/levels/time zones, and private channels on a connection without a listenKey get
``Not Subscribed successfully! [<channel>].  Reason： Blocked! `` (code 0), exactly as MEXC answers.
"""

from __future__ import annotations

from collections.abc import Container
from decimal import Decimal

import attrs

from exchanges_mexc.sim.history import WS_INTERVALS, PublicTrade

STREAM_INTERVALS = ("100ms", "10ms")
LIMIT_LEVELS = ("5", "10", "20")
TIMEZONES = (
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
PRIVATE = {
    "spot@private.account.v3.api.pb": "account",
    "spot@private.orders.v3.api.pb": "orders",
    "spot@private.deals.v3.api.pb": "privateDeals",
}


def blocked(channel: str) -> str:
    """MEXC's rejection text (full-width colon, two spaces, trailing space)."""
    return f"Not Subscribed successfully! [{channel}].  Reason： Blocked! "


def tz_offset_minutes(tz: str) -> int | None:
    """Minutes east of UTC for ``UTC+5:30`` style names; None for ``24H`` (rolling)."""
    if tz == "24H":
        return None
    sign = 1 if tz[3] == "+" else -1
    hours, _, minutes = tz[4:].partition(":")
    return sign * (int(hours) * 60 + int(minutes or 0))


@attrs.frozen
class ChannelKey:
    """A parsed channel: ``kind`` plus symbol and parameter (interval, level or time zone)."""

    kind: str
    symbol: str | None = None
    param: str = ""


def parse_channel(channel: str, symbols: Container[str], private_ok: bool) -> ChannelKey | None:
    """The key of a servable channel, or None (-> Blocked)."""
    if channel in PRIVATE:
        return ChannelKey(PRIVATE[channel]) if private_ok else None
    parts = channel.split("@")
    if len(parts) < 2 or parts[0] != "spot":
        return None
    name, args = parts[1], parts[2:]

    def listed(sym: str) -> bool:
        return sym in symbols

    if name in (
        "public.aggre.deals.v3.api.pb",
        "public.aggre.depth.v3.api.pb",
        "public.aggre.bookTicker.v3.api.pb",
    ):
        if len(args) == 2 and args[0] in STREAM_INTERVALS and listed(args[1]):
            kind = {"public.aggre.deals.v3.api.pb": "deals", "public.aggre.depth.v3.api.pb": "depth"}.get(
                name, "bookTicker"
            )
            return ChannelKey(kind, args[1], args[0])
        return None
    if name == "public.limit.depth.v3.api.pb":
        if len(args) == 2 and listed(args[0]) and args[1] in LIMIT_LEVELS:
            return ChannelKey("limitDepth", args[0], args[1])
        return None
    if name == "public.bookTicker.batch.v3.api.pb":
        return ChannelKey("batch", args[0]) if len(args) == 1 and listed(args[0]) else None
    if name == "public.kline.v3.api.pb":
        if len(args) == 2 and listed(args[0]) and args[1] in WS_INTERVALS:
            return ChannelKey("kline", args[0], args[1])
        return None
    if name == "public.miniTicker.v3.api.pb":
        if len(args) == 2 and listed(args[0]) and args[1] in TIMEZONES:
            return ChannelKey("miniTicker", args[0], args[1])
        return None
    if name == "public.miniTickers.v3.api.pb":
        return ChannelKey("miniTickers", None, args[0]) if len(args) == 1 and args[0] in TIMEZONES else None
    return None


@attrs.define(eq=False)
class ChannelState:
    """Push state of one subscribed channel (shared by all its subscribers)."""

    channel: str
    key: ChannelKey
    subscribers: set[object] = attrs.field(factory=set)
    trades: list[PublicTrade] = attrs.field(factory=list)
    dirty: set[tuple[str, Decimal]] = attrs.field(factory=set)
    next_from: int = 0
    last_version: int = -1
    last_best: object = None
