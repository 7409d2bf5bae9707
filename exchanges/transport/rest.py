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
  rate-limit pools for ``Retry-After`` seconds (1 s when the server gives none).

Parameters always travel in the query string, also for POST and DELETE (as MEXC expects); the URL is
built with ``encoded=True`` so a signed query is sent exactly as signed. Bodies are decoded with
msgspec (an empty body is ``{}``), or returned as bytes with ``raw=True`` so a plugin decodes them
once, straight into its typed shapes. TLS verification is always on.

Secrets: the query string (signature, API-key-derived values) never appears in log lines,
exception messages or metric names; messages name only ``METHOD path``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import msgspec
from yarl import URL

from exchanges.errors import (
    ConfigurationError,
    ExchangeAPIError,
    ExchangeConnectionError,
    ExchangeError,
    ExchangeServerError,
    OrderOutcomeUnknown,
    RateLimitError,
)
from exchanges.metrics import MetricsRegistry
from exchanges.ratelimit import EndpointCost, PoolLimit, RateLimiter
from exchanges.strategies import ExponentialBackoffRetry, RetryStrategy
from exchanges.transport._rest_metrics import CountingConnector, EndpointMetrics, TransportMetrics
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
    "encode_query",
    "error_envelope",
    "is_unreserved",
    "parse_retry_after",
    "plain_decimal",
]

logger = logging.getLogger("exchanges.transport.rest")

DEFAULT_RATE_LIMIT_PAUSE = 1.0
"""Seconds to pause a pool after a 429/418 that carried no ``Retry-After``."""


class _NotSent(ExchangeConnectionError):
    """Connection failed before any byte of the request was written (internal marker)."""

    def public(self) -> ExchangeConnectionError:
        """The plain error callers see (this marker class stays internal)."""
        return ExchangeConnectionError(self.message, exchange=self.exchange)


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.pool_size = pool_size
        self.retry: RetryStrategy = retry or ExponentialBackoffRetry(max_attempts=3)
        self.limiter = limiter
        self.classifier: ErrorClassifier = classifier or DefaultErrorClassifier(exchange=name)
        self.signer = signer
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self._headers.update(headers or {})
        self.metrics = TransportMetrics(metrics)
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

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
    ) -> Any:
        """Send a request and return its JSON-decoded body (``{}`` when empty), or with ``raw=True`` the
        2xx body's bytes undecoded (``b""`` when empty), for the caller's typed decoder.

        Raises the classified :class:`~exchanges.errors.ExchangeError` subclass,
        :class:`~exchanges.errors.ExchangeConnectionError`, or
        :class:`~exchanges.errors.OrderOutcomeUnknown` for a non-idempotent request whose fate is unknown.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method == "GET"
        if signed and self.signer is None:
            raise ConfigurationError(f"{method} {path} needs signing but the transport has no signer")
        pairs = normalise_params(params)
        endpoint = self.metrics.endpoint(method, path)
        client_timeout = self._client_timeout(self.timeout if timeout is None else timeout)
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(method, path, pairs, signed, cost, client_timeout, endpoint, raw)
            except ExchangeError as error:
                if not (idempotent and self.retry.should_retry(attempt, error)):
                    if isinstance(error, _NotSent):  # nothing was sent: never an unknown outcome
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

    @staticmethod
    def _outcome_unknown(error: ExchangeError) -> bool:
        """A write that failed this way may have been executed (the request may have been sent)."""
        return isinstance(error, (ExchangeConnectionError, ExchangeServerError))

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

    async def _attempt(
        self,
        method: str,
        path: str,
        pairs: Params,
        signed: bool,
        cost: EndpointCost | None,
        client_timeout: aiohttp.ClientTimeout,
        endpoint: EndpointMetrics,
        raw: bool = False,
    ) -> Any:
        """One HTTP round trip: rate limit, sign, send, classify. Raises ExchangeError subclasses."""
        limiter = self.limiter
        # Fast path: room in every pool and nobody queued -> booked without creating a coroutine.
        if cost is not None and limiter is not None and not limiter.acquire_nowait(cost):
            waited = await limiter.acquire_waiting(cost)
            if waited:
                endpoint.ratelimit_waits.inc()
                self.metrics.ratelimit_waits.inc()
                self.metrics.ratelimit_wait.record(waited)
        extra_headers: Mapping[str, str] | None = None
        if signed:
            assert self.signer is not None  # checked in request()
            query, extra_headers = self.signer.sign(method, path, pairs)
        else:
            query = encode_query(pairs) if pairs else ""
        url = URL(f"{self.base_url}{path}?{query}" if query else f"{self.base_url}{path}", encoded=True)
        session = self.session
        endpoint.requests.inc()
        start = time.perf_counter()
        try:
            async with session.request(method, url, headers=extra_headers, timeout=client_timeout) as resp:
                body = await resp.read()
                status = resp.status
                headers = resp.headers
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Raised while opening the connection: no byte of the request was written.
            self._count_connection_error(endpoint, start)
            raise _NotSent(
                f"{method} {path}: cannot connect ({type(exc).__name__})", exchange=self.name
            ) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self._count_connection_error(endpoint, start)
            detail = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            raise ExchangeConnectionError(f"{method} {path}: {detail}", exchange=self.name) from exc
        endpoint.latency.record(time.perf_counter() - start)
        if 200 <= status < 300:
            if raw:
                return body
            if not body:
                return {}
            try:
                return msgspec.json.decode(body)
            except msgspec.DecodeError as exc:
                endpoint.errors.inc()
                raise ExchangeServerError(
                    f"{method} {path}: response is not valid JSON", status=status, exchange=self.name
                ) from exc
        endpoint.errors.inc()
        error = self.classifier.classify(status, body, headers, method, path)
        if isinstance(error, RateLimitError):
            self.metrics.rate_limit_errors.inc()
            pause = error.retry_after if error.retry_after is not None else DEFAULT_RATE_LIMIT_PAUSE
            logger.warning(
                "%s: rate limit reached on %s %s (HTTP %d), pausing for %.1f s",
                self.name,
                method,
                path,
                status,
                pause,
            )
            if cost is not None and self.limiter is not None:
                self.limiter.pause(cost.weights.keys(), pause)
        elif isinstance(error, ExchangeAPIError):
            self.metrics.api_errors.inc()
        raise error

    def _count_connection_error(self, endpoint: EndpointMetrics, start: float) -> None:
        endpoint.errors.inc()
        endpoint.latency.record(time.perf_counter() - start)
        self.metrics.connection_errors.inc()
