"""Invariant: an order is never placed twice, and every placement ends in exactly one known outcome.

Under a mixed fault schedule (5xx before and after the exchange booked the order, answers lost or held
past the order timeout, unusable 200 bodies ``[]``/``null``/``{}``/truncated/garbage, 429 with an absurd
``Retry-After``, late deliveries, server clock jumps, a saturated connection pool, failed lookups):

* every ``place_*_order`` call ends in exactly one of: the real ``Order``, ``OrderNotPlaced``,
  ``OrderOutcomeUnknown``, or a typed refusal the exchange answered before booking anything
  (``ExchangeAPIError``, e.g. ``RateLimitError`` for a ``Retry-After`` above the cap); nothing else;
* exactly one exchange order per client order id, and no exchange order the caller did not ask for
  (0 duplicates, no blind re-send under a new id);
* an ``Order`` outcome is the exchange's order; 0 ``OrderNotPlaced`` (or refused) orders that exist.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import pytest_asyncio

from exchanges.config import Credentials
from exchanges.errors import ExchangeAPIError, OrderNotPlaced, OrderOutcomeUnknown
from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PrivateExchange
from exchanges.models import AssetName, Order, Side, Symbol
from exchanges.testing.chaos import ChaosProxy, FaultSchedule, HttpFault
from exchanges_mexc.sim import MexcSimulator, SimAccount

from .support import start_proxy, through  # type: ignore[import-not-found]

BTC = Symbol(AssetName("BTC"), AssetName("USDT"))
ORDER_PATH = "/api/v3/order"
PLACEMENT_FAULTS = {
    HttpFault.SERVER_ERROR: 0.08,
    HttpFault.STALL: 0.04,
    HttpFault.DROP: 0.04,
    HttpFault.DELAY: 0.06,
    HttpFault.NULL_BODY: 0.03,
    HttpFault.EMPTY_ARRAY: 0.03,
    HttpFault.EMPTY_OBJECT: 0.03,
    HttpFault.TRUNCATED_JSON: 0.03,
    HttpFault.GARBAGE: 0.03,
    HttpFault.RETRY_AFTER_HUGE: 0.02,
}
BATCH_SECONDS_PER_ORDER = 0.4
"""A batch of N placements must have ended within 10 s + N x this (bounded waits checks tight bounds)."""


def make_schedule(seed: int) -> FaultSchedule:
    # DELAY is longer than the order timeout: the order reaches the exchange after the caller gave up.
    return FaultSchedule(seed, http=PLACEMENT_FAULTS, http_paths=(ORDER_PATH,), http_delay=1.3)


@pytest_asyncio.fixture
async def chaos(seed: int, sim: MexcSimulator) -> AsyncIterator[tuple[ChaosProxy, FaultSchedule]]:
    schedule = make_schedule(seed)
    proxy = await start_proxy(sim, schedule)
    yield proxy, schedule
    await proxy.close()


Outcome = Order | OrderNotPlaced | OrderOutcomeUnknown | ExchangeAPIError


async def place_all(
    private: PrivateExchange, sim: MexcSimulator, count: int, rng: random.Random, concurrency: int
) -> dict[str, Outcome]:
    """``count`` limit buys far below the market, ``concurrency`` at a time, with sim faults mixed in."""
    best_bid = sim.engine.book_levels("BTCUSDT")[0][0][0]
    outcomes: dict[str, Outcome] = {}
    gate = asyncio.Semaphore(concurrency)

    async def place(index: int) -> None:
        client_id = f"inv{index:05d}"
        price = (best_bid * Decimal("0.9") - index * Decimal("0.01")).quantize(Decimal("0.01"))
        async with gate:
            draw = rng.random()
            if draw < 0.05:
                sim.faults.fail_next_order("5xx")  # booked, then HTTP 500
            elif draw < 0.08:
                sim.clock_offset_ms = rng.choice(
                    (-200, 0, 700)
                )  # clock jumps (back: within the settle margin)
            elif draw < 0.10:
                sim.faults.force_429(1, retry_after=1)
            try:
                outcomes[client_id] = await private.place_limit_order(
                    BTC, Side.BUY, "0.001", price, client_order_id=client_id
                )
            except (OrderNotPlaced, OrderOutcomeUnknown, ExchangeAPIError) as outcome:
                outcomes[client_id] = outcome
            except Exception as other:  # any other ending breaks the invariant; collected, reported at once
                untyped[client_id] = other

    untyped: dict[str, Exception] = {}
    tasks = [asyncio.create_task(place(i)) for i in range(count)]
    bound = 10 + count * BATCH_SECONDS_PER_ORDER
    _, hung = await asyncio.wait(tasks, timeout=bound)
    for task in hung:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert not hung, f"{len(hung)} placements still running after {bound} s"
    assert not untyped, f"placements that ended in none of the outcomes: {describe(untyped)}"
    return outcomes


def describe(errors: dict[str, Exception]) -> str:
    kinds = Counter(f"{type(e).__name__}: {str(e)[:80]}" for e in errors.values())
    return f"{len(errors)} of them: " + "; ".join(f"{n}x {text}" for text, n in kinds.most_common(5))


def check(
    outcomes: dict[str, Outcome], sim: MexcSimulator, account: SimAccount, schedule: FaultSchedule
) -> None:
    booked = Counter(order.client_order_id for order in sim.engine.orders_of(account))
    by_id = {order.client_order_id: order for order in sim.engine.orders_of(account)}
    tag = f"{schedule} faults={dict(schedule.counts())}"
    strangers = set(booked) - set(outcomes)
    assert not strangers, f"exchange orders nobody placed (a re-send under a new id): {strangers}; {tag}"
    duplicates = {cid: n for cid, n in booked.items() if n > 1}
    assert not duplicates, f"duplicates: {duplicates}; {tag}"
    for client_id, outcome in outcomes.items():
        if isinstance(outcome, Order):
            assert client_id in by_id, f"{client_id}: Order returned but not on the exchange; {tag}"
            assert str(outcome.order_id) == by_id[client_id].order_id, f"{client_id}: wrong order; {tag}"
        elif isinstance(outcome, OrderNotPlaced | ExchangeAPIError) and not isinstance(
            outcome, OrderOutcomeUnknown
        ):
            assert client_id not in booked, f"{client_id}: {type(outcome).__name__} but it exists; {tag}"


async def run_placements(
    count: int,
    concurrency: int,
    factory: FullExchangeFactory,
    sim: MexcSimulator,
    account: SimAccount,
    credentials: Credentials,
    chaos: tuple[ChaosProxy, FaultSchedule],
    seed: int,
) -> dict[str, Outcome]:
    proxy, schedule = chaos
    private = await factory.create_private_exchange(
        "mexc_spot",
        credentials,
        environment="sim",
        overrides=through(
            proxy,
            sim,
            order_timeout=1.0,
            recv_window_ms=1500,
            connection_pool_size=4,  # saturated: more concurrent orders than connections
            ip_weight_limit=100_000,
            uid_weight_limit=100_000,
            reconcile_settle_delay=0.3,
            reconcile_backoff=0.05,
        ),
    )
    try:
        outcomes = await place_all(private, sim, count, random.Random(seed), concurrency)
    finally:
        await private.close()
    schedule.calm()
    sim.clock_offset_ms = 0
    await asyncio.sleep(schedule.http_delay + 0.5)  # late deliveries land before the books are checked
    check(outcomes, sim, account, schedule)
    assert len(outcomes) == count
    assert sum(n for key, n in schedule.counts().items() if key.startswith("http:")) >= count // 10
    return outcomes


async def test_every_placement_has_one_outcome_and_one_order_at_most(
    factory: FullExchangeFactory,
    sim: MexcSimulator,
    account: SimAccount,
    credentials: Credentials,
    chaos: tuple[ChaosProxy, FaultSchedule],
    seed: int,
) -> None:
    outcomes = await run_placements(60, 12, factory, sim, account, credentials, chaos, seed)
    kinds = Counter(type(o).__name__ for o in outcomes.values())
    assert kinds["Order"] >= 30, kinds


@pytest.mark.soak
async def test_five_hundred_placements_soak(
    factory: FullExchangeFactory,
    sim: MexcSimulator,
    account: SimAccount,
    credentials: Credentials,
    chaos: tuple[ChaosProxy, FaultSchedule],
    seed: int,
) -> None:
    await run_placements(500, 25, factory, sim, account, credentials, chaos, seed)
