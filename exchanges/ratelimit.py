"""Client-side rate limiting: several independent weighted pools, exact sliding windows.

An exchange meters requests in *pools* (MEXC: one per IP and one per UID, 500 weight per 10 s
each). Every endpoint has an :class:`EndpointCost` naming the pools it draws from and its weight
in each. :meth:`RateLimiter.acquire` waits until every pool of the cost has room, then books the
weight in all of them at once (all or nothing, so a request never holds capacity in one pool
while waiting for another).

Why a sliding-window log and not a token bucket
-----------------------------------------------
A token bucket of capacity ``C`` refilled at ``C / window`` per second admits ``C`` at once
(full bucket) and then keeps admitting at the refill rate, so in the window that starts with
that burst it admits ``C + C = 2C``: twice the exchange's limit, which is exactly what gets an
IP banned. The exchange counts weight in a window, so we do too: each pool keeps a log of
``(expiry, weight)`` entries for the admissions of the last ``window`` seconds and admits a
request only if ``logged weight + weight <= limit + burst``.

Guarantee (tested with hypothesis): for any ``t``, the weight admitted in ``[t, t + window)`` is
at most ``limit + burst``. Proof sketch: let ``a`` be the last admission in that interval; every
earlier admission in it happened after ``a - window`` so it was still logged when ``a`` was
decided, and ``a`` was admitted only if the logged sum plus its weight fitted.

A single cost heavier than ``limit + burst`` would never fit. Rather than deadlock it is admitted
*alone*: when the pool's log is empty (nothing admitted in the last ``window``). Such a window then
contains that one request and nothing else, so the bound becomes ``max(limit + burst, weight)``.

``pause(pools, seconds)`` (after a 429/418 with ``Retry-After``) blocks the pools until the
deadline; pauses only ever delay admissions, so they cannot break the guarantee.

Counting like the server: held weight
-------------------------------------
The exchange starts a request's window when the request *reaches* it, which is later than our
admission. If we expired our entry ``window`` seconds after admission, we would admit the next request
while the server still counts the previous one: HTTP 429. So a caller that sends over the network books
with ``hold=True``: the weight counts as *held* (it never expires) until :meth:`RateLimiter.release`,
called when the answer (or the failure) is in; only then is it logged with expiry ``release time +
window``. The server saw the request before we saw its answer, so our entry outlives the server's, and
the guarantee above still holds (an entry covers at least ``[admission, admission + window)``).

Fairness: waiters queue FIFO per pool (an :class:`asyncio.Lock` per pool, always taken in one global order
so costs spanning several pools cannot deadlock). A heavy request is therefore not starved by a
stream of light ones. Requests on other pools are not held up. The fast path (nobody waiting,
room available) costs a few dictionary look-ups and no ``await`` suspension; callers on a hot path
can take it without even creating a coroutine through :meth:`RateLimiter.acquire_nowait`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping

import attrs

__all__ = [
    "EndpointCost",
    "PoolLimit",
    "RateLimiter",
]

logger = logging.getLogger("exchanges.ratelimit")

_HELD_POLL = 0.01
"""Seconds between re-checks while the missing room is held by requests in flight (released at an
unknown time)."""

# Sleeps shorter than this are rounded up: the loop may wake a hair early (clock resolution) and
# a tight re-check loop would burn CPU for nothing.
_MIN_SLEEP = 1e-4

_MAX_RESOLVED = 1024
"""Bound of the resolved-cost cache (it is cleared when full)."""


@attrs.frozen(slots=True)
class PoolLimit:
    """At most ``limit + burst`` weight in any ``window`` seconds."""

    limit: int
    window: float
    burst: int = 0

    def __attrs_post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("PoolLimit.limit must be at least 1")
        if self.window <= 0:
            raise ValueError("PoolLimit.window must be positive")
        if self.burst < 0:
            raise ValueError("PoolLimit.burst must not be negative")

    @property
    def capacity(self) -> int:
        return self.limit + self.burst


@attrs.frozen(slots=True)
class EndpointCost:
    """Weight an endpoint draws from each pool, e.g. ``EndpointCost({"ip": 1})``."""

    weights: Mapping[str, int]


def _until(deadline: float, now: float) -> float:
    """Seconds from ``now`` to ``deadline``, rounded up so that ``now + result >= deadline`` holds in
    floating point too (a caller that waits exactly this long is then past the deadline)."""
    wait = deadline - now
    while now + wait < deadline:
        wait = math.nextafter(wait, math.inf)
    return wait


class _Pool:
    """One pool's state: the admission log, its running sum and the pause deadline."""

    __slots__ = ("capacity", "held", "limit", "lock", "log", "paused_until", "used", "window")

    def __init__(self, limit: PoolLimit) -> None:
        self.limit = limit
        self.capacity = limit.capacity
        self.window = limit.window
        self.log: deque[tuple[float, int]] = deque()  # (expiry time, weight), expiries ascending
        self.used = 0
        self.held = 0  # weight of requests in flight (booked with hold=True, not yet released)
        self.paused_until = 0.0
        self.lock = asyncio.Lock()

    def expire(self, now: float) -> None:
        log = self.log
        while log and log[0][0] <= now:
            self.used -= log.popleft()[1]

    def wait_for(self, weight: int, now: float) -> float:
        """Seconds until ``weight`` fits (0.0: fits now). Call :meth:`expire` first."""
        wait = _until(self.paused_until, now) if self.paused_until > now else 0.0
        held = self.held
        if self.used + held + weight <= self.capacity:
            return wait
        # (Beyond here ``used + held > 0`` unless the weight alone is oversized.)
        if weight > self.capacity:
            # Oversized: admitted alone, once nothing is in flight and everything logged has expired.
            if held:
                return max(wait, _HELD_POLL)
            return max(wait, _until(self.log[-1][0], now)) if self.log else wait
        excess = self.used + held + weight - self.capacity
        freed = 0
        for expiry, logged in self.log:
            freed += logged
            if freed >= excess:
                return max(wait, _until(expiry, now))
        # The log cannot free enough: the rest is held by requests in flight.
        return max(wait, _until(self.log[-1][0], now) if self.log else 0.0, _HELD_POLL)

    def book(self, weight: int, now: float, hold: bool = False) -> None:
        if hold:
            self.held += weight
        else:
            self.log.append((now + self.window, weight))
            self.used += weight

    def release(self, weight: int, now: float) -> None:
        """A held weight's request is answered: log it from ``now`` (``now`` never decreases, so the log
        stays sorted by expiry)."""
        self.held -= weight
        self.log.append((now + self.window, weight))
        self.used += weight


