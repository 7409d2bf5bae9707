"""BoundedQueue: the one bounded FIFO of the framework, with an overflow policy.

Used twice, with the same code: as the inbound frame queue of every WebSocket (socket reader ->
dispatch task, :mod:`exchanges.transport._ws_queue`) and as the buffer of every stream consumer
(a handler or an async iterator, :mod:`exchanges.streams`). One consumer, any number of producers.

Overflow policies when ``maxsize`` items are queued (``maxsize`` 0: unbounded, nothing is ever
dropped; what money streams use):

* ``"drop_oldest"``: make room by discarding the oldest item (market data stays fresh);
* ``"drop_newest"``: discard the incoming item (the queued history stays intact);
* ``"block"``: :meth:`BoundedQueue.put` waits for room (backpressure); :meth:`offer`, which
  never waits, then drops the incoming item.

Every dropped item is counted in the ``dropped`` counter. Built on a ``deque`` and one waiter
future rather than ``asyncio.Queue``: the hot path (``offer`` / ``get_nowait``) is a length check,
an append / popleft and, only when the consumer sleeps, one ``set_result``.

``close(error)`` stops accepting items; the consumer drains what is queued, then ``wait`` raises
:class:`QueueClosed` (carrying ``error``, None for a normal end).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sys
from typing import Generic, TypeVar

from exchanges.metrics import Counter

T = TypeVar("T")

OVERFLOW_POLICIES = ("drop_oldest", "drop_newest", "block")


class QueueClosed(Exception):
    """The queue is closed and drained; ``error`` is why it ended (None: a normal close)."""

    def __init__(self, error: BaseException | None = None) -> None:
        super().__init__("queue closed")
        self.error = error


class BoundedQueue(Generic[T]):
    """A bounded single-consumer FIFO with one of the overflow policies above."""

    __slots__ = (
        "_drop_oldest",
        "_getter",
        "_items",
        "_limit",
        "_putters",
        "blocking",
        "closed",
        "dropped",
        "error",
        "maxsize",
        "policy",
    )

    def __init__(self, maxsize: int, policy: str, dropped: Counter) -> None:
        if policy not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow_policy must be one of {OVERFLOW_POLICIES}, got {policy!r}")
        if maxsize < 0:
            raise ValueError(f"maxsize must be 0 (unbounded) or more, got {maxsize}")
        self.maxsize = maxsize
        self._limit = maxsize or sys.maxsize
        self.policy = policy
        self.blocking = policy == "block"
        self._drop_oldest = policy == "drop_oldest"
        self.dropped = dropped
        self.closed = False
        self.error: BaseException | None = None
        self._items: collections.deque[T] = collections.deque()
        self._getter: asyncio.Future[None] | None = None
        self._putters: collections.deque[asyncio.Future[None]] = collections.deque()

    # ------------------------------------------------------------------ producers

    def offer(self, item: T) -> bool:
        """Enqueue without waiting, applying the drop policy when full. False if an item was dropped
        (the incoming one, or under ``drop_oldest`` the oldest) or the queue is closed.

        Hot path: one length check (a closed queue has a limit of -1, so the closed test costs
        nothing until then), an append and, only when the consumer sleeps, one ``set_result``.
        """
        items = self._items
        kept = True
        if len(items) >= self._limit:
            if self.closed:
                return False
            self.dropped.inc()
            if not self._drop_oldest:
                return False
            items.popleft()
            kept = False
        items.append(item)
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)
        return kept

    def offer_many(self, batch: list[T]) -> None:
        """``offer`` for every item in order; one ``extend`` and one wake-up when everything fits."""
        items = self._items
        if len(items) + len(batch) > self._limit:
            for item in batch:  # the overflow policy applies item by item
                self.offer(item)
            return
        items.extend(batch)
        self._wake_getter()

    def requeue_front(self, batch: list[T]) -> None:
        """Put ``batch`` back at the head, before what is queued (events taken out to deliver that
        must still come first); the overflow policy then trims the queue to ``maxsize``. Accepted
        even once closed: the consumer still drains them."""
        if not batch:
            return
        items = self._items
        items.extendleft(reversed(batch))
        limit = self.maxsize or sys.maxsize
        while len(items) > limit:
            self.dropped.inc()
            if self._drop_oldest:
                items.popleft()
            else:
                items.pop()
        self._wake_getter()

    async def put(self, item: T) -> None:
        """Enqueue, waiting for room under ``"block"``; otherwise the same as :meth:`offer`."""
        if self.blocking:
            while len(self._items) >= self._limit and not self.closed:
                putter = asyncio.get_running_loop().create_future()
                self._putters.append(putter)
                try:
                    await putter
                except BaseException:
                    putter.cancel()
                    with contextlib.suppress(ValueError):
                        self._putters.remove(putter)
                    if len(self._items) < self._limit and not putter.cancelled():
                        self._wake_putter()  # pass the wake-up we got on to the next producer
                    raise
        self.offer(item)

    def close(self, error: BaseException | None = None) -> None:
        """Stop accepting items; the consumer drains what is queued, then gets QueueClosed(error)."""
        if self.closed:
            return
        self.closed = True
        self._limit = -1  # every offer now takes the overflow branch, which refuses it
        self.error = error
        self._wake_getter()
        while self._putters:
            self._wake_putter()

    # ------------------------------------------------------------------ the consumer

    async def wait(self) -> None:
        """Return at once if something is queued, else after the next wake-up (an item, a close, or
        :meth:`wake`; the queue may still be empty then). QueueClosed once closed and drained."""
        if self._items:
            return
        if self.closed:
            raise QueueClosed(self.error)
        getter = asyncio.get_running_loop().create_future()
        self._getter = getter
        try:
            await getter
        finally:
            self._getter = None
        if not self._items and self.closed:
            raise QueueClosed(self.error)

    async def get(self) -> T:
        while not self._items:
            await self.wait()
        return self.get_nowait()

    def get_nowait(self) -> T:
        """The oldest item; ``asyncio.QueueEmpty`` when there is none."""
        try:
            item = self._items.popleft()
        except IndexError:
            raise asyncio.QueueEmpty from None
        if self._putters:
            self._wake_putter()
        return item

    def wake(self) -> None:
        """Wake a consumer sleeping in :meth:`wait` (it re-checks its own stop condition)."""
        self._wake_getter()

    @property
    def items(self) -> collections.deque[T]:
        """The queued items, oldest first (the consumer pops from the left)."""
        return self._items

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    def __len__(self) -> int:
        return len(self._items)

    # ------------------------------------------------------------------ internals

    def _wake_getter(self) -> None:
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)

    def _wake_putter(self) -> None:
        putters = self._putters
        while putters:
            putter = putters.popleft()
            if not putter.done():
                putter.set_result(None)
                return
