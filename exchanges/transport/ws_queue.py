"""The bounded inbound frame queue between a WebSocket's socket reader and its dispatch task.

Why a queue at all: the reader must keep draining the socket (so the server never sees a slow
consumer and aiohttp keeps answering pings) while user callbacks run. Why bounded: a handler that
falls behind must not grow memory without limit. What happens when it is full is the
``overflow_policy``:

* ``"drop_oldest"`` (default): make room by discarding the oldest queued frame. Market data stays
  fresh; the order book notices the lost version and resyncs.
* ``"drop_newest"``: discard the frame that just arrived.
* ``"block"``: the reader waits for room (backpressure: the kernel buffers fill and, eventually,
  the server may disconnect a slow client).

Every dropped frame is counted in the ``dropped`` counter (``"ws.<name>.dropped"``).
"""

from __future__ import annotations

import asyncio

from exchanges.metrics import Counter

OVERFLOW_POLICIES = ("drop_oldest", "drop_newest", "block")

Frame = bytes | str


class FrameQueue:
    """A bounded FIFO of frames with one of the three overflow policies above."""

    __slots__ = ("_drop_oldest", "_queue", "blocking", "dropped", "maxsize", "policy")

    def __init__(self, maxsize: int, policy: str, dropped: Counter) -> None:
        if policy not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow_policy must be one of {OVERFLOW_POLICIES}, got {policy!r}")
        if maxsize < 1:
            raise ValueError(f"max_queue_size must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self.policy = policy
        self.blocking = policy == "block"
        self._drop_oldest = policy == "drop_oldest"
        self.dropped = dropped
        self._queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize)

    def offer(self, frame: Frame) -> bool:
        """Enqueue without waiting, applying the drop policy when full. False if ``frame`` was dropped.

        With the ``"block"`` policy a full queue drops nothing here: use :meth:`put` instead.
        """
        queue = self._queue
        if queue.full():
            self.dropped.inc()
            if not self._drop_oldest:
                return False
            queue.get_nowait()
        queue.put_nowait(frame)
        return True

    async def put(self, frame: Frame) -> None:
        """Enqueue, waiting for room under ``"block"``; otherwise the same as :meth:`offer`."""
        if self.blocking:
            await self._queue.put(frame)
        else:
            self.offer(frame)

    async def get(self) -> Frame:
        return await self._queue.get()

    def get_nowait(self) -> Frame:
        return self._queue.get_nowait()

    def empty(self) -> bool:
        return self._queue.empty()

    def qsize(self) -> int:
        return self._queue.qsize()
