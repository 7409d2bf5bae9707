"""The MEXC simulator as a :class:`~exchanges.registry.SimulatorSession` for generic tools.

``exchanges watch mexc_spot BTC/USDT --sim`` (and every other generic command's ``--sim``) runs
against this: an in-process :class:`~exchanges_mexc.sim.MexcSimulator` on an ephemeral loopback port,
with a moving synthetic market and one funded demo account.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from exchanges.config import Credentials
from exchanges.registry import SimulatorSession

SIM_SYMBOLS: tuple[str, ...] = ("BTCUSDT", "ETHUSDT", "MXUSDT")
"""Pairs the simulator lists by default (anything else is an unknown symbol, as on MEXC)."""

DEMO_BALANCES: Mapping[str, str] = {"USDT": "100000", "BTC": "2", "ETH": "20", "MX": "1000"}
"""Starting balances of the demo account."""

WARMUP_EVENTS = 150
"""Flow events per symbol the simulator runs before serving, so recent trades exist from the start."""


@asynccontextmanager
async def mexc_simulator(
    *,
    symbols: Sequence[str] = SIM_SYMBOLS,
    seed: int = 1,
    market_rate: float = 40.0,
    port: int = 0,
    ticker_interval: float = 1.0,
    balances: Mapping[str, str] = DEMO_BALANCES,
) -> AsyncIterator[SimulatorSession]:
    """Start a simulator and a funded account; yield how to reach them; stop everything on exit."""
    from exchanges_mexc.sim import MexcSimulator

    simulator = MexcSimulator(
        symbols=symbols,
        seed=seed,
        market_rate=market_rate,
        port=port,
        ticker_interval=ticker_interval,
        warmup_events=WARMUP_EVENTS,
    )
    async with simulator as sim:
        account = sim.create_account(dict(balances))
        yield SimulatorSession(
            overrides={"rest_url": sim.rest_url, "ws_url": sim.ws_url},
            environment="sim",
            credentials=Credentials(account.api_key, account.secret_key),
            description=f"MEXC simulator at {sim.rest_url}",
        )
