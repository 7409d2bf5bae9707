"""Wire shapes of the lease and member buckets (JSON values written by gateways)."""

from __future__ import annotations

import msgspec


class LeaseValue(msgspec.Struct, frozen=True):
    holder: str
    since: float
    handoff: bool = False


class MemberInfo(msgspec.Struct):
    """What a gateway tells its group (and ``exchanges gateway status``) every round."""

    id: str
    host: str
    pid: int
    started: float
    symbols: list[str] = msgspec.field(default_factory=list)
    lease_ages: dict[str, float] = msgspec.field(default_factory=dict)
    rates: dict[str, float] = msgspec.field(default_factory=dict)
    lag_ms: float = 0.0
    publish_errors: int = 0
    sent_at: float = 0.0
    channels: list[str] = msgspec.field(default_factory=list)
    """The channels published, as in the subjects (``book``, ``trade``, ... ``kline_1m``)."""
    trade_gaps: int = 0
    """Gap markers published (publisher starts, its own exchange reconnects, failed publishes)."""


class Liveness(msgspec.Struct, frozen=True):
    """A gateway's per-interval proof of life for the symbols it publishes right now (core NATS, not
    stored): ``v`` maps each symbol token whose book is LIVE and published to its last published
    version. A consumer that hears neither a delta nor this for a symbol within its deadline marks
    the book STALE."""

    g: str
    v: dict[str, int] = msgspec.field(default_factory=dict)
    c: list[str] = msgspec.field(default_factory=list)
    """The channels the gateway publishes, as in the subjects (``kline_1m``); empty: not said."""
