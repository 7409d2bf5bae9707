"""ReplayPool: the replay transport of the MEXC public client, in place of its WebSocket pool.

It has the pool's interface (``subscribe``, ``unsubscribe``, ``subscriptions``, ``connections``,
``close``), so the client's subscription code is the same; but nothing is opened: the recording is
the server's output, and it is fed to the client's frame handler by a
:class:`~exchanges.recording.ReplaySource`.

Rules (docs/recording.md, "Replay"):

* a channel can be subscribed only if the recording holds it (else ``SubscriptionError``); no ack
  is awaited (the recorded acks are part of the replayed frames);
* the feed starts with the first subscription (after the caller's current step, so handlers and
  iterators set up right after it miss nothing) and delivers every recorded channel from the
  first record: the books of every recorded depth channel are maintained from the start, so they
  match the recording whenever they are looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from exchanges.errors import SubscriptionError
from exchanges.recording import ReplaySource
from exchanges.transport.ws import ReconnectingWebSocket
from exchanges_mexc.constants import EXCHANGE_NAME


class ReplayPool:
    """Channel bookkeeping for a replay; starts the feed on the first subscription."""

    def __init__(self, source: ReplaySource, start_feed: Callable[[], None]) -> None:
        self._source = source
        self._start_feed = start_feed
        self._recorded = frozenset(source.manifest.channels)
        self._subscribed: dict[str, None] = {}
        self.connections: list[ReconnectingWebSocket] = []

    @property
    def subscriptions(self) -> frozenset[str]:
        return frozenset(self._subscribed)

    @property
    def recorded_channels(self) -> frozenset[str]:
        return self._recorded

    def connection_for(self, channel: str) -> ReconnectingWebSocket | None:
        return None

    async def subscribe(self, channels: Sequence[str]) -> None:
        missing = [channel for channel in channels if channel not in self._recorded]
        if missing:
            raise SubscriptionError(
                f"not in the recording {self._source.reader.directory}: {', '.join(missing)}",
                channel=missing[0],
                exchange=EXCHANGE_NAME,
            )
        self._subscribed.update(dict.fromkeys(channels))
        self._start_feed()

    async def unsubscribe(self, channels: Sequence[str]) -> None:
        for channel in channels:
            self._subscribed.pop(channel, None)

    async def close(self) -> None:
        self._subscribed.clear()
        await self._source.close()
