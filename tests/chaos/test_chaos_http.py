"""ChaosProxy over real loopback sockets: HTTP answers relayed exactly, and each HTTP fault as stated."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
import yarl
from aiohttp import web

from exchanges.testing.chaos import ChaosProxy, FaultSchedule, Forwarding, HttpFault

BODY = b'{"symbol":"BTCUSDT","price":"1.5","qty":"2"}'


class Upstream:
    """A real aiohttp server: /echo answers with the raw query and body it saw; counts requests."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/echo", self._echo)
        app.router.add_get("/json", self._json)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def _echo(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, request.raw_path))
        body = await request.read()
        return web.json_response(
            {"raw_path": request.raw_path, "body": body.decode(), "key": request.headers.get("X-Key")},
            headers={"X-Upstream": "yes"},
        )

    async def _json(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, request.raw_path))
        return web.Response(body=BODY, content_type="application/json")


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[Upstream]:
    server = Upstream()
    await server.start()
    yield server
    assert server.runner is not None
    await server.runner.cleanup()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def test_relays_raw_query_body_status_and_headers(
    upstream: Upstream, http: aiohttp.ClientSession
) -> None:
    async with ChaosProxy(upstream.url) as proxy:
        url = yarl.URL(proxy.url + "/echo?batch=%5B%7B%22a%22%3A1%7D%5D&sig=ab%2Ccd", encoded=True)
        async with http.post(url, data=b"x=1&y=2", headers={"X-Key": "k"}) as answer:
            assert answer.status == 200
            assert answer.headers["X-Upstream"] == "yes"
            payload = await answer.json()
    assert payload == {
        "raw_path": "/echo?batch=%5B%7B%22a%22%3A1%7D%5D&sig=ab%2Ccd",
        "body": "x=1&y=2",
        "key": "k",
    }
    assert proxy.requests == 1


@pytest.mark.parametrize(
    ("fault", "body"),
    [(HttpFault.EMPTY_ARRAY, b"[]"), (HttpFault.NULL_BODY, b"null"), (HttpFault.EMPTY_OBJECT, b"{}")],
)
async def test_wrong_shape_bodies_are_200_json(
    upstream: Upstream, http: aiohttp.ClientSession, fault: HttpFault, body: bytes
) -> None:
    schedule = FaultSchedule(1)
    schedule.inject(fault, path="/json")
    async with ChaosProxy(upstream.url, schedule) as proxy:
        async with http.get(proxy.url + "/json") as answer:
            assert answer.status == 200
            assert answer.content_type == "application/json"
            assert await answer.read() == body
        assert not upstream.seen, "a BEFORE fault never reaches the server"
        async with http.get(proxy.url + "/json") as answer:  # injected faults apply once
            assert await answer.read() == BODY


