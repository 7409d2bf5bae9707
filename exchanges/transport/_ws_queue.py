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

:func:`deliver_frames` is the consumer: the dispatch task that drains the queue into the plugin.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable

from exchanges.metrics import Counter, Gauge
from exchanges.transport._ws_overlap import OverlapWindow

logger = logging.getLogger("exchanges.transport.ws")

_LOG_FIRST_ERRORS = 10

OVERFLOW_POLICIES = ("drop_oldest", "drop_newest", "block")

Frame = bytes | str


class FrameQueue:
    """A bounded FIFO of frames with one of the three overflow policies above.

    One consumer (the dispatch task) and any number of producers. Built on a ``deque`` and one
    waiter future rather than ``asyncio.Queue``: the hot path (``offer`` / ``get_nowait``) is a
    length check, an append / popleft and, only when the consumer sleeps, one ``set_result``.
    """

    __slots__ = ("_drop_oldest", "_getter", "_items", "_putters", "blocking", "dropped", "maxsize", "policy")

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
        self._items: collections.deque[Frame] = collections.deque()
        self._getter: asyncio.Future[None] | None = None
        self._putters: collections.deque[asyncio.Future[None]] = collections.deque()

    def offer(self, frame: Frame) -> bool:
        """Enqueue without waiting, applying the drop policy when full. False if ``frame`` was dropped.

        With the ``"block"`` policy a full queue drops nothing here: use :meth:`put` instead.
        """
        items = self._items
        if len(items) >= self.maxsize:
            self.dropped.inc()
            if not self._drop_oldest:
                return False
            items.popleft()
        items.append(frame)
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)
        return True

    async def put(self, frame: Frame) -> None:
        """Enqueue, waiting for room under ``"block"``; otherwise the same as :meth:`offer`."""
        if self.blocking:
            while len(self._items) >= self.maxsize:
                putter = asyncio.get_running_loop().create_future()
                self._putters.append(putter)
                try:
                    await putter
                except BaseException:
                    putter.cancel()
                    with contextlib.suppress(ValueError):
                        self._putters.remove(putter)
                    if len(self._items) < self.maxsize and not putter.cancelled():
                        self._wake_putter()  # pass the wake-up we got on to the next producer
                    raise
        self.offer(frame)

    async def get(self) -> Frame:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            self._getter = getter
            try:
                await getter
            finally:
                self._getter = None
        return self.get_nowait()

    def get_nowait(self) -> Frame:
        """The oldest frame; ``asyncio.QueueEmpty`` when there is none."""
        try:
            frame = self._items.popleft()
        except IndexError:
            raise asyncio.QueueEmpty from None
        if self._putters:
            self._wake_putter()
        return frame

    def _wake_putter(self) -> None:
        putters = self._putters
        while putters:
            putter = putters.popleft()
            if not putter.done():
                putter.set_result(None)
                return

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    def __len__(self) -> int:
        return len(self._items)


async def deliver_frames(
    queue: FrameQueue,
    on_frame: Callable[[Frame], None],
    *,
    name: str,
    handler_errors: Counter,
    depth: Gauge,
    overlap: OverlapWindow,
) -> None:
    """Deliver queued frames to ``on_frame`` forever; everything queued goes out in one wake-up.

    A failing ``on_frame`` is counted and logged (the first few, then every 1000th), never fatal.
    """
    get_nowait = queue.get_nowait
    while True:
        frame = await queue.get()
        depth.value = len(queue)
        while True:
            try:
                on_frame(frame)
            except Exception:
                handler_errors.inc()
                errors = handler_errors.value
                if errors <= _LOG_FIRST_ERRORS or errors % 1000 == 0:
                    logger.exception("websocket %s: frame handler failed (%d so far)", name, errors)
            if not len(queue):
                break
            frame = get_nowait()
        if overlap.closes_at is not None:
            overlap.close_if_due()  # everything queued up to now has been delivered
