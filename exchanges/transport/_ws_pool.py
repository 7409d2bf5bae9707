"""Spread many channels over several ReconnectingWebSockets, at most ``max_per_connection`` each.

Exchanges cap subscriptions per connection (MEXC: 30). The pool fills existing connections' free
slots first (in creation order) and opens a new connection only when all are full, so 45
channels with a cap of 30 use two connections. Unsubscribing frees slots; a connection left with
no channel is closed (servers such as MEXC drop idle connections anyway). ``close()`` closes all.

A channel the server refuses (:meth:`WebSocketPool.refused`) is forgotten on its connection, and
that connection takes no further channel: a server that refuses a valid channel counts the
connection as full (its count and ours differ), so a retry must land on another connection
instead of being refused there again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar


class PooledConnection(Protocol):
    """What the pool needs from a connection (:class:`~exchanges.transport.ws.ReconnectingWebSocket`
    provides it); a Protocol so this module does not import the one that re-exports it."""

    async def start(self) -> None: ...

    async def subscribe(self, channels: Sequence[str]) -> None: ...

    async def unsubscribe(self, channels: Sequence[str]) -> None: ...

    async def close(self) -> None: ...


Conn = TypeVar("Conn", bound=PooledConnection)


class WebSocketPool(Generic[Conn]):
    """Channel -> connection assignment over connections built by ``connection_factory``.

    The factory returns a new, not yet started ReconnectingWebSocket (with its own name, handler,
    codec...); the pool starts it when it needs it.
    """

    def __init__(self, connection_factory: Callable[[], Conn], max_per_connection: int) -> None:
        if max_per_connection < 1:
            raise ValueError(f"max_per_connection must be at least 1, got {max_per_connection}")
        self._factory = connection_factory
        self.max_per_connection = max_per_connection
        self.connections: list[Conn] = []
        self._owner: dict[str, Conn] = {}
        self._capacity: dict[int, int] = {}  # id(conn) -> slots left to it after a refusal
        self._lock = asyncio.Lock()

    @property
    def subscriptions(self) -> frozenset[str]:
        return frozenset(self._owner)

    def connection_for(self, channel: str) -> Conn | None:
        return self._owner.get(channel)

    async def subscribe(self, channels: Sequence[str]) -> None:
        """Subscribe channels not yet subscribed, filling free slots before opening connections."""
        async with self._lock:
            pending = [channel for channel in dict.fromkeys(channels) if channel not in self._owner]
            for conn in list(self.connections):
                if not pending:
                    return
                free = self._capacity.get(id(conn), self.max_per_connection) - self._load(conn)
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
            await self._forget(channels, full=False)

    async def refused(self, channels: Sequence[str]) -> None:
        """The server refused ``channels``: forget them (they are not re-sent after a reconnect) and
        give their connections no further channel (see module doc)."""
        async with self._lock:
            await self._forget(channels, full=True)

    async def _forget(self, channels: Sequence[str], *, full: bool) -> None:
        by_conn: dict[int, tuple[Conn, list[str]]] = {}
        for channel in dict.fromkeys(channels):
            conn = self._owner.pop(channel, None)
            if conn is not None:
                by_conn.setdefault(id(conn), (conn, []))[1].append(channel)
        for conn, batch in by_conn.values():
            if full:
                self._capacity[id(conn)] = self._load(conn)
            await conn.unsubscribe(batch)
            if self._load(conn) == 0:
                self.connections.remove(conn)
                self._capacity.pop(id(conn), None)
                await conn.close()

    async def close(self) -> None:
        async with self._lock:
            connections, self.connections = self.connections, []
            self._owner.clear()
            self._capacity.clear()
            await asyncio.gather(*(conn.close() for conn in connections), return_exceptions=True)

    async def _assign(self, conn: Conn, batch: list[str]) -> None:
        for channel in batch:
            self._owner[channel] = conn
        await conn.subscribe(batch)

    def _load(self, conn: Conn) -> int:
        return sum(1 for owner in self._owner.values() if owner is conn)
