"""The MEXC plugin's own settings: what only MEXC has, typed and validated.

The core's :class:`~exchanges.config.ExchangeConfig` holds exchange-neutral knobs; these live in its
``settings`` field and are set the same ways (``[mexc_spot]`` in ``exchanges.toml``,
``EXCHANGES_MEXC_SPOT_<KEY>``, ``overrides={...}``), lowest to highest. A bad value raises
``ConfigurationError`` naming the key before anything connects.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from exchanges.config import ExchangeConfig
from exchanges_mexc.constants import DEFAULT_RECV_WINDOW_MS, MAX_RECV_WINDOW_MS

__all__ = ["STREAM_INTERVALS", "MexcSettings", "mexc_settings"]

STREAM_INTERVALS = ("100ms", "10ms")
"""Update intervals MEXC offers for its aggregated channels (``...aggre.depth.v3.api.pb@100ms``)."""
MAX_SUBSCRIPTIONS = 30
"""MEXC accepts at most 30 channels per WebSocket connection."""


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not (value > 0 and math.isfinite(value)):  # NaN fails the comparison, inf the finiteness
        raise ValueError(f"{attribute.name} must be a finite number above 0, got {value!r}")


def _seconds(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{attribute.name} must be a finite number of seconds, 0 or more, got {value!r}")


def _not_negative(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value!r}")


def _recv_window(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 < value <= MAX_RECV_WINDOW_MS:
        raise ValueError(f"{attribute.name} must be in 1..{MAX_RECV_WINDOW_MS} ms, got {value!r}")


def _subscriptions(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 < value <= MAX_SUBSCRIPTIONS:
        raise ValueError(f"{attribute.name} must be in 1..{MAX_SUBSCRIPTIONS} (MEXC's cap), got {value!r}")


def _interval(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in STREAM_INTERVALS:
        raise ValueError(f"{attribute.name} must be one of {', '.join(STREAM_INTERVALS)}, got {value!r}")


@attrs.frozen(slots=True)
class MexcSettings:
    """MEXC-only knobs, with MEXC's documented limits as defaults (docs/configuration.md)."""

    recv_window_ms: int = attrs.field(default=DEFAULT_RECV_WINDOW_MS, validator=_recv_window)
    """``recvWindow`` of signed requests: how long MEXC accepts a signed timestamp (max 60000)."""
    ip_weight_limit: int = attrs.field(default=500, validator=_positive)
    """Request weight per window of the IP pool (public endpoints)."""
    uid_weight_limit: int = attrs.field(default=500, validator=_positive)
    """Request weight per window of the UID pool (signed endpoints)."""
    rate_limit_window: float = attrs.field(default=10.0, validator=_positive)
    """Window of both pools, in seconds."""
    burst_allowance: int = attrs.field(default=0, validator=_not_negative)
    """Weight allowed above the limit within one window. 0: MEXC enforces its limit exactly, so any
    weight above it is answered HTTP 429 (and repeated 429s lead to an IP ban)."""
    shared_weight_pools: bool = True
    """One IP and one UID pool (MEXC's Chinese docs, the stricter reading); False: one per endpoint."""
    ws_max_subscriptions: int = attrs.field(default=MAX_SUBSCRIPTIONS, validator=_subscriptions)
    """Channels per WebSocket connection; more channels open another connection."""
    ws_stream_interval: str = attrs.field(default="100ms", validator=_interval)
    """Interval of the aggregated depth and deals channels: ``"100ms"`` or ``"10ms"``."""
    reconcile_settle_delay: float = attrs.field(default=1.0, validator=_seconds)
    """Seconds added to an order's settle point for a request accepted just before its deadline and
    still being booked (docs/mexc.md, "exactly once")."""
    reconcile_window: float = attrs.field(default=0.0, validator=_seconds)
    """Seconds of lookups for an order whose answer was lost (always reaching past its settle point);
    0: ``recvWindow`` + 1 s + ``reconcile_settle_delay`` + 15 s."""
    reconcile_backoff: float = attrs.field(default=0.1, validator=_positive)
    """First pause between failing lookups, doubled after each up to 2 s."""


def mexc_settings(config: ExchangeConfig) -> MexcSettings:
    """The MEXC settings of ``config`` (the defaults when it was built by hand without any)."""
    return config.settings_of(MexcSettings)
