"""RestTransport against real aiohttp servers on 127.0.0.1 (no mocks).

Each test scripts a tiny server: a list of responses served in order, and a log of what the server
received (method, path, raw query, body, loop time).
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from exchanges.errors import (
    AuthenticationError,
    ExchangeAPIError,
    ExchangeConnectionError,
    ExchangeError,
    ExchangeServerError,
    OrderOutcomeUnknown,
    RateLimitError,
)
from exchanges.metrics import MetricsRegistry
from exchanges.ratelimit import EndpointCost, PoolLimit, RateLimiter
from exchanges.strategies import ExponentialBackoffRetry
from exchanges.transport._rest_support import encode_query, normalise_params, parse_retry_after
from exchanges.transport.rest import DefaultErrorClassifier, Params, RestTransport

FAST_RETRY = ExponentialBackoffRetry(max_attempts=3, base_delay=0.01, jitter=0.0)


@dataclass
class Seen:
    method: str
    path: str
    query: str
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok":true}'
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    echo_query: bool = False
    drop: bool = False
    """Close the TCP connection after reading the request, without answering."""


@dataclass
class Server:
    url: str
    seen: list[Seen]
    replies: list[Reply]


@asynccontextmanager
async def serve(*replies: Reply, default: Reply | None = None) -> AsyncIterator[Server]:
    """A server answering ``replies`` in order, then ``default`` (200 ok) forever."""
    queue = list(replies)
    seen: list[Seen] = []
    fallback = default or Reply()

    async def handler(request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        seen.append(
            Seen(
                request.method,
                request.path,
                request.rel_url.raw_query_string,
                await request.read(),
                loop.time(),
            )
        )
        reply = queue.pop(0) if queue else fallback
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drop and request.transport is not None:
            request.transport.close()
            await asyncio.sleep(0.2)
        body = reply.body
        if reply.echo_query:
            body = b'{"query":"' + request.rel_url.raw_query_string.encode() + b'"}'
        return web.Response(status=reply.status, body=body, headers=reply.headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Server(f"http://{host}:{port}", seen, queue)
    finally:
        await runner.cleanup()


@asynccontextmanager
async def transport(url: str, **kwargs: Any) -> AsyncIterator[RestTransport]:
    kwargs.setdefault("retry", FAST_RETRY)
    kwargs.setdefault("metrics", MetricsRegistry())
    rest = RestTransport(url, name="test", **kwargs)
    try:
        yield rest
    finally:
        await rest.close()


class CountingSigner:
    """Adds a per-call counter as timestamp and a fake signature, like an HMAC signer would."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, str]]] = []

    def sign(self, method: str, path: str, params: Params) -> tuple[str, Mapping[str, str]]:
        self.calls.append(list(params))
        query = encode_query([*params, ("timestamp", str(1000 + len(self.calls)))])
        return f"{query}&signature=SECRETSIG{len(self.calls)}", {"X-API-KEY": "key"}


def run(coro: Any) -> Any:
    return asyncio.wait_for(coro, timeout=10)


async def test_get_retried_on_5xx_then_succeeds() -> None:
    async with serve(Reply(500, b"oops"), Reply(502, b""), Reply(200, b'{"price":"1.5"}')) as srv:
        metrics = MetricsRegistry()
        async with transport(srv.url, metrics=metrics) as rest:
            result = await run(rest.request("GET", "/api/v3/ticker", {"symbol": "BTCUSDT"}))
        assert result == {"price": "1.5"}
        assert len(srv.seen) == 3
        assert all(s.query == "symbol=BTCUSDT" for s in srv.seen)
        assert metrics.value("rest.GET /api/v3/ticker.retries") == 2
        assert metrics.value("rest.GET /api/v3/ticker.requests") == 3
        assert metrics.value("rest.GET /api/v3/ticker.errors") == 2
        assert metrics.value("rest.retries") == 2


async def test_get_gives_up_after_max_attempts() -> None:
    async with serve(default=Reply(503, b'{"code":1,"msg":"busy"}')) as srv:
        async with transport(srv.url) as rest:
            with pytest.raises(ExchangeServerError) as info:
                await run(rest.request("GET", "/x"))
        assert len(srv.seen) == 3
        assert info.value.status == 503


