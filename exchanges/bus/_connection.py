"""Connecting to NATS and declaring the JetStream objects the bus uses.

:func:`connect_bus` makes the first connection with exponential backoff and a bounded overall wait,
and fails with an :class:`~exchanges.errors.ExchangeConnectionError` naming the URL (never a bare
socket error). Once connected, nats-py reconnects by itself forever (``max_reconnect_attempts=-1``),
re-sending subscriptions; JetStream ordered consumers resume from the last stream sequence they saw.

:func:`declare_bus` creates (or updates) the market-data stream and the snapshot, lease and member
buckets; every gateway and consumer calls it, so whichever starts first creates them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import attrs
import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, KeyValueConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError, BucketNotFoundError
from nats.js.kv import KeyValue

from exchanges.errors import ExchangeConnectionError
from exchanges.strategies import ReconnectionPolicy

from ._subjects import Subjects

logger = logging.getLogger("exchanges.bus.connection")

DEFAULT_RETENTION = 15 * 60.0
"""Seconds market-data events stay in the stream (long enough for any consumer to catch up)."""
DEDUPE_WINDOW = 120.0
"""JetStream's de-duplication window: a message id seen within it is stored once."""

Callback = Callable[[], Awaitable[None]]


def redact_url(url: str) -> str:
    """A NATS URL without any ``user:password@`` part (safe for logs and errors)."""
    parts = []
    for one in url.split(","):
        scheme, sep, rest = one.strip().partition("://")
        parts.append(f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else one)
    return ",".join(parts)


@attrs.frozen
class BusConnectOptions:
    """How to reach NATS. ``connect_within`` bounds the first connection; later outages are retried
    forever (``reconnect_wait`` between attempts)."""

    connect_within: float = 30.0
    reconnect_wait: float = 0.5
    request_timeout: float = 5.0
    retry: ReconnectionPolicy = attrs.field(
        factory=lambda: ReconnectionPolicy(initial_delay=0.2, max_delay=5.0)
    )


@attrs.define
class BusConnection:
    """One NATS connection and its JetStream context."""

    nc: NatsClient
    js: JetStreamContext
    url: str
    closing: bool = False

    @property
    def connected(self) -> bool:
        return bool(self.nc.is_connected)

    async def close(self) -> None:
        self.closing = True
        if not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception as exc:  # draining a broken connection: closing is all we want
                logger.debug("NATS drain failed (%r); closing", exc)
                await self.nc.close()


async def connect_bus(
    url: str,
    *,
    name: str,
    options: BusConnectOptions | None = None,
    on_disconnect: Callback | None = None,
    on_reconnect: Callback | None = None,
) -> BusConnection:
    """Connect to NATS at ``url`` (retrying with backoff up to ``options.connect_within`` seconds)."""
    opts = options or BusConnectOptions()
    shown = redact_url(url)
    servers = [one.strip() for one in url.split(",")]
    deadline = time.monotonic() + opts.connect_within
    attempt = 0
    made: list[BusConnection] = []

    def closing() -> bool:
        return bool(made) and made[0].closing

    async def error_cb(exc: Exception) -> None:
        logger.warning("NATS %s: %s", shown, exc)

    async def disconnected_cb() -> None:
        if closing():
            return
        logger.warning("NATS %s: disconnected; reconnecting", shown)
        if on_disconnect is not None:
            await on_disconnect()

    async def reconnected_cb() -> None:
        logger.warning("NATS %s: reconnected", shown)
        if on_reconnect is not None:
            await on_reconnect()

    while True:
        try:
            nc = await asyncio.wait_for(
                nats.connect(
                    servers,
                    name=name,
                    connect_timeout=max(1, int(opts.request_timeout)),
                    reconnect_time_wait=opts.reconnect_wait,
                    max_reconnect_attempts=-1,
                    allow_reconnect=True,
                    error_cb=error_cb,
                    disconnected_cb=disconnected_cb,
                    reconnected_cb=reconnected_cb,
                ),
                max(0.5, deadline - time.monotonic()),
            )
            made.append(BusConnection(nc, nc.jetstream(timeout=opts.request_timeout), url))
            return made[0]
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delay = opts.retry.delay(attempt)
            attempt += 1
            if time.monotonic() + delay > deadline:
                raise ExchangeConnectionError(
                    f"NATS at {shown} unreachable after {attempt} attempts: {type(exc).__name__}: {exc}"
                ) from None
            logger.warning("NATS at %s unreachable (%r); retrying in %.1f s", shown, exc, delay)
            await asyncio.sleep(delay)


@attrs.frozen
class BusObjects:
    """The KV buckets of one exchange and gateway group."""

    books: KeyValue
    leases: KeyValue
    members: KeyValue


async def _bucket(js: JetStreamContext, config: KeyValueConfig) -> KeyValue:
    try:
        return await js.key_value(config.bucket)
    except BucketNotFoundError:
        pass
    try:
        return await js.create_key_value(config)
    except BadRequestError:  # created meanwhile by another process
        return await js.key_value(config.bucket)


async def declare_bus(
    js: JetStreamContext,
    subjects: Subjects,
    *,
    lease_ttl: float = 5.0,
    retention: float = DEFAULT_RETENTION,
) -> BusObjects:
    """Create or update the stream and the buckets for ``subjects`` (idempotent, safe concurrently)."""
    config = StreamConfig(
        name=subjects.stream,
        subjects=[subjects.stream_subjects],
        storage=StorageType.FILE,
        max_age=retention,
        duplicate_window=min(DEDUPE_WINDOW, retention),
        discard=DiscardPolicy.OLD,
        allow_direct=True,
    )
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)
    books = await _bucket(js, KeyValueConfig(bucket=subjects.books_bucket, history=1, direct=True))
    leases = await _bucket(js, KeyValueConfig(bucket=subjects.leases_bucket, history=1, ttl=lease_ttl))
    members = await _bucket(js, KeyValueConfig(bucket=subjects.members_bucket, history=1, ttl=lease_ttl))
    return BusObjects(books, leases, members)
