"""Spread many channels over several ReconnectingWebSockets, at most ``max_per_connection`` each.

Exchanges cap subscriptions per connection (MEXC: 30). The pool fills existing connections' free
slots first (in creation order) and opens a new connection only when all are full, so 45
channels with a cap of 30 use two connections. Unsubscribing frees slots; a connection left with
no channel is closed (servers such as MEXC drop idle connections anyway). ``close()`` closes all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from exchanges.transport.ws import ReconnectingWebSocket


class WebSocketPool:
    """Channel -> connection assignment over connections built by ``connection_factory``.

    The factory returns a new, not yet started ReconnectingWebSocket (with its own name, handler,
    codec...); the pool starts it when it needs it.
    """

    def __init__(
        self, connection_factory: Callable[[], ReconnectingWebSocket], max_per_connection: int
    ) -> None:
        if max_per_connection < 1:
            raise ValueError(f"max_per_connection must be at least 1, got {max_per_connection}")
        self._factory = connection_factory
        self.max_per_connection = max_per_connection
        self.connections: list[ReconnectingWebSocket] = []
        self._owner: dict[str, ReconnectingWebSocket] = {}
        self._lock = asyncio.Lock()

    @property
    def subscriptions(self) -> frozenset[str]:
        return frozenset(self._owner)

    def connection_for(self, channel: str) -> ReconnectingWebSocket | None:
        return self._owner.get(channel)

    async def subscribe(self, channels: Sequence[str]) -> None:
        """Subscribe channels not yet subscribed, filling free slots before opening connections."""
        async with self._lock:
            pending = [channel for channel in dict.fromkeys(channels) if channel not in self._owner]
            for conn in list(self.connections):
                if not pending:
                    return
                free = self.max_per_connection - self._load(conn)
                if free > 0:
                    batch, pending = pending[:free], pending[free:]
                    await self._assign(conn, batch)
            while pending:
                batch, pending = pending[: self.max_per_connection], pending[self.max_per_connection :]
                conn = self._factory()
                await conn.start()  # raises ExchangeConnectionError; nothing assigned then
                self.connections.append(conn)
                await self._assign(conn, batch)

    async def unsubscribe(self, channels: Sequence[str]) -> None:
        async with self._lock:
            by_conn: dict[int, tuple[ReconnectingWebSocket, list[str]]] = {}
            for channel in dict.fromkeys(channels):
                conn = self._owner.pop(channel, None)
                if conn is not None:
                    by_conn.setdefault(id(conn), (conn, []))[1].append(channel)
            for conn, batch in by_conn.values():
                await conn.unsubscribe(batch)
                if self._load(conn) == 0:
                    self.connections.remove(conn)
                    await conn.close()

    async def close(self) -> None:
        async with self._lock:
            connections, self.connections = self.connections, []
            self._owner.clear()
            await asyncio.gather(*(conn.close() for conn in connections), return_exceptions=True)

    async def _assign(self, conn: ReconnectingWebSocket, batch: list[str]) -> None:
        for channel in batch:
            self._owner[channel] = conn
        await conn.subscribe(batch)

    def _load(self, conn: ReconnectingWebSocket) -> int:
        return sum(1 for owner in self._owner.values() if owner is conn)
