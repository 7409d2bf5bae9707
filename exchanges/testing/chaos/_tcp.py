"""``TcpChaosProxy``: a loopback TCP relay that injects byte-level faults into whatever passes through.

It knows no protocol, so it works for HTTP, WebSocket, NATS or anything else::

    async with TcpChaosProxy("127.0.0.1", server_port, schedule) as proxy:
        url = proxy.rewrite("ws://127.0.0.1:%d/ws" % server_port)  # the same URL through the proxy
        ...
        proxy.stall_all()  # every open connection goes silent now, sockets left open

Each accepted connection asks the schedule for a :class:`TcpFault` (and after how many server-to-client
bytes it starts). Tests can also act on every open connection at once: :meth:`stall_all`,
:meth:`half_open_all`, :meth:`reset_all`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from types import TracebackType

from exchanges.testing.chaos._faults import TcpFault
from exchanges.testing.chaos._schedule import FaultSchedule, TcpDecision
from exchanges.testing.chaos._urls import rewrite_url

log = logging.getLogger("exchanges.testing.chaos")

_CHUNK = 65536


class _Link:
    """One client connection and its upstream twin; the two pumps and the fault state they share."""

    def __init__(
        self,
        number: int,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        decision: TcpDecision | None,
        schedule: FaultSchedule,
    ) -> None:
        self.number = number
        self.client_reader, self.client_writer = client
        self.upstream_reader, self.upstream_writer = upstream
        self.decision = decision
        self.schedule = schedule
        self.upstream_silenced = False
        """Server-to-client bytes are discarded (STALL, HALF_OPEN)."""
        self.client_silenced = False
        """Client-to-server bytes are discarded (STALL)."""
        self.dripping = False
        self.closed = asyncio.Event()

    async def run(self) -> None:
        pumps = [
            asyncio.create_task(self._client_to_upstream()),
            asyncio.create_task(self._upstream_to_client()),
        ]
        try:
            # each direction ends on its own EOF; a silenced link stays open until the client goes away
            await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            self.abort_upstream()
            if not self.client_writer.is_closing():
                self.client_writer.close()
            self.closed.set()

    def stall(self) -> None:
        self.upstream_silenced = True
        self.client_silenced = True

    def half_open(self) -> None:
        self.upstream_silenced = True

    def reset(self) -> None:
        """Abort the client's socket with an RST (SO_LINGER 0), and the upstream one."""
        sock = self.client_writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.client_writer.transport.abort()
        self.abort_upstream()

    def abort_upstream(self) -> None:
        if not self.upstream_writer.is_closing():
            self.upstream_writer.transport.abort()

    async def _client_to_upstream(self) -> None:
        while data := await self.client_reader.read(_CHUNK):
            if self.client_silenced:
                continue
            self.upstream_writer.write(data)
            await self.upstream_writer.drain()
        if self.client_silenced or self.upstream_silenced:
            return
        with contextlib.suppress(OSError):
            self.upstream_writer.write_eof()

    async def _upstream_to_client(self) -> None:
        sent = 0
        pending = self.decision
        while data := await self.upstream_reader.read(_CHUNK):
            if pending is not None and sent + len(data) > pending.after_bytes:
                head, data = data[: pending.after_bytes - sent], data[pending.after_bytes - sent :]
                await self._send(head)
                sent += len(head)
                if not self._start(pending.fault):
                    return
                pending = None
            if self.upstream_silenced:
                continue
            await self._send(data)
            sent += len(data)
        if self.upstream_silenced:
            return  # the server closed; the client must not learn it: its socket stays open and silent
        with contextlib.suppress(OSError):
            self.client_writer.write_eof()

    def _start(self, fault: TcpFault) -> bool:
        """Begin ``fault``; False when the link is finished."""
        log.debug("tcp conn#%d: %s", self.number, fault.value)
        if fault is TcpFault.STALL:
            self.stall()
        elif fault is TcpFault.HALF_OPEN:
            self.half_open()
        elif fault is TcpFault.DRIP:
            self.dripping = True
        elif fault is TcpFault.RESET:
            self.reset()
            return False
        elif fault is TcpFault.TRUNCATE:
            self.client_writer.close()
            self.abort_upstream()
            return False
        return True

    async def _send(self, data: bytes) -> None:
        if not data:
            return
        if not self.dripping:
            self.client_writer.write(data)
            await self.client_writer.drain()
            return
        step = max(1, self.schedule.drip_bytes)
        for start in range(0, len(data), step):
            self.client_writer.write(data[start : start + step])
            await self.client_writer.drain()
            await asyncio.sleep(self.schedule.drip_interval)


class TcpChaosProxy:
    """Relay loopback TCP connections to ``upstream_host:upstream_port``, injecting scheduled faults."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        schedule: FaultSchedule | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.schedule = schedule if schedule is not None else FaultSchedule(0)
        self.host = host
        self.port = port
        self.connections_accepted = 0
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[object]] = set()
        self._closing = False

    async def start(self) -> TcpChaosProxy:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop accepting and abort every relayed connection."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.reset()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> TcpChaosProxy:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def rewrite(self, url: str) -> str:
        """``url`` with its host and port replaced by this proxy's (scheme and path kept)."""
        return rewrite_url(url, self.host, self.port)

    @property
    def open_connections(self) -> int:
        return len(self._links)

    def stall_all(self) -> None:
        """Every open connection goes silent both ways; no socket is closed."""
        for link in self._links:
            link.stall()

    def half_open_all(self) -> None:
        """Every open connection stops delivering server bytes; client bytes still reach the server."""
        for link in self._links:
            link.half_open()

    def reset_all(self) -> None:
        """Every open connection is aborted with an RST."""
        for link in list(self._links):
            link.reset()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        number = self.connections_accepted
        try:
            upstream = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        decision = self.schedule.next_tcp(self.schedule.connection_random("tcp", number), number)
        link = _Link(number, (reader, writer), upstream, decision, self.schedule)
        if decision is not None and decision.after_bytes == 0 and decision.fault is TcpFault.RESET:
            link.reset()
            return
        self._links.add(link)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await link.run()
        except (OSError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # Cancelled by close(): end quietly. asyncio's server logs an accept task that ends
            # cancelled as "Exception in callback ...", which would bury real failures in noise.
            if not self._closing:
                raise
        finally:
            self._links.discard(link)
            self._tasks.discard(task)
