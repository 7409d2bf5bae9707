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

import logging
from collections.abc import Callable

from exchanges._queue import OVERFLOW_POLICIES, BoundedQueue
from exchanges.metrics import Counter, Gauge
from exchanges.transport._ws_overlap import OverlapWindow

__all__ = ["OVERFLOW_POLICIES", "Frame", "FrameQueue", "deliver_frames"]

logger = logging.getLogger("exchanges.transport.ws")

_LOG_FIRST_ERRORS = 10

Frame = bytes | str


FrameQueue = BoundedQueue[Frame]
"""The inbound frame queue: the framework's one :class:`~exchanges._queue.BoundedQueue`, of frames."""


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
