"""Re-subscribing a channel without a local book (trades, tickers, klines...) that MEXC refused
while nobody was waiting.

A refusal normally answers a ``subscribe`` call, which raises it. After a reconnect the transport
re-sends every channel on its own, and an answer may also come after the caller stopped waiting
(the ack timeout): then the refused channel would simply stop, silently. Depth channels have
:mod:`.book_retries` (their book goes STALE). Every other channel is handled here: the refusal is
reported through ``on_refused`` (for a trade channel: a possible trade gap, since the trades pushed
meanwhile are lost), and the channel is subscribed again with the same backoff as a book's until
MEXC accepts it or the user unsubscribes it. The connection that refused takes no further channel
(:meth:`exchanges.transport.ws.WebSocketPool.refused`), so the retry lands on another one.

One task per refused channel, cancelled when the channel is unsubscribed or the client closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from exchanges.errors import SubscriptionError
from exchanges.strategies import ReconnectionPolicy
from exchanges.tasks import cancel_and_wait
from exchanges_mexc.ws.book_retries import REFUSED_BOOK_RETRY

__all__ = ["RefusedChannelRetries"]

logger = logging.getLogger("exchanges.mexc.ws.public")


class RefusedChannelRetries:
    """Retry tasks of the channels (without a local book) MEXC refused while nobody awaited them.

    ``subscribe(channels)`` subscribes and awaits the acknowledgement (raising
    :class:`SubscriptionError` on a new refusal); ``settled()`` returns once the client has forgotten
    the refused channel, so that the next attempt really sends it.
    """

    def __init__(
        self,
        subscribe: Callable[[Sequence[str]], Awaitable[None]],
        settled: Callable[[], Awaitable[None]],
        *,
        on_refused: Callable[[str, SubscriptionError], None],
        policy: ReconnectionPolicy = REFUSED_BOOK_RETRY,
    ) -> None:
        self._subscribe = subscribe
        self._settled = settled
        self._on_refused = on_refused
        self._policy = policy
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closed = False

    def refused(self, channel: str, error: SubscriptionError) -> None:
        """MEXC refused ``channel`` and nobody awaited the answer: report it, retry it."""
        if self._closed:
            return
        logger.warning("%s: no stream behind it now (%s); subscribing it again", channel, error)
        self._on_refused(channel, error)
        task = self._tasks.get(channel)
        if task is not None and not task.done():
            return  # the running retry sees this refusal as its own attempt's answer
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._retry(channel), name=f"mexc-resubscribe-{channel}")
        self._tasks[channel] = task
        task.add_done_callback(lambda done: self._forget(channel, done))

    def _forget(self, channel: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(channel) is task:
            del self._tasks[channel]

    async def _retry(self, channel: str) -> None:
        attempt = 0
        while not self._closed:
            await asyncio.sleep(self._policy.delay(attempt))
            attempt += 1
            await self._settled()
            if self._closed:
                return
            try:
                await self._subscribe([channel])
            except SubscriptionError:
                continue  # refused again: logged and counted by the ack tracker
            except Exception as exc:  # e.g. no connection could be opened: try again later
                logger.warning("re-subscribing %s failed (attempt %d): %r", channel, attempt, exc)
                continue
            logger.info("%s subscribed again after %d attempt(s)", channel, attempt)
            return

    async def cancel(self, channels: Iterable[str]) -> None:
        """Stop retrying ``channels`` (the user unsubscribed them)."""
        for channel in channels:
            await cancel_and_wait(self._tasks.pop(channel, None))

    async def close(self) -> None:
        """Stop every retry (the client is closing)."""
        self._closed = True
        await self.cancel(list(self._tasks))
