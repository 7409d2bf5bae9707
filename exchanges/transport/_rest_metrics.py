"""Metrics of the REST transport: per endpoint counters and latency, connection reuse.

Names written into the :class:`~exchanges.metrics.MetricsRegistry`:

* ``rest.<METHOD> <path>.requests`` / ``.errors`` / ``.retries`` / ``.ratelimit_waits`` counters and
  ``rest.<METHOD> <path>.latency`` histogram (seconds, one sample per HTTP attempt that got a response
  or failed on the wire). ``requests`` counts HTTP attempts, so a retried call counts twice.
* ``rest.connections_created`` / ``rest.connections_reused``: counted by :class:`CountingConnector`
  each time a request obtains a connection (a new TCP/TLS connection vs one taken from the keep-alive
  pool). Not an aiohttp ``TraceConfig``: any trace config makes aiohttp await a signal coroutine per
  request phase, which cost ~20 us per request (docs/performance.md); a set look-up costs ~0.1 us.
* ``rest.retries``, ``rest.api_errors``, ``rest.rate_limit_errors``, ``rest.connection_errors``,
  ``rest.outcome_unknown``: totals over all endpoints.
* ``rest.ratelimit_waits`` counter and ``rest.ratelimit_wait`` histogram: client-side limiter delays.

Paths are endpoint templates (parameters travel in the query string), so the number of names stays
small, and no name ever carries a query string, key or signature.
"""

from __future__ import annotations

import weakref
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp.connector import Connection
from aiohttp.tracing import Trace

from exchanges.metrics import Counter, LatencyHistogram, MetricsRegistry, ratio


class EndpointMetrics:
    """The metric objects of one ``METHOD path``, fetched once and then incremented directly."""

    __slots__ = ("errors", "latency", "ratelimit_waits", "requests", "retries")

    def __init__(self, registry: MetricsRegistry, prefix: str) -> None:
        self.requests: Counter = registry.counter(f"{prefix}.requests")
        self.errors: Counter = registry.counter(f"{prefix}.errors")
        self.retries: Counter = registry.counter(f"{prefix}.retries")
        self.ratelimit_waits: Counter = registry.counter(f"{prefix}.ratelimit_waits")
        self.latency: LatencyHistogram = registry.histogram(f"{prefix}.latency")


class TransportMetrics:
    """All metrics of one :class:`~exchanges.transport.rest.RestTransport`."""

    def __init__(self, registry: MetricsRegistry) -> None:
        self.registry = registry
        self.connections_created = registry.counter("rest.connections_created")
        self.connections_reused = registry.counter("rest.connections_reused")
        self.retries = registry.counter("rest.retries")
        self.api_errors = registry.counter("rest.api_errors")
        self.rate_limit_errors = registry.counter("rest.rate_limit_errors")
        self.connection_errors = registry.counter("rest.connection_errors")
        self.outcome_unknown = registry.counter("rest.outcome_unknown")
        self.ratelimit_waits = registry.counter("rest.ratelimit_waits")
        self.ratelimit_wait = registry.histogram("rest.ratelimit_wait")
        self._endpoints: dict[tuple[str, str], EndpointMetrics] = {}

    def endpoint(self, method: str, path: str) -> EndpointMetrics:
        key = (method, path)
        found = self._endpoints.get(key)
        if found is None:
            found = self._endpoints[key] = EndpointMetrics(self.registry, f"rest.{method} {path}")
        return found

    def connection_reuse_rate(self) -> float:
        """Percentage (0-100) of requests that went out on a pooled keep-alive connection."""
        reused = self.connections_reused.value
        return ratio(reused, reused + self.connections_created.value)

    def trace_config(self) -> aiohttp.TraceConfig:
        """A TraceConfig counting new vs reused connections (same counters as :class:`CountingConnector`).

        The transport itself no longer uses it (see the module docstring); kept for sessions built
        outside the transport and for the bench's "TraceConfig" comparison row."""
        created = self.connections_created
        reused = self.connections_reused

        async def on_create(session: aiohttp.ClientSession, ctx: SimpleNamespace, params: Any) -> None:
            created.inc()

        async def on_reuse(session: aiohttp.ClientSession, ctx: SimpleNamespace, params: Any) -> None:
            reused.inc()

        trace = aiohttp.TraceConfig()
        trace.on_connection_create_end.append(on_create)
        trace.on_connection_reuseconn.append(on_reuse)
        return trace


class CountingConnector(aiohttp.TCPConnector):
    """A ``TCPConnector`` that counts new vs reused connections into a :class:`TransportMetrics`.

    Every connection handed to a request is checked against a weak set of the protocol objects
    already seen: unseen means a fresh TCP/TLS connection (``connections_created``), seen means
    it came from the keep-alive pool (``connections_reused``). Same numbers as aiohttp's
    ``on_connection_create_end`` / ``on_connection_reuseconn`` trace signals, without the cost of
    tracing. (``resp.connection`` cannot be used instead: a small response is read completely, and
    its connection released, before ``session.request`` returns it.)
    """

    def __init__(self, metrics: TransportMetrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._created = metrics.connections_created
        self._reused = metrics.connections_reused
        self._seen: weakref.WeakSet[object] = weakref.WeakSet()

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's signature, overridden
    ) -> Connection:
        connection = await super().connect(req, traces, timeout)
        protocol = connection.protocol
        if protocol is not None:
            if protocol in self._seen:
                self._reused.inc()
            else:
                self._seen.add(protocol)
                self._created.inc()
        return connection
