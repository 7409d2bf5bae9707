"""Relaying one WebSocket connection frame by frame, with scheduled frame faults.

Protocol PINGs and PONGs are relayed by hand (autoping off on both sides), so a stalled connection
answers nothing at all, as a dead peer behind a silent socket would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

import aiohttp
from aiohttp import web

from exchanges.testing.chaos._faults import WsFault
from exchanges.testing.chaos._schedule import FaultSchedule

log = logging.getLogger("exchanges.testing.chaos")

_DATA = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)


def corrupt(data: str | bytes, rng: random.Random) -> str | bytes:
    """``data`` with one to three positions overwritten; text stays valid text."""
    if not data:
        return data
    if isinstance(data, str):
        chars = list(data)
        for _ in range(rng.randint(1, 3)):
            chars[rng.randrange(len(chars))] = chr(rng.randint(33, 126))
        return "".join(chars)
    raw = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        raw[rng.randrange(len(raw))] ^= rng.randint(1, 255)
    return bytes(raw)


class WsLink:
    """One client WebSocket and its upstream twin; the proxy's handle to stall or drop it."""

    def __init__(
        self,
        number: int,
        client: web.WebSocketResponse,
        upstream: aiohttp.ClientWebSocketResponse,
        schedule: FaultSchedule,
        client_transport: asyncio.BaseTransport | None,
        path: str = "",
    ) -> None:
        self.number = number
        self.path = path
        """The raw path and query the client opened (e.g. ``/ws?listenKey=...``)."""
        self.client = client
        self.client_transport = client_transport
        self.upstream = upstream
        self.schedule = schedule
        self.rng = schedule.connection_random("ws", number)
        self.stalled = False
        self.frames_forwarded = 0
        self._held: aiohttp.WSMessage | None = None
        self._dropped = asyncio.Event()

    def stall(self) -> None:
        """Nothing is relayed either way from now on; both sockets stay open."""
        self.stalled = True

    def drop(self) -> None:
        """End the connection abruptly (no close frame to the client)."""
        self._dropped.set()

    async def run(self) -> None:
        from_client = asyncio.create_task(self._client_to_upstream())
        dropped = asyncio.create_task(self._dropped.wait())
        pumps = {from_client, dropped, asyncio.create_task(self._upstream_to_client())}
        try:
            done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            if self.stalled and not (done & {from_client, dropped}):
                # the server is gone or silenced; the client must find out by itself
                await asyncio.wait({from_client, dropped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            await self.upstream.close()
            aborted = self._dropped.is_set() or self.upstream.close_code is None
            if aborted and isinstance(self.client_transport, asyncio.Transport):
                self.client_transport.abort()
            with contextlib.suppress(Exception):
                await self.client.close(code=self.upstream.close_code or aiohttp.WSCloseCode.GOING_AWAY)

    async def _client_to_upstream(self) -> None:
        async for message in self.client:
            if self.stalled:
                continue
            if message.type is aiohttp.WSMsgType.TEXT:
                await self.upstream.send_str(message.data)
            elif message.type is aiohttp.WSMsgType.BINARY:
                await self.upstream.send_bytes(message.data)
            elif message.type is aiohttp.WSMsgType.PING:
                await self.upstream.ping(message.data)
            elif message.type is aiohttp.WSMsgType.PONG:
                await self.upstream.pong(message.data)
        if self.stalled:
            return
        await self.upstream.close()

    async def _upstream_to_client(self) -> None:
        async for message in self.upstream:
            if self.stalled:
                continue
            if message.type is aiohttp.WSMsgType.PING:
                await self.client.ping(message.data)
            elif message.type is aiohttp.WSMsgType.PONG:
                await self.client.pong(message.data)
            elif message.type in _DATA:
                await self._relay(message)
        if self._held is not None and not self.stalled:
            await self._send(self._held)

    async def _relay(self, message: aiohttp.WSMessage) -> None:
        fault = self.schedule.next_ws(self.rng, self.number)
        if fault is not None:
            log.debug("ws conn#%d: %s", self.number, fault.value)
        if fault is WsFault.STALL:
            self.stall()
            return
        if fault is WsFault.DROP:
            return
        if fault is WsFault.DELAY:
            await asyncio.sleep(self.schedule.ws_delay)
        if fault is WsFault.CORRUPT:
            message = aiohttp.WSMessage(message.type, corrupt(message.data, self.rng), message.extra)
        held, self._held = self._held, None
        if fault is WsFault.REORDER and held is None:
            self._held = message
            return
        await self._send(message)
        if fault is WsFault.DUPLICATE:
            await self._send(message)
        if held is not None:
            await self._send(held)

    async def _send(self, message: aiohttp.WSMessage) -> None:
        if message.type is aiohttp.WSMsgType.TEXT:
            await self.client.send_str(message.data)
        else:
            await self.client.send_bytes(message.data)
        self.frames_forwarded += 1
