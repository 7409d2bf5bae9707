"""One physical WebSocket connection of a :class:`~exchanges.transport.ws.ReconnectingWebSocket`.

A ``ReconnectingWebSocket`` owns one *active* connection, plus a second one while it rotates. This
module holds the per-socket state (which channels were sent on it, its staging buffer while it is
not yet the delivering connection) and the helpers to open one. It never interprets payloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

import aiohttp

from exchanges.errors import ExchangeConnectionError
from exchanges.metrics import Counter
from exchanges.strategies import WsConnectOptions
from exchanges.transport._ws_events import Listeners
from exchanges.transport._ws_queue import FrameQueue

logger = logging.getLogger("exchanges.transport.ws")
_BINARY = aiohttp.WSMsgType.BINARY
_TEXT = aiohttp.WSMsgType.TEXT
_PING = aiohttp.WSMsgType.PING
_CLOSE_ERRORS = (aiohttp.ClientError, ConnectionError, RuntimeError, TimeoutError)

Frame = bytes | str

ABNORMAL_CLOSE_CODES = frozenset({1005, 1006})
"""1005 "no status" and 1006 "abnormal closure" (socket lost without a close frame)."""


class WsConnection:
    """State of one socket. Created by :func:`open_socket`; driven by the owning ReconnectingWebSocket.

    Delivery modes (exactly one at a time):

    * ``promoted``: frames go straight to the owner's inbound queue (the active connection);
    * staging (neither flag): a rotation replacement buffers frames in ``staging`` until it is
      promoted, so nothing it receives before the switch is lost;
    * ``retired``: the replaced connection; frames it still receives are discarded (the
      replacement was already subscribed and delivers them).
    """

    __slots__ = (
        "close_code",
        "error",
        "finished",
        "heard",
        "id",
        "number",
        "opened_at",
        "promoted",
        "reader",
        "ready",
        "ready_needed",
        "ready_seen",
        "retired",
        "sent",
        "staging",
        "ws",
    )

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, number: int, *, promoted: bool, name: str = "ws"
    ) -> None:
        self.ws = ws
        self.number = number
        self.id = f"{name}#{number}"
        """The connection id listeners see: the stream's name and this socket's number."""
        self.heard = 0
        """Messages received (frames, PINGs, PONGs): the liveness watchdog samples it."""
        self.opened_at = time.monotonic()
        self.sent: set[str] = set()
        """Channels subscribed on this socket (so each is sent at most once per socket)."""
        self.promoted = promoted
        self.retired = False
        self.staging: deque[Frame] = deque()
        self.ready = asyncio.Event()
        """Set when the socket is subscribed (see ``ready_needed``) or finished."""
        self.ready_needed = 0
        self.ready_seen = 0
        self.finished = asyncio.Event()
        self.error: BaseException | None = None
        self.close_code: int | None = None
        self.reader: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return not self.finished.is_set() and not self.ws.closed

    def mark_sent_batches(self, count: int) -> None:
        """Record that ``count`` more subscribe messages are expected to be confirmed."""
        self.ready_needed += count
        if self.ready_seen >= self.ready_needed:
            self.ready.set()

    def finish(self, error: BaseException | None) -> None:
        if error is not None and self.error is None:
            self.error = error
        self.close_code = self.ws.close_code
        self.finished.set()
        self.ready.set()

    @property
    def abnormal(self) -> bool:
        """True for a lost socket (1005/1006, reset) rather than a deliberate close by the server."""
        if self.close_code is None or self.close_code in ABNORMAL_CLOSE_CODES:
            return True
        return isinstance(self.error, ConnectionError | aiohttp.ClientConnectionError)


class FrameReader:
    """Moves frames from a socket to the shared queue (promoted), a staging buffer, or nowhere (retired)."""

    def __init__(
        self,
        name: str,
        queue: FrameQueue,
        *,
        text: Counter,
        binary: Counter,
        discarded: Counter,
        ready_check: Callable[[bytes | str], bool] | None,
        listeners: Listeners,
    ) -> None:
        self.name = name
        self._listeners = listeners
        self._queue = queue
        self._text = text
        self._binary = binary
        self._discarded = discarded
        self._ready_check = ready_check

    async def read(self, conn: WsConnection) -> None:
        ws = conn.ws
        queue = self._queue
        error: BaseException | None = None
        listeners = self._listeners
        try:
            while True:
                msg = await ws.receive()
                conn.heard += 1
                kind = msg.type
                if kind is _BINARY:
                    self._binary.value += 1
                elif kind is _TEXT:
                    self._text.value += 1
                elif kind is _PING:  # autoping is off so that PONGs are seen: answer by hand
                    with contextlib.suppress(*_CLOSE_ERRORS):
                        await ws.pong(msg.data)
                    continue
                elif kind is aiohttp.WSMsgType.ERROR:
                    error = ws.exception() or msg.data
                    break
                elif kind in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                    break
                else:
                    continue
                frame: bytes | str = msg.data
                if listeners.taps:
                    listeners.frame(conn.id, frame, time.time_ns())
                if conn.promoted:
                    if queue.blocking:
                        await queue.put(frame)
                    else:
                        queue.offer(frame)
                elif conn.retired:
                    self._discarded.inc()
                else:
                    self.stage(conn, frame)
        except asyncio.CancelledError:
            conn.finish(None)
            raise
        except Exception as exc:
            error = exc
        conn.finish(error)
        if not ws.closed and not conn.retired:
            with contextlib.suppress(*_CLOSE_ERRORS):
                async with asyncio.timeout(2.0):
                    await ws.close()

    def stage(self, conn: WsConnection, frame: bytes | str) -> None:
        if len(conn.staging) >= self._queue.maxsize:
            conn.staging.popleft()
            self._queue.dropped.inc()
        conn.staging.append(frame)
        if not conn.ready.is_set():
            accepted = True
            if self._ready_check is not None:
                try:
                    accepted = self._ready_check(frame)
                except Exception:
                    logger.exception("websocket %s: ready_check failed", self.name)
                    accepted = False
            if accepted:
                conn.ready_seen += 1
                if conn.ready_seen >= conn.ready_needed:
                    conn.ready.set()

    async def promote(self, conn: WsConnection) -> None:
        """Deliver ``conn``'s staged frames in order, then let its reader deliver directly."""
        queue = self._queue
        while conn.staging:
            await queue.put(conn.staging.popleft())
        conn.promoted = True  # no await between the emptiness check and this line


