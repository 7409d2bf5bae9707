"""The REST transport's bounds and its record of what was sent: timeouts, ``Retry-After`` cap, SendTrace.

Pure, no I/O: the rules :class:`~exchanges.transport.rest.RestTransport` and a plugin's placement logic
share (a ``Retry-After`` above the cap is never waited for; a timeout is a finite number of seconds).
Re-exported by :mod:`exchanges.transport.rest`, the stated API.
"""

from __future__ import annotations

import math

from exchanges.errors import ConfigurationError

DEFAULT_RATE_LIMIT_PAUSE = 1.0
"""Seconds to pause a pool after a 429/418 that carried no ``Retry-After``."""

DEFAULT_MAX_RETRY_AFTER = 10.0
"""Longest ``Retry-After`` (seconds) a transport waits for by default; longer ones raise at once."""

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
"""Largest answer body read by default (MEXC's full exchangeInfo is a few MB)."""


def check_timeout(name: str, value: float) -> float:
    """``value`` if it is a finite number of seconds above zero, else ConfigurationError naming ``name``.

    aiohttp reads 0 and None as "no timeout" and fails inside on ``inf``: a bounded wait needs a real one.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{name} must be a number of seconds, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"{name} must be a finite number of seconds above 0, got {value!r}")
    return float(value)


def exceeds_cap(retry_after: float | None, cap: float) -> bool:
    """True when a server's ``Retry-After`` is longer than ``cap`` or not a finite number."""
    return retry_after is not None and not (math.isfinite(retry_after) and retry_after <= cap)


class SendTrace:
    """What happened to one request on its way out, filled in by :meth:`RestTransport.request`.

    ``signed_at``: the event-loop time (``loop.time()``) at which the latest attempt was signed, i.e.
    when its timestamp was taken; None while nothing was signed (so nothing was sent). ``attempts``:
    how many attempts were signed.
    """

    __slots__ = ("attempts", "signed_at")

    def __init__(self) -> None:
        self.signed_at: float | None = None
        self.attempts = 0

    def mark_signed(self, when: float) -> None:
        self.signed_at = when
        self.attempts += 1