async def test_post_timeout_is_unknown_outcome_and_sent_once() -> None:
    async with serve(Reply(200, b"{}", delay=1.0)) as srv:
        async with transport(srv.url, timeout=0.2) as rest:
            with pytest.raises(OrderOutcomeUnknown) as info:
                await run(
                    rest.request(
                        "POST",
                        "/api/v3/order",
                        {"symbol": "BTCUSDT", "newClientOrderId": "abc"},
                        context={"symbol": "BTC/USDT", "client_order_id": "abc"},
                    )
                )
            await asyncio.sleep(0.3)  # a re-send, if any, would arrive now
        assert len(srv.seen) == 1
        assert srv.seen[0].method == "POST"
        assert srv.seen[0].query == "symbol=BTCUSDT&newClientOrderId=abc"
        assert srv.seen[0].body == b""
        error = info.value
        assert error.client_order_id == "abc"
        assert error.symbol == "BTC/USDT"
        assert isinstance(error.cause, ExchangeConnectionError)
        assert rest.metrics.outcome_unknown.value == 1


async def test_post_503_is_unknown_outcome_and_sent_once() -> None:
    async with serve(default=Reply(503, b'{"code":500,"msg":"internal"}')) as srv:
        async with transport(srv.url) as rest:
            with pytest.raises(OrderOutcomeUnknown) as info:
                await run(rest.request("POST", "/api/v3/order", context={"client_order_id": "c1"}))
        assert len(srv.seen) == 1
        assert isinstance(info.value.cause, ExchangeServerError)
        assert info.value.client_order_id == "c1"


async def test_post_connection_dropped_after_sending_is_unknown_outcome() -> None:
    async with serve(Reply(drop=True)) as srv, transport(srv.url) as rest:
        with pytest.raises(OrderOutcomeUnknown) as info:
            await run(rest.request("POST", "/api/v3/order", context={"client_order_id": "d1"}))
    assert len(srv.seen) == 1
    assert type(info.value.cause) is ExchangeConnectionError


async def test_get_connection_dropped_is_retried() -> None:
    async with serve(Reply(drop=True)) as srv, transport(srv.url) as rest:
        assert await run(rest.request("GET", "/api/v3/depth")) == {"ok": True}
    assert len(srv.seen) == 2


async def test_post_invalid_json_2xx_is_unknown_outcome() -> None:
    async with serve(Reply(200, b"<html>")) as srv:
        async with transport(srv.url) as rest:
            with pytest.raises(OrderOutcomeUnknown):
                await run(rest.request("POST", "/api/v3/order"))
        assert len(srv.seen) == 1


async def test_post_business_error_raised_directly_not_unknown() -> None:
    async with serve(default=Reply(400, b'{"code":30004,"msg":"Insufficient position"}')) as srv:
        async with transport(srv.url) as rest:
            with pytest.raises(ExchangeAPIError) as info:
                await run(rest.request("POST", "/api/v3/order"))
        assert not isinstance(info.value, OrderOutcomeUnknown)
        assert (info.value.status, info.value.code) == (400, 30004)
        assert len(srv.seen) == 1


