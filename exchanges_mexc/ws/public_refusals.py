"""What the public WebSocket does when MEXC refuses a channel that nobody was awaiting.

A re-subscription after a reconnect, or an answer that came after the ack timeout, has no caller
to raise to. A refused channel is forgotten (not re-sent after every reconnect); if it fed a local
book, that book goes STALE and its channel is retried (:mod:`.book_retries`); any other channel is
retried too (:mod:`.channel_retries`), a trade channel's loss counted as a possible gap
(``mexc.ws.trades.possible_gaps``, a ``TradeGap`` on the trade-gap stream).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from exchanges.errors import SubscriptionError
from exchanges.metrics import MetricsRegistry
from exchanges.models import Symbol, TradeGap
from exchanges.streams import EventStream
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws import channels as ch
from exchanges_mexc.ws.book_retries import RefusedBookRetries
from exchanges_mexc.ws.books import LocalBooks
from exchanges_mexc.ws.channel_retries import RefusedChannelRetries
from exchanges_mexc.ws.public_connections import PublicConnections
from exchanges_mexc.ws.public_subscriptions import PublicSubscriptions


class PublicRefusals:
    """Owns the retries of refused channels (books and others) of one public WebSocket."""

    def __init__(
        self,
        *,
        books: LocalBooks,
        subscriptions: PublicSubscriptions,
        connections: PublicConnections,
        symbol_mapper: MexcSymbolMapper,
        metrics: MetricsRegistry,
        trade_gaps: EventStream[TradeGap],
        closed: Callable[[], bool],
        ack_timeout: float,
    ) -> None:
        self._subscriptions = subscriptions
        self._connections = connections
        self._symbol_mapper = symbol_mapper
        self._metrics = metrics
        self._trade_gaps = trade_gaps
        self._closed = closed
        self._book_retries = RefusedBookRetries(
            books,
            subscriptions.subscribe,
            subscriptions.forgotten,
            confirm_within=ack_timeout,
        )
        self._channel_retries = RefusedChannelRetries(
            subscriptions.subscribe, subscriptions.forgotten, on_refused=self._trades_refused
        )

    def on_rejected(self, channel: str, error: SubscriptionError) -> None:
        """MEXC refused ``channel`` (see module doc)."""
        unawaited = channel in self._connections.pool.subscriptions and not self._subscriptions.awaits(
            channel
        )
        self._subscriptions.on_rejected(channel, error)
        if unawaited and not self._closed():
            fed = self._connections.books_fed_by(channel)
            for symbol in fed:
                self._book_retries.refused(symbol, channel, error)
            if not fed:
                self._channel_retries.refused(channel, error)

    def _trades_refused(self, channel: str, error: SubscriptionError) -> None:
        """A trade channel refused while nobody awaited it: its trades until the retry are lost."""
        parsed = ch.parse_channel(channel)
        if parsed.kind is not ch.ChannelKind.AGGRE_DEALS or parsed.pair is None:
            return
        symbol = self._symbol_mapper.to_symbol(parsed.pair)
        self._metrics.counter("mexc.ws.trades.possible_gaps").inc()
        now_ms = int(time.time() * 1000)
        self._trade_gaps.publish(TradeGap(symbol, now_ms, f"subscription refused: {error}"))

    async def cancel_channels(self, channels: Sequence[str]) -> None:
        """Unsubscribed: a refused channel being retried is dropped too."""
        await self._channel_retries.cancel(channels)

    async def cancel_book(self, symbol: Symbol) -> None:
        await self._book_retries.cancel(symbol)

    async def close(self) -> None:
        await self._book_retries.close()
        await self._channel_retries.close()
