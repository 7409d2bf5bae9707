"""Exchange-neutral REST transport: one pooled aiohttp session, signing, retries, rate limits.

A plugin builds one :class:`RestTransport` per base URL and plugs in what is exchange specific:

* a :class:`RequestSigner` (called once per attempt, so a retry carries a fresh timestamp),
* an :class:`ErrorClassifier` (non-2xx response -> exception; :class:`DefaultErrorClassifier` otherwise),
* a :class:`~exchanges.ratelimit.RateLimiter` and each call's :class:`EndpointCost`,
* a :class:`~exchanges.strategies.RetryStrategy` (default ``ExponentialBackoffRetry(max_attempts=3)``).

Safety rules, because an order sent twice costs real money:

* Only idempotent requests are retried (GET by default; ``idempotent=True`` for e.g. a cancel).
* A non-idempotent request that may have reached the server (timeout, connection lost after
  connecting, 5xx, unreadable 2xx body) raises :class:`~exchanges.errors.OrderOutcomeUnknown` carrying
  the caller's ``context`` (``symbol``, ``client_order_id``) so it can be reconciled. It is never re-sent.
* A connection that provably failed before anything was sent (refused, DNS, TLS handshake, connect
  timeout) raises a plain :class:`~exchanges.errors.ExchangeConnectionError`: nothing happened.
* 4xx business errors raise the classified exception at once. 429/418 also pause the request's
  rate-limit pools for ``Retry-After`` seconds (1 s when the server gives none), never longer than
  ``max_retry_after``; a longer (or non-finite) ``Retry-After`` is not waited for: the
  :class:`~exchanges.errors.RateLimitError` (carrying the server's value) is raised at once and no
  retry is attempted.

Bounded waits and fair sending:

* Timeouts must be finite and positive (:class:`~exchanges.errors.ConfigurationError` otherwise).
* A connection gate (``_rest_gate.ConnectionGate``) sized like the pool sits in front of the
  rate limiter: a request holding a slot always finds a free connection, so its timeout starts when it
  leaves (not while it queues), and ``priority`` requests (orders, cancels, their lookups; by default
  every non-GET) may use ``reserved_connections`` slots that ordinary reads cannot, and are served first.
* The rate limiter books weight with ``hold=True`` and releases it when the answer is in (see
  :mod:`exchanges.ratelimit`): our window ends after the server's.
* An answer larger than ``max_body_bytes`` is never read whole: it raises
  :class:`~exchanges.errors.ProtocolError` (for a write: an unknown outcome) after at most that many bytes.
* ``trace``: a :class:`SendTrace` records when each attempt was signed, so a caller can compute from
  the timestamp actually sent (orders: the settle point after which a lost order cannot be accepted).

Parameters always travel in the query string, also for POST and DELETE (as MEXC expects); the URL is
built with ``encoded=True`` so a signed query is sent exactly as signed. Bodies are decoded with
msgspec (an empty body is ``{}``), or returned as bytes with ``raw=True`` so a plugin decodes them
once, straight into its typed shapes. TLS verification is always on.

Secrets: the query string (signature, API-key-derived values) never appears in log lines,
exception messages or metric names; messages name only ``METHOD path``.

Layout: this module decides *whether* to send (gate, retries, unknown outcomes);
``_rest_attempt`` does one round trip (limiter booking, signing, capped read, classification);
``_rest_policy`` holds the bounds and :class:`SendTrace`; ``_rest_support`` the pure wire helpers;
``_rest_gate`` the connection gate; ``_rest_metrics`` the metrics.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from exchanges.errors import (
    ConfigurationError,
    ExchangeConnectionError,
    ExchangeError,
    ExchangeServerError,
    OrderOutcomeUnknown,
    ProtocolError,
    RateLimitError,
)
from exchanges.metrics import MetricsRegistry
from exchanges.ratelimit import EndpointCost, PoolLimit, RateLimiter
from exchanges.strategies import ExponentialBackoffRetry, RetryStrategy
from exchanges.transport._rest_attempt import AttemptSender, NotSent
from exchanges.transport._rest_gate import ConnectionGate
from exchanges.transport._rest_metrics import CountingConnector, TransportMetrics
from exchanges.transport._rest_policy import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_RETRY_AFTER,
    SendTrace,
    check_timeout,
    exceeds_cap,
)
from exchanges.transport._rest_support import (
    DefaultErrorClassifier,
    ErrorClassifier,
    Params,
    RequestSigner,
    encode_query,
    error_envelope,
    is_unreserved,
    normalise_params,
    parse_retry_after,
    plain_decimal,
)

# The stated plugin API of the REST side: the transport, the hooks a plugin implements (signer,
# error classifier) and the pure wire helpers a plugin's own signer/classifier reuses.
__all__ = [
    "DefaultErrorClassifier",
    "EndpointCost",
    "ErrorClassifier",
    "Params",
    "PoolLimit",
    "RateLimiter",
    "RequestSigner",
    "RestTransport",
    "SendTrace",
    "check_timeout",
    "encode_query",
    "error_envelope",
    "exceeds_cap",
    "is_unreserved",
    "parse_retry_after",
    "plain_decimal",
]

logger = logging.getLogger("exchanges.transport.rest")


class RestTransport:
    """One pooled HTTP client for one exchange base URL. See the module docstring."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        metrics: MetricsRegistry,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        pool_size: int = 10,
        retry: RetryStrategy | None = None,
        limiter: RateLimiter | None = None,
        classifier: ErrorClassifier | None = None,
        signer: RequestSigner | None = None,
        headers: Mapping[str, str] | None = None,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        reserved_connections: int | None = None,
    ) -> None:
        self.name = name
        self.timeout = check_timeout("timeout", timeout)
        self.connect_timeout = check_timeout("connect_timeout", connect_timeout)
        max_retry_after = check_timeout("max_retry_after", max_retry_after)
        if pool_size < 1:
            raise ConfigurationError(f"pool_size must be at least 1, got {pool_size!r}")
        if max_body_bytes < 1:
            raise ConfigurationError(f"max_body_bytes must be at least 1, got {max_body_bytes!r}")
        if reserved_connections is None:
            reserved_connections = max(1, pool_size // 5) if pool_size > 1 else 0
        if not 0 <= reserved_connections < pool_size:
            raise ConfigurationError(
                f"reserved_connections must be in 0..{pool_size - 1} (below pool_size), "
                f"got {reserved_connections!r}"
            )
        self.pool_size = pool_size
        self.gate = ConnectionGate(pool_size, reserved_connections)
        self.retry: RetryStrategy = retry or ExponentialBackoffRetry(max_attempts=3)
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self._headers.update(headers or {})
        self.metrics = TransportMetrics(metrics)
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}
        # The sender owns what one attempt needs (URL, limiter, signer, classifier, caps); the
        # properties below read it from there.
        self._sender = AttemptSender(
            name=name,
            base_url=base_url.rstrip("/"),
            session=lambda: self.session,
            metrics=self.metrics,
            limiter=limiter,
            classifier=classifier or DefaultErrorClassifier(exchange=name),
            signer=signer,
            max_body_bytes=max_body_bytes,
            max_retry_after=max_retry_after,
        )

    @property
    def base_url(self) -> str:
        """The exchange's base URL (no trailing slash); settable, e.g. to point a test elsewhere."""
        return self._sender.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._sender.base_url = value.rstrip("/")

    @property
    def limiter(self) -> RateLimiter | None:
        return self._sender.limiter

    @property
    def classifier(self) -> ErrorClassifier:
        return self._sender.classifier

    @property
    def signer(self) -> RequestSigner | None:
        return self._sender.signer

    @property
    def max_body_bytes(self) -> int:
        return self._sender.max_body_bytes

    @property
    def max_retry_after(self) -> float:
        return self._sender.max_retry_after

    def __repr__(self) -> str:
        return f"RestTransport(name={self.name!r}, base_url={self.base_url!r})"

    async def __aenter__(self) -> RestTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The pooled session, created on first use inside the running event loop."""
        session = self._session
        if session is None or session.closed:
            # Connection reuse is counted by the connector, not by a TraceConfig (see rest_metrics).
            connector = CountingConnector(
                self.metrics, limit=self.pool_size, keepalive_timeout=30, ttl_dns_cache=300
            )
            session = self._session = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                raise_for_status=False,
            )
        return session

    def connection_reuse_rate(self) -> float:
        """Percentage (0-100) of HTTP requests sent over a reused keep-alive connection."""
        return self.metrics.connection_reuse_rate()

    async def close(self) -> None:
        """Close the session and its connections. The transport may be used again afterwards."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _client_timeout(self, total: float) -> aiohttp.ClientTimeout:
        found = self._timeouts.get(total)
        if found is None:
            found = self._timeouts[total] = aiohttp.ClientTimeout(
                total=total, sock_connect=min(self.connect_timeout, total)
            )
        return found

    async def request(
        self,
        method: str,
        path: str,
        params: Params | Mapping[str, Any] | None = None,
        *,
        signed: bool = False,
        cost: EndpointCost | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - per-request HTTP timeout, part of the contract
        context: Mapping[str, Any] | None = None,
        raw: bool = False,
        priority: bool | None = None,
        trace: SendTrace | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """Send a request and return its JSON-decoded body (``{}`` when empty), or with ``raw=True`` the
        2xx body's bytes undecoded (``b""`` when empty), for the caller's typed decoder.

        ``body`` is sent as the request body with ``content_type`` (a signer signs the query only; an
        exchange that signs bodies does it before calling). ``timeout`` counts from when the request
        leaves (after the connection gate and the rate
        limiter). ``priority`` (default: every method but GET) uses the reserved connections.

        Raises the classified :class:`~exchanges.errors.ExchangeError` subclass,
        :class:`~exchanges.errors.ExchangeConnectionError`, :class:`~exchanges.errors.ProtocolError`
        (an oversized answer), or :class:`~exchanges.errors.OrderOutcomeUnknown` for a non-idempotent
        request whose fate is unknown.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method == "GET"
        if priority is None:
            priority = method != "GET"
        if signed and self.signer is None:
            raise ConfigurationError(f"{method} {path} needs signing but the transport has no signer")
        pairs = normalise_params(params)
        endpoint = self.metrics.endpoint(method, path)
        client_timeout = self._client_timeout(
            self.timeout if timeout is None else check_timeout("timeout", timeout)
        )
        send = self._sender.attempt
        gate = self.gate
        attempt = 0
        while True:
            attempt += 1
            try:
                if not gate.try_enter(priority):
                    await gate.enter(priority)
                try:
                    return await send(
                        method,
                        path,
                        pairs,
                        signed,
                        cost,
                        client_timeout,
                        endpoint,
                        trace,
                        raw,
                        body,
                        content_type,
                    )
                finally:
                    gate.leave()
            except ExchangeError as error:
                if self._waits_too_long(error):
                    raise
                if not (idempotent and self.retry.should_retry(attempt, error)):
                    if isinstance(error, NotSent):  # nothing was sent: never an unknown outcome
                        raise error.public() from error.__cause__
                    if not idempotent and self._outcome_unknown(error):
                        raise self._unknown(method, path, error, context) from error
                    raise
                delay = self.retry.calculate_delay(attempt, error)
                endpoint.retries.inc()
                self.metrics.retries.inc()
                logger.info(
                    "%s: retrying %s %s in %.2f s after %s (attempt %d of %d)",
                    self.name,
                    method,
                    path,
                    delay,
                    type(error).__name__,
                    attempt + 1,
                    self.retry.max_attempts,
                )
                await asyncio.sleep(delay)

    def _waits_too_long(self, error: ExchangeError) -> bool:
        """A 429/418 whose ``Retry-After`` is above ``max_retry_after`` (or not finite): not waited for."""
        return isinstance(error, RateLimitError) and exceeds_cap(error.retry_after, self.max_retry_after)

    @staticmethod
    def _outcome_unknown(error: ExchangeError) -> bool:
        """A write that failed this way may have been executed (the request may have been sent)."""
        return isinstance(error, (ExchangeConnectionError, ExchangeServerError, ProtocolError))

    def _unknown(
        self, method: str, path: str, error: ExchangeError, context: Mapping[str, Any] | None
    ) -> OrderOutcomeUnknown:
        """The error for a non-idempotent request whose fate is unknown: reconcile, never re-send."""
        self.metrics.outcome_unknown.inc()
        context = context or {}
        client_order_id = context.get("client_order_id")
        logger.error(
            "%s: outcome of %s %s unknown after %s (client_order_id=%s); reconcile before re-sending",
            self.name,
            method,
            path,
            type(error).__name__,
            client_order_id,
        )
        return OrderOutcomeUnknown(
            f"{method} {path}: outcome unknown after {type(error).__name__}: {error.message}",
            symbol=context.get("symbol"),
            client_order_id=None if client_order_id is None else str(client_order_id),
            cause=error,
            exchange=self.name,
        )
