"""ReconnectingWebSocket against a real aiohttp WebSocket server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web

from exchanges.errors import ExchangeConnectionError
from exchanges.metrics import MetricsRegistry
from exchanges.models import ConnectionState
from exchanges.strategies import DefaultConnectionStrategy, ReconnectionPolicy
from exchanges.transport._ws_queue import FrameQueue
from exchanges.transport.ws import ReconnectingWebSocket, WsOptions

FAST = ReconnectionPolicy(initial_delay=0.01, max_delay=0.05)


class JsonCodec:
    def subscribe(self, channels: Sequence[str]) -> str:
        return json.dumps({"method": "SUBSCRIPTION", "params": list(channels)})

    def unsubscribe(self, channels: Sequence[str]) -> str:
        return json.dumps({"method": "UNSUBSCRIPTION", "params": list(channels)})


class ServerConn:
    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.request = request
        self.messages: list[dict[str, Any]] = []
        self.channels: set[str] = set()

    def subscribed(self) -> list[str]:
        return [c for m in self.messages if m.get("method") == "SUBSCRIPTION" for c in m["params"]]


class Server:
    """A tiny exchange: acks subscriptions, records every message, can stream sequence numbers."""

    def __init__(self, burst_on_subscribe: int = 0) -> None:
        self.conns: list[ServerConn] = []
        self.burst = burst_on_subscribe
        self.answer_pings = True
        self.mute_new_sockets = False
        """New sockets accept the upgrade, then never answer anything (a silent rotation replacement)."""
        self.seq = 0
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._streamer: asyncio.Task[None] | None = None

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
        if self._streamer is not None:
            self._streamer.cancel()
        for conn in self.conns:
            await conn.ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = ServerConn(ws, request)
        self.conns.append(conn)
        muted = self.mute_new_sockets
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT or muted:
                continue
            data = json.loads(msg.data)
            conn.messages.append(data)
            if data.get("method") == "SUBSCRIPTION":
                conn.channels.update(data["params"])
                await ws.send_str(json.dumps({"ack": ",".join(data["params"])}))
                for i in range(self.burst):
                    await ws.send_bytes(str(i).encode())
            elif data.get("method") == "UNSUBSCRIPTION":
                conn.channels.difference_update(data["params"])
            elif data.get("method") == "PING" and self.answer_pings:
                await ws.send_str('{"msg":"PONG"}')
        return ws

    def live(self) -> list[ServerConn]:
        return [c for c in self.conns if not c.ws.closed]

    def stream(self, interval: float = 0.001) -> None:
        async def run() -> None:
            while True:
                self.seq += 1
                for conn in list(self.conns):
                    if conn.channels and not conn.ws.closed:
                        with contextlib.suppress(ConnectionError):
                            await conn.ws.send_bytes(str(self.seq).encode())
                await asyncio.sleep(interval)

        self._streamer = asyncio.create_task(run())

    async def stop_stream(self) -> None:
        assert self._streamer is not None
        self._streamer.cancel()
        await asyncio.gather(self._streamer, return_exceptions=True)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    await srv.start()
    yield srv
    await srv.stop()


async def until(predicate: Callable[[], bool], limit: float = 5.0) -> None:
    """Poll ``predicate`` (state held by servers and callbacks) until true or ``limit`` seconds pass."""
    async with asyncio.timeout(limit):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


class StateListener:
    """A WsListener recording states and socket events (what a user's listener would see)."""

    def __init__(self, states: list[ConnectionState] | None = None) -> None:
        self.states = states if states is not None else []
        self.events: list[tuple[str, str, BaseException | None]] = []

    def on_open(self, connection_id: str) -> None:
        self.events.append(("open", connection_id, None))

    def on_close(self, connection_id: str, error: BaseException | None) -> None:
        self.events.append(("close", connection_id, error))

    def on_state(self, state: ConnectionState) -> None:
        self.states.append(state)


def make_ws(
    url: str | Callable[[], Awaitable[str]],
    frames: list[bytes | str],
    metrics: MetricsRegistry | None = None,
    *,
    on_state: Callable[[ConnectionState], None] | None = None,
    **kwargs: Any,
) -> ReconnectingWebSocket:
    strategy = kwargs.pop("strategy", DefaultConnectionStrategy(policy=FAST))
    option_names = set(attrs.fields_dict(WsOptions))
    options = WsOptions(**{k: kwargs.pop(k) for k in list(kwargs) if k in option_names})
    listeners = kwargs.pop("listeners", [])
    if on_state is not None:
        recorder = StateListener()
        recorder.on_state = on_state  # type: ignore[method-assign]
        listeners.append(recorder)
    return ReconnectingWebSocket(
        url,
        name="t",
        on_frame=frames.append,
        codec=JsonCodec(),
        strategy=strategy,
        metrics=metrics or MetricsRegistry(),
        options=options,
        listeners=listeners,
        **kwargs,
    )


async def test_drop_reconnects_and_resubscribes_each_channel_once(server: Server) -> None:
    states: list[ConnectionState] = []
    connected = 0

    async def on_connected() -> None:
        nonlocal connected
        connected += 1

    channels = [f"ch{i}" for i in range(5)]
    metrics = MetricsRegistry()
    ws = make_ws(
        server.url, [], metrics, on_state=states.append, on_connected=on_connected, max_channels_per_message=2
    )
    await ws.subscribe(channels[:2])  # before start: remembered, sent on connect
    await ws.start()
    await ws.subscribe(channels[2:])
    await ws.subscribe(channels[:1])  # already active: nothing sent
    await until(lambda: len(server.conns[0].subscribed()) == 5)
    assert sorted(server.conns[0].subscribed()) == channels

    await server.conns[0].ws.close()  # clean close by the server
    await until(lambda: len(server.conns) == 2 and len(server.conns[1].subscribed()) == 5)
    transport = server.conns[1].request.transport
    assert transport is not None
    transport.abort()  # reset without a close frame (1006)
    await until(lambda: len(server.conns) == 3 and len(server.conns[2].subscribed()) == 5)
    await until(lambda: connected == 3)
    await asyncio.sleep(0.05)
    for conn in server.conns:
        got = conn.subscribed()
        assert sorted(got) == channels  # every channel exactly once per socket
        assert all(len(m["params"]) <= 2 for m in conn.messages)
    assert ws.subscriptions == frozenset(channels)
    assert metrics.value("ws.t.reconnections") == 2
    assert metrics.value("ws.t.connects") == 3
    await ws.close()
    assert states == [
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.RECONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.RECONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.CLOSED,
    ]
    assert not ws.connected


async def test_unsubscribe_sends_and_forgets(server: Server) -> None:
    async with make_ws(server.url, []) as ws:
        await ws.subscribe(["a", "b", "c"])
        await ws.unsubscribe(["b", "zz"])
        await until(lambda: server.conns[0].channels == {"a", "c"})
        await server.conns[0].ws.close()
        await until(lambda: len(server.conns) == 2 and server.conns[1].channels == {"a", "c"})
        assert ws.subscriptions == {"a", "c"}


async def test_url_factory_reevaluated_on_reconnect(server: Server) -> None:
    minted = 0

    async def url() -> str:
        nonlocal minted
        minted += 1
        return f"{server.url}?listenKey=key{minted}"

    async with make_ws(url, []) as ws:
        await ws.subscribe(["private"])
        await server.conns[0].ws.close()
        await until(lambda: len(server.conns) == 2 and bool(server.conns[1].channels))
        assert [c.request.query["listenKey"] for c in server.conns] == ["key1", "key2"]
        assert "listenKey" not in repr(ws)


async def test_keepalive_messages_arrive(server: Server) -> None:
    strategy = DefaultConnectionStrategy(
        policy=FAST, keepalive_interval=0.02, keepalive_message='{"method":"PING"}'
    )
    async with make_ws(server.url, [], strategy=strategy):
        await until(lambda: sum(m == {"method": "PING"} for m in server.conns[0].messages) >= 3)


async def test_should_reconnect_false_closes(server: Server) -> None:
    class NoReconnect(DefaultConnectionStrategy):
        def should_reconnect(self, error: BaseException | None, close_code: int | None) -> bool:
            return False

    states: list[ConnectionState] = []
    async with make_ws(server.url, [], strategy=NoReconnect(policy=FAST), on_state=states.append) as ws:
        await server.conns[0].ws.close()
        await until(lambda: ws.state is ConnectionState.FAILED)
        await asyncio.sleep(0.05)
        assert len(server.conns) == 1
        assert states == [ConnectionState.CONNECTING, ConnectionState.CONNECTED, ConnectionState.FAILED]


async def test_start_fails_with_connection_error() -> None:
    states: list[ConnectionState] = []
    ws = make_ws("ws://127.0.0.1:1/ws?listenKey=secret", [], on_state=states.append)
    with pytest.raises(ExchangeConnectionError) as info:
        await ws.start()
    assert "secret" not in str(info.value)
    assert states[-1] is ConnectionState.CLOSED


async def test_rotation_loses_no_frame(server: Server) -> None:
    received: list[int] = []

    def on_frame(frame: bytes | str) -> None:
        if isinstance(frame, bytes):
            received.append(int(frame))

    metrics = MetricsRegistry()
    ws = ReconnectingWebSocket(
        server.url,
        name="rot",
        on_frame=on_frame,
        codec=JsonCodec(),
        strategy=DefaultConnectionStrategy(policy=FAST),
        metrics=metrics,
        options=WsOptions(ready_check=lambda frame: isinstance(frame, str) and frame.startswith('{"ack"')),
    )
    async with ws:
        await ws.subscribe(["seq"])
        server.stream()
        await until(lambda: len(received) > 20)
        for _ in range(3):
            await ws.rotate()
            mark = server.seq
            await until(lambda mark=mark: bool(received) and received[-1] > mark + 10)  # type: ignore[misc]
        await server.stop_stream()
        await asyncio.sleep(0.05)
        assert len(server.live()) == 1
    assert metrics.value("ws.rot.rotations") == 3
    first, last = received[0], received[-1]
    assert set(range(first, last + 1)) <= set(received)  # none lost
    # Duplicates only at a switch: the stream is at most 1 + rotations increasing runs.
    runs = 1 + sum(1 for a, b in itertools.pairwise(received) if b <= a)
    assert runs <= 4


async def test_overlap_window_covers_every_repeated_frame(server: Server) -> None:
    """on_overlap(True) .. on_overlap(False) brackets each rotation and reconnect; repeats fall inside."""
    received: list[tuple[int, bool]] = []  # (sequence number, window open when delivered)
    events: list[bool] = []

    def on_frame(frame: bytes | str) -> None:
        if isinstance(frame, bytes):
            received.append((int(frame), bool(events) and events[-1]))

    metrics = MetricsRegistry()
    ws = ReconnectingWebSocket(
        server.url,
        name="ovl",
        on_frame=on_frame,
        codec=JsonCodec(),
        strategy=DefaultConnectionStrategy(policy=FAST),
        metrics=metrics,
        options=WsOptions(
            ready_check=lambda frame: False,  # never "ready": each rotation stages frames for 50 ms
            rotation_timeout=0.05,
            overlap_grace=0.05,
        ),
        on_overlap=events.append,
    )
    async with ws:
        await ws.subscribe(["seq"])
        server.stream()
        await until(lambda: len(received) > 20)
        for _ in range(3):
            await ws.rotate()
            assert events[-1] is True  # open until the grace period passed and the queue drained
            await until(lambda: events[-1] is False)
        await server.conns[-1].ws.close()  # a lost socket: a reconnect opens a window too
        await until(lambda: len(events) == 8 and events[-1] is False)
        mark = server.seq
        await until(lambda: received[-1][0] > mark + 10)
        await server.stop_stream()
    assert events == [True, False] * 4
    assert metrics.value("ws.ovl.rotations") == 3
    repeats = [b for a, b in itertools.pairwise(received) if b[0] <= a[0]]
    assert repeats, "the test server sends every number on every socket: a rotation repeats some"
    assert all(in_window for _, in_window in repeats)


async def test_lifetime_rotation_is_automatic(server: Server) -> None:
    received: list[int] = []

    def on_frame(frame: bytes | str) -> None:
        if isinstance(frame, bytes):
            received.append(int(frame))

    metrics = MetricsRegistry()
    strategy = DefaultConnectionStrategy(policy=FAST, max_connection_lifetime=0.15)
    ws = ReconnectingWebSocket(
        server.url, name="life", on_frame=on_frame, codec=JsonCodec(), strategy=strategy, metrics=metrics
    )
    async with ws:
        await ws.subscribe(["seq"])
        server.stream()
        await until(lambda: metrics.value("ws.life.rotations") >= 2)
        await server.stop_stream()
    assert set(range(received[0], received[-1] + 1)) <= set(received)
    assert metrics.value("ws.life.reconnections") == 0


@pytest.mark.parametrize("policy", ["drop_oldest", "drop_newest", "block"])
async def test_queue_overflow_policies(policy: str) -> None:
    srv = Server(burst_on_subscribe=300)
    await srv.start()
    received: list[int] = []
    texts: list[str] = []

    def slow(frame: bytes | str) -> None:
        time.sleep(0.0002)  # a deliberately slow handler
        if isinstance(frame, bytes):
            received.append(int(frame))
        else:
            texts.append(frame)

    metrics = MetricsRegistry()
    ws = ReconnectingWebSocket(
        srv.url,
        name="q",
        on_frame=slow,
        codec=JsonCodec(),
        strategy=DefaultConnectionStrategy(policy=FAST),
        metrics=metrics,
        options=WsOptions(max_queue_size=8, overflow_policy=policy),
    )
    try:
        async with ws:
            await ws.subscribe(["burst"])
            await until(lambda: len(received) + len(texts) + metrics.value("ws.q.dropped") >= 301)
            await asyncio.sleep(0.05)
    finally:
        await srv.stop()
    dropped = metrics.value("ws.q.dropped")
    assert len(received) + len(texts) + dropped == 301  # 300 binary + 1 ack
    assert received == sorted(received)
    if policy == "block":
        assert dropped == 0
        assert received == list(range(300))
    else:
        assert dropped > 0
        if policy == "drop_oldest":
            assert received[-1] == 299
        else:
            assert received[0] == 0


async def test_frame_queue_blocks_producers_in_order_and_survives_cancellation() -> None:
    """The deque-based FrameQueue: ``block`` makes producers wait; a cancelled producer leaves no trace."""
    dropped = MetricsRegistry().counter("dropped")
    queue = FrameQueue(2, "block", dropped)
    await queue.put(b"0")
    await queue.put(b"1")
    first = asyncio.create_task(queue.put(b"2"))
    cancelled = asyncio.create_task(queue.put(b"x"))
    last = asyncio.create_task(queue.put(b"3"))
    await asyncio.sleep(0)
    assert not first.done()
    assert len(queue) == 2
    cancelled.cancel()
    await asyncio.sleep(0)
    got = [await asyncio.wait_for(queue.get(), 1) for _ in range(4)]
    await asyncio.wait_for(asyncio.gather(first, last), 1)
    assert got == [b"0", b"1", b"2", b"3"]
    assert queue.empty()
    assert dropped.value == 0
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert queue.offer(b"4")
    assert await asyncio.wait_for(waiting, 1) == b"4"


async def test_handler_errors_are_counted_not_fatal(server: Server) -> None:
    seen: list[bytes | str] = []

    def bad(frame: bytes | str) -> None:
        seen.append(frame)
        raise ValueError("boom")

    metrics = MetricsRegistry()
    ws = ReconnectingWebSocket(
        server.url,
        name="err",
        on_frame=bad,
        codec=JsonCodec(),
        strategy=DefaultConnectionStrategy(policy=FAST),
        metrics=metrics,
    )
    async with ws:
        await ws.subscribe(["a"])
        await ws.subscribe(["b"])
        await until(lambda: len(seen) == 2)
    assert metrics.value("ws.err.handler_errors") == 2
    assert metrics.value("ws.err.frames_text") == 2


class FrameTap(StateListener):
    """A FrameListener: every raw frame with its connection id and receive time (a recorder's tap)."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[tuple[str, bytes | str, int]] = []

    def on_frame(self, connection_id: str, frame: bytes | str, received_ns: int) -> None:
        self.frames.append((connection_id, frame, received_ns))


async def test_a_frame_listener_sees_every_frame_and_socket_event(server: Server) -> None:
    frames: list[bytes | str] = []
    tap = FrameTap()
    ws = make_ws(server.url, frames)
    ws.add_listener(tap)
    async with ws:
        await ws.subscribe(["seq"])
        server.stream()
        await until(lambda: len(frames) > 20)
        await server.conns[0].ws.close()  # lost: reconnect as socket 2
        await until(lambda: ws.connected and len(server.live()) == 1 and len(tap.states) >= 4)
        await until(lambda: any(cid == "t#2" for cid, _, _ in tap.frames))
        await server.stop_stream()
        await asyncio.sleep(0.05)
    assert [frame for _, frame, _ in tap.frames] == frames  # the same frames, in order
    times = [ns for _, _, ns in tap.frames]
    assert times == sorted(times)
    assert {cid for cid, _, _ in tap.frames} == {"t#1", "t#2"}
    opens = [cid for kind, cid, _ in tap.events if kind == "open"]
    closes = [cid for kind, cid, _ in tap.events if kind == "close"]
    assert opens == ["t#1", "t#2"]
    assert closes == ["t#1", "t#2"]
    assert tap.states == [
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.RECONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.CLOSED,
    ]
    ws.remove_listener(tap)


async def test_a_url_factory_that_raises_anything_is_retried_then_fails_visibly(server: Server) -> None:
    """A URL factory may raise any error (a listen-key REST call): it must not kill the supervisor
    silently. It is retried with backoff; when the policy gives up the stream is FAILED, its timers
    are stopped (nothing keeps waking) and the error is available."""
    calls = 0

    async def url() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            return server.url
        raise ValueError(f"listen key endpoint answered nonsense (call {calls})")

    strategy = DefaultConnectionStrategy(
        policy=ReconnectionPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.02),
        keepalive_interval=0.05,
        keepalive_message='{"method":"PING"}',
        max_connection_lifetime=60,
    )
    states: list[ConnectionState] = []
    ws = make_ws(url, [], strategy=strategy, on_state=states.append, liveness_timeout=5.0)
    async with ws:
        await server.conns[0].ws.close()
        async with asyncio.timeout(10):
            error = await ws.wait_failed()
        assert "gave up after 3 reconnect attempts" in str(error)
        assert "ValueError" in str(error)
        assert calls == 4
        assert ws.state is ConnectionState.FAILED
        assert not ws.connected
        await asyncio.sleep(0.1)
        supervisor_and_timers = ws._tasks
        assert all(task.done() for task in supervisor_and_timers)  # no task keeps waking up
    assert states[-1] is ConnectionState.FAILED  # close() after FAILED keeps the terminal state


async def test_a_silent_server_is_declared_dead_within_the_liveness_timeout(server: Server) -> None:
    """A quiet socket whose server answers PINGs lives; once the server stops answering anything
    (socket still open, no close, no reset), the socket is declared dead and replaced."""
    metrics = MetricsRegistry()
    strategy = DefaultConnectionStrategy(policy=FAST, keepalive_message='{"method":"PING"}')
    states: list[ConnectionState] = []
    ws = make_ws(server.url, [], metrics, strategy=strategy, liveness_timeout=1.0, on_state=states.append)
    async with ws:
        await ws.subscribe(["a"])
        await until(lambda: sum(m == {"method": "PING"} for m in server.conns[0].messages) >= 3)
        assert metrics.value("ws.t.liveness_timeouts") == 0  # probed, answered, alive
        server.answer_pings = False  # from now on the server hears but says nothing
        await until(lambda: metrics.value("ws.t.liveness_timeouts") >= 1)
        server.answer_pings = True
        await until(lambda: ws.connected and len(server.conns) >= 2)
        assert ConnectionState.RECONNECTING in states
        assert isinstance(ws.last_error, ExchangeConnectionError)
        assert "silent" in str(ws.last_error)


async def test_close_cancelled_by_its_caller_still_closes_everything_and_reraises(server: Server) -> None:
    """A caller cancelled during ``close()`` gets its CancelledError (never swallowed), and the
    sockets are closed anyway. Here the supervisor needs time to stop: it is inside a user
    ``on_connected`` callback that ignores cancellation until released."""
    entered, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def on_connected() -> None:
        nonlocal calls
        calls += 1
        if calls < 2:
            return
        entered.set()
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue

    ws = make_ws(server.url, [], on_connected=on_connected)
    await ws.start()
    await ws.subscribe(["a"])
    await until(lambda: len(server.conns) == 1 and bool(server.conns[0].channels))
    await server.conns[0].ws.close()  # the reconnect calls on_connected, which stalls
    await asyncio.wait_for(entered.wait(), 5)
    closer = asyncio.create_task(ws.close())
    await asyncio.sleep(0.05)
    closer.cancel()  # the caller of close() is cancelled while close() waits for the supervisor
    await asyncio.sleep(0.05)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(closer, 5)
    assert ws.state is ConnectionState.CLOSED
    assert not ws.connected
    await until(lambda: not server.live())  # the reconnected socket was closed too


async def test_a_silent_rotation_replacement_is_not_promoted(server: Server) -> None:
    """A replacement that says nothing (no ack, no frame) within ``rotation_timeout`` is dropped
    and the delivering socket kept: promoting it would freeze the stream on a mute socket."""
    frames: list[bytes | str] = []
    metrics = MetricsRegistry()
    async with make_ws(server.url, frames, metrics, rotation_timeout=0.5, liveness_timeout=None) as ws:
        await ws.subscribe(["a"])
        await until(lambda: bool(server.conns[0].channels))
        server.stream(0.005)
        await until(lambda: len(frames) > 3)
        server.mute_new_sockets = True
        with pytest.raises(ExchangeConnectionError):
            await ws.rotate()
        assert metrics.value("ws.t.rotation_failures") == 1
        delivered = len(frames)
        await until(lambda: len(frames) > delivered + 3)  # the old socket still delivers
        assert ws.connected
        await until(lambda: len(server.live()) == 1)  # the silent replacement was closed
        await server.stop_stream()


async def test_the_delivering_socket_lost_during_a_rotation_is_reported_at_once(server: Server) -> None:
    """The old socket dies while the rotation still waits for its replacement: RECONNECTING is
    reported then (books go STALE), not only when the rotation ends; after the switch the stream
    is CONNECTED again and ``on_connected`` resyncs (frames were lost in between)."""
    states: list[ConnectionState] = []
    resyncs = 0
    replacement_ready = False

    async def on_connected() -> None:
        nonlocal resyncs
        resyncs += 1

    ws = make_ws(
        server.url,
        [],
        on_state=states.append,
        on_connected=on_connected,
        rotation_timeout=60.0,
        ready_check=lambda frame: replacement_ready,
    )
    async with ws:
        await ws.subscribe(["a"])
        await until(lambda: bool(server.conns[0].channels))
        rotation = asyncio.create_task(ws.rotate())
        await until(lambda: len(server.conns) == 2 and bool(server.conns[1].channels))  # staging
        await server.conns[0].ws.close()  # the delivering socket is lost mid-rotation
        await until(lambda: ConnectionState.RECONNECTING in states)
        assert not rotation.done()  # reported while the rotation still waits
        assert not ws.connected
        replacement_ready = True
        server.stream(0.005)  # the replacement's next frame makes it ready: the switch happens
        await asyncio.wait_for(rotation, 10)
        await server.stop_stream()
        assert states[-2:] == [ConnectionState.RECONNECTING, ConnectionState.CONNECTED]
        assert resyncs == 2  # the first connect, then the resync after the lost frames
        assert ws.connected
