"""Matching MEXC subscription acks to the ``subscribe`` calls that are waiting for them (API.md §9.3).

MEXC answers every SUBSCRIPTION with a JSON text frame whose ``msg`` echoes the channel(s),
comma-joined. A refused channel is answered, still with ``code`` 0, by
``Not Subscribed successfully! [<channels>].  Reason： Blocked! ``. The tracker turns that into a
:class:`~exchanges.errors.SubscriptionError` naming the channel, raised to whoever awaits the
subscription, logged at WARNING and counted, also when it arrives for a re-subscription after a
reconnect (then nobody awaits it: ``on_rejected`` lets the client forget the channel).
``on_ack`` is told of every acknowledged channel, awaited or not: after a reconnect the transport
re-sends the subscriptions without awaiting them, and a local book must not fetch its snapshot
before its depth channel is live again (API.md §9.5: subscribe, then snapshot).
Note that MEXC answers an UNSUBSCRIPTION with the same frame as a SUBSCRIPTION (§9.3): the
tracker cannot tell them apart, so ``on_ack`` listeners act only on channels they are waiting for.

Acks are matched by channel name, not by request id: the docs show ``id`` 0 in every ack.
A missing ack is not an error (the server may still push): ``wait`` gives up after its timeout,
logs at DEBUG and counts ``<prefix>.ack_timeouts``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence

from exchanges.errors import SubscriptionError
from exchanges.metrics import MetricsRegistry
from exchanges_mexc.parsing import ControlMessage

logger = logging.getLogger("exchanges.mexc.ws.acks")


class AckTracker:
    """Pending subscription acks per channel, resolved from control frames.

    ``on_rejected(channel, error)`` is called for every refused channel, awaited or not;
    ``on_ack(channel)`` for every acknowledged one, awaited or not.
    """

    def __init__(
        self,
        metrics: MetricsRegistry,
        *,
        prefix: str = "mexc.ws",
        exchange: str = "mexc_spot",
        on_rejected: Callable[[str, SubscriptionError], None] | None = None,
        on_ack: Callable[[str], None] | None = None,
    ) -> None:
        self._pending: dict[str, list[asyncio.Future[None]]] = {}
        self._exchange = exchange
        self._on_rejected = on_rejected
        self._on_ack = on_ack
        self._acks = metrics.counter(f"{prefix}.acks")
        self._rejections = metrics.counter(f"{prefix}.subscriptions_rejected")
        self._timeouts = metrics.counter(f"{prefix}.ack_timeouts")
        self._pongs = metrics.counter(f"{prefix}.pongs")
        self._errors = metrics.counter(f"{prefix}.error_acks")

    @property
    def pending(self) -> frozenset[str]:
        return frozenset(self._pending)

    def expect(self, channels: Iterable[str]) -> list[asyncio.Future[None]]:
        """Register interest in the acks of ``channels``; call before sending the request."""
        loop = asyncio.get_running_loop()
        futures = []
        for channel in channels:
            future: asyncio.Future[None] = loop.create_future()
            self._pending.setdefault(channel, []).append(future)
            futures.append(future)
        return futures

    async def wait(
        self, channels: Sequence[str], futures: Sequence[asyncio.Future[None]], within: float
    ) -> None:
        """Wait for the acks; raise the first :class:`SubscriptionError`; give up quietly on timeout."""
        if not futures:
            return
        done, not_done = await asyncio.wait(futures, timeout=within)
        for channel, future in zip(channels, futures, strict=True):
            if future in not_done:
                future.cancel()
                self._discard(channel, future)
                self._timeouts.inc()
                logger.debug("no ack for %s within %.1fs; assuming it is live", channel, within)
        errors = [future.exception() for future in futures if future in done and not future.cancelled()]
        first = next((error for error in errors if error is not None), None)
        if first is not None:
            raise first

    def _discard(self, channel: str, future: asyncio.Future[None]) -> None:
        waiting = self._pending.get(channel)
        if waiting and future in waiting:
            waiting.remove(future)
            if not waiting:
                del self._pending[channel]

    def handle(self, control: ControlMessage) -> None:
        """Consume one control message decoded by :class:`exchanges_mexc.parsing.MexcFrameDecoder`."""
        if control.is_pong:
            self._pongs.inc()
            return
        for channel in control.blocked:
            self._reject(channel, (control.reason or "refused").strip())
        if control.blocked or control.invalid_listen_key:
            return
        if control.code not in (0, None):
            self._errors.inc()
            logger.warning("MEXC WebSocket error answer: code=%s msg=%r", control.code, control.msg[:200])
            return
        for channel in control.channels:
            self._acks.inc()
            logger.debug("subscription acknowledged: %s", channel)
            for future in self._pending.pop(channel, ()):
                if not future.done():
                    future.set_result(None)
            if self._on_ack is not None:
                self._on_ack(channel)

    def _reject(self, channel: str, reason: str) -> None:
        self._rejections.inc()
        error = SubscriptionError(
            f"MEXC refused subscription to {channel}: {reason}", channel=channel, exchange=self._exchange
        )
        logger.warning("%s", error)
        for future in self._pending.pop(channel, ()):
            if not future.done():
                future.set_exception(error)
        if self._on_rejected is not None:
            self._on_rejected(channel, error)

    def fail_all(self, error: BaseException) -> None:
        """Wake every waiter with ``error`` (used on close)."""
        for waiting in self._pending.values():
            for future in waiting:
                if not future.done():
                    future.set_exception(error)
        self._pending.clear()
