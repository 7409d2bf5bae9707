"""Closing the TCP chaos proxy with relayed connections open is quiet: no asyncio error reports."""

from __future__ import annotations

import asyncio
import logging

import pytest

from exchanges.testing.chaos import TcpChaosProxy


async def test_closing_the_proxy_with_open_links_logs_no_callback_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(100):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    caplog.set_level(logging.ERROR, logger="asyncio")
    proxy = await TcpChaosProxy("127.0.0.1", port).start()
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"hello")
    await writer.drain()
    assert await asyncio.wait_for(reader.readexactly(5), 5) == b"hello"
    proxy.stall_all()  # the link stays open: close() has to cancel its task
    await proxy.close()
    for _ in range(5):
        await asyncio.sleep(0)  # let the server's done-callbacks run
    writer.close()
    server.close()
    await server.wait_closed()
    assert proxy.open_connections == 0
    assert not [r for r in caplog.records if r.name == "asyncio"], [r.getMessage() for r in caplog.records]
