"""Helpers for the invariant tests: the fast client settings and pointing a client through a proxy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exchanges.testing.chaos import ChaosProxy, FaultSchedule
from exchanges_mexc.sim import MexcSimulator

FAST_CLIENT: dict[str, Any] = {
    "request_timeout": 2.0,
    "order_timeout": 2.0,
    "connect_timeout": 2.0,
    "retry_delay": 0.05,
    "ws_ping_interval": 1.0,
    "max_retry_after": 1.0,
}
"""Client settings for invariant runs: short, finite bounds so faults resolve within seconds."""


async def start_proxy(sim: MexcSimulator, schedule: FaultSchedule) -> ChaosProxy:
    return await ChaosProxy(sim.rest_url, schedule).start()


def through(proxy: ChaosProxy, sim: MexcSimulator, **settings: Any) -> Mapping[str, Any]:
    """Overrides that point the client at the proxy, with the fast invariant settings."""
    return {"rest_url": proxy.url, "ws_url": proxy.rewrite(sim.ws_url), **FAST_CLIENT, **settings}
