"""The pluggable policies of the transport, as Protocols with sensible defaults.

A plugin passes its own implementation wherever an exchange behaves differently:

* :class:`ConnectionStrategy`: how to open a WebSocket (headers, compression, sizes), how to keep it
  alive, when to rotate it, and whether and how fast to reconnect.
* :class:`RetryStrategy`: which failed REST requests to try again and after how long.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import attrs

from exchanges.errors import ExchangeError, RateLimitError

__all__ = [
    "Backoff",
    "ConnectionStrategy",
    "DefaultConnectionStrategy",
    "ExponentialBackoffRetry",
    "ReconnectionPolicy",
    "RetryStrategy",
    "WsConnectOptions",
]


@attrs.frozen(slots=True)
class Backoff:
    """Capped exponential backoff with jitter: the framework's one delay formula.

    Wait number ``n`` (0 for the first) is ``base = min(initial_delay * factor**n, max_delay)`` plus a
    random ``0..jitter * base``, never above ``max_delay``. Reconnects (:class:`ReconnectionPolicy`),
    REST retries (:class:`ExponentialBackoffRetry`) and resyncs all use it.
    """

    initial_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.2
    """Fraction of the delay added at random, so that many clients do not retry in lockstep."""

    def __attrs_post_init__(self) -> None:
        for name in ("initial_delay", "max_delay", "jitter"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be finite and not negative, got {value!r}")
        if not (math.isfinite(self.factor) and self.factor >= 1):
            raise ValueError(f"factor must be finite and at least 1, got {self.factor!r}")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        try:
            base = min(self.initial_delay * (self.factor ** max(attempt, 0)), self.max_delay)
        except OverflowError:
            base = self.max_delay
        spread = (rng or random).random() * self.jitter * base
        return float(min(base + spread, self.max_delay))


@attrs.frozen(slots=True)
class ReconnectionPolicy:
    """How often and how fast to reconnect: attempts plus a :class:`Backoff` built from the fields.

    ``max_attempts`` None means retry forever (streams should survive long outages).
    """

    max_attempts: int | None = None
    initial_delay: float = 0.5
    backoff_factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.2
    """Fraction of the delay added at random, so that many clients do not reconnect in lockstep."""

    @property
    def backoff(self) -> Backoff:
        """The delay formula of these fields."""
        return Backoff(self.initial_delay, self.backoff_factor, self.max_delay, self.jitter)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Delay before reconnect attempt number ``attempt`` (0-based)."""
        return self.backoff.delay(attempt, rng)


@attrs.frozen(slots=True)
class WsConnectOptions:
    """Options for opening a WebSocket. Defaults send no extra headers and disable compression."""

    headers: Mapping[str, str] = attrs.field(factory=dict)
    compress: int = 0
    max_msg_size: int = 4 * 1024 * 1024
    heartbeat: float | None = None
    """Protocol-level ping interval in seconds (None: rely on the application keep-alive)."""
    open_timeout: float = 10.0


@runtime_checkable
class ConnectionStrategy(Protocol):
    """How a WebSocket connection is opened, kept alive, rotated and recovered."""

    def connect_options(self) -> WsConnectOptions: ...

    def reconnection_policy(self) -> ReconnectionPolicy: ...

    def should_reconnect(self, error: BaseException | None, close_code: int | None) -> bool:
        """After a close (``error`` None for a clean close), decide whether to reconnect."""
        ...

    @property
    def keepalive_interval(self) -> float | None:
        """Seconds between application-level pings (None: none)."""
        ...

    def keepalive_message(self) -> str | None:
        """The application-level ping to send (e.g. MEXC's ``{"method":"PING"}``)."""
        ...

    @property
    def max_connection_lifetime(self) -> float | None:
        """Rotate (open a replacement, then close) connections older than this many seconds."""
        ...


class DefaultConnectionStrategy:
    """Reconnect on anything, forever, with backoff; no keep-alive message; no rotation."""

    def __init__(
        self,
        *,
        options: WsConnectOptions | None = None,
        policy: ReconnectionPolicy | None = None,
        keepalive_interval: float | None = None,
        keepalive_message: str | None = None,
        max_connection_lifetime: float | None = None,
    ) -> None:
        self._options = options or WsConnectOptions()
        self._policy = policy or ReconnectionPolicy()
        self._keepalive_interval = keepalive_interval
        self._keepalive_message = keepalive_message
        self._max_lifetime = max_connection_lifetime

    def connect_options(self) -> WsConnectOptions:
        return self._options

    def reconnection_policy(self) -> ReconnectionPolicy:
        return self._policy

    def should_reconnect(self, error: BaseException | None, close_code: int | None) -> bool:
        return True

    @property
    def keepalive_interval(self) -> float | None:
        return self._keepalive_interval

    def keepalive_message(self) -> str | None:
        return self._keepalive_message

    @property
    def max_connection_lifetime(self) -> float | None:
        return self._max_lifetime


@runtime_checkable
class RetryStrategy(Protocol):
    """Which failures of an idempotent request to retry, and the pause before each attempt."""

    @property
    def max_attempts(self) -> int:
        """Total attempts including the first."""
        ...

    def should_retry(self, attempt: int, error: BaseException) -> bool:
        """``attempt`` is the number of attempts made so far (1 after the first failure)."""
        ...

    def calculate_delay(self, attempt: int, error: BaseException) -> float: ...


class ExponentialBackoffRetry:
    """Retry retryable errors (see ``ExchangeError.retryable``) with capped exponential backoff.

    A ``RateLimitError`` with ``retry_after`` waits at least that long, never more than ``max_delay``:
    one whose ``retry_after`` is above ``max_delay`` (or not finite) is not retried at all (raised at once
    rather than freezing the caller).
    """

    def __init__(
        self,
        max_attempts: int = 3,
        base_delay: float = 0.1,
        max_delay: float = 10.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._max_attempts = max_attempts
        self.backoff = Backoff(initial_delay=base_delay, factor=2.0, max_delay=max_delay, jitter=jitter)
        self._rng = rng or random.Random()

    @property
    def max_delay(self) -> float:
        return self.backoff.max_delay

    @property
    def max_attempts(self) -> int:
        return self._max_attempts

    def should_retry(self, attempt: int, error: BaseException) -> bool:
        if attempt >= self._max_attempts:
            return False
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            wait = error.retry_after
            if not (math.isfinite(wait) and wait <= self.max_delay):
                return False
        return isinstance(error, ExchangeError) and error.retryable

    def calculate_delay(self, attempt: int, error: BaseException) -> float:
        delay = self.backoff.delay(attempt - 1, self._rng)
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            delay = max(delay, float(error.retry_after))
        return min(delay, self.max_delay) if math.isfinite(delay) else self.max_delay
