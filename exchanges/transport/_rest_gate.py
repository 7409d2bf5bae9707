"""``ConnectionGate``: bounds the requests in flight on one REST transport, with a share kept for orders.

Why: aiohttp queues a request that finds every pooled connection busy, and that queueing counts against
the request's timeout and happens *after* the rate limiter booked its weight. With a gate sized like
the pool in front of both, a request that holds a slot always finds a free connection: its timeout
starts when it really leaves, and the rate limiter's admission is (to within one event-loop step) the
moment it is sent, so our sliding window matches the server's.

Priority: ``reserved`` of the ``capacity`` slots are only for priority requests (orders, cancels and the
lookups that reconcile them); ordinary requests (market data) use the rest. When a slot frees, a waiting
priority request is served before any ordinary one. Both queues are FIFO.
"""

from __future__ import annotations

import asyncio
from collections import deque


class ConnectionGate:
    """At most ``capacity`` holders; ordinary ones at most ``capacity - reserved``. See the module doc."""

    def __init__(self, capacity: int, reserved: int = 0) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        if not 0 <= reserved < capacity:
            raise ValueError(f"reserved must be in 0..{capacity - 1}, got {reserved}")
        self.capacity = capacity
        self.reserved = reserved
        self.in_use = 0
        self._priority: deque[asyncio.Future[None]] = deque()
        self._ordinary: deque[asyncio.Future[None]] = deque()

    def _fits(self, priority: bool) -> bool:
        limit = self.capacity if priority else self.capacity - self.reserved
        return self.in_use < limit

    def try_enter(self, priority: bool) -> bool:
        """Take a slot now if one is free for this class and nobody of it (or above it) waits."""
        if self._priority or (not priority and self._ordinary) or not self._fits(priority):
            return False
        self.in_use += 1
        return True

    async def enter(self, priority: bool) -> None:
        """Wait for a slot (cancellable: a cancelled waiter takes nothing)."""
        if self.try_enter(priority):
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._priority if priority else self._ordinary
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.leave()  # the slot was handed to us just as we were cancelled: give it back
            else:
                queue.remove(waiter)
            raise

    def leave(self) -> None:
        """Give a slot back and hand it to the next waiter that may take it."""
        self.in_use -= 1
        self._wake()

    def _wake(self) -> None:
        while self._priority and self._fits(True):
            waiter = self._priority.popleft()
            if not waiter.done():
                self.in_use += 1
                waiter.set_result(None)
        while self._ordinary and not self._priority and self._fits(False):
            waiter = self._ordinary.popleft()
            if not waiter.done():
                self.in_use += 1
                waiter.set_result(None)

    @property
    def waiting(self) -> int:
        """Requests queued for a slot."""
        return len(self._priority) + len(self._ordinary)
