"""REST plumbing: the route table, parameter helpers and the one dispatcher every request goes through.

Dispatch order per request: request log -> forced 429 -> (signed: key/timestamp/signature) -> weight
check on the IP or UID pool (429 + Retry-After) -> handler -> scripted 5xx/timeout (after the handler
ran, so the write took effect) -> JSON. A :class:`SimError` becomes HTTP 400 ``{"code","msg"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import msgspec
from aiohttp import web

from exchanges_mexc.sim.accounts import SimAccount
from exchanges_mexc.sim.auth import merged_params, verify
from exchanges_mexc.sim.errors import SimError, missing
from exchanges_mexc.sim.limits import weight_of
from exchanges_mexc.sim.state import SimState

log = logging.getLogger("exchanges.mexc.sim.http")


@attrs.define
class Ctx:
    """What a handler sees: the simulator, merged params and (signed endpoints) the account."""

    sim: SimState
    method: str
    path: str
    params: dict[str, str]
    account: SimAccount | None

    @property
    def uid(self) -> int:
        """uid of the signed caller."""
        assert self.account is not None
        return self.account.uid

    def require(self, name: str) -> str:
        """A mandatory parameter (700004 when absent)."""
        value = self.params.get(name)
        if value is None or value == "":
            raise missing(name)
        return value

    def int_param(
        self, name: str, default: int | None, lo: int | None = None, hi: int | None = None
    ) -> int | None:
        """Optional int parameter clamped to [lo, hi] (33333 if not an int)."""
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SimError(33333, f"param is error: {name}") from None
        if lo is not None:
            value = max(lo, value)
        if hi is not None:
            value = min(hi, value)
        return value

    def symbol(self) -> str:
        """Mandatory listed ``symbol`` (-1121 Invalid symbol when unknown)."""
        symbol = self.require("symbol").upper()
        if symbol not in self.sim.engine.specs:
            raise SimError(-1121, "Invalid symbol.")
        return symbol


Handler = Callable[[Ctx], Awaitable[Any]]


@attrs.frozen
class Route:
    """One endpoint."""

    handler: Handler
    signed: bool


class Router:
    """``(METHOD, path) -> Route``; modules register with the :meth:`route` decorator."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}

    def route(self, method: str, path: str, *, signed: bool = False) -> Callable[[Handler], Handler]:
        """Register ``handler`` for ``method path``."""

        def deco(handler: Handler) -> Handler:
            self.routes[(method, path)] = Route(handler, signed)
            return handler

        return deco


ROUTER = Router()
SIM_KEY: web.AppKey[Any] = web.AppKey("mexc_sim")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """msgspec-encoded JSON response."""
    return web.Response(
        body=msgspec.json.encode(data), status=status, content_type="application/json", headers=headers
    )


def too_many(retry_after: int) -> web.Response:
    """HTTP 429 with Retry-After (seconds)."""
    body = {"code": 429, "msg": "Too Many Requests"}
    return json_response(body, status=429, headers={"Retry-After": str(retry_after)})


async def dispatch(request: web.Request) -> web.StreamResponse:
    """The single aiohttp handler for ``/api/v3/...``."""
    sim: SimState = request.app[SIM_KEY]
    method, path = request.method, request.path
    sim.request_log.append((method, path))
    route = ROUTER.routes.get((method, path))
    if route is None:
        return json_response({"code": 404, "msg": "Not Found"}, status=404)
    forced = sim.faults.take_429()
    if forced is not None:
        return too_many(forced)
    slow = sim.faults.take_slow()
    if slow:
        await asyncio.sleep(slow)
    raw_query = request.rel_url.raw_query_string
    raw_body = (await request.read()).decode("utf-8", "replace") if request.can_read_body else ""
    params: dict[str, str] = {}
    try:
        params = merged_params(raw_query, raw_body)
        account = None
        if route.signed:
            api_key = request.headers.get("X-MEXC-APIKEY")
            account = verify(sim.accounts, api_key, raw_query, raw_body, params, sim.now_ms())
            pool = f"uid:{account.uid}"
        else:
            pool = f"ip:{request.remote}"
        retry = sim.limits.check(pool, weight_of(method, path, "symbol" in params))
        if retry is not None:
            return too_many(retry)
        dropped = sim.faults.take_failure(method, path, before=True)
        if dropped is not None:  # lost before the matching engine: nothing happens
            return json_response(
                {"code": dropped.status, "msg": "Service unavailable"}, status=dropped.status
            )
        result = await route.handler(Ctx(sim, method, path, params, account))
    except SimError as err:
        log.debug("%s %s -> %s %s", method, path, err.code, err.msg)
        sim.refusal_log.append((method, path, err.code, params.get("newClientOrderId")))
        return json_response(err.to_json(), status=400)
    failure = sim.faults.take_failure(method, path)
    if failure is not None:
        if failure.mode == "body":
            return web.Response(body=failure.body, status=200, content_type="application/json")
        if failure.mode == "truncate":
            return await truncated(request, json_response(result).body)
        if failure.mode == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sim.closing.wait(), failure_timeout(sim))
        status = failure.status
        return json_response({"code": status, "msg": "Internal error"}, status=status)
    return json_response(result)


async def truncated(request: web.Request, body: object) -> web.StreamResponse:
    """Announce the whole body, send half of it, then close the socket (a cut connection)."""
    data = body if isinstance(body, bytes) else b"{}"
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.content_length = len(data)
    await response.prepare(request)
    await response.write(data[: len(data) // 2])
    if request.transport is not None:
        request.transport.close()
    return response


def failure_timeout(sim: SimState) -> float:
    """How long a scripted timeout holds the answer back."""
    return sim.faults.timeout_seconds
