"""RateLimiter: the window guarantee as a hypothesis property (pure, injected clock), pauses,
independent pools, oversized costs, and the async ``acquire`` path."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.ratelimit import EndpointCost, PoolLimit, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


POOLS = {"ip": PoolLimit(limit=10, window=1.0, burst=2), "uid": PoolLimit(limit=5, window=2.5)}

costs = st.dictionaries(st.sampled_from(["ip", "uid"]), st.integers(0, 16), min_size=1, max_size=2)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.floats(0.0, 1.5, allow_nan=False)),
        st.tuples(st.just("request"), costs),
        st.tuples(st.just("request_after_wait"), costs),
        st.tuples(st.just("pause"), st.tuples(st.sampled_from(["ip", "uid"]), st.floats(0.0, 3.0))),
    ),
    max_size=80,
)


@given(ops)
def test_window_property_and_liveness(operations: list[tuple[str, object]]) -> None:
    clock = FakeClock()
    limiter = RateLimiter(POOLS, clock=clock)
    admitted: dict[str, list[tuple[float, int]]] = defaultdict(list)
    paused_until: dict[str, float] = defaultdict(float)

    def attempt(weights: dict[str, int]) -> float:
        wait = limiter.try_acquire(EndpointCost(weights), clock.now)
        if wait == 0.0:
            for pool, weight in weights.items():
                if weight:
                    admitted[pool].append((clock.now, weight))
                    # a pause in force must have blocked this admission
                    assert clock.now >= paused_until[pool]
        else:
            assert wait > 0.0
        return wait

    for op, arg in operations:
        if op == "advance":
            assert isinstance(arg, float)
            clock.now += arg
        elif op == "request":
            assert isinstance(arg, dict)
            attempt(arg)
        elif op == "request_after_wait":
            assert isinstance(arg, dict)
            wait = attempt(arg)
            if wait:
                # Liveness: after waiting what it said (no one else admitted), it is admitted.
                clock.now += wait
                assert attempt(arg) == 0.0
        else:
            assert isinstance(arg, tuple)
            pool, seconds = arg
            limiter.pause([pool], seconds)
            paused_until[pool] = max(paused_until[pool], clock.now + seconds)

    for pool, entries in admitted.items():
        limit = POOLS[pool]
        for index, (start, _) in enumerate(entries):
            in_window = [w for t, w in entries[index:] if t < start + limit.window]
            if max(in_window) > limit.capacity:
                assert len(in_window) == 1, "an oversized cost must be admitted alone"
            else:
                assert sum(in_window) <= limit.capacity


@given(st.lists(st.integers(1, 3), min_size=1, max_size=40), st.floats(0.0, 0.4))
def test_pools_are_independent(weights: list[int], step: float) -> None:
    clock = FakeClock()
    limiter = RateLimiter(POOLS, clock=clock)
    limiter.pause(["ip"], 100.0)
    uid_total = 0
    for weight in weights:
        assert limiter.try_acquire(EndpointCost({"ip": weight})) > 0.0
        if limiter.try_acquire(EndpointCost({"uid": weight})) == 0.0:
            uid_total += weight
        clock.now += step
    assert uid_total >= min(sum(weights), POOLS["uid"].capacity - 2)
    assert limiter.used("ip") == 0


def test_all_or_nothing_across_pools() -> None:
    clock = FakeClock()
    limiter = RateLimiter(POOLS, clock=clock)
    assert limiter.try_acquire(EndpointCost({"uid": 5})) == 0.0
    wait = limiter.try_acquire(EndpointCost({"ip": 1, "uid": 1}))
    assert wait == pytest.approx(2.5)
    assert limiter.used("ip") == 0  # nothing booked in ip while uid was full


def test_sliding_window_not_token_bucket() -> None:
    """A token bucket would admit limit at t=0 and ~limit more by t<window; we admit none."""
    clock = FakeClock()
    limiter = RateLimiter({"p": PoolLimit(limit=10, window=1.0)}, clock=clock)
    assert limiter.try_acquire(EndpointCost({"p": 10})) == 0.0
    clock.now = 0.99
    assert limiter.try_acquire(EndpointCost({"p": 1})) == pytest.approx(0.01)
    clock.now = 1.0
    assert limiter.try_acquire(EndpointCost({"p": 10})) == 0.0


def test_wait_is_time_until_enough_expires() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"p": PoolLimit(limit=10, window=1.0)}, clock=clock)
    for t, w in ((0.0, 3), (0.2, 3), (0.5, 4)):
        clock.now = t
        assert limiter.try_acquire(EndpointCost({"p": w})) == 0.0
    clock.now = 0.6
    assert limiter.try_acquire(EndpointCost({"p": 5})) == pytest.approx(0.6)  # needs 0.0 and 0.2 gone


def test_oversized_cost_admitted_alone() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"p": PoolLimit(limit=5, window=1.0, burst=1)}, clock=clock)
    assert limiter.try_acquire(EndpointCost({"p": 1})) == 0.0
    clock.now = 0.3
    assert limiter.try_acquire(EndpointCost({"p": 50})) == pytest.approx(0.7)
    clock.now = 1.0
    assert limiter.try_acquire(EndpointCost({"p": 50})) == 0.0
    assert limiter.try_acquire(EndpointCost({"p": 1})) == pytest.approx(1.0)


def test_pause_blocks_and_never_shortens() -> None:
    clock = FakeClock()
    limiter = RateLimiter(POOLS, clock=clock)
    limiter.pause(["ip"], 5.0)
    limiter.pause(["ip"], 1.0)
    limiter.pause(["nope"], 1.0)  # ignored, never raises on the error path
    assert limiter.try_acquire(EndpointCost({"ip": 1})) == pytest.approx(5.0)
    assert limiter.paused_for("ip") == pytest.approx(5.0)
    clock.now = 5.0
    assert limiter.try_acquire(EndpointCost({"ip": 1})) == 0.0


def test_invalid_inputs() -> None:
    limiter = RateLimiter(POOLS)
    with pytest.raises(ValueError, match="unknown rate limit pool"):
        limiter.try_acquire(EndpointCost({"nope": 1}))
    with pytest.raises(ValueError, match="negative"):
        limiter.try_acquire(EndpointCost({"ip": -1}))
    with pytest.raises(ValueError, match="limit must be"):
        PoolLimit(limit=0, window=1.0)
    with pytest.raises(ValueError, match="at least one pool"):
        RateLimiter({})
    assert limiter.try_acquire(EndpointCost({"ip": 0})) == 0.0


async def test_acquire_waits_then_admits() -> None:
    limiter = RateLimiter({"p": PoolLimit(limit=2, window=0.2)})
    cost = EndpointCost({"p": 1})
    waits = [await asyncio.wait_for(limiter.acquire(cost), 5) for _ in range(3)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] > 0.0
    assert limiter.waits == 1


async def test_acquire_fifo_heavy_waiter_not_starved() -> None:
    limiter = RateLimiter({"p": PoolLimit(limit=4, window=0.15)})
    order: list[str] = []
    await limiter.acquire(EndpointCost({"p": 4}))

    async def take(label: str, weight: int) -> None:
        await limiter.acquire(EndpointCost({"p": weight}))
        order.append(label)

    heavy = asyncio.ensure_future(take("heavy", 4))
    await asyncio.sleep(0)
    lights = [asyncio.ensure_future(take(f"light{i}", 1)) for i in range(3)]
    await asyncio.wait_for(asyncio.gather(heavy, *lights), 5)
    assert order[0] == "heavy"


async def test_acquire_other_pool_not_blocked_by_waiter() -> None:
    limiter = RateLimiter({"ip": PoolLimit(1, 30.0), "uid": PoolLimit(1, 30.0)})
    await limiter.acquire(EndpointCost({"ip": 1}))
    waiter = asyncio.ensure_future(limiter.acquire(EndpointCost({"ip": 1})))
    await asyncio.sleep(0.01)
    assert await asyncio.wait_for(limiter.acquire(EndpointCost({"uid": 1})), 1) == 0.0
    assert not waiter.done()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.used("ip") == 1  # the cancelled waiter booked nothing


async def test_acquire_nowait_books_only_with_room_and_no_waiter() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"p": PoolLimit(limit=2, window=1.0)}, clock=clock)
    cost = EndpointCost({"p": 1})
    assert limiter.acquire_nowait(cost) is True
    assert limiter.acquire_nowait(cost) is True
    assert limiter.acquire_nowait(cost) is False  # full: nothing booked
    assert limiter.used("p") == 2
    clock.now = 1.0  # window over...
    limiter.pause(["p"], 0.5)  # ...but paused
    assert limiter.acquire_nowait(cost) is False
    clock.now = 1.5
    assert limiter.acquire_nowait(cost) is True
    assert limiter.used("p") == 1


async def test_acquire_nowait_queues_behind_a_waiter() -> None:
    limiter = RateLimiter({"p": PoolLimit(limit=2, window=0.2)})
    assert limiter.acquire_nowait(EndpointCost({"p": 1}))
    heavy = asyncio.ensure_future(limiter.acquire(EndpointCost({"p": 2})))  # waits, holding the queue
    await asyncio.sleep(0.01)
    assert not heavy.done()
    assert limiter.acquire_nowait(EndpointCost({"p": 1})) is False  # room for 1, but FIFO
    assert limiter.used("p") == 1
    await asyncio.wait_for(heavy, 5)


def test_oversized_cost_on_an_idle_pool_takes_the_fast_path() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"ip": PoolLimit(5, 1.0)}, clock=clock)
    assert limiter.acquire_nowait(EndpointCost({"ip": 50}))  # admitted alone, as the waiting path would
    assert not limiter.acquire_nowait(EndpointCost({"ip": 1}))  # and nothing else in that window
    clock.now += 1.0
    assert limiter.acquire_nowait(EndpointCost({"ip": 1}))
