"""A close() whose caller is cancelled half-way still releases everything, then stays cancelled.

``task.cancel(); with suppress(CancelledError): await task`` swallowed the caller's own cancellation
(the close returned normally inside a cancelled shutdown); :mod:`exchanges.tasks` keeps them apart.
"""

from __future__ import annotations

import asyncio

import pytest

from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.sim.app import MexcSimulator

from .ws.conftest import sim_config  # type: ignore[import-not-found]


async def test_a_cancelled_simulator_stop_still_releases_its_port_and_stays_cancelled() -> None:
    sim = MexcSimulator(symbols=("BTCUSDT",), seed=1, market_rate=50.0)
    await sim.start()
    port = sim.port
    stopper = asyncio.create_task(sim.stop())
    await asyncio.sleep(0)  # the stop is under way: its background tasks are being stopped
    stopper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopper
    with pytest.raises(ConnectionRefusedError):  # the stop ran to its end: nothing listens there
        await asyncio.open_connection("127.0.0.1", port)


async def test_a_cancelled_rest_close_still_closes_the_session_and_stays_cancelled() -> None:
    async with MexcSimulator(symbols=("BTCUSDT",), seed=1, market_rate=0.0) as sim:
        rest = MexcPublicSpotRest(sim_config(sim))
        await rest.get_exchange_info()  # the session is open
        sim.faults.slow_next(5, 0.5)
        rest._schedule_refresh()  # a background refresh, in flight when close() starts
        await asyncio.sleep(0.05)
        closer = asyncio.create_task(rest.close())
        await asyncio.sleep(0)  # close() is stopping the refresh
        closer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closer
        assert rest.transport._session is None  # closed and released