async def open_socket(
    session: aiohttp.ClientSession, url: str, options: WsConnectOptions, *, name: str
) -> aiohttp.ClientWebSocketResponse:
    """Open a WebSocket with ``options``; raise ExchangeConnectionError on any failure.

    ``autoping`` is off so that protocol PONGs reach the reader (they prove the socket is alive, see
    :mod:`exchanges.transport._ws_liveness`); the reader answers server PINGs itself. The URL is
    never put in the error message: private stream URLs carry a listen key.
    """
    try:
        async with asyncio.timeout(options.open_timeout):
            return await session.ws_connect(
                url,
                headers=dict(options.headers) if options.headers else None,
                compress=options.compress,
                max_msg_size=options.max_msg_size,
                heartbeat=options.heartbeat,
                autoping=False,
                autoclose=True,
            )
    except TimeoutError:
        raise ExchangeConnectionError(
            f"websocket {name}: open timed out after {options.open_timeout}s"
        ) from None
    except aiohttp.WSServerHandshakeError as exc:
        # ``from None``: aiohttp's text of this error contains the full URL.
        raise ExchangeConnectionError(f"websocket {name}: handshake refused (HTTP {exc.status})") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise ExchangeConnectionError(f"websocket {name}: cannot connect ({type(exc).__name__})") from None
