"""Re-subscribing the depth channel of a local book that MEXC refused when nobody was waiting.

A refusal (``Not Subscribed successfully! [...]. Reason： Blocked!``, API.md §9.3) normally answers a
``subscribe`` call, which raises it to its caller. But after a reconnect the transport re-sends every
channel on its own, and an answer may also come after the caller stopped waiting (the ack timeout):
then the refused depth channel has no stream behind its book. Such a book must not stay LIVE (or
SYNCING with nothing to sync from) as if all were well; here it goes STALE at once with the refusal
as its reason (a ``BookStateChange`` the user sees), and its channel is subscribed again with
exponential backoff until MEXC accepts it; the book then resyncs from a new snapshot, taken once
the retried channel is confirmed live exactly as after a reconnect (MEXC's acknowledgement or the
channel's first push; without either within ``confirm_within`` the snapshot is fetched anyway,
logged and counted in ``mexc.ws.books.unconfirmed_resyncs``): a retry whose acknowledgement is lost
must not fetch before MEXC started the channel.

One task per refused book, cancelled when the book is removed or the client closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from exchanges.errors import SubscriptionError
from exchanges.models import Symbol
from exchanges.strategies import ReconnectionPolicy
from exchanges.tasks import cancel_and_wait
from exchanges_mexc.ws.books import LocalBooks

__all__ = ["REFUSED_BOOK_RETRY", "RefusedBookRetries"]

logger = logging.getLogger("exchanges.mexc.ws.books")

REFUSED_BOOK_RETRY = ReconnectionPolicy(initial_delay=1.0, max_delay=60.0)
"""Backoff between subscription attempts of a refused depth channel (1 s doubling to 60 s)."""


class RefusedBookRetries:
    """Retry tasks of the books whose depth channel MEXC refused while nobody awaited it.

    ``subscribe(channels)`` subscribes and awaits the acknowledgement (raising
    :class:`SubscriptionError` on a new refusal, returning quietly when the ack timeout passes);
    ``settled()`` returns once the client has forgotten the refused channel (its pending
    unsubscriptions ended), so that the next attempt really sends it. ``confirm_within`` (seconds) is
    how long a book whose retry got no acknowledgement still waits for one (or a push) before its
    snapshot is fetched anyway (:meth:`LocalBooks.resubscribed`).
    """

    def __init__(
        self,
        books: LocalBooks,
        subscribe: Callable[[Sequence[str]], Awaitable[None]],
        settled: Callable[[], Awaitable[None]],
        *,
        confirm_within: float,
        policy: ReconnectionPolicy = REFUSED_BOOK_RETRY,
    ) -> None:
        self._books = books
        self._confirm_within = confirm_within
        self._subscribe = subscribe
        self._settled = settled
        self._policy = policy
        self._tasks: dict[Symbol, asyncio.Task[None]] = {}
        self._closed = False

    def refused(self, symbol: Symbol, channel: str, error: SubscriptionError) -> None:
        """MEXC refused ``symbol``'s depth ``channel``: the book goes STALE and a retry starts."""
        if self._closed or symbol not in self._books:
            return
        self._books.refused(symbol, f"subscription refused: {error}")
        task = self._tasks.get(symbol)
        if task is not None and not task.done():
            return  # the running retry sees this refusal as its own attempt's answer
        task = asyncio.get_running_loop().create_task(
            self._retry(symbol, channel), name=f"mexc-book-resubscribe-{symbol}"
        )
        self._tasks[symbol] = task
        task.add_done_callback(lambda done: self._forget(symbol, done))

    def _forget(self, symbol: Symbol, task: asyncio.Task[None]) -> None:
        if self._tasks.get(symbol) is task:
            del self._tasks[symbol]

    async def _retry(self, symbol: Symbol, channel: str) -> None:
        attempt = 0
        while not self._closed and symbol in self._books:
            await asyncio.sleep(self._policy.delay(attempt))
            attempt += 1
            await self._settled()
            if self._closed or symbol not in self._books:
                return
            # like a reconnect: the snapshot waits for MEXC's acknowledgement of this attempt or a push
            self._books.expect_resubscription([symbol])
            try:
                await self._subscribe([channel])
            except SubscriptionError:
                continue  # refused again: logged and counted by the ack tracker
            except Exception as exc:  # e.g. no connection could be opened: try again later
                logger.warning("%s: re-subscribing %s failed (attempt %d): %r", symbol, channel, attempt, exc)
                continue
            logger.info("%s: %s subscribed again after %d attempt(s); resyncing", symbol, channel, attempt)
            # acknowledged: the snapshot is taken now; unanswered: once confirmed (or the fallback)
            self._books.resubscribed(symbol, confirm_within=self._confirm_within)
            return

    async def cancel(self, symbol: Symbol) -> None:
        """Stop retrying ``symbol`` (its book is being removed)."""
        await cancel_and_wait(self._tasks.pop(symbol, None))

    async def close(self) -> None:
        """Stop every retry (the client is closing)."""
        self._closed = True
        for symbol in list(self._tasks):
            await self.cancel(symbol)