async def test_get_4xx_not_retried() -> None:
    async with serve(default=Reply(400, b'{"code":-1121,"msg":"Invalid symbol."}')) as srv:
        async with transport(srv.url) as rest:
            with pytest.raises(ExchangeAPIError) as info:
                await run(rest.request("GET", "/api/v3/depth"))
        assert len(srv.seen) == 1
        assert info.value.code == -1121
        assert "Invalid symbol." in str(info.value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_connection_refused_is_plain_connection_error(method: str) -> None:
    async with transport(f"http://127.0.0.1:{free_port()}") as rest:
        with pytest.raises(ExchangeConnectionError) as info:
            await run(rest.request(method, "/api/v3/order", context={"client_order_id": "x"}))
    assert not isinstance(info.value, OrderOutcomeUnknown)
    assert type(info.value) is ExchangeConnectionError  # the internal marker class never leaks
    expected_attempts = 3 if method == "GET" else 1
    assert rest.metrics.endpoint(method, "/api/v3/order").requests.value == expected_attempts


async def test_429_retry_after_is_honoured(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter({"ip": PoolLimit(100, 10.0)})
    retry = ExponentialBackoffRetry(max_attempts=2, base_delay=0.01, jitter=0.0)
    async with serve(Reply(429, b"", headers={"Retry-After": "1"})) as srv:
        async with transport(srv.url, limiter=limiter, retry=retry) as rest:
            with caplog.at_level(logging.WARNING, logger="exchanges.transport.rest"):
                result = await run(rest.request("GET", "/api/v3/depth", cost=EndpointCost({"ip": 1})))
        assert result == {"ok": True}
        assert len(srv.seen) == 2
        assert srv.seen[1].at - srv.seen[0].at >= 0.9
        assert "rate limit reached" in caplog.text
        assert rest.metrics.rate_limit_errors.value == 1


async def test_429_pauses_the_pool_for_other_requests() -> None:
    limiter = RateLimiter({"ip": PoolLimit(100, 10.0), "uid": PoolLimit(100, 10.0)})
    retry = ExponentialBackoffRetry(max_attempts=1)
    async with serve(Reply(429, b"", headers={"Retry-After": "8"})) as srv:
        async with transport(srv.url, limiter=limiter, retry=retry) as rest:
            with pytest.raises(RateLimitError) as info:
                await run(rest.request("GET", "/a", cost=EndpointCost({"ip": 1})))
            assert info.value.retry_after == 8.0
            assert limiter.paused_for("ip") > 6
            assert limiter.paused_for("uid") == 0.0
            # the uid pool is independent: its requests go straight through
            assert await run(rest.request("GET", "/b", cost=EndpointCost({"uid": 1}))) == {"ok": True}
            blocked = asyncio.ensure_future(rest.request("GET", "/c", cost=EndpointCost({"ip": 1})))
            await asyncio.sleep(0.1)
            assert not blocked.done()
            blocked.cancel()
        assert [s.path for s in srv.seen] == ["/a", "/b"]


async def test_signer_called_per_attempt_with_fresh_params() -> None:
    signer = CountingSigner()
    async with serve(Reply(500, b""), Reply(200, b'{"balances":[]}')) as srv:
        async with transport(srv.url, signer=signer) as rest:
            result = await run(rest.request("GET", "/api/v3/account", {"recvWindow": 5000}, signed=True))
        assert result == {"balances": []}
        assert signer.calls == [[("recvWindow", "5000")], [("recvWindow", "5000")]]
        assert [s.query for s in srv.seen] == [
            "recvWindow=5000&timestamp=1001&signature=SECRETSIG1",
            "recvWindow=5000&timestamp=1002&signature=SECRETSIG2",
        ]


async def test_signed_without_signer_is_configuration_error() -> None:
    async with serve() as srv, transport(srv.url) as rest:
        with pytest.raises(ExchangeError, match="no signer"):
            await run(rest.request("GET", "/x", signed=True))
    assert srv.seen == []


async def test_query_sent_exactly_as_signed() -> None:
    raw = "symbol=BTCUSDT&note=a%2Fb%20c&price=0.00001&signature=ab%2B%3D"

    class FixedSigner:
        def sign(self, method: str, path: str, params: Params) -> tuple[str, Mapping[str, str]]:
            return raw, {}

    async with serve(default=Reply(echo_query=True)) as srv, transport(srv.url, signer=FixedSigner()) as rest:
        result = await run(rest.request("DELETE", "/api/v3/order", signed=True, idempotent=True))
    assert result == {"query": raw}
    assert srv.seen[0].query == raw


async def test_request_sends_a_body_with_its_query() -> None:
    """Exchanges that take JSON bodies (and MEXC's few body endpoints) get them through the transport."""
    payload = b'{"orders":[{"symbol":"BTCUSDT","qty":"0.001"}]}'
    async with serve(default=Reply(echo_query=True)) as srv, transport(srv.url) as rest:
        result = await run(rest.request("POST", "/api/v3/batch", {"a": "1"}, body=payload))
        await run(rest.request("GET", "/q"))
    assert result == {"query": "a=1"}
    assert srv.seen[0].method == "POST"
    assert srv.seen[0].body == payload
    assert srv.seen[1].body == b""


async def test_unsigned_params_encoding_and_order() -> None:
    params = {"symbol": "BTCUSDT", "qty": Decimal("1E-5"), "px": 0.00002, "flag": True, "skip": None}
    async with serve(default=Reply(echo_query=True)) as srv, transport(srv.url) as rest:
        result = await run(rest.request("GET", "/q", params))
    assert result == {"query": "symbol=BTCUSDT&qty=0.00001&px=0.00002&flag=true"}
    assert normalise_params([("a", "1 2")]) == [("a", "1 2")]
    assert encode_query([("a", "1 2"), ("b", "x/y")]) == "a=1%202&b=x%2Fy"


async def test_error_messages_never_carry_the_signed_query() -> None:
    signer = CountingSigner()
    reply = Reply(401, b'{"code":700002,"msg":"Signature for this request is not valid."}')
    async with serve(default=reply) as srv, transport(srv.url, signer=signer) as rest:
        with pytest.raises(ExchangeAPIError) as info:
            await run(rest.request("POST", "/api/v3/order", {"symbol": "BTCUSDT"}, signed=True))
    text = f"{info.value} {info.value!r}"
    assert "SECRETSIG" not in text
    assert "timestamp" not in text
    assert "POST /api/v3/order" in text


async def test_custom_classifier_is_used() -> None:
    class Classifier:
        def classify(
            self, status: int, body: bytes, headers: Mapping[str, str], method: str, path: str
        ) -> ExchangeError:
            return AuthenticationError(f"{method} {path}: denied", status=status)

    async with serve(default=Reply(403, b"")) as srv, transport(srv.url, classifier=Classifier()) as rest:
        with pytest.raises(AuthenticationError, match="denied"):
            await run(rest.request("GET", "/x"))


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind", "code"),
    [
        (429, b"", {"Retry-After": "7"}, RateLimitError, None),
        (418, b'{"code":429,"msg":"banned"}', {"Retry-After": "120"}, RateLimitError, 429),
        (500, b"", {}, ExchangeServerError, None),
        (503, b'{"code":"-1","msg":"down"}', {}, ExchangeServerError, -1),
        (400, b'{"code":700004,"msg":"bad param"}', {}, ExchangeAPIError, 700004),
        (404, b"<html>not json</html>", {}, ExchangeAPIError, None),
        (400, b"[1,2]", {}, ExchangeAPIError, None),
    ],
)
def test_default_classifier_mapping(
    status: int, body: bytes, headers: dict[str, str], kind: type[ExchangeError], code: int | None
) -> None:
    error = DefaultErrorClassifier(exchange="t").classify(status, body, headers, "GET", "/p")
    assert type(error) is kind
    assert isinstance(error, ExchangeAPIError)
    assert (error.status, error.code) == (status, code)
    assert "GET /p" in str(error)
    if isinstance(error, RateLimitError):
        assert error.retry_after == float(headers["Retry-After"])


def test_parse_retry_after() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("junk") == math.inf  # present but unusable: longer than any cap
    assert parse_retry_after("nan") == math.inf
    assert parse_retry_after("inf") == math.inf
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0


async def test_connections_are_reused() -> None:
    async with serve() as srv, transport(srv.url) as rest:
        for _ in range(5):
            await run(rest.request("GET", "/ping"))
        assert rest.metrics.connections_created.value == 1
        assert rest.metrics.connections_reused.value == 4
        assert rest.connection_reuse_rate() == pytest.approx(80.0)
        hist = rest.metrics.endpoint("GET", "/ping").latency
        assert hist.count == 5


async def test_empty_body_is_empty_dict_and_post_sends_no_body() -> None:
    async with serve(Reply(200, b"")) as srv, transport(srv.url) as rest:
        assert await run(rest.request("POST", "/api/v3/userDataStream", {"listenKey": "k"})) == {}
    assert srv.seen[0].body == b""
    assert srv.seen[0].query == "listenKey=k"


async def test_idempotent_delete_is_retried() -> None:
    async with serve(Reply(502, b"")) as srv, transport(srv.url) as rest:
        assert await run(rest.request("DELETE", "/api/v3/order", idempotent=True)) == {"ok": True}
    assert [s.method for s in srv.seen] == ["DELETE", "DELETE"]


async def test_limiter_wait_is_counted() -> None:
    limiter = RateLimiter({"ip": PoolLimit(1, 0.2)})
    async with serve() as srv, transport(srv.url, limiter=limiter) as rest:
        for _ in range(2):
            await run(rest.request("GET", "/w", cost=EndpointCost({"ip": 1})))
        assert rest.metrics.ratelimit_waits.value == 1
        assert rest.metrics.endpoint("GET", "/w").ratelimit_waits.value == 1
        assert rest.metrics.ratelimit_wait.total > 0


async def test_transport_usable_after_close() -> None:
    async with serve() as srv:
        rest = RestTransport(srv.url, name="t", metrics=MetricsRegistry())
        await run(rest.request("GET", "/a"))
        await rest.close()
        await run(rest.request("GET", "/a"))
        await rest.close()
    assert len(srv.seen) == 2
    assert "SECRET" not in repr(rest)


def _nothing_held(rest: RestTransport, limiter: RateLimiter) -> None:
    """No gate slot taken and no weight held: a held weight never expires, so past one window the
    pool must be empty."""
    assert rest.gate.in_use == 0
    assert rest.gate.waiting == 0
    assert limiter.used("ip", now=time_after_window(limiter)) == 0


def time_after_window(limiter: RateLimiter) -> float:
    return asyncio.get_running_loop().time() + 60.0


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"x" * 4096),  # above the body cap
        Reply(body=b"\x00not json"),  # decode error
        Reply(status=503),  # server error (POST: unknown outcome)
        Reply(drop=True),  # connection lost after sending
    ],
    ids=["body-cap", "decode", "5xx", "drop"],
)
async def test_failed_requests_give_back_their_slot_and_weight(method: str, reply: Reply) -> None:
    """Breaks when the gate's ``leave()`` or the limiter's ``release()`` in RestTransport is not in a
    ``finally`` (an error path would keep the slot or hold the weight for ever)."""
    limiter = RateLimiter({"ip": PoolLimit(100, 1.0)})
    async with (
        serve(default=reply) as server,
        transport(server.url, limiter=limiter, max_body_bytes=1024, pool_size=2, timeout=3.0) as rest,
    ):
        with pytest.raises(ExchangeError):
            await run(rest.request(method, "/x", cost=EndpointCost({"ip": 5})))
        _nothing_held(rest, limiter)


async def test_cancelled_caller_gives_back_its_slot_and_weight() -> None:
    """A caller cancelled while its request is in flight (and one cancelled while queued for the gate)
    frees everything. Breaks like the test above."""
    limiter = RateLimiter({"ip": PoolLimit(100, 1.0)})
    async with (
        serve(default=Reply(delay=5.0)) as server,
        transport(server.url, limiter=limiter, pool_size=2, reserved_connections=1, timeout=9.0) as rest,
    ):
        in_flight = asyncio.create_task(rest.request("GET", "/slow", cost=EndpointCost({"ip": 5})))
        for _ in range(200):
            if server.seen:
                break
            await asyncio.sleep(0.02)
        assert server.seen, "the request never reached the server"
        queued = asyncio.create_task(rest.request("GET", "/queued", cost=EndpointCost({"ip": 5})))
        await asyncio.sleep(0)
        assert rest.gate.waiting == 1  # the one ordinary slot is taken
        queued.cancel()
        in_flight.cancel()
        for task in (queued, in_flight):
            with pytest.raises(asyncio.CancelledError):
                await task
        _nothing_held(rest, limiter)
