"""Subscription handling of the public streams: raw channels, their acks, chunking, trade de-duplication.

:class:`PublicSubscriptions` owns what is asked of MEXC: it checks channel names and pairs locally,
registers the expected acks before the request goes out, subscribes through the connection pool in
chunks of one request's worth, forgets channels MEXC refuses (so they are not re-sent after every
reconnect), and switches the router's trade de-duplication on while a symbol's trades arrive on two
channels. :class:`~exchanges_mexc.ws.public.MexcPublicSpotWebsocket` delegates its ``subscribe_*``
methods here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from exchanges.errors import SubscriptionError
from exchanges.models import Symbol
from exchanges.recording import Recorder, ReplaySource
from exchanges.transport.ws import ReconnectingWebSocket, WebSocketPool
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws import channels as ch
from exchanges_mexc.ws.acks import AckTracker
from exchanges_mexc.ws.codec import MAX_PARAMS_PER_REQUEST
from exchanges_mexc.ws.dispatch import PublicRouter
from exchanges_mexc.ws.replay import ReplayPool

__all__ = ["PublicSubscriptions", "needs_trade_dedupe"]


def needs_trade_dedupe(channels: Iterable[str]) -> bool:
    """True while some symbol's trades are subscribed on two channels (every trade is then de-duplicated)."""
    pairs = [
        parsed.pair
        for channel in channels
        if (parsed := ch.parse_channel(channel)).kind is ch.ChannelKind.AGGRE_DEALS
    ]
    return len(pairs) != len(set(pairs))


class PublicSubscriptions:
    """Subscribe and unsubscribe public channels over ``pool``, waiting for MEXC's acks."""

    def __init__(
        self,
        pool: WebSocketPool[ReconnectingWebSocket] | ReplayPool,
        *,
        acks: AckTracker,
        router: PublicRouter,
        symbol_mapper: MexcSymbolMapper,
        ack_timeout: float,
        recorder: Recorder | None = None,
        replay: ReplaySource | None = None,
    ) -> None:
        self._pool = pool
        self._acks = acks
        self._router = router
        self.symbol_mapper = symbol_mapper
        self._ack_timeout = ack_timeout
        self._recorder = recorder
        self._replay = replay
        self._pending_unsubscribes: set[asyncio.Task[None]] = set()
        self._awaited: set[str] = set()  # channels a subscribe() call is waiting for
        self._closed = False

    def close(self) -> None:
        """Stop forgetting refused channels (the client is closing): cancel what is pending."""
        self._closed = True
        for task in list(self._pending_unsubscribes):
            task.cancel()

    async def subscribe(self, channels: Sequence[str]) -> None:
        """Subscribe raw channel names; raise SubscriptionError if MEXC refuses one ("Blocked").

        Unknown or outdated names (not ``...v3.api.pb``) are refused locally with ValueError.
        """
        for channel in channels:
            ch.parse_channel(channel)
        new = [channel for channel in dict.fromkeys(channels) if channel not in self._pool.subscriptions]
        if not new:
            return
        for channel in new:
            pair = ch.parse_channel(channel).pair
            if pair is not None and not self.symbol_mapper.is_known(pair):
                self.symbol_mapper.to_symbol(pair)  # raises SymbolNotSupported for unsplittable pairs
        if self._replay is not None:
            await self._pool.subscribe(new)  # no acks to wait for: they are in the recording
            return
        if self._recorder is not None:
            self._recorder.note_channels(new)
        futures = self._acks.expect(new)
        self.update_trade_dedupe(new)  # before the first frame of a new channel can arrive
        try:
            await self._pool.subscribe(new)
        except BaseException:
            for future in futures:
                future.cancel()
            self.update_trade_dedupe()
            raise
        self._awaited.update(new)
        try:
            await self._acks.wait(new, futures, within=self._ack_timeout)
        finally:
            self._awaited.difference_update(new)

    def awaits(self, channel: str) -> bool:
        """True while a :meth:`subscribe` call waits for ``channel``'s answer (a refusal reaches it)."""
        return channel in self._awaited

    async def forgotten(self) -> None:
        """Wait until the refused channels being forgotten are (so that subscribing again sends them)."""
        while self._pending_unsubscribes:
            await asyncio.wait(list(self._pending_unsubscribes))

    async def unsubscribe(self, channels: Sequence[str]) -> None:
        try:
            await self._pool.unsubscribe(
                [channel for channel in channels if channel in self._pool.subscriptions]
            )
        finally:
            self.update_trade_dedupe()

    def update_trade_dedupe(self, adding: Sequence[str] = ()) -> None:
        """De-duplicate every trade while some symbol's trades are subscribed on two channels."""
        self._router.dedupe_always = needs_trade_dedupe((*self._pool.subscriptions, *adding))

    def on_rejected(self, channel: str, error: SubscriptionError) -> None:
        """A refused channel is forgotten, so it is not re-sent after every reconnect; its connection
        takes no further channel, so subscribing it again lands on another one."""
        if self._closed or channel not in self._pool.subscriptions:
            return
        task = asyncio.get_running_loop().create_task(self._forget_refused(channel))
        self._pending_unsubscribes.add(task)
        task.add_done_callback(self._pending_unsubscribes.discard)

    async def _forget_refused(self, channel: str) -> None:
        try:
            if isinstance(self._pool, WebSocketPool):
                await self._pool.refused([channel])
            else:  # a replay: nothing to move
                await self._pool.unsubscribe([channel])
        finally:
            self.update_trade_dedupe()

    def pairs(self, symbols: Iterable[Symbol]) -> list[str]:
        """MEXC pair names of ``symbols`` (registered with the mapper, noted by the recorder)."""
        symbols = list(symbols)
        if self._recorder is not None:
            self._recorder.note_symbols(str(symbol) for symbol in symbols)
        pairs = []
        for symbol in symbols:
            pair = self.symbol_mapper.to_pair(symbol)
            self.symbol_mapper.register(symbol, pair)
            pairs.append(pair)
        return pairs

    async def subscribe_chunked(self, channels: list[str]) -> None:
        """Subscribe in chunks of at most one request's worth; every chunk is tried, first error raised."""
        errors: list[BaseException] = []
        for start in range(0, len(channels), MAX_PARAMS_PER_REQUEST):
            try:
                await self.subscribe(channels[start : start + MAX_PARAMS_PER_REQUEST])
            except SubscriptionError as error:
                errors.append(error)
        if errors:
            raise errors[0]