async def test_after_forwarding_the_server_saw_the_request(
    upstream: Upstream, http: aiohttp.ClientSession
) -> None:
    schedule = FaultSchedule(1)
    schedule.inject(HttpFault.TRUNCATED_JSON, method="GET", path="/json", forwarding=Forwarding.AFTER)
    async with ChaosProxy(upstream.url, schedule) as proxy, http.get(proxy.url + "/json") as answer:
        assert answer.status == 200
        assert await answer.read() == BODY[: len(BODY) // 2]
    assert upstream.seen == [("GET", "/json")]
    assert schedule.injected[0].forwarding is Forwarding.AFTER


async def test_server_errors_and_garbage(upstream: Upstream, http: aiohttp.ClientSession) -> None:
    schedule = FaultSchedule(1)
    schedule.inject(HttpFault.SERVER_ERROR)
    schedule.inject(HttpFault.GARBAGE)
    async with ChaosProxy(upstream.url, schedule) as proxy:
        async with http.get(proxy.url + "/json") as answer:
            assert answer.status in (500, 502, 503, 504)
        async with http.get(proxy.url + "/json") as answer:
            assert answer.status == 200
            assert await answer.read() != BODY


@pytest.mark.parametrize(
    ("fault", "value"), [(HttpFault.RETRY_AFTER_HUGE, "99999"), (HttpFault.RETRY_AFTER_INF, "inf")]
)
async def test_absurd_retry_after(
    upstream: Upstream, http: aiohttp.ClientSession, fault: HttpFault, value: str
) -> None:
    schedule = FaultSchedule(1)
    schedule.inject(fault)
    async with ChaosProxy(upstream.url, schedule) as proxy, http.get(proxy.url + "/json") as answer:
        assert answer.status == 429
        assert answer.headers["Retry-After"] == value


async def test_stall_answers_nothing_until_the_client_gives_up(
    upstream: Upstream, http: aiohttp.ClientSession
) -> None:
    schedule = FaultSchedule(1)
    schedule.inject(HttpFault.STALL)
    async with ChaosProxy(upstream.url, schedule) as proxy:
        with pytest.raises(TimeoutError):
            async with http.get(proxy.url + "/json", timeout=aiohttp.ClientTimeout(total=0.5)):
                pass
        async with http.get(proxy.url + "/json") as answer:  # the proxy still serves others
            assert await answer.read() == BODY


async def test_drop_aborts_the_connection(upstream: Upstream, http: aiohttp.ClientSession) -> None:
    schedule = FaultSchedule(1)
    schedule.inject(HttpFault.DROP, forwarding=Forwarding.AFTER)
    async with ChaosProxy(upstream.url, schedule) as proxy:
        with pytest.raises(aiohttp.ClientError):  # a POST: aiohttp retries an idempotent GET once
            async with http.post(proxy.url + "/echo") as answer:
                await answer.read()
    assert upstream.seen == [("POST", "/echo")]


async def test_delay_still_answers(upstream: Upstream, http: aiohttp.ClientSession) -> None:
    schedule = FaultSchedule(1, http_delay=0.05)
    schedule.inject(HttpFault.DELAY)
    async with ChaosProxy(upstream.url, schedule) as proxy, http.get(proxy.url + "/json") as answer:
        assert await answer.read() == BODY


async def test_random_http_faults_follow_the_seed(upstream: Upstream, http: aiohttp.ClientSession) -> None:
    runs = []
    for _ in range(2):
        schedule = FaultSchedule(
            11, http={HttpFault.NULL_BODY: 0.3, HttpFault.SERVER_ERROR: 0.2}, http_paths=("/json",)
        )
        async with ChaosProxy(upstream.url, schedule) as proxy:
            statuses = []
            for _ in range(20):
                async with http.get(proxy.url + "/json") as answer:
                    statuses.append((answer.status, await answer.read()))
            async with http.get(proxy.url + "/echo") as answer:  # not in http_paths: never faulted
                assert answer.status == 200
        runs.append(statuses)
        assert "seed=11" in repr(schedule)
    assert runs[0] == runs[1]
    assert {status for status, _ in runs[0]} > {200}
    assert (200, b"null") in runs[0]
    assert (200, BODY) in runs[0]


def test_rates_are_checked() -> None:
    with pytest.raises(ValueError, match="probability"):
        FaultSchedule(1, http={HttpFault.GARBAGE: 1.5})
    with pytest.raises(ValueError, match="more than 1"):
        FaultSchedule(1, http={HttpFault.GARBAGE: 0.6, HttpFault.NULL_BODY: 0.6})
    with pytest.raises(ValueError, match="probability"):
        FaultSchedule(1, http={HttpFault.GARBAGE: float("nan")})


async def test_calm_stops_random_faults_but_not_explicit_ones(
    upstream: Upstream, http: aiohttp.ClientSession
) -> None:
    schedule = FaultSchedule(3, http={HttpFault.NULL_BODY: 1.0})
    schedule.calm()
    schedule.inject(HttpFault.EMPTY_OBJECT)
    async with ChaosProxy(upstream.url, schedule) as proxy:
        bodies = []
        for _ in range(3):
            async with http.get(proxy.url + "/json") as answer:
                bodies.append(await answer.read())
        schedule.resume()
        async with http.get(proxy.url + "/json") as answer:
            bodies.append(await answer.read())
    assert bodies == [b"{}", BODY, BODY, b"null"]
    assert schedule.counts() == {"http:empty_object": 1, "http:null_body": 1}


async def test_unreachable_upstream_is_a_502(http: aiohttp.ClientSession) -> None:
    async with ChaosProxy("http://127.0.0.1:1") as proxy, http.get(proxy.url + "/json") as answer:
        assert answer.status == 502
