"""WebSocketPool over a real aiohttp WebSocket server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence

import aiohttp
import pytest
from aiohttp import web

from exchanges.metrics import MetricsRegistry
from exchanges.strategies import DefaultConnectionStrategy, ReconnectionPolicy
from exchanges.transport.ws import ReconnectingWebSocket, WebSocketPool


class Codec:
    def subscribe(self, channels: Sequence[str]) -> str:
        return json.dumps({"method": "SUBSCRIPTION", "params": list(channels)})

    def unsubscribe(self, channels: Sequence[str]) -> str:
        return json.dumps({"method": "UNSUBSCRIPTION", "params": list(channels)})


class CapServer:
    """Records the channel set of each connection and refuses more than ``cap`` per connection."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.channels: list[set[str]] = []
        self.sockets: list[web.WebSocketResponse] = []
        self.over_cap = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/ws"

    async def stop(self) -> None:
        for ws in self.sockets:
            await ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        channels: set[str] = set()
        self.channels.append(channels)
        self.sockets.append(ws)
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data["method"] == "SUBSCRIPTION":
                channels.update(data["params"])
                if len(channels) > self.cap:
                    self.over_cap += 1
            else:
                channels.difference_update(data["params"])
        return ws

    def open_count(self) -> int:
        return sum(1 for ws in self.sockets if not ws.closed)


@pytest.fixture
async def server() -> AsyncIterator[CapServer]:
    srv = CapServer(cap=30)
    await srv.start()
    yield srv
    await srv.stop()


async def until(predicate: Callable[[], bool], limit: float = 5.0) -> None:
    """Poll ``predicate`` (state held by servers and callbacks) until true or ``limit`` seconds pass."""
    async with asyncio.timeout(limit):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


def factory(url: str) -> Callable[[], ReconnectingWebSocket]:
    metrics = MetricsRegistry()
    count = 0

    def make() -> ReconnectingWebSocket:
        nonlocal count
        count += 1
        return ReconnectingWebSocket(
            url,
            name=f"pool{count}",
            on_frame=lambda frame: None,
            codec=Codec(),
            strategy=DefaultConnectionStrategy(policy=ReconnectionPolicy(initial_delay=0.01)),
            metrics=metrics,
        )

    return make


async def test_45_channels_use_two_connections(server: CapServer) -> None:
    pool = WebSocketPool(factory(server.url), max_per_connection=30)
    channels = [f"c{i}" for i in range(45)]
    await pool.subscribe(channels)
    await pool.subscribe(channels[:5])  # already subscribed: no change
    assert len(pool.connections) == 2
    assert [len(c.subscriptions) for c in pool.connections] == [30, 15]
    await until(lambda: sum(len(c) for c in server.channels) == 45)
    assert len(server.channels) == 2
    assert server.over_cap == 0
    assert pool.subscriptions == frozenset(channels)

    # freeing slots on the first connection lets new channels reuse it
    await pool.unsubscribe(channels[:10])
    await pool.subscribe([f"n{i}" for i in range(20)])
    assert len(pool.connections) == 2
    assert [len(c.subscriptions) for c in pool.connections] == [30, 25]
    await until(lambda: [len(c) for c in server.channels] == [30, 25])
    assert server.over_cap == 0

    # a connection left empty is closed
    second = pool.connections[1]
    await pool.unsubscribe(sorted(second.subscriptions))
    assert len(pool.connections) == 1
    assert not second.connected
    await until(lambda: server.open_count() == 1)

    await pool.close()
    assert pool.connections == []
    await until(lambda: server.open_count() == 0)


async def test_small_cap_spreads_evenly_in_order(server: CapServer) -> None:
    pool = WebSocketPool(factory(server.url), max_per_connection=2)
    await pool.subscribe(["a", "b", "c", "d", "e"])
    assert [sorted(c.subscriptions) for c in pool.connections] == [["a", "b"], ["c", "d"], ["e"]]
    assert pool.connection_for("c") is pool.connections[1]
    await pool.close()


def test_rejects_bad_cap() -> None:
    with pytest.raises(ValueError, match="max_per_connection"):
        WebSocketPool(factory("ws://127.0.0.1:1/ws"), max_per_connection=0)
