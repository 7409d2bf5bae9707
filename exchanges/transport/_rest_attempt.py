"""One HTTP attempt of the REST transport: book the rate limit, sign, send, read (capped), classify.

:class:`AttemptSender` is owned by :class:`~exchanges.transport.rest.RestTransport`, which decides
*whether* to send (connection gate, retries, unknown outcomes); this module does one round trip and
turns every way it can fail into a typed :class:`~exchanges.errors.ExchangeError`:

* the rate limiter books the weight with ``hold=True`` when the attempt leaves and releases it when
  the answer is in (or the attempt failed): our sliding window ends after the server's;
* a failure while opening the connection (refused, DNS, TLS, connect timeout) is :class:`NotSent`:
  provably no byte left, the caller may say "nothing happened";
* any other transport failure is a plain :class:`~exchanges.errors.ExchangeConnectionError` (the
  request may have reached the server), an oversized answer a
  :class:`~exchanges.errors.ProtocolError` after at most ``max_body_bytes``;
* a non-2xx answer goes through the :class:`ErrorClassifier`; a 429/418 pauses the request's pools.

One coroutine per attempt (no nested awaitables of ours between the caller and aiohttp), since every
request pays for each layer.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import msgspec
from yarl import URL

from exchanges.errors import (
    ExchangeAPIError,
    ExchangeConnectionError,
    ExchangeServerError,
    ProtocolError,
    RateLimitError,
)
from exchanges.ratelimit import EndpointCost, RateLimiter
from exchanges.transport._rest_metrics import EndpointMetrics, TransportMetrics
from exchanges.transport._rest_policy import DEFAULT_RATE_LIMIT_PAUSE, SendTrace, exceeds_cap
from exchanges.transport._rest_support import ErrorClassifier, Params, RequestSigner, encode_query

logger = logging.getLogger("exchanges.transport.rest")

_READ_CHUNK = 64 * 1024
_CONNECT_ERRORS = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
"""Raised while opening the connection: no byte of the request was written."""
_WIRE_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)


class NotSent(ExchangeConnectionError):
    """Connection failed before any byte of the request was written (internal marker)."""

    def public(self) -> ExchangeConnectionError:
        """The plain error callers see (this marker class stays internal)."""
        return ExchangeConnectionError(self.message, exchange=self.exchange)


class AttemptSender:
    """Sends single attempts for one transport (see the module docstring)."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        session: Callable[[], aiohttp.ClientSession],
        metrics: TransportMetrics,
        limiter: RateLimiter | None,
        classifier: ErrorClassifier,
        signer: RequestSigner | None,
        max_body_bytes: int,
        max_retry_after: float,
    ) -> None:
        self.name = name
        self.base_url = base_url
        self._session = session
        self.metrics = metrics
        self.limiter = limiter
        self.classifier = classifier
        self.signer = signer
        self.max_body_bytes = max_body_bytes
        self.max_retry_after = max_retry_after

    async def attempt(
        self,
        method: str,
        path: str,
        pairs: Params,
        signed: bool,
        cost: EndpointCost | None,
        client_timeout: aiohttp.ClientTimeout,
        endpoint: EndpointMetrics,
        trace: SendTrace | None,
        raw: bool,
        payload: bytes | None,
        content_type: str,
    ) -> Any:
        """One round trip (the caller holds a connection-gate slot). Returns the decoded body (or its
        bytes with ``raw``); raises ExchangeError subclasses."""
        limiter = self.limiter if cost is not None else None
        if limiter is not None:
            assert cost is not None
            # Fast path: room in every pool and nobody queued -> booked without creating a coroutine.
            if not limiter.acquire_nowait(cost, hold=True):
                waited = await limiter.acquire_waiting(cost, hold=True)
                if waited:
                    endpoint.ratelimit_waits.inc()
                    self.metrics.ratelimit_waits.inc()
                    self.metrics.ratelimit_wait.record(waited)
        try:
            headers: Mapping[str, str] | None = None
            if signed:
                signer = self.signer
                assert signer is not None  # checked by the transport
                query, headers = signer.sign(method, path, pairs)
                if trace is not None:
                    trace.mark_signed(asyncio.get_running_loop().time())
            else:
                query = encode_query(pairs) if pairs else ""
            base = self.base_url
            url = URL(f"{base}{path}?{query}" if query else f"{base}{path}", encoded=True)
            if payload is not None:
                headers = {**(headers or {}), "Content-Type": content_type}
            endpoint.requests.value += 1
            start = time.perf_counter()
            try:
                async with self._session().request(
                    method, url, headers=headers, data=payload, timeout=client_timeout
                ) as resp:
                    body = await self._read_capped(resp, method, path)
                    status = resp.status
                    answer_headers = resp.headers
            except _CONNECT_ERRORS as exc:
                self._count_connection_error(endpoint, start)
                raise NotSent(
                    f"{method} {path}: cannot connect ({type(exc).__name__})", exchange=self.name
                ) from exc
            except ProtocolError:
                endpoint.errors.inc()
                raise
            except _WIRE_ERRORS as exc:
                self._count_connection_error(endpoint, start)
                detail = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
                raise ExchangeConnectionError(f"{method} {path}: {detail}", exchange=self.name) from exc
            endpoint.latency.record(time.perf_counter() - start)
        finally:
            if limiter is not None:
                assert cost is not None
                limiter.release(cost)  # the server has seen it (or never will): its window starts by now
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
        raise self._refused(status, body, answer_headers, method, path, cost)

    def _refused(
        self,
        status: int,
        body: bytes,
        headers: Mapping[str, str],
        method: str,
        path: str,
        cost: EndpointCost | None,
    ) -> Exception:
        """The classified error of a non-2xx answer; a 429/418 also pauses the request's pools."""
        error = self.classifier.classify(status, body, headers, method, path)
        if isinstance(error, RateLimitError):
            self.metrics.rate_limit_errors.inc()
            asked = error.retry_after
            pause = min(DEFAULT_RATE_LIMIT_PAUSE if asked is None else asked, self.max_retry_after)
            if not math.isfinite(pause):  # NaN
                pause = self.max_retry_after
            logger.warning(
                "%s: rate limit reached on %s %s (HTTP %d, Retry-After %s), pausing for %.1f s%s",
                self.name,
                method,
                path,
                status,
                asked,
                pause,
                "; above max_retry_after: not retried" if exceeds_cap(asked, self.max_retry_after) else "",
            )
            if cost is not None and self.limiter is not None:
                self.limiter.pause(cost.weights.keys(), pause)
        elif isinstance(error, ExchangeAPIError):
            self.metrics.api_errors.inc()
        return error

    async def _read_capped(self, resp: aiohttp.ClientResponse, method: str, path: str) -> bytes:
        """The whole body, refusing (before reading it all) one longer than ``max_body_bytes``."""
        cap = self.max_body_bytes
        declared = resp.content_length
        if declared is not None and declared > cap:
            raise self._too_large(method, path, f"declares {declared} bytes")
        if declared is not None and "Content-Encoding" not in resp.headers:
            return await resp.read()  # aiohttp stops at Content-Length (no decompression to grow it)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(_READ_CHUNK):
            size += len(chunk)
            if size > cap:
                raise self._too_large(method, path, f"sent more than {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, method: str, path: str, detail: str) -> ProtocolError:
        return ProtocolError(
            f"answer {detail}, above the body cap of {self.max_body_bytes} bytes (max_response_bytes)",
            source=f"{method} {path}",
            exchange=self.name,
        )

    def _count_connection_error(self, endpoint: EndpointMetrics, start: float) -> None:
        endpoint.errors.inc()
        endpoint.latency.record(time.perf_counter() - start)
        self.metrics.connection_errors.inc()
