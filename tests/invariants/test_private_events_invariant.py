"""Invariant: no money event is lost or doubled.

While orders fill and are cancelled, the user stream is disturbed: pushed frames are duplicated and
reordered, its WebSocket is dropped without a close frame, its listen key expires, and its handlers are
swapped for new ones mid-burst. Afterwards (faults calmed, reconciliation done):

* every fill the exchange made for the account reached the handlers exactly once (by trade id),
  summed over all the handlers that were ever installed;
* the last order update delivered for each order is the exchange's final state of that order;
* the last balance update delivered for each asset that changed is the exchange's balance.

Limits (stated in the README): a push lost on a connection that stays up is not noticed (MEXC private
pushes carry no sequence number; TCP does not lose frames on a live connection), so frames are not
dropped here; REST reconciliation after a reconnect only covers the symbols the stream tracks.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio

from exchanges.config import Credentials
from exchanges.errors import ExchangeError
from exchanges.factory import FullExchangeFactory
from exchanges.handlers import PrivateStreamHandlers
from exchanges.interfaces import PrivateExchange
from exchanges.models import AssetName, BalanceUpdate, Fill, Order, Side, Symbol
from exchanges.testing.chaos import ChaosProxy, FaultSchedule, WsFault
from exchanges_mexc.sim import MexcSimulator, SimAccount

from .support import start_proxy, through  # type: ignore[import-not-found]

BTC = Symbol(AssetName("BTC"), AssetName("USDT"))
FRAME_FAULTS = {WsFault.DUPLICATE: 0.1, WsFault.REORDER: 0.1, WsFault.DELAY: 0.05}


class Recorder:
    """Every event delivered to any handler set it ever handed out."""

    def __init__(self) -> None:
        self.fills: Counter[str] = Counter()
        self.orders: dict[str, Order] = {}
        self.balances: dict[str, BalanceUpdate] = {}
        self.handler_sets = 0
        self.tag = ""
        """The schedule and the faults applied, for failure messages."""

    def handlers(self) -> PrivateStreamHandlers:
        self.handler_sets += 1

        def on_fill(fill: Fill) -> None:
            self.fills[fill.trade_id] += 1

        def on_order(order: Order) -> None:
            self.orders[str(order.order_id)] = order

        def on_balance(update: BalanceUpdate) -> None:
            self.balances[str(update.balance.asset)] = update

        return PrivateStreamHandlers(
            order_handler=on_order, balance_handler=on_balance, execution_handler=on_fill
        )


@pytest_asyncio.fixture
async def chaos(seed: int, sim: MexcSimulator) -> AsyncIterator[tuple[ChaosProxy, FaultSchedule]]:
    schedule = FaultSchedule(seed, ws=FRAME_FAULTS, ws_delay=0.1)
    proxy = await start_proxy(sim, schedule)
    yield proxy, schedule
    await proxy.close()


def listen_keys(proxy: ChaosProxy) -> list[str]:
    keys = []
    for path in proxy.open_websocket_paths:
        keys += parse_qs(urlsplit(path).query).get("listenKey", [])
    return keys


async def trade(private: PrivateExchange, rng: random.Random, mid: Decimal) -> None:
    """One money-moving action: a market buy or sell (fills), or a resting limit order then its cancel."""
    action = rng.random()
    try:
        if action < 0.4:
            await private.place_market_order(BTC, Side.BUY, quote_quantity="50")
        elif action < 0.8:
            await private.place_market_order(BTC, Side.SELL, "0.001")
        else:
            price = (mid * Decimal("0.9")).quantize(Decimal("0.01"))
            order = await private.place_limit_order(BTC, Side.BUY, "0.001", price)
            await private.cancel_order(BTC, str(order.order_id))
    except ExchangeError:
        pass  # a refused action moves no money; the check below compares with the exchange anyway


async def wait_for(predicate: object, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached within {within} s")
        await asyncio.sleep(0.05)


async def run_burst(
    private: PrivateExchange,
    proxy: ChaosProxy,
    sim: MexcSimulator,
    schedule: FaultSchedule,
    recorder: Recorder,
    seed: int,
    disturbances: tuple[str, ...],
    rounds: int,
) -> None:
    rng = random.Random(seed)
    mid = sim.engine.book_levels("BTCUSDT")[0][0][0]
    for round_ in range(rounds):
        burst = [asyncio.create_task(trade(private, rng, mid)) for _ in range(6)]
        await asyncio.sleep(rng.uniform(0.0, 0.2))
        kind = disturbances[round_ % len(disturbances)]
        if kind == "drop":
            proxy.drop_websockets()
        elif kind == "expire":
            for key in listen_keys(proxy):
                sim.faults.expire_listen_key(key)
        elif kind == "swap":
            await private.start_user_stream(recorder.handlers())  # running: only replaces the handlers
        elif kind == "stall":
            proxy.stall_websockets()
        await asyncio.gather(*burst)
    schedule.calm()


def check_money(sim: MexcSimulator, account: SimAccount, recorder: Recorder, tag: str) -> None:
    """Fills exactly once; the last balance update of each asset is the exchange's balance."""
    expected = {deal.trade_id for deal in sim.engine.deals_of(account)}
    missing = expected - set(recorder.fills)
    doubled = {trade_id: n for trade_id, n in recorder.fills.items() if n > 1}
    strangers = set(recorder.fills) - expected
    assert not missing, f"{len(missing)} of {len(expected)} fills never delivered; {tag}"
    assert not doubled, f"fills delivered twice: {doubled}; {tag}"
    assert not strangers, f"fills the exchange never made: {strangers}; {tag}"
    for asset, (free, locked) in sim.engine.balances_of(account).items():
        update = recorder.balances.get(asset)
        if update is None:
            continue  # never changed during the run
        got = (update.balance.free, update.balance.locked)
        assert got == (free, locked), f"{asset}: last update {got}, exchange {(free, locked)}; {tag}"


