"""WebSocket server at ``/ws``: JSON control messages, binary protobuf pushes, MEXC's connection rules.

* ``{"method":"SUBSCRIPTION"|"UNSUBSCRIPTION","params":[...],"id":n}`` -> ``{"id":n,"code":0,"msg":"a,b"}``;
  ``PING``/``ping`` -> ``{"id":0,"code":0,"msg":"PONG"}``; unservable channels -> the Blocked text.
* At most ``max_subscriptions`` channels per connection; beyond that each is Blocked.
* Closed after ``no_sub_timeout`` without a subscription, ``idle_timeout`` without a client message or a
  push, at ``max_lifetime``, or above ``max_messages_per_second`` client messages.
* ``?listenKey=``: invalid/expired -> text ``Invalid listen key`` then close; private channels allowed.
Push timing lives in :mod:`exchanges_mexc.sim.streams`; this module owns sockets and subscriptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

import msgspec
from aiohttp import WSMsgType, web

from exchanges.tasks import cancel_and_wait, finish_then_reraise
from exchanges_mexc.sim.channels import PRIVATE, ChannelState, blocked, parse_channel
from exchanges_mexc.sim.state import SimState, WsSettings
from exchanges_mexc.sim.streams import Streams

log = logging.getLogger("exchanges.mexc.sim.ws")


class SubscriptionSpan:
    """One connection's subscription to a channel: the symbol's book version when it started, and
    when it started and ended (wall-clock ms, comparable with ``BookStateChange.timestamp``; ``ended``
    None while it runs). Tests judge a book's LIVE change against the spans open at that moment."""

    __slots__ = ("ended", "start_version", "started")

    def __init__(self, start_version: int) -> None:
        self.start_version = start_version
        self.started = int(time.time() * 1000)
        self.ended: int | None = None

    def open_at(self, timestamp_ms: int) -> bool:
        return self.started <= timestamp_ms and (self.ended is None or timestamp_ms <= self.ended)


