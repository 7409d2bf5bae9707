"""``ChaosProxy``: an HTTP and WebSocket reverse proxy on loopback that injects faults into answers/frames.

Point a client's REST base and WebSocket URL at the proxy instead of the server; everything is relayed
byte for byte (raw path and query, so signatures still verify) unless the schedule says otherwise::

    async with ChaosProxy(sim.rest_url, schedule) as proxy:
        overrides = {"rest_url": proxy.url, "ws_url": proxy.rewrite(sim.ws_url)}
        ...
        proxy.stall_websockets()  # every open WebSocket goes silent, sockets left open

HTTP requests get :class:`HttpFault` decisions (before the server sees the request, or after it answered),
server-to-client WebSocket frames get :class:`WsFault` decisions. ``proxy.requests`` counts what arrived.
"""

from __future__ import annotations

import asyncio
import logging
import random
from types import TracebackType

import aiohttp
import yarl
from aiohttp import web

from exchanges.testing.chaos._faults import Forwarding, HttpFault
from exchanges.testing.chaos._schedule import FaultSchedule, HttpDecision
from exchanges.testing.chaos._urls import rewrite_url
from exchanges.testing.chaos._websocket import WsLink

log = logging.getLogger("exchanges.testing.chaos")

_HOP_BY_HOP = frozenset(
    h.lower()
    for h in (
        "Connection",
        "Keep-Alive",
        "Proxy-Connection",
        "Transfer-Encoding",
        "Upgrade",
        "Host",
        "Content-Length",
        "Content-Encoding",
        "TE",
        "Trailer",
    )
)
_JSON = "application/json"
_SHAPES = {HttpFault.EMPTY_ARRAY: b"[]", HttpFault.NULL_BODY: b"null", HttpFault.EMPTY_OBJECT: b"{}"}
_STALL_POLL = 0.05


def _headers(source: aiohttp.typedefs.LooseHeaders) -> dict[str, str]:
    items = source.items() if hasattr(source, "items") else source
    return {k: v for k, v in items if k.lower() not in _HOP_BY_HOP}


class ChaosProxy:
    """Relay HTTP and WebSocket traffic to ``upstream_url``, injecting the schedule's faults."""

    def __init__(
        self,
        upstream_url: str,
        schedule: FaultSchedule | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.upstream = yarl.URL(upstream_url).origin()
        self.schedule = schedule if schedule is not None else FaultSchedule(0)
        self.host = host
        self.port = port
        self.requests = 0
        """HTTP requests received (WebSocket upgrades not included)."""
        self.websockets_accepted = 0
        self._bodies = random.Random(f"{self.schedule.seed}:http-bodies")
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._links: set[WsLink] = set()
        self._closing = asyncio.Event()

    @property
    def url(self) -> str:
        """The proxy's base URL (``http://host:port``), to use instead of the server's."""
        return f"http://{self.host}:{self.port}"

    def rewrite(self, url: str) -> str:
        """``url`` (HTTP or WebSocket, on the upstream server) pointed at this proxy instead."""
        return rewrite_url(url, self.host, self.port)

    async def start(self) -> ChaosProxy:
        self._session = aiohttp.ClientSession(auto_decompress=True)
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop serving; every relayed WebSocket is dropped and every stalled request released."""
        self._closing.set()
        for link in list(self._links):
            link.drop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> ChaosProxy:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def open_websockets(self) -> int:
        return len(self._links)

    @property
    def open_websocket_paths(self) -> list[str]:
        """Raw path and query of every open relayed WebSocket (to find, say, a listen key in use)."""
        return [link.path for link in self._links]

    def stall_websockets(self) -> None:
        """Every open WebSocket goes silent both ways (PINGs unanswered); no socket is closed."""
        for link in self._links:
            link.stall()

    def drop_websockets(self) -> None:
        """Every open WebSocket is aborted without a close frame."""
        for link in list(self._links):
            link.drop()

    # HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        self.requests += 1
        decision = self.schedule.next_http(request.method, request.path)
        if decision is not None and decision.forwarding is Forwarding.BEFORE:
            return await self._fault(request, decision, None)
        status, headers, body = await self._forward(request)
        if decision is None:
            return web.Response(status=status, headers=headers, body=body)
        return await self._fault(request, decision, (status, headers, body))

    async def _forward(self, request: web.Request) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None
        target = yarl.URL(str(self.upstream) + request.raw_path, encoded=True)
        try:
            async with self._session.request(
                request.method,
                target,
                headers=_headers(request.headers),
                data=await request.read() or None,
                allow_redirects=False,
            ) as answer:
                return answer.status, _headers(answer.headers), await answer.read()
        except aiohttp.ClientError as exc:
            return 502, {"Content-Type": "text/plain"}, f"chaos proxy: upstream failed: {exc}".encode()

    async def _fault(
        self,
        request: web.Request,
        decision: HttpDecision,
        answer: tuple[int, dict[str, str], bytes] | None,
    ) -> web.StreamResponse:
        fault = decision.fault
        log.debug("http %s %s: %s (%s)", request.method, request.path, fault.value, decision.forwarding.value)
        if fault is HttpFault.DELAY:
            await asyncio.sleep(self.schedule.http_delay)
            status, headers, body = answer if answer is not None else await self._forward(request)
            return web.Response(status=status, headers=headers, body=body)
        if fault is HttpFault.STALL:
            await self._stall(request)
            return web.Response(status=504)
        if fault is HttpFault.DROP:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=502)
        if fault is HttpFault.SERVER_ERROR:
            status = self._bodies.choice((500, 502, 503, 504))
            return web.Response(status=status, text=f"<html><body>{status} chaos</body></html>")
        if fault in _SHAPES:
            return web.Response(status=200, body=_SHAPES[fault], content_type=_JSON)
        if fault is HttpFault.TRUNCATED_JSON:
            real = answer[2] if answer is not None else b'{"symbol":"BTCUSDT","orderId":"C02__1","price":"1'
            return web.Response(status=200, body=real[: max(1, len(real) // 2)], content_type=_JSON)
        if fault is HttpFault.GARBAGE:
            junk = bytes(self._bodies.randrange(256) for _ in range(self._bodies.randint(1, 64)))
            return web.Response(status=200, body=junk, content_type=_JSON)
        value = "99999" if fault is HttpFault.RETRY_AFTER_HUGE else "inf"
        return web.Response(
            status=429,
            headers={"Retry-After": value},
            body=b'{"code":429,"msg":"Too Many Requests"}',
            content_type=_JSON,
        )

    async def _stall(self, request: web.Request) -> None:
        """Hold the request, answering nothing, until the client disconnects or the proxy closes."""
        while not self._closing.is_set():
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            try:
                await asyncio.wait_for(self._closing.wait(), _STALL_POLL)
            except TimeoutError:
                continue

    # WebSocket

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        target = yarl.URL(str(self.upstream.with_scheme("ws")) + request.raw_path, encoded=True)
        try:
            upstream = await self._session.ws_connect(target, autoping=False, max_msg_size=0)
        except aiohttp.WSServerHandshakeError as exc:
            return web.Response(status=exc.status, text=exc.message)
        except aiohttp.ClientError:
            return web.Response(status=502, text="chaos proxy: upstream unreachable")
        client = web.WebSocketResponse(autoping=False, max_msg_size=0)
        await client.prepare(request)
        self.websockets_accepted += 1
        link = WsLink(
            self.websockets_accepted, client, upstream, self.schedule, request.transport, request.raw_path
        )
        self._links.add(link)
        try:
            await link.run()
        finally:
            self._links.discard(link)
        return client
