"""An exchange-neutral reconnecting WebSocket: subscriptions, keep-alive, rotation, bounded queue.

Data path: socket reader task -> bounded :class:`~exchanges.transport._ws_queue.FrameQueue` ->
dispatch task -> ``on_frame(frame)`` (sync). The transport never interprets payloads: acks,
pongs and errors are the plugin's business, parsed from the frames it receives.

Lifecycle and guarantees:

* ``start()`` opens the first connection (or raises ``ExchangeConnectionError``). Channels given
  to ``subscribe()`` are remembered and sent exactly once on every new socket, batched through the
  :class:`SubscriptionCodec` (``max_channels_per_message`` per message; None = all in one).
* When a socket ends, ``strategy.should_reconnect(error, close_code)`` decides; reconnect attempts
  wait ``strategy.reconnection_policy().delay(n)`` (exponential, jittered, capped). Lost sockets
  (1005/1006, resets) are logged at DEBUG. The URL (or URL factory, re-awaited each time: private
  streams mint a fresh listen key) is resolved on every attempt. After each reconnect and
  resubscribe, ``on_connected()`` is awaited: frames may have been lost, so the plugin resyncs
  books / reconciles private state there.
* Planned rotation (``rotate()``, or automatically after ``strategy.max_connection_lifetime``):
  the replacement is opened and subscribed while the old one keeps delivering; the replacement
  buffers what it receives. Once it is *ready* (it received as many frames accepted by
  ``ready_check`` as subscribe messages were sent, by default any frame; or after
  ``rotation_timeout`` if it heard anything at all: a replacement silent that long is closed and
  the old socket kept, counted in ``rotation_failures``), delivery switches: the old one stops
  delivering and is closed, then the replacement's buffer is delivered, then its live frames. No
  frame is lost, but frames from the overlap window arrive twice (once from each socket):
  **payload-level de-duplication (book versions, trade ids) is the plugin's job**, helped by the
  overlap windows below.
  ``on_connected`` is not called after a rotation (nothing was lost), unless the old socket died
  during it.
* Overlap windows (``on_overlap``, :mod:`exchanges.transport._ws_overlap`): the plugin is told when
  frames may repeat (a rotation or a reconnect, plus ``overlap_grace`` seconds), so that it can
  de-duplicate only then.
* Liveness (:mod:`exchanges.transport._ws_liveness`): a socket that delivers nothing, not even a
  PONG, for ``options.liveness_timeout`` seconds is declared dead and handled like a lost socket.
* State changes (CONNECTING, CONNECTED, RECONNECTING, CLOSED, FAILED) and every socket's open and
  close go to the listeners (:class:`WsListener`, :class:`FrameListener`); a frame listener also sees every
  raw frame. RECONNECTING is reported the moment a socket is lost, before any reconnect attempt.
* Terminal state: when the strategy refuses to reconnect, or ``max_attempts`` reconnects failed
  (a URL factory that raises counts as a failed attempt, whatever it raises), the stream stops its
  timers, stores the reason in ``error`` and goes FAILED; ``wait_failed()`` returns the reason.

Metrics (``ws.<name>.*``): ``frames_text``, ``frames_binary``, ``dropped``, ``discarded`` (old
socket after a switch), ``handler_errors``, ``connects``, ``reconnections``,
``rotations``, ``rotation_failures``, ``rotation_timeouts``, ``keepalives``, ``liveness_timeouts``,
histogram ``connect_time`` (open + subscribe), gauges ``queue_depth`` and ``state`` (1 connected,
0 connecting/reconnecting, -1 closed, -2 failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Protocol, runtime_checkable

import aiohttp

from exchanges.errors import ExchangeConnectionError
from exchanges.metrics import MetricsRegistry
from exchanges.models import ConnectionState
from exchanges.strategies import ConnectionStrategy
from exchanges.tasks import cancel_and_wait, finish_then_reraise
from exchanges.transport._ws_connection import FrameReader, WsConnection, open_socket
from exchanges.transport._ws_events import FrameListener, Listeners, WsListener, WsOptions
from exchanges.transport._ws_liveness import watch_liveness
from exchanges.transport._ws_metrics import WsMetrics
from exchanges.transport._ws_overlap import OverlapWindow
from exchanges.transport._ws_pool import WebSocketPool
from exchanges.transport._ws_queue import OVERFLOW_POLICIES, FrameQueue, deliver_frames

# The stated plugin API of the WebSocket side.
__all__ = [
    "OVERFLOW_POLICIES",
    "FrameHandler",
    "FrameListener",
    "ReconnectingWebSocket",
    "SubscriptionCodec",
    "UrlSource",
    "WebSocketPool",
    "WsListener",
    "WsOptions",
]

logger = logging.getLogger("exchanges.transport.ws")

FrameHandler = Callable[[bytes | str], None]
"""Sync per-frame callback, run on the dispatch task (never on the socket reader)."""
UrlSource = str | Callable[[], Awaitable[str]]

_SEND_ERRORS = (aiohttp.ClientError, ConnectionError, RuntimeError)
_STATE_GAUGE = {
    ConnectionState.CONNECTED: 1.0,
    ConnectionState.CONNECTING: 0.0,
    ConnectionState.RECONNECTING: 0.0,
    ConnectionState.CLOSED: -1.0,
    ConnectionState.FAILED: -2.0,
}


@runtime_checkable
class SubscriptionCodec(Protocol):
    """Builds the exchange's subscribe/unsubscribe messages; one message may carry several channels."""

    def subscribe(self, channels: Sequence[str]) -> str: ...

    def unsubscribe(self, channels: Sequence[str]) -> str: ...


