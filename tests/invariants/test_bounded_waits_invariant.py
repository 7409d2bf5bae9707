"""Invariant: every call returns or raises within its configured bound, whatever the network does.

REST calls (public and signed reads, placement, cancel) run while the proxy stalls answers forever,
delays them, drops connections, answers 5xx, garbage or wrong shapes, and sends ``Retry-After: 99999`` or
``inf``; then through a TCP proxy that drips the bytes, half-opens or silences the connection. Each call
must end (a result or a typed error, whichever) within a bound computed from the client's own settings:
attempts x (timeout + the capped rate-limit pause) for reads; the pause, the order timeout and the
reconciliation window for a placement. A ``Retry-After`` above ``max_retry_after`` raises at once and
pauses the client at most ``max_retry_after``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from exchanges.config import Credentials
from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PrivateExchange
from exchanges.models import AssetName, Side, Symbol
from exchanges.testing.chaos import ChaosProxy, FaultSchedule, HttpFault, TcpChaosProxy, TcpFault
from exchanges_mexc.sim import MexcSimulator

from .support import FAST_CLIENT  # type: ignore[import-not-found]

BTC = Symbol(AssetName("BTC"), AssetName("USDT"))
REQUEST_TIMEOUT = 1.0
ORDER_TIMEOUT = 1.0
MAX_RETRIES = 1
MAX_RETRY_AFTER = 1.0
RECONCILE_WINDOW = 3.0
SETTINGS: dict[str, Any] = {
    **FAST_CLIENT,
    "request_timeout": REQUEST_TIMEOUT,
    "order_timeout": ORDER_TIMEOUT,
    "max_retries": MAX_RETRIES,
    "max_retry_after": MAX_RETRY_AFTER,
    "recv_window_ms": 1000,
    "reconcile_settle_delay": 0.2,
    "reconcile_window": RECONCILE_WINDOW,
    "reconcile_backoff": 0.05,
}
SLACK = 4.0
"""Scheduling margin on a loaded 2-core host (the bound is a promise, not a benchmark)."""
READ_BOUND = (MAX_RETRIES + 1) * (REQUEST_TIMEOUT + MAX_RETRY_AFTER) + SLACK
"""Each attempt may wait out a capped rate-limit pause, then its timeout."""
WRITE_BOUND = MAX_RETRY_AFTER + ORDER_TIMEOUT + RECONCILE_WINDOW + 1.0 + SLACK
"""A capped pause, the order timeout, then reconciliation (its window plus one last lookup)."""
EVERY_HTTP_FAULT = {fault: 0.055 for fault in HttpFault}

Call = tuple[str, Callable[[], Awaitable[object]], float]


def calls(private: PrivateExchange, rng: random.Random, mid: Decimal) -> list[Call]:
    def place() -> Awaitable[object]:
        price = (mid * Decimal("0.9") - rng.randrange(1000) * Decimal("0.01")).quantize(Decimal("0.01"))
        return private.place_limit_order(BTC, Side.BUY, "0.001", price)

    return [
        ("get_my_trades", lambda: private.get_my_trades(BTC), READ_BOUND),
        ("get_balances", private.get_balances, READ_BOUND),
        ("get_open_orders", lambda: private.get_open_orders(BTC), READ_BOUND),
        ("place_limit_order", place, WRITE_BOUND),
    ]


async def run_calls(private: PrivateExchange, sim: MexcSimulator, seed: int, count: int) -> list[str]:
    """``count`` random calls, 6 at a time; returns the ones that outlived their bound."""
    rng = random.Random(seed)
    mid = sim.engine.book_levels("BTCUSDT")[0][0][0]
    menu = calls(private, rng, mid)
    late: list[str] = []
    gate = asyncio.Semaphore(6)

    async def one() -> None:
        name, call, bound = rng.choice(menu)
        async with gate:
            if len(late) >= 3:
                return  # the invariant is already broken; do not spend CI time proving it further
            started = time.monotonic()
            try:
                async with asyncio.timeout(bound):
                    await call()
            except TimeoutError:
                late.append(f"{name} still running after {bound:.1f} s")
            except Exception:  # any ending is fine here; its type is the bad-data invariant's business
                elapsed = time.monotonic() - started
                if elapsed > bound:
                    late.append(f"{name} took {elapsed:.1f} s > {bound:.1f} s")

    await asyncio.gather(*(one() for _ in range(count)))
    return late


async def make_private(
    factory: FullExchangeFactory, credentials: Credentials, rest_url: str, ws_url: str
) -> PrivateExchange:
    return await factory.create_private_exchange(
        "mexc_spot",
        credentials,
        environment="sim",
        overrides={"rest_url": rest_url, "ws_url": ws_url, **SETTINGS},
    )


async def test_every_rest_call_ends_within_its_bound_under_http_faults(
    factory: FullExchangeFactory, sim: MexcSimulator, credentials: Credentials, seed: int
) -> None:
    schedule = FaultSchedule(
        seed,
        http=EVERY_HTTP_FAULT,
        http_delay=REQUEST_TIMEOUT * 1.5,
        must_include=(HttpFault.STALL,),  # the fault that needs the timeout, on every seed
    )
    schedule.calm()
    async with ChaosProxy(sim.rest_url, schedule) as proxy:
        private = await make_private(factory, credentials, proxy.url, proxy.rewrite(sim.ws_url))
        try:
            schedule.resume()
            late = await run_calls(private, sim, seed, 40)
        finally:
            schedule.calm()
            await private.close()
    assert not late, f"{late}; {schedule} faults={dict(schedule.counts())}"
    assert schedule.counts()["http:stall"] >= 1, schedule.counts()


@pytest.mark.parametrize("fault", [TcpFault.DRIP, TcpFault.STALL, TcpFault.HALF_OPEN])
async def test_every_rest_call_ends_within_its_bound_when_bytes_crawl_or_stop(
    factory: FullExchangeFactory, sim: MexcSimulator, credentials: Credentials, seed: int, fault: TcpFault
) -> None:
    host, port = sim.rest_url.removeprefix("http://").split(":")
    # every new connection misbehaves from its first answer byte; drip: 8 bytes every 0.2 s
    schedule = FaultSchedule(seed, tcp={fault: 1.0}, tcp_after_bytes=(0, 0), drip_bytes=8, drip_interval=0.2)
    schedule.calm()
    async with TcpChaosProxy(host, int(port), schedule) as proxy:
        private = await make_private(
            factory, credentials, proxy.rewrite(sim.rest_url), proxy.rewrite(sim.ws_url)
        )
        try:
            schedule.resume()
            late = await run_calls(private, sim, seed, 4)
        finally:
            schedule.calm()
            proxy.reset_all()
            await private.close()
    assert not late, f"{fault.value}: {late}; {schedule}"
    assert schedule.counts()[f"tcp:{fault.value}"] >= 1
