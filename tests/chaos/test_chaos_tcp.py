"""TcpChaosProxy over real loopback sockets: relays bytes, and each TCP fault does what it says."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from exchanges.testing.chaos import FaultSchedule, TcpChaosProxy, TcpFault

GREETING = bytes(range(256)) * 4  # 1024 bytes the server sends on connect


class Server:
    """A real TCP server: sends GREETING on connect, then echoes; records what it received."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.got_data = asyncio.Event()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(GREETING)
        try:
            while data := await reader.read(4096):
                self.received += data
                self.got_data.set()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    await srv.start()
    yield srv
    await srv.close()


async def open_through(proxy: TcpChaosProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(proxy.host, proxy.port)


async def read_exactly(reader: asyncio.StreamReader, n: int) -> bytes:
    return await asyncio.wait_for(reader.readexactly(n), 10)


async def read_until_eof(reader: asyncio.StreamReader) -> bytes:
    received = b""
    while chunk := await asyncio.wait_for(reader.read(4096), 10):
        received += chunk
    return received


async def test_relays_bytes_both_ways(server: Server) -> None:
    async with TcpChaosProxy("127.0.0.1", server.port) as proxy:
        reader, writer = await open_through(proxy)
        assert await read_exactly(reader, len(GREETING)) == GREETING
        writer.write(b"hello")
        assert await read_exactly(reader, 5) == b"hello"
        assert proxy.open_connections == 1
        writer.close()


async def test_stall_keeps_the_socket_open_and_silent(server: Server) -> None:
    async with TcpChaosProxy("127.0.0.1", server.port) as proxy:
        reader, writer = await open_through(proxy)
        await read_exactly(reader, len(GREETING))
        proxy.stall_all()
        writer.write(b"ping")
        await writer.drain()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.5)
        assert not server.received, "a stalled link must not deliver client bytes"
        assert not reader.at_eof()
        assert not writer.is_closing()
        assert proxy.open_connections == 1
        writer.close()


async def test_stall_hides_the_server_closing(server: Server) -> None:
    async with TcpChaosProxy("127.0.0.1", server.port) as proxy:
        reader, writer = await open_through(proxy)
        await read_exactly(reader, len(GREETING))
        proxy.stall_all()
        await server.close()  # stops accepting; the open connection is closed by the server below
        writer.write(b"x")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.5)
        assert not reader.at_eof()
        writer.close()
        await server.start()  # the fixture closes it again


async def test_half_open_delivers_client_bytes_only(server: Server) -> None:
    async with TcpChaosProxy("127.0.0.1", server.port) as proxy:
        reader, writer = await open_through(proxy)
        await read_exactly(reader, len(GREETING))
        proxy.half_open_all()
        writer.write(b"order")
        await writer.drain()
        await asyncio.wait_for(server.got_data.wait(), 10)
        assert bytes(server.received) == b"order"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.5)
        assert not reader.at_eof()
        writer.close()


async def test_scheduled_drip_delivers_in_small_pieces(server: Server) -> None:
    schedule = FaultSchedule(1, tcp_after_bytes=(0, 0), drip_bytes=100, drip_interval=0.001)
    schedule.inject(TcpFault.DRIP)
    async with TcpChaosProxy("127.0.0.1", server.port, schedule) as proxy:
        reader, writer = await open_through(proxy)
        pieces = []
        while sum(map(len, pieces)) < len(GREETING):
            pieces.append(await asyncio.wait_for(reader.read(4096), 10))
        assert b"".join(pieces) == GREETING
        assert len(pieces) >= len(GREETING) // 100
        assert max(map(len, pieces)) <= 200  # at most two drips coalesced by the kernel
        writer.close()
    assert [f.fault for f in schedule.injected] == [TcpFault.DRIP]


async def test_scheduled_truncate_cuts_after_the_chosen_byte(server: Server) -> None:
    schedule = FaultSchedule(1, tcp_after_bytes=(300, 300))
    schedule.inject(TcpFault.TRUNCATE)
    async with TcpChaosProxy("127.0.0.1", server.port, schedule) as proxy:
        reader, writer = await open_through(proxy)
        data = await asyncio.wait_for(reader.read(), 10)  # until EOF
        assert data == GREETING[:300]
        writer.close()


async def test_scheduled_reset_is_a_connection_reset(server: Server) -> None:
    schedule = FaultSchedule(1, tcp_after_bytes=(10, 10))
    schedule.inject(TcpFault.RESET)
    async with TcpChaosProxy("127.0.0.1", server.port, schedule) as proxy:
        reader, writer = await open_through(proxy)
        with pytest.raises(ConnectionResetError):
            await read_until_eof(reader)
        writer.close()


async def test_random_schedule_is_reproducible_per_connection(server: Server) -> None:
    rates = {TcpFault.TRUNCATE: 0.5}
    outcomes = []
    for _ in range(2):
        schedule = FaultSchedule(7, tcp=rates, tcp_after_bytes=(1, 1000))
        async with TcpChaosProxy("127.0.0.1", server.port, schedule) as proxy:
            lengths = []
            for _ in range(6):
                reader, writer = await open_through(proxy)
                writer.write_eof()
                data = await asyncio.wait_for(reader.read(), 10)
                lengths.append(len(data))
                writer.close()
            outcomes.append(lengths)
    assert outcomes[0] == outcomes[1]
    assert any(n < len(GREETING) for n in outcomes[0])
    assert any(n == len(GREETING) for n in outcomes[0])
