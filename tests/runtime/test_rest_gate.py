"""ConnectionGate: bounded slots, a share reserved for priority requests, priority served first."""

from __future__ import annotations

import asyncio

import pytest

from exchanges.transport._rest_gate import ConnectionGate


async def test_ordinary_requests_never_take_the_reserved_slots() -> None:
    gate = ConnectionGate(4, reserved=1)
    for _ in range(3):
        assert gate.try_enter(priority=False)
    assert not gate.try_enter(priority=False)  # the 4th slot is kept for orders
    assert gate.try_enter(priority=True)
    assert not gate.try_enter(priority=True)
    assert gate.in_use == 4


async def test_a_freed_slot_goes_to_a_waiting_priority_request_first() -> None:
    gate = ConnectionGate(2, reserved=0)
    assert gate.try_enter(False)
    assert gate.try_enter(False)
    order: list[str] = []

    async def wait(name: str, priority: bool) -> None:
        await gate.enter(priority)
        order.append(name)

    reads = [asyncio.create_task(wait(f"read{i}", False)) for i in range(3)]
    await asyncio.sleep(0)
    orders = [asyncio.create_task(wait(f"order{i}", True)) for i in range(2)]
    await asyncio.sleep(0)
    for _ in range(5):
        gate.leave()
        await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(*reads, *orders), 5)
    assert order == ["order0", "order1", "read0", "read1", "read2"]


async def test_a_cancelled_waiter_takes_no_slot() -> None:
    gate = ConnectionGate(1)
    assert gate.try_enter(True)
    waiter = asyncio.create_task(gate.enter(True))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.leave()
    assert gate.in_use == 0
    assert gate.waiting == 0


def test_held_weight_counts_until_released_then_for_one_window() -> None:
    """The limiter side of "admission equals sending": a request in flight never expires."""
    from exchanges.ratelimit import EndpointCost, PoolLimit, RateLimiter

    limiter = RateLimiter({"ip": PoolLimit(2, 10.0)})
    cost = EndpointCost({"ip": 1})
    assert limiter.try_acquire(cost, now=0.0, hold=True) == 0.0
    assert limiter.try_acquire(cost, now=0.0, hold=True) == 0.0
    assert limiter.try_acquire(cost, now=100.0) > 0.0  # still in flight 100 s later: no room
    limiter.release(cost, now=100.0)
    assert limiter.used("ip", now=100.0) == 2
    assert limiter.try_acquire(cost, now=109.9) > 0.0  # released at 100: counts until 110
    limiter.release(cost, now=105.0)
    assert limiter.try_acquire(cost, now=110.0) == 0.0
    assert limiter.used("ip", now=110.0) == 2  # the one released at 105 and the new one