def check_orders(sim: MexcSimulator, account: SimAccount, recorder: Recorder, tag: str) -> None:
    """The last update delivered for each order is the exchange's final state of that order."""
    for order in sim.engine.orders_of(account):
        seen = recorder.orders.get(order.order_id)
        assert seen is not None, f"order {order.order_id} ({order.status}) never delivered; {tag}"
        assert seen.status.value == order.status, f"{order.order_id}: last {seen.status}, is {order.status}"


async def user_stream_run(
    factory: FullExchangeFactory,
    sim: MexcSimulator,
    account: SimAccount,
    credentials: Credentials,
    chaos: tuple[ChaosProxy, FaultSchedule],
    seed: int,
    disturbances: tuple[str, ...],
    rounds: int = 8,
    **settings: object,
) -> Recorder:
    proxy, schedule = chaos
    recorder = Recorder()
    schedule.calm()
    private = await factory.create_private_exchange(
        "mexc_spot", credentials, environment="sim", overrides=through(proxy, sim, **settings)
    )
    try:
        await private.get_open_orders(BTC)  # the stream tracks BTC/USDT from the start
        await private.start_user_stream(recorder.handlers())
        schedule.resume()
        await run_burst(private, proxy, sim, schedule, recorder, seed, disturbances, rounds)
        stream = private.user_stream  # type: ignore[attr-defined]
        await wait_for(lambda: stream.is_connected() and not stream.reconciling, 20, "stream reconciled")
        deals = {deal.trade_id for deal in sim.engine.deals_of(account)}
        finals = {order.order_id: order.status for order in sim.engine.orders_of(account)}

        def settled() -> bool:
            delivered = {oid: o.status.value for oid, o in recorder.orders.items()}
            return deals <= set(recorder.fills) and all(delivered.get(o) == s for o, s in finals.items())

        with contextlib.suppress(pytest.fail.Exception):  # what is still missing is reported by check()
            await wait_for(settled, 8, "every fill and final order state delivered")
        await asyncio.sleep(0.5)  # late duplicates, if any, arrive
        recorder.tag = f"{schedule} faults={dict(schedule.counts())}"
    finally:
        await private.close()
    return recorder


async def test_no_fill_lost_or_doubled_across_drops_expiry_and_swaps(
    factory: FullExchangeFactory,
    sim: MexcSimulator,
    account: SimAccount,
    credentials: Credentials,
    chaos: tuple[ChaosProxy, FaultSchedule],
    seed: int,
) -> None:
    recorder = await user_stream_run(
        factory, sim, account, credentials, chaos, seed, ("drop", "swap", "expire", "none", "swap")
    )
    check_money(sim, account, recorder, recorder.tag)
    assert recorder.handler_sets >= 3
    assert sum(recorder.fills.values()) >= 10


async def test_every_order_final_state_delivered_across_drops_and_expiry(
    factory: FullExchangeFactory,
    sim: MexcSimulator,
    account: SimAccount,
    credentials: Credentials,
    chaos: tuple[ChaosProxy, FaultSchedule],
    seed: int,
) -> None:
    recorder = await user_stream_run(factory, sim, account, credentials, chaos, seed, ("drop", "expire"), 3)
    check_orders(sim, account, recorder, recorder.tag)


async def test_no_fill_lost_when_the_user_stream_goes_silent(
    factory: FullExchangeFactory,
    sim: MexcSimulator,
    account: SimAccount,
    credentials: Credentials,
    chaos: tuple[ChaosProxy, FaultSchedule],
    seed: int,
) -> None:
    recorder = await user_stream_run(
        factory, sim, account, credentials, chaos, seed, ("stall", "none"), 4, ws_liveness_timeout=2.0
    )
    check_money(sim, account, recorder, recorder.tag)