class Conn:
    """One client socket: subscriptions, timers and an outbound queue drained by a sender task."""

    def __init__(
        self, ws: web.WebSocketResponse, request: web.Request, uid: int | None, key: str | None
    ) -> None:
        self.ws = ws
        self.transport = request.transport
        self.uid = uid
        self.listen_key = key
        self.subs: dict[str, ChannelState] = {}
        self.started_at: dict[str, int] = {}
        """Channel -> its symbol's book version when this connection's subscription started."""
        self.spans: dict[str, SubscriptionSpan] = {}
        now = time.monotonic()
        self.created = now
        self.last_activity = now
        self.no_sub_since: float | None = now
        self.msg_times: deque[float] = deque()
        self.queue: asyncio.Queue[tuple[float, bytes | str]] = asyncio.Queue()
        self.closed = False

    def enqueue(self, frame: bytes | str, delay: float = 0.0) -> None:
        """Queue a frame (sent after ``delay`` seconds)."""
        if not self.closed:
            self.queue.put_nowait((time.monotonic() + delay, frame))

    async def sender(self) -> None:
        """Send queued frames in order, honouring their ready time."""
        while True:
            ready, frame = await self.queue.get()
            wait = ready - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if self.ws.closed:
                return
            if isinstance(frame, bytes):
                await self.ws.send_bytes(frame)
                self.last_activity = time.monotonic()
            else:
                await self.ws.send_str(frame)

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class WsHub:
    """All WebSocket connections of the simulator."""

    def __init__(self, sim: SimState, settings: WsSettings) -> None:
        self.sim = sim
        self.settings = settings
        self.conns: set[Conn] = set()
        self.channels: dict[str, ChannelState] = {}
        self.by_symbol: dict[tuple[str, str | None], dict[str, ChannelState]] = {}  # (kind, symbol)
        self.private: dict[tuple[int, str], set[Conn]] = {}  # (uid, channel) -> subscribed conns
        # the last aggre.deals pushes per channel, kept after its last subscriber left (faults.repeat_deals)
        self.recent_deals: dict[str, deque[bytes]] = {}
        self.history: dict[str, list[SubscriptionSpan]] = {}
        """Channel -> every subscription of it on any connection, ended ones too (for tests)."""
        self.streams = Streams(sim, self)
        self._closers: set[asyncio.Task[None]] = set()

    def start(self) -> list[asyncio.Task[None]]:
        """Background tasks: push loops and the connection watchdog."""
        return [*self.streams.start(), asyncio.create_task(self._watchdog(), name="mexc-sim-ws-watchdog")]

    # -- connections ----------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for ``/ws``."""
        ws = web.WebSocketResponse(timeout=1.0, autoping=True)
        await ws.prepare(request)
        key = request.query.get("listenKey")
        uid = None
        if key is not None:
            uid = self.sim.accounts.listen_key_owner(key)
            if uid is None:
                await ws.send_str("Invalid listen key")
                await ws.close()
                return ws
        conn = Conn(ws, request, uid, key)
        self.conns.add(conn)
        sender = asyncio.create_task(conn.sender())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    if not self._on_text(conn, msg.data):
                        break
                elif msg.type == WSMsgType.BINARY:
                    conn.last_activity = time.monotonic()
        except ConnectionResetError:
            pass
        finally:
            self._forget(conn)
            # runs to its end even when the server cancels this handler (shutdown), then re-raises that
            await finish_then_reraise(self._end(ws, sender), name="mexc-sim-ws-end")
        return ws

    @staticmethod
    async def _end(ws: web.WebSocketResponse, sender: asyncio.Task[None]) -> None:
        """Stop a connection's sender and close its socket."""
        await cancel_and_wait(sender)
        if not ws.closed:
            with contextlib.suppress(Exception):
                await ws.close()

    def _forget(self, conn: Conn) -> None:
        conn.closed = True
        self.conns.discard(conn)
        for channel in list(conn.subs):
            self._unsubscribe(conn, channel)

    def _on_text(self, conn: Conn, text: str) -> bool:
        """Handle one client text frame; False = close the connection (rate exceeded)."""
        now = time.monotonic()
        conn.last_activity = now
        conn.msg_times.append(now)
        while conn.msg_times and conn.msg_times[0] < now - 1.0:
            conn.msg_times.popleft()
        if len(conn.msg_times) > self.settings.max_messages_per_second:
            log.info("ws client above %d msg/s: closing", self.settings.max_messages_per_second)
            return False
        try:
            data: Any = msgspec.json.decode(text)
        except msgspec.DecodeError:
            return True
        if not isinstance(data, dict):
            return True
        method = str(data.get("method", "")).upper()
        req_id = data.get("id", 0)
        req_id = req_id if isinstance(req_id, int) else 0
        params = data.get("params") or []
        if not isinstance(params, list):
            params = []
        if method == "PING":
            conn.enqueue(msgspec.json.encode({"id": 0, "code": 0, "msg": "PONG"}).decode())
        elif method == "SUBSCRIPTION":
            channels = [str(p) for p in params]
            delay = self.sim.faults.subscription_delay
            if delay > 0:
                asyncio.get_running_loop().call_later(delay, self._subscribe_late, conn, channels, req_id)
            else:
                self._subscribe_many(conn, channels, req_id)
        elif method == "UNSUBSCRIPTION":
            done = [str(p) for p in params]
            for channel in done:
                self._unsubscribe(conn, channel)
            conn.enqueue(msgspec.json.encode({"id": req_id, "code": 0, "msg": ",".join(done)}).decode())
        return True

    def _subscribe_late(self, conn: Conn, channels: list[str], req_id: int) -> None:
        """A delayed SUBSCRIPTION (faults.delay_subscriptions) takes effect, unless its socket is gone."""
        if not conn.closed and conn in self.conns:
            self._subscribe_many(conn, channels, req_id)

    def subscription_versions(self, channel: str) -> list[int]:
        """For each open connection subscribed to ``channel``: its symbol's book version when that
        subscription started (tests check that a client's book never goes LIVE below it)."""
        return [conn.started_at[channel] for conn in self.conns if channel in conn.started_at]

    def subscription_versions_at(self, channel: str, timestamp_ms: int) -> list[int]:
        """Like :meth:`subscription_versions`, but for the subscriptions open at ``timestamp_ms``
        (wall-clock ms): a late check of a past event is not fooled by a connection closed since."""
        return [span.start_version for span in self.history.get(channel, ()) if span.open_at(timestamp_ms)]

    def _subscribe_many(self, conn: Conn, channels: list[str], req_id: int) -> None:
        accepted: list[str] = []
        repeated: list[str] = []  # newly subscribed aggre.deals channels
        refused = self.sim.faults.take_refused_subscription()
        for channel in channels:
            key = parse_channel(channel, self.sim.engine.specs, conn.uid is not None)
            full = channel not in conn.subs and len(conn.subs) >= self.settings.max_subscriptions
            if key is None or full or refused:
                conn.enqueue(msgspec.json.encode({"id": req_id, "code": 0, "msg": blocked(channel)}).decode())
                continue
            accepted.append(channel)
            if channel in conn.subs:
                continue
            state = self.channels.get(channel)
            if state is None:
                state = self.channels[channel] = ChannelState(channel, key)
                self.by_symbol.setdefault((key.kind, key.symbol), {})[channel] = state
                self.streams.init_state(state)
            state.subscribers.add(conn)
            conn.subs[channel] = state
            book = self.sim.engine.books.get(key.symbol) if key.symbol is not None else None
            if book is not None:
                conn.started_at[channel] = book.version
                span = conn.spans[channel] = SubscriptionSpan(book.version)
                self.history.setdefault(channel, []).append(span)
            if key.kind == "deals":
                repeated.append(channel)
            if conn.uid is not None and channel in PRIVATE:
                self.private.setdefault((conn.uid, channel), set()).add(conn)
            conn.no_sub_since = None
        if accepted and not self.sim.faults.take_unanswered_subscription():
            conn.enqueue(msgspec.json.encode({"id": req_id, "code": 0, "msg": ",".join(accepted)}).decode())
        if self.sim.faults.repeat_deals:
            self._repeat_deals(conn, repeated)

    def _repeat_deals(self, conn: Conn, channels: list[str]) -> None:
        """Fault: send the last aggre.deals pushes of newly subscribed channels again, after the ack."""
        count, delay = self.sim.faults.repeat_deals, self.sim.faults.push_delay
        for channel in channels:
            for frame in list(self.recent_deals.get(channel, ()))[-count:]:
                conn.enqueue(frame, delay)

    def _unsubscribe(self, conn: Conn, channel: str) -> None:
        conn.started_at.pop(channel, None)
        span = conn.spans.pop(channel, None)
        if span is not None:
            span.ended = int(time.time() * 1000)
        state = conn.subs.pop(channel, None)
        if state is None:
            return
        state.subscribers.discard(conn)
        if not state.subscribers:
            self.channels.pop(channel, None)
            group = (state.key.kind, state.key.symbol)
            del self.by_symbol[group][channel]
            if not self.by_symbol[group]:
                del self.by_symbol[group]
        if conn.uid is not None and channel in PRIVATE:
            private = self.private[conn.uid, channel]
            private.discard(conn)
            if not private:
                del self.private[conn.uid, channel]
        if not conn.subs:
            conn.no_sub_since = time.monotonic()

    # -- sending --------------------------------------------------------------------------------
    def publish(self, state: ChannelState, frame: bytes) -> None:
        """Send a push to every subscriber of ``state`` (with the scripted push delay)."""
        delay = self.sim.faults.push_delay
        if state.key.kind == "deals":
            recent = self.recent_deals.get(state.channel)
            if recent is None:
                recent = self.recent_deals[state.channel] = deque(maxlen=8)
            recent.append(frame)
        for conn in state.subscribers:
            assert isinstance(conn, Conn)
            if conn.queue.qsize() > self.settings.max_queue:
                conn.abort()  # a client that cannot keep up is dropped, as a real server would
                continue
            conn.enqueue(frame, delay)

    def states(self, kind: str, symbol: str | None) -> Iterable[ChannelState]:
        """Subscribed channels of one kind and symbol."""
        return self.by_symbol.get((kind, symbol), {}).values()

    def private_subscribers(self, uid: int, channel: str) -> set[Conn]:
        """``uid``'s connections subscribed to the private ``channel`` (empty: nothing to encode)."""
        return self.private.get((uid, channel), set())

    def publish_private(self, uid: int, channel: str, frame: bytes) -> None:
        """Send a private push to ``uid``'s connections subscribed to ``channel``.

        Only sockets whose listen key is still valid receive it: a key that expired (or was deleted)
        no longer carries the user's events, even if its socket is still open.
        """
        delay = self.sim.faults.push_delay
        owner = self.sim.accounts.listen_key_owner
        for conn in self.private_subscribers(uid, channel):
            if conn.listen_key is not None and owner(conn.listen_key) != uid:
                continue
            conn.enqueue(frame, delay)

    # -- rules and faults -----------------------------------------------------------------------
    async def _watchdog(self) -> None:
        settings = self.settings
        step = max(0.02, min(0.25, settings.no_sub_timeout / 4, settings.idle_timeout / 4))
        while True:
            await asyncio.sleep(step)
            now = time.monotonic()
            for conn in list(self.conns):
                reason = None
                if conn.no_sub_since is not None and now - conn.no_sub_since > settings.no_sub_timeout:
                    reason = "no subscription"
                elif now - conn.last_activity > settings.idle_timeout:
                    reason = "idle"
                elif settings.max_lifetime is not None and now - conn.created > settings.max_lifetime:
                    reason = "lifetime"
                if reason is not None:
                    log.debug("closing ws connection: %s", reason)
                    self._forget(conn)
                    self._spawn_close(conn)

    def _spawn_close(self, conn: Conn) -> None:
        task = asyncio.get_running_loop().create_task(self._close(conn))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    @staticmethod
    async def _close(conn: Conn) -> None:
        with contextlib.suppress(Exception):
            await conn.ws.close()

    def drop_all(self) -> None:
        """Abort every connection (fault)."""
        for conn in list(self.conns):
            self._forget(conn)
            conn.abort()

    def close_listen_key(self, key: str) -> None:
        """Close the private connections of a key that became invalid."""
        for conn in list(self.conns):
            if conn.listen_key == key:
                self._forget(conn)
                self._spawn_close(conn)

    async def close_all(self) -> None:
        """Close every connection (simulator shutdown)."""
        conns = list(self.conns)
        for conn in conns:
            self._forget(conn)
        await asyncio.gather(*(self._close(c) for c in conns), return_exceptions=True)
