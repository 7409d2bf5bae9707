"""Paged history up to "now" must not miss an order just placed when our estimate of MEXC's clock is
a little behind MEXC's own (the sync measures the offset only to within half a round trip)."""

from __future__ import annotations

from exchanges.interfaces import PrivateExchange
from exchanges.models import Side
from exchanges_mexc.exchange import MexcCompositePrivateExchange
from exchanges_mexc.sim import MexcSimulator

from .conftest import BTC_USDT as BTC


async def test_history_includes_order_placed_while_clock_estimate_lags(
    private: PrivateExchange, sim: MexcSimulator
) -> None:
    exchange = private
    assert isinstance(exchange, MexcCompositePrivateExchange)
    await exchange.get_balances()  # signs a request: the clock is synced now
    sim.clock_offset_ms += 400  # MEXC's clock is now 400 ms ahead of our estimate (inside recvWindow)
    placed = await exchange.place_limit_order(BTC, Side.BUY, "0.001", "50000")
    orders = [o async for o in exchange.iter_order_history(BTC)]
    assert placed.order_id in [o.order_id for o in orders]
