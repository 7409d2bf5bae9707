"""Local order books' subscriptions: a book exists while its ``aggre.depth`` channel is wanted.

Subscribing adds the books first (so the first push is applied), subscribes their depth channels,
and on failure removes the books added for channels that did not get subscribed; once MEXC
acknowledges, each book may sync without waiting for a push. Unsubscribing cancels any retry of a
refused channel first, then drops the channels and the books.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from exchanges.models import Symbol
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws import channels as ch
from exchanges_mexc.ws.books import LocalBooks
from exchanges_mexc.ws.public_connections import PublicConnections
from exchanges_mexc.ws.public_refusals import PublicRefusals
from exchanges_mexc.ws.public_subscriptions import PublicSubscriptions


class BookSubscriptions:
    """Adds and removes local books together with their depth channels (see module doc)."""

    def __init__(
        self,
        books: LocalBooks,
        *,
        subscriptions: PublicSubscriptions,
        connections: PublicConnections,
        refusals: PublicRefusals,
        symbol_mapper: MexcSymbolMapper,
        unsubscribe: Callable[[Sequence[str]], Awaitable[None]],
    ) -> None:
        self._books = books
        self._subscriptions = subscriptions
        self._connections = connections
        self._refusals = refusals
        self._symbol_mapper = symbol_mapper
        self._unsubscribe = unsubscribe

    async def subscribe(self, symbols: Sequence[Symbol], interval: str) -> None:
        pairs = self._subscriptions.pairs(symbols)
        added = [symbol for symbol in symbols if symbol not in self._books]
        for symbol in added:
            self._books.add(symbol)
        try:
            await self._subscriptions.subscribe_chunked([ch.aggre_depth(pair, interval) for pair in pairs])
        except BaseException:
            for symbol in added:
                channel = ch.aggre_depth(self._symbol_mapper.to_pair(symbol), interval)
                if channel not in self._connections.pool.subscriptions:
                    await self._books.remove(symbol)
            raise
        self._books.subscribed(symbols)  # acknowledged: a quiet symbol must not wait for a push

    async def unsubscribe(self, symbols: Sequence[Symbol], interval: str) -> None:
        """Stop the local books of ``symbols`` and their depth channels.

        A refused book's retry is cancelled first: one waking after the unsubscription would
        subscribe the channel again, left subscribed with no book behind it."""
        pairs = self._subscriptions.pairs(symbols)  # unknown symbols are refused before anything is cancelled
        for symbol in symbols:
            await self._refusals.cancel_book(symbol)
        await self._unsubscribe([ch.aggre_depth(pair, interval) for pair in pairs])
        for symbol in symbols:
            await self._books.remove(symbol)