class RateLimiter:
    """Weighted, multi-pool, sliding-window rate limiter (see the module docstring).

    ``clock`` must be the clock asyncio sleeps on (``time.monotonic`` is the default loop's).
    ``waits`` counts admissions that had to wait; the REST transport records the waited seconds
    per endpoint in its own metrics (``rest.ratelimit_wait``), so the limiter keeps no histogram.
    """

    def __init__(
        self,
        pools: Mapping[str, PoolLimit],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not pools:
            raise ValueError("RateLimiter needs at least one pool")
        self._pools = {pool_name: _Pool(limit) for pool_name, limit in pools.items()}
        self._clock = clock
        self.waits = 0
        """Number of acquisitions that had to wait."""
        # id(cost) -> (cost, resolved pools). Costs are usually long-lived per-endpoint constants, so
        # validating and resolving them once saves work per request; the cost object is kept in
        # the entry so that its id cannot be reused while cached.
        self._resolved: dict[int, tuple[EndpointCost, list[tuple[_Pool, int]]]] = {}

    def _resolve(self, cost: EndpointCost) -> list[tuple[_Pool, int]]:
        entry = self._resolved.get(id(cost))
        if entry is not None and entry[0] is cost:
            return entry[1]
        resolved = self._resolve_new(cost)
        if len(self._resolved) >= _MAX_RESOLVED:  # callers building a fresh cost per call
            self._resolved.clear()
        self._resolved[id(cost)] = (cost, resolved)
        return resolved

    def _resolve_new(self, cost: EndpointCost) -> list[tuple[_Pool, int]]:
        resolved = []
        for pool_name, weight in cost.weights.items():
            pool = self._pools.get(pool_name)
            if pool is None:
                raise ValueError(f"unknown rate limit pool {pool_name!r}; known: {sorted(self._pools)}")
            if weight < 0:
                raise ValueError(f"negative weight for pool {pool_name!r}")
            if weight:
                resolved.append((pool, weight))
        return resolved

    def try_acquire(self, cost: EndpointCost, now: float | None = None, *, hold: bool = False) -> float:
        """Book ``cost`` if every pool has room at ``now`` and return 0.0; else book nothing and
        return the seconds to wait before trying again. Pure apart from the pools' state: tests
        pass ``now`` explicitly. ``hold``: see :meth:`release`."""
        return self._try(self._resolve(cost), self._clock() if now is None else now, hold)

    def release(self, cost: EndpointCost, now: float | None = None) -> None:
        """End the hold of a ``cost`` booked with ``hold=True``: its request was answered (or failed)
        at ``now``, so its weight counts for one window from now (see "held weight" in the module
        docstring). Call it exactly once per held booking, also on errors and cancellation."""
        when = self._clock() if now is None else now
        for pool, weight in self._resolve(cost):
            pool.release(weight, when)

    @staticmethod
    def _try(resolved: list[tuple[_Pool, int]], now: float, hold: bool = False) -> float:
        wait = 0.0
        for pool, weight in resolved:
            pool.expire(now)
            pool_wait = pool.wait_for(weight, now)
            if pool_wait > wait:
                wait = pool_wait
        if wait > 0.0:
            return wait
        for pool, weight in resolved:
            pool.book(weight, now, hold)
        return 0.0

    def acquire_nowait(self, cost: EndpointCost, *, hold: bool = False) -> bool:
        """Book ``cost`` now and return True if no pool of it has a queued waiter and every pool has
        room (by the same rule as the waiting path, oversized costs included); else book nothing and
        return False (then ``await acquire_waiting(cost)``). Callable without creating a coroutine."""
        resolved = self._resolve(cost)
        now = self._clock()
        for pool, weight in resolved:
            if pool.lock.locked():  # someone is waiting: queue behind them (FIFO)
                return False
            pool.expire(now)
            if pool.wait_for(weight, now) > 0.0:
                return False
        for pool, weight in resolved:
            pool.book(weight, now, hold)
        return True

    async def acquire(self, cost: EndpointCost) -> float:
        """Wait until every pool of ``cost`` has room, then book it. Never fails (cancellable).

        Returns the seconds waited (0.0 on the fast path); callers may ignore it.
        """
        if self.acquire_nowait(cost):
            return 0.0
        return await self.acquire_waiting(cost)

    async def acquire_waiting(self, cost: EndpointCost, *, hold: bool = False) -> float:
        """The waiting path of :meth:`acquire`, for callers that already tried :meth:`acquire_nowait`:
        queue FIFO on every pool of ``cost``, wait for room, book it; returns the seconds waited."""
        resolved = self._resolve(cost)
        start = self._clock()
        locks = [pool.lock for pool, _ in sorted(resolved, key=lambda item: id(item[0]))]
        acquired: list[asyncio.Lock] = []
        try:
            for lock in locks:
                await lock.acquire()
                acquired.append(lock)
            while True:
                wait = self._try(resolved, self._clock(), hold)
                if wait == 0.0:
                    break
                await asyncio.sleep(max(wait, _MIN_SLEEP))
        finally:
            for lock in reversed(acquired):
                lock.release()
        waited = self._clock() - start
        self.waits += 1
        logger.debug("rate limiter delayed a request by %.3f s (pools %s)", waited, list(cost.weights))
        return waited

    def pause(self, pools: Iterable[str], seconds: float) -> None:
        """Block ``pools`` for ``seconds`` from now (e.g. after 429/418 with ``Retry-After``).

        A shorter pause never shortens one already in force. Unknown pool names are ignored (this
        runs on an error path and must not mask the original error)."""
        until = self._clock() + max(seconds, 0.0)
        for pool_name in pools:
            pool = self._pools.get(pool_name)
            if pool is None:
                logger.warning("pause requested for unknown rate limit pool %r", pool_name)
                continue
            if until > pool.paused_until:
                pool.paused_until = until

    def paused_for(self, pool_name: str, now: float | None = None) -> float:
        """Seconds the pool stays paused (0.0 if not paused)."""
        if now is None:
            now = self._clock()
        return max(self._pools[pool_name].paused_until - now, 0.0)

    def used(self, pool_name: str, now: float | None = None) -> int:
        """Weight booked in the pool's current window, held weight (requests in flight) included."""
        pool = self._pools[pool_name]
        pool.expire(self._clock() if now is None else now)
        return pool.used + pool.held
