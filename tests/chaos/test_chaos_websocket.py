"""ChaosProxy WebSocket relay over real loopback sockets: frames relayed in order, and each frame fault."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from exchanges.testing.chaos import ChaosProxy, FaultSchedule, WsFault


class Upstream:
    """A real WebSocket server: on "send N" it pushes text frames "0".."N-1"; echoes anything else."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.got = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.sockets: list[web.WebSocketResponse] = []
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws", self._ws)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        async for message in ws:
            if message.type is aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(message.data)
                continue
            self.received.append(message.data)
            self.got.set()
            if message.data.startswith("send "):
                for i in range(int(message.data.split()[1])):
                    await ws.send_str(str(i))
            else:
                await ws.send_str(message.data)
        return ws


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[Upstream]:
    server = Upstream()
    await server.start()
    yield server
    assert server.runner is not None
    await server.runner.cleanup()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def receive_texts(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[str]:
    return [(await ws.receive_str(timeout=10)) for _ in range(count)]


async def connect(http: aiohttp.ClientSession, proxy: ChaosProxy) -> aiohttp.ClientWebSocketResponse:
    return await http.ws_connect(proxy.rewrite("ws://127.0.0.1:1/ws"), autoping=False)


async def test_relays_frames_in_order(upstream: Upstream, http: aiohttp.ClientSession) -> None:
    async with ChaosProxy(upstream.url) as proxy:
        ws = await connect(http, proxy)
        await ws.send_str("send 50")
        assert await receive_texts(ws, 50) == [str(i) for i in range(50)]
        await ws.send_bytes(b"\x00\x01")
        assert await ws.receive_bytes(timeout=10) == b"\x00\x01"
        await ws.ping(b"p")
        pong = await ws.receive(timeout=10)
        assert pong.type is aiohttp.WSMsgType.PONG
        assert pong.data == b"p"
        assert proxy.open_websockets == 1
        await ws.close()


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (WsFault.DUPLICATE, ["0", "0", "1", "2", "3"]),
        (WsFault.DROP, ["1", "2", "3", "4"]),
        (WsFault.REORDER, ["1", "0", "2", "3"]),
        (WsFault.DELAY, ["0", "1", "2", "3"]),
    ],
)
async def test_frame_faults(
    upstream: Upstream, http: aiohttp.ClientSession, fault: WsFault, expected: list[str]
) -> None:
    schedule = FaultSchedule(1, ws_delay=0.01)
    schedule.inject(fault)
    async with ChaosProxy(upstream.url, schedule) as proxy:
        ws = await connect(http, proxy)
        await ws.send_str("send 5")
        assert await receive_texts(ws, len(expected)) == expected
        await ws.close()


async def test_corrupt_changes_the_frame_but_keeps_it_text(
    upstream: Upstream, http: aiohttp.ClientSession
) -> None:
    schedule = FaultSchedule(1)
    schedule.inject(WsFault.CORRUPT)
    async with ChaosProxy(upstream.url, schedule) as proxy:
        ws = await connect(http, proxy)
        await ws.send_str('{"method":"SUBSCRIPTION","params":["spot@public.aggre.deals"]}')
        corrupted = await ws.receive_str(timeout=10)
        assert corrupted != upstream.received[0]
        assert len(corrupted) == len(upstream.received[0])
        await ws.close()


async def test_stall_is_silent_both_ways_and_never_closes(
    upstream: Upstream, http: aiohttp.ClientSession
) -> None:
    async with ChaosProxy(upstream.url) as proxy:
        ws = await connect(http, proxy)
        await ws.send_str("hello")
        assert await ws.receive_str(timeout=10) == "hello"
        proxy.stall_websockets()
        await ws.ping(b"are you there")
        await ws.send_str("lost")
        with pytest.raises(TimeoutError):
            await ws.receive(timeout=0.5)
        assert upstream.received == ["hello"]
        assert not ws.closed
        await upstream.sockets[0].close()  # the server goes away: the client still hears nothing
        with pytest.raises(TimeoutError):
            await ws.receive(timeout=0.5)
        assert not ws.closed
        await ws.close()


async def test_scheduled_stall(upstream: Upstream, http: aiohttp.ClientSession) -> None:
    schedule = FaultSchedule(1)
    schedule.inject(WsFault.STALL)
    async with ChaosProxy(upstream.url, schedule) as proxy:
        ws = await connect(http, proxy)
        await ws.send_str("send 3")
        with pytest.raises(TimeoutError):
            await ws.receive(timeout=0.5)
        await ws.close()


async def test_drop_websockets_aborts_the_client(upstream: Upstream, http: aiohttp.ClientSession) -> None:
    async with ChaosProxy(upstream.url) as proxy:
        ws = await connect(http, proxy)
        proxy.drop_websockets()
        message = await ws.receive(timeout=10)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


async def test_server_close_reaches_the_client(upstream: Upstream, http: aiohttp.ClientSession) -> None:
    async with ChaosProxy(upstream.url) as proxy:
        ws = await connect(http, proxy)
        await ws.send_str("x")
        await ws.receive_str(timeout=10)
        await upstream.sockets[0].close(code=4001)
        message = await ws.receive(timeout=10)
        assert message.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4001


async def test_upstream_refusal_is_relayed(http: aiohttp.ClientSession, upstream: Upstream) -> None:
    async with ChaosProxy(upstream.url) as proxy:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(proxy.rewrite("ws://127.0.0.1:1/nope"))
        assert info.value.status == 404


async def test_random_frame_faults_follow_the_seed(upstream: Upstream, http: aiohttp.ClientSession) -> None:
    runs = []
    for _ in range(2):
        schedule = FaultSchedule(5, ws={WsFault.DROP: 0.2, WsFault.DUPLICATE: 0.2})
        async with ChaosProxy(upstream.url, schedule) as proxy:
            ws = await connect(http, proxy)
            await ws.send_str("send 40")
            await ws.send_str("end")
            seen = []
            while (text := await ws.receive_str(timeout=10)) != "end":
                seen.append(text)
            runs.append(seen)
            await ws.close()
    assert runs[0] == runs[1]
    assert runs[0] != [str(i) for i in range(40)]