class ReconnectingWebSocket:
    """One logical stream that survives disconnects and rotations (see the module docstring)."""

    def __init__(
        self,
        url: UrlSource,
        *,
        name: str,
        on_frame: FrameHandler,
        codec: SubscriptionCodec,
        strategy: ConnectionStrategy,
        metrics: MetricsRegistry,
        options: WsOptions | None = None,
        listeners: Sequence[WsListener] = (),
        on_connected: Callable[[], Awaitable[None]] | None = None,
        on_overlap: Callable[[bool], None] | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        options = options if options is not None else WsOptions()
        self.name = name
        self.options = options
        self._url = url
        self._on_frame = on_frame
        self._codec = codec
        self._strategy = strategy
        self._on_connected = on_connected
        self._session = session
        self._own_session = session is None
        self._batch = options.max_channels_per_message
        self._rotation_timeout = options.rotation_timeout
        self._overlap = OverlapWindow(name, on_overlap, options.overlap_grace)
        self._listeners = Listeners(name)
        for listener in listeners:
            self._listeners.add(listener)
        prefix = f"ws.{name}."
        self._queue = FrameQueue(
            options.max_queue_size, options.overflow_policy, metrics.counter(prefix + "dropped")
        )
        self._m = WsMetrics(metrics, prefix)
        self._frames = FrameReader(
            name,
            self._queue,
            text=self._m.frames_text,
            binary=self._m.frames_binary,
            discarded=self._m.discarded,
            ready_check=options.ready_check,
            listeners=self._listeners,
        )
        self._subs: dict[str, None] = {}
        self._conns: list[WsConnection] = []
        self._active: WsConnection | None = None
        self._rotate_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._dispatcher: asyncio.Task[None] | None = None
        self._numbers = 0
        self._started = False
        self._closing = False
        self.state = ConnectionState.CLOSED
        self.error: BaseException | None = None
        """Why the stream gave up (state FAILED); None otherwise."""
        self.last_error: BaseException | None = None
        """Why the last lost socket ended (None: closed without an error)."""
        self._failed = asyncio.Event()

    # ------------------------------------------------------------------ public API

    @property
    def subscriptions(self) -> frozenset[str]:
        return frozenset(self._subs)

    @property
    def connected(self) -> bool:
        """True while the delivering socket is open and has not been declared dead."""
        return self._active is not None and self._active.alive and not self._closing

    def add_listener(self, listener: WsListener) -> None:
        """Observe this stream's sockets and states (and frames, for a :class:`FrameListener`)."""
        self._listeners.add(listener)

    def remove_listener(self, listener: WsListener) -> None:
        self._listeners.remove(listener)

    async def wait_failed(self) -> BaseException:
        """Wait until the stream gives up for good (state FAILED) and return why."""
        await self._failed.wait()
        assert self.error is not None
        return self.error

    async def start(self) -> None:
        """Open the first connection and subscribe; raise ExchangeConnectionError if it fails."""
        if self._started:
            return
        self._started = True
        if self._session is None:
            self._session = aiohttp.ClientSession()
        self._set_state(ConnectionState.CONNECTING)
        dispatch = deliver_frames(
            self._queue,
            self._on_frame,
            name=self.name,
            handler_errors=self._m.handler_errors,
            depth=self._m.queue_depth,
            overlap=self._overlap,
        )
        self._dispatcher = asyncio.create_task(dispatch, name=f"ws-{self.name}-dispatch")
        try:
            self._active = await self._open(promoted=True)
        except BaseException:
            await self.close()
            raise
        self._set_state(ConnectionState.CONNECTED)
        await self._notify_connected()
        self._spawn(self._supervise(), "supervise")
        if self._strategy.keepalive_interval:
            self._spawn(self._keepalive(self._strategy.keepalive_interval), "keepalive")
        if self._strategy.max_connection_lifetime:
            self._spawn(self._lifetime(self._strategy.max_connection_lifetime), "lifetime")
        if self.options.liveness_timeout is not None:
            watchdog = watch_liveness(
                self.name,
                self.options.liveness_timeout,
                lambda: self._active,
                self._probe,
                self._m.liveness_timeouts,
            )
            self._spawn(watchdog, "liveness")

    async def subscribe(self, channels: Sequence[str]) -> None:
        """Remember ``channels`` and send them on every open socket that does not have them yet."""
        new = [channel for channel in dict.fromkeys(channels) if channel not in self._subs]
        for channel in new:
            self._subs[channel] = None
        for conn in list(self._conns):
            if conn.alive:
                await self._send_subscribe(conn, new)

    async def unsubscribe(self, channels: Sequence[str]) -> None:
        gone = [channel for channel in dict.fromkeys(channels) if channel in self._subs]
        for channel in gone:
            del self._subs[channel]
        for conn in list(self._conns):
            sent = [channel for channel in gone if channel in conn.sent]
            conn.sent.difference_update(sent)
            if sent and conn.alive:
                for batch in self._batches(sent):
                    await self._send(conn, self._codec.unsubscribe(batch))

    async def rotate(self) -> None:
        """Replace the connection without losing frames; raise ExchangeConnectionError on failure."""
        if not await self._rotate():
            raise ExchangeConnectionError(f"websocket {self.name}: rotation failed")

    async def close(self) -> None:
        """Close every socket and stop all tasks. Idempotent."""
        if self._closing:
            return
        self._closing = True
        # A caller cancelled meanwhile still gets its sockets closed, then its CancelledError back.
        await finish_then_reraise(self._close_now(asyncio.current_task()), name=f"ws-{self.name}-close")

    async def _close_now(self, caller: asyncio.Task[object] | None) -> None:
        for task in self._tasks:
            if task is not caller:  # close() called from our own supervisor/timer task
                task.cancel()
        for task in self._tasks:
            if task is not caller:
                await cancel_and_wait(task)
        for conn in list(self._conns):
            await self._discard(conn)
        await cancel_and_wait(self._dispatcher)
        if self._own_session and self._session is not None:
            await self._session.close()
        self._overlap.close()
        if self.state is not ConnectionState.FAILED:
            self._set_state(ConnectionState.CLOSED)

    async def __aenter__(self) -> ReconnectingWebSocket:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:  # never shows the URL: it may carry a listen key
        return f"<ReconnectingWebSocket {self.name} {self.state.value} subscriptions={len(self._subs)}>"

    # ------------------------------------------------------------------ connections

    async def _open(self, *, promoted: bool) -> WsConnection:
        assert self._session is not None
        started = time.monotonic()
        url = self._url if isinstance(self._url, str) else await self._url()
        ws = await open_socket(self._session, url, self._strategy.connect_options(), name=self.name)
        self._numbers += 1
        conn = WsConnection(ws, self._numbers, promoted=promoted, name=self.name)
        self._conns.append(conn)
        conn.reader = asyncio.create_task(self._frames.read(conn), name=f"ws-{self.name}-read-{conn.number}")
        await self._send_subscribe(conn, list(self._subs))
        if not conn.alive:
            await self._discard(conn)
            raise ExchangeConnectionError(f"websocket {self.name}: closed while subscribing")
        self._m.connects.inc()
        self._m.connect_time.record(time.monotonic() - started)
        self._listeners.opened(conn.id)
        return conn

    async def _send_subscribe(self, conn: WsConnection, channels: Sequence[str]) -> None:
        pending = [channel for channel in channels if channel not in conn.sent]
        conn.sent.update(pending)
        batches = self._batches(pending)
        conn.mark_sent_batches(len(batches))
        for batch in batches:
            await self._send(conn, self._codec.subscribe(batch))

    def _batches(self, channels: Sequence[str]) -> list[Sequence[str]]:
        if not channels:
            return []
        size = self._batch or len(channels)
        return [channels[i : i + size] for i in range(0, len(channels), size)]

    async def _send(self, conn: WsConnection, message: str) -> None:
        try:
            await conn.ws.send_str(message)
        except _SEND_ERRORS as exc:  # the reader sees the close and the supervisor recovers
            logger.debug("websocket %s: send failed on socket %d: %r", self.name, conn.number, exc)

    async def _discard(self, conn: WsConnection) -> None:
        """Close ``conn`` and wait for its reader; frames it still gets are not delivered.

        A socket that already ended (lost, or declared dead by the liveness watchdog) gets a short
        close: cancelling aiohttp's close aborts the TCP connection, and a silent peer would only
        make a graceful close wait.
        """
        conn.promoted = False
        conn.retired = True
        ended = conn.finished.is_set()
        with contextlib.suppress(*_SEND_ERRORS, TimeoutError):
            async with asyncio.timeout(0.1 if ended else 2.0):
                await conn.ws.close()
        reader = conn.reader
        if reader is not None and not reader.done():
            await cancel_and_wait(reader)
        if conn in self._conns:
            self._conns.remove(conn)
            self._listeners.closed(conn.id, conn.error)

    # ------------------------------------------------------------------ background tasks

    def _spawn(self, coro: Coroutine[object, object, None], label: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=f"ws-{self.name}-{label}"))

    async def _supervise(self) -> None:
        while not self._closing:
            conn = self._active
            assert conn is not None
            await conn.finished.wait()
            if self._rotate_lock.locked() and conn is self._active and not self._closing:
                # The delivering socket died while a rotation holds the lock (it may wait up to
                # rotation_timeout for its replacement): say so now, so that books go STALE at once.
                self._set_state(ConnectionState.RECONNECTING)
            async with self._rotate_lock:  # a rotation in progress may already have replaced it
                if self._closing or conn is not self._active:
                    continue
                if not await self._reconnect(conn):
                    return

    async def _reconnect(self, lost: WsConnection) -> bool:
        self._overlap.open()
        try:
            return await self._reconnect_now(lost)
        finally:
            self._overlap.end()

    async def _reconnect_now(self, lost: WsConnection) -> bool:
        self.last_error = lost.error
        level = logging.DEBUG if lost.abnormal else logging.INFO
        logger.log(
            level,
            "websocket %s: socket %d closed (code %s, error %r)",
            self.name,
            lost.number,
            lost.close_code,
            lost.error,
        )
        if not self._strategy.should_reconnect(lost.error, lost.close_code):
            logger.info("websocket %s: strategy says do not reconnect", self.name)
            await self._discard(lost)
            self._fail(lost.error or ExchangeConnectionError(f"websocket {self.name}: closed by the server"))
            return False
        self._set_state(ConnectionState.RECONNECTING)  # before anything slow: books go stale now
        await self._discard(lost)
        policy = self._strategy.reconnection_policy()
        attempt = 0
        last: BaseException | None = lost.error
        while not self._closing:
            if policy.max_attempts is not None and attempt >= policy.max_attempts:
                logger.error("websocket %s: giving up after %d reconnect attempts", self.name, attempt)
                self._fail(
                    ExchangeConnectionError(
                        f"websocket {self.name}: gave up after {attempt} reconnect attempts ({last!r})"
                    )
                )
                return False
            await asyncio.sleep(policy.delay(attempt))
            attempt += 1
            try:
                conn = await self._open(promoted=True)
            except Exception as exc:  # the URL factory may raise anything (e.g. a listen-key REST error)
                last = exc
                logger.log(
                    logging.DEBUG if isinstance(exc, ExchangeConnectionError) else logging.WARNING,
                    "websocket %s: reconnect attempt %d failed: %r",
                    self.name,
                    attempt,
                    exc,
                )
                if not self._strategy.should_reconnect(exc, None):
                    self._fail(exc)
                    return False
                continue
            self._active = conn
            self._m.reconnections.inc()
            self._set_state(ConnectionState.CONNECTED)
            await self._notify_connected()
            return True
        return False

    def _fail(self, error: BaseException) -> None:
        """Give up for good: stop the timers (nothing keeps waking), say why, state FAILED."""
        self.error = error
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._set_state(ConnectionState.FAILED)
        self._failed.set()

    async def _rotate(self) -> bool:
        async with self._rotate_lock:
            old = self._active
            if self._closing or old is None or not old.alive:
                return False
            self._overlap.open()
            try:
                switched, old_lost = await self._switch(old)
            finally:
                self._overlap.end()
        # The old socket died during the rotation (frames lost, or the supervisor already said
        # RECONNECTING and books went STALE): connected again, and the owner resyncs.
        if switched and (old_lost or self.state is ConnectionState.RECONNECTING):
            self._set_state(ConnectionState.CONNECTED)
            await self._notify_connected()
        return switched

    async def _switch(self, old: WsConnection) -> tuple[bool, bool]:
        """Open, subscribe and promote a replacement for ``old`` -> (switched, old socket had died)."""
        try:
            new = await self._open(promoted=False)
        except ExchangeConnectionError as exc:
            self._m.rotation_failures.inc()
            logger.warning("websocket %s: rotation could not open a replacement: %s", self.name, exc)
            return False, False
        try:
            async with asyncio.timeout(self._rotation_timeout):
                await new.ready.wait()
        except TimeoutError:
            self._m.rotation_timeouts.inc()
            if new.heard == 0:
                # Not one message (not even an ack or a PING): the replacement is silent. Promoting
                # it would swap a delivering socket for a mute one (books frozen until liveness
                # fires, forever with liveness off), so keep the old one and retry later.
                logger.warning(
                    "websocket %s: replacement silent for %gs; keeping the old socket",
                    self.name,
                    self._rotation_timeout,
                )
                new.finish(ExchangeConnectionError(f"websocket {self.name}: rotation replacement was silent"))
            else:
                logger.info("websocket %s: replacement not confirmed in time; switching anyway", self.name)
        if not new.alive:
            self._m.rotation_failures.inc()
            await self._discard(new)
            return False, False
        old_lost = not old.alive
        old.promoted = False
        old.retired = True
        await self._frames.promote(new)
        self._active = new
        await self._discard(old)
        self._m.rotations.inc()
        logger.debug("websocket %s: rotated socket %d -> %d", self.name, old.number, new.number)
        return True, old_lost

    async def _probe(self, conn: WsConnection) -> None:
        """Make a quiet socket answer: the strategy's keep-alive message, else a protocol ping."""
        message = self._strategy.keepalive_message()
        if message:
            await self._send(conn, message)
            return
        with contextlib.suppress(*_SEND_ERRORS):
            await conn.ws.ping()

    async def _keepalive(self, interval: float) -> None:
        while not self._closing:
            await asyncio.sleep(interval)
            message = self._strategy.keepalive_message()
            conn = self._active
            if message and conn is not None and conn.alive:
                await self._send(conn, message)
                self._m.keepalives.inc()

    async def _lifetime(self, lifetime: float) -> None:
        failures = 0
        while not self._closing:
            conn = self._active
            assert conn is not None
            wait = conn.opened_at + lifetime - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            elif not conn.alive:
                await asyncio.sleep(min(lifetime, 1.0))  # the supervisor is reconnecting
            elif await self._rotate():
                failures = 0
            else:
                await asyncio.sleep(self._strategy.reconnection_policy().delay(failures))
                failures += 1

    # ------------------------------------------------------------------ callbacks

    def _set_state(self, state: ConnectionState) -> None:
        if state is self.state:
            return
        self.state = state
        self._m.state.set(_STATE_GAUGE[state])
        self._listeners.state(state)

    async def _notify_connected(self) -> None:
        if self._on_connected is not None:
            try:
                await self._on_connected()
            except Exception:
                logger.exception("websocket %s: on_connected callback failed", self.name)
