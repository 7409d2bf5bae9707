"""Bounded waits and a limiter that matches the server, against the simulator over loopback.

* A 1,200-request burst at MEXC's configured limits (500 weight / 10 s per IP and per UID, both sides
  with their defaults) gets 0 HTTP 429 from the simulator.
* ``Retry-After`` above ``max_retry_after`` (or not a number) raises ``RateLimitError`` at once, with
  the server's value, and later calls are paused at most ``max_retry_after``.
* Timeouts must be finite and above 0; a body above ``max_response_bytes`` is refused while streaming.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from exchanges.config import Credentials, ExchangeConfig, load_exchange_config
from exchanges.errors import ConfigurationError, ProtocolError, RateLimitError
from exchanges.metrics import MetricsRegistry
from exchanges.models import OrderType, Side, Symbol
from exchanges.transport.rest import RestTransport
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.sim import MexcSimulator

BTC = Symbol("BTC", "USDT")
ETH = Symbol("ETH", "USDT")


def count_429(sim: MexcSimulator) -> list[int]:
    """Counts every 429 the simulator's weight check answers (a one-element list, updated live)."""
    refused = [0]
    check = sim.limits.check

    def counting(key: str, weight: int) -> int | None:
        retry = check(key, weight)
        if retry is not None:
            refused[0] += 1
        return retry

    sim.limits.check = counting  # type: ignore[method-assign]
    return refused


async def test_1200_request_burst_gets_no_429_from_the_server(
    make_config: Callable[..., ExchangeConfig],
) -> None:
    """Both sides at MEXC's limits (500 / 10 s). Breaks (9-22 server 429s before this change) when the
    limiter books at admission instead of holding the weight until the answer (``hold=True`` ->
    ``hold=False`` and ``limiter.release`` removed in RestTransport._attempt), or with the old default
    ``burst_allowance = 5``."""
    async with MexcSimulator(symbols=("BTCUSDT", "ETHUSDT"), seed=11, market_rate=0.0) as sim:
        refused = count_429(sim)
        account = sim.create_account(balances={"USDT": "100000"})
        config = make_config(sim, request_timeout=30.0, max_retries=0)
        async with MexcPrivateSpotRest(config, Credentials(account.api_key, account.secret_key)) as private:
            public = private.public
            calls: list[Callable[[], Any]] = []
            for i in range(1200):
                kind = i % 6
                if kind == 0:
                    calls.append(lambda: private.get_open_orders(BTC))  # signed, weight 3
                elif kind in (1, 2):
                    calls.append(lambda: public.get_orderbook(BTC, 20))
                elif kind == 3:
                    calls.append(lambda: public.get_price(ETH))
                else:
                    calls.append(public.get_server_time)
            results = await asyncio.wait_for(
                asyncio.gather(*(call() for call in calls), return_exceptions=True), 240
            )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert refused[0] == 0


async def test_retry_after_above_the_cap_raises_at_once_and_never_freezes(
    make_config: Callable[..., ExchangeConfig],
) -> None:
    """Breaks when the transport honours any Retry-After (``_waits_too_long`` check removed in
    RestTransport.request, or the pause no longer capped by ``max_retry_after``)."""
    async with MexcSimulator(symbols=("BTCUSDT",), seed=12, market_rate=0.0) as sim:
        account = sim.create_account(balances={"USDT": "100000"})
        config = make_config(sim, max_retry_after=0.5)
        async with MexcPrivateSpotRest(config, Credentials(account.api_key, account.secret_key)) as private:
            for retry_after in (99999,):
                sim.faults.force_429(1, retry_after=retry_after)
                started = time.monotonic()
                with pytest.raises(RateLimitError) as caught:
                    await asyncio.wait_for(private.public.get_orderbook(BTC, 5), 5)
                assert caught.value.retry_after == retry_after
                assert time.monotonic() - started < 2.0  # raised, not waited for
                # the pool is paused for at most max_retry_after: the next call gets through
                book = await asyncio.wait_for(private.public.get_orderbook(BTC, 5), 5)
                assert book.bids
            # An order refused with a long Retry-After is not re-sent and not placed.
            sim.faults.force_429(1, retry_after=99999)
            with pytest.raises(RateLimitError):
                await asyncio.wait_for(
                    private.place_order(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000"), 5
                )
            assert sim.engine.orders_of(account) == []


@pytest.mark.parametrize("key", ["request_timeout", "order_timeout", "connect_timeout", "max_retry_after"])
@pytest.mark.parametrize("value", ["0", "nan", "inf", "-1"])
def test_timeouts_must_be_finite_and_positive(key: str, value: str) -> None:
    base = ExchangeConfig(name="mexc_spot", rest_url="http://x", ws_url="ws://x")
    env = {f"EXCHANGES_MEXC_SPOT_{key.upper()}": value}
    with pytest.raises(ConfigurationError, match=key):
        load_exchange_config(base, env=env)
    with pytest.raises(ConfigurationError, match=key):
        base.with_overrides(**{key: value})


@pytest.mark.parametrize("value", [0.0, math.nan, math.inf, -1.0])
def test_transport_refuses_unbounded_timeouts(value: float) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        RestTransport("http://127.0.0.1:1", name="t", metrics=MetricsRegistry(), timeout=value)


async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("chunked", [True, False])
async def test_body_above_the_cap_is_refused_without_reading_it_whole(chunked: bool) -> None:
    """A 50 MB answer against a 1 MB cap: ProtocolError after at most ~1 MB read. Breaks when
    ``_read_capped`` is replaced by ``resp.read()``."""
    sent = [0]

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        if not chunked:
            response.content_length = 50 * 1024 * 1024
        await response.prepare(request)
        chunk = b"x" * 65536
        try:
            for _ in range(800):
                await response.write(chunk)
                sent[0] += len(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    app = web.Application()
    app.router.add_get("/big", huge)
    async for url in _serve(app):
        rest = RestTransport(url, name="t", metrics=MetricsRegistry(), max_body_bytes=1024 * 1024)
        try:
            with pytest.raises(ProtocolError, match="body cap"):
                await asyncio.wait_for(rest.request("GET", "/big"), 30)
        finally:
            await rest.close()
    if not chunked:
        assert sent[0] < 50 * 1024 * 1024  # refused from the header
