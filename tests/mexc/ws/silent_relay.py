"""A minimal TCP relay that can go silent: both sockets stay open, nothing is forwarded.

Kept local to these tests (the chaos layer in ``exchanges.testing`` offers a general proxy); this
one does exactly one fault: ``stall()`` makes every relayed connection swallow what it reads in
both directions, with no FIN and no RST, the way a wedged proxy or NAT box behaves. New
connections are stalled as well until ``heal()``.
"""

from __future__ import annotations

import asyncio
import contextlib


class SilentRelay:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self.silent = False
        self.port = 0
        self.connections = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, path: str = "/ws") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def stall(self) -> None:
        """From now on nothing is forwarded, on existing and new connections; sockets stay open."""
        self.silent = True

    def heal(self) -> None:
        """Forward again (connections opened while silent have long been given up by the client)."""
        self.silent = False

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._writers += [writer, up_writer]
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                if self.silent:
                    continue  # swallowed: the other side hears nothing, and no socket closes
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            sink.close()
