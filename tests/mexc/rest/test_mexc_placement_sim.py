"""Safe placement against the simulator's fault injection: a lost answer never makes a second order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from exchanges.config import Credentials, ExchangeConfig
from exchanges.models import OrderStatus, OrderType, Side, Symbol
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.sim import MexcSimulator

BTC = Symbol("BTC", "USDT")


def order_posts(sim: MexcSimulator) -> int:
    return sum(1 for method, path in sim.request_log if (method, path) == ("POST", "/api/v3/order"))


@pytest.mark.parametrize("mode", ["5xx", "timeout"])
async def test_lost_answer_is_reconciled_to_exactly_one_order(
    private: MexcPrivateSpotRest,
    sim: MexcSimulator,
    account: Any,
    mode: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim.faults.fail_next_order(mode)
    with caplog.at_level(logging.INFO, logger="exchanges.mexc"):
        order = await asyncio.wait_for(
            private.place_order(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000", client_order_id="lost-1"),
            15,
        )
    assert order.client_order_id == "lost-1"
    assert order.status is OrderStatus.NEW
    orders = sim.engine.orders_of(account)
    assert len(orders) == 1
    assert orders[0].order_id == order.order_id
    assert order_posts(sim) == 1
    assert any("reconciled" in r.getMessage() for r in caplog.records)
    assert all(account.secret_key not in r.getMessage() for r in caplog.records)


async def test_two_hundred_faulty_placements_make_two_hundred_orders(
    make_config: Callable[..., ExchangeConfig],
) -> None:
    # Generous weight limits on both sides: this test is about reconciliation, not rate limiting.
    async with MexcSimulator(
        symbols=("BTCUSDT",), seed=3, market_rate=0.0, ip_weight_limit=100_000, uid_weight_limit=100_000
    ) as sim:
        account = sim.create_account(balances={"USDT": "1000000"})
        config = make_config(sim, ip_weight_limit=100_000, uid_weight_limit=100_000)
        async with MexcPrivateSpotRest(config, Credentials(account.api_key, account.secret_key)) as private:
            ids = set()
            for i in range(200):
                sim.faults.fail_next_order("5xx")
                price = str(40000 + i)
                order = await asyncio.wait_for(
                    private.place_order(BTC, Side.BUY, OrderType.LIMIT, "0.001", price), 10
                )
                ids.add(order.order_id)
            assert private.metrics.value("rest.outcome_unknown") == 200  # every answer was lost
        assert len(ids) == 200
        assert len(sim.engine.orders_of(account)) == 200
        assert order_posts(sim) == 200


async def test_canceled_when_cancel_answer_is_lost(private: MexcPrivateSpotRest, sim: MexcSimulator) -> None:
    order = await private.place_order(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000")
    sim.faults.fail_next("DELETE", "/api/v3/order", "5xx")
    canceled = await asyncio.wait_for(private.cancel_order(BTC, order_id=order.order_id), 10)
    assert canceled.status is OrderStatus.CANCELED


async def test_concurrent_mixed_faults_reconcile_each_order_once(
    make_config: Callable[..., ExchangeConfig],
) -> None:
    async with MexcSimulator(symbols=("BTCUSDT",), seed=5, market_rate=0.0) as sim:
        account = sim.create_account(balances={"USDT": "1000000"})
        config = make_config(sim, order_timeout=0.2)
        async with MexcPrivateSpotRest(config, Credentials(account.api_key, account.secret_key)) as private:
            for i in range(20):
                sim.faults.fail_next_order("timeout" if i % 2 else "5xx")
            orders = await asyncio.wait_for(
                asyncio.gather(
                    *(
                        private.place_order(BTC, Side.BUY, OrderType.LIMIT, "0.001", str(45000 + i))
                        for i in range(20)
                    )
                ),
                20,
            )
        assert len({o.order_id for o in orders}) == 20
        assert len({o.client_order_id for o in orders}) == 20
        assert len(sim.engine.orders_of(account)) == 20
        assert order_posts(sim) == 20
