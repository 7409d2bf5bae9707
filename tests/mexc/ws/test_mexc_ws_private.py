"""MexcPrivateSpotWebsocket against the simulator: order lifecycle, drops, expired keys, reconciliation."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal

import pytest

from exchanges.config import Credentials
from exchanges.handlers import PrivateStreamHandlers
from exchanges.metrics import MetricsRegistry
from exchanges.models import BalanceUpdate, Fill, Order, OrderRequest, OrderStatus, OrderType, Side, Symbol
from exchanges.testing.chaos import TcpChaosProxy
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.sim.app import MexcSimulator
from exchanges_mexc.ws.private import MexcPrivateSpotWebsocket

from .conftest import sim_config, wait_until  # type: ignore[import-not-found]

BTC = Symbol("BTC", "USDT")
PRICE = Decimal("50000")


class Recorder:
    """Handlers that record every delivered event."""

    def __init__(self) -> None:
        self.orders: list[Order] = []
        self.fills: list[Fill] = []
        self.balances: list[BalanceUpdate] = []

    def handlers(self) -> PrivateStreamHandlers:
        async def on_fill(fill: Fill) -> None:  # async handler
            self.fills.append(fill)

        return PrivateStreamHandlers(
            order_handler=self.orders.append, execution_handler=on_fill, balance_handler=self.balances.append
        )

    def states(self, order_id: str) -> list[tuple[OrderStatus, Decimal]]:
        return [(o.status, o.filled_quantity) for o in self.orders if o.order_id == order_id]


def sell_into(sim: MexcSimulator, uid: int, qty: str) -> None:
    """A counterparty sells ``qty`` BTC at PRICE, directly in the engine (no socket involved)."""
    sim.engine.place(uid, OrderRequest(BTC, Side.SELL, OrderType.LIMIT, Decimal(qty), PRICE))


async def test_order_lifecycle_drops_and_expired_keys_are_delivered_exactly_once() -> None:
    async with MexcSimulator(symbols=("BTCUSDT",), seed=5, market_rate=0.0, book_levels=0) as sim:
        me = sim.create_account(balances={"USDT": "1000000", "BTC": "0"})
        other = sim.create_account(balances={"BTC": "100"})
        config = sim_config(sim)
        metrics = MetricsRegistry()
        seen = Recorder()
        rest = MexcPrivateSpotRest(config, Credentials(me.api_key, me.secret_key), metrics=metrics)
        await rest.initialize()
        ws = MexcPrivateSpotWebsocket(
            config,
            rest=rest,
            metrics=metrics,
            handlers=seen.handlers(),
            symbols=[BTC],
            keepalive_interval=0.3,
        )
        try:
            await asyncio.wait_for(ws.start(), 10)
            assert ws.is_connected()
            iterated = ws.fills()

            # 1. Live: placed, partly filled, cancelled -> order updates and a fill, in order.
            order = await rest.place_limit_order(BTC, Side.BUY, "2", PRICE)
            await wait_until(lambda: seen.states(order.order_id), 5)
            sell_into(sim, other.uid, "0.5")
            await wait_until(lambda: len(seen.fills) == 1, 5)
            await rest.cancel_order(BTC, order.order_id)
            await wait_until(lambda: seen.states(order.order_id)[-1][0].is_open is False, 5)
            assert seen.states(order.order_id) == [
                (OrderStatus.NEW, Decimal(0)),
                (OrderStatus.PARTIALLY_FILLED, Decimal("0.5")),
                (OrderStatus.PARTIALLY_CANCELED, Decimal("0.5")),
            ]
            assert seen.fills[0].order_id == order.order_id
            assert seen.fills[0].quantity == Decimal("0.5")
            assert seen.fills[0].side is Side.BUY
            assert (await asyncio.wait_for(anext(iterated), 2)).trade_id == seen.fills[0].trade_id
            assert ws.orders[order.order_id].status is OrderStatus.PARTIALLY_CANCELED
            assert any(update.balance.asset == "BTC" for update in seen.balances)

            # 2. Dropped connection: fills while disconnected come back through reconciliation.
            order2 = await rest.place_limit_order(BTC, Side.BUY, "3", PRICE)
            await wait_until(lambda: seen.states(order2.order_id), 5)
            sim.faults.drop_connections()
            sell_into(sim, other.uid, "1")  # nobody is connected: these pushes are lost
            sell_into(sim, other.uid, "0.25")
            await wait_until(lambda: metrics.value("mexc.ws.private.reconciliations") >= 1, 10)
            await wait_until(lambda: len(seen.fills) == 3, 5)
            assert [f.quantity for f in seen.fills[1:]] == [Decimal("1"), Decimal("0.25")]
            assert ws.orders[order2.order_id].filled_quantity == Decimal("1.25")
            assert seen.states(order2.order_id)[-1] == (OrderStatus.PARTIALLY_FILLED, Decimal("1.25"))

            # 3. Expired listen key (sockets closed by the server): new key, reconcile, no duplicates.
            keys = sim.accounts.listen_keys_of(me.uid)
            assert len(keys) == 1
            sim.faults.expire_listen_key(keys[0])
            sell_into(sim, other.uid, "1.75")  # fills order2 completely while the key is dead
            await wait_until(lambda: metrics.value("mexc.ws.private.reconciliations") >= 2, 10)
            await wait_until(lambda: len(seen.fills) == 4, 5)
            await wait_until(lambda: ws.orders[order2.order_id].status is OrderStatus.FILLED, 5)
            new_keys = sim.accounts.listen_keys_of(me.uid)
            assert new_keys
            assert keys[0] not in new_keys

            # 4. Keep-alive rejected (key silently invalid, socket still open): moved to a new key.
            counters = (
                "mexc.ws.private.listen_keys_created",
                "ws.mexc_private.rotations",
                "mexc.ws.private.reconciliations",
            )
            before = {name: metrics.value(name) for name in counters}
            sim.accounts.expire_listen_key(new_keys[0])
            await wait_until(lambda: metrics.value("mexc.ws.private.listen_key_rejected") >= 2, 5)
            for name in counters:  # a new key, the socket rotated onto it, what was missed fetched
                await wait_until(lambda name=name: metrics.value(name) > before[name], 10)
            await wait_until(lambda: ws.is_connected() and not ws.reconciling, 10)
            assert new_keys[0] not in sim.accounts.listen_keys_of(me.uid)
            assert sim.accounts.listen_keys_of(me.uid)
            order3 = await rest.place_limit_order(BTC, Side.BUY, "1", PRICE)
            sell_into(sim, other.uid, "1")
            await wait_until(lambda: len(seen.fills) == 5, 5)
            await wait_until(lambda: seen.states(order3.order_id)[-1][0] is OrderStatus.FILLED, 5)

            # Exactly once, and the stream agrees with the engine.
            engine_fills = [deal.trade_id for deal in sim.engine.deals_of(me.uid)]
            assert sorted(f.trade_id for f in seen.fills) == sorted(engine_fills)
            assert all(n == 1 for n in Counter(f.trade_id for f in seen.fills).values())
            for key in Counter((o.order_id, o.status, o.filled_quantity) for o in seen.orders).values():
                assert key == 1
            assert metrics.value("mexc.ws.private.keepalives") > 0
        finally:
            await ws.close()
            await rest.close()
        assert sim.accounts.listen_keys_of(me.uid) == []  # deleted on close


async def test_handler_swaps_and_a_close_during_a_fill_burst_lose_no_private_event() -> None:
    """Invariant: every fill the engine made reaches exactly one of the handlers installed over
    time, in order, even while handlers are swapped mid-burst and the stream is closed right after;
    the ``dropped`` counters stay 0."""
    async with MexcSimulator(symbols=("BTCUSDT",), seed=9, market_rate=0.0, book_levels=0) as sim:
        me = sim.create_account(balances={"USDT": "10000000", "BTC": "0"})
        other = sim.create_account(balances={"BTC": "1000"})
        config = sim_config(sim)
        metrics = MetricsRegistry()
        delivered: list[tuple[int, Fill]] = []

        def handler_for(generation: int) -> PrivateStreamHandlers:
            async def on_fill(fill: Fill) -> None:
                await asyncio.sleep(0.003)  # slower than the burst: events wait in its buffer
                delivered.append((generation, fill))

            return PrivateStreamHandlers(execution_handler=on_fill)

        async with MexcPrivateSpotRest(
            config, Credentials(me.api_key, me.secret_key), metrics=metrics
        ) as rest:
            ws = MexcPrivateSpotWebsocket(
                config, rest=rest, metrics=metrics, handlers=handler_for(0), symbols=[BTC]
            )
            await asyncio.wait_for(ws.start(), 10)
            await rest.place_limit_order(BTC, Side.BUY, "30", PRICE)
            for piece in range(60):
                sell_into(sim, other.uid, "0.5")
                if piece % 6 == 5:
                    await asyncio.sleep(0.01)  # let some pushes arrive, then swap mid-burst
                    ws.set_handlers(handler_for(piece // 6 + 1))
            engine = [deal.trade_id for deal in sim.engine.deals_of(me.uid)]
            assert len(engine) == 60
            await wait_until(lambda: metrics.value("mexc.ws.private.fills.published") == 60, 10)
            await ws.close()  # drains whatever the last handler still has buffered
        assert [fill.trade_id for _, fill in delivered] == engine  # all, once, in order
        generations = [generation for generation, _ in delivered]
        assert generations == sorted(generations)  # never an old handler after a newer one
        assert len(set(generations)) > 3  # the swaps really happened during the burst
        assert metrics.value("mexc.ws.private.fills.dropped") == 0
        assert metrics.value("mexc.ws.private.orders.dropped") == 0


async def test_orders_opened_and_finished_inside_a_gap_get_their_final_state_exactly_once() -> None:
    """The stream goes silent (a stalled proxy: no FIN, no RST) while orders are placed, cancelled and
    filled: none of their pushes arrives. After the reconnect, reconciliation reads the order history
    from the gap's start, so each order gets exactly its final state, oldest first, and an order
    finished before the gap is not delivered again."""
    async with (
        MexcSimulator(symbols=("BTCUSDT",), seed=6, market_rate=0.0, book_levels=0) as sim,
        TcpChaosProxy(sim.host, sim.port) as proxy,
    ):
        me = sim.create_account(balances={"USDT": "1000000", "BTC": "0"})
        other = sim.create_account(balances={"BTC": "100"})
        config = sim_config(sim, ws_url=proxy.rewrite(sim.ws_url), ws_liveness_timeout=2.0)
        metrics = MetricsRegistry()
        seen = Recorder()
        rest = MexcPrivateSpotRest(config, Credentials(me.api_key, me.secret_key), metrics=metrics)
        await rest.initialize()
        ws = MexcPrivateSpotWebsocket(
            config, rest=rest, metrics=metrics, handlers=seen.handlers(), symbols=[BTC]
        )
        try:
            await asyncio.wait_for(ws.start(), 10)
            before = await rest.place_limit_order(BTC, Side.BUY, "1", PRICE)
            await rest.cancel_order(BTC, before.order_id)
            await wait_until(lambda: seen.states(before.order_id)[-1:] == [(OrderStatus.CANCELED, 0)], 5)
            delivered_before = len(seen.orders)

            proxy.stall_all()  # from here on no push reaches the client
            cancelled = await rest.place_limit_order(BTC, Side.BUY, "1", PRICE)
            await rest.cancel_order(BTC, cancelled.order_id)
            filled = await rest.place_limit_order(BTC, Side.BUY, "1", PRICE)
            sell_into(sim, other.uid, "1")
            resting = await rest.place_limit_order(BTC, Side.BUY, "2", PRICE)
            sell_into(sim, other.uid, "0.5")

            await wait_until(lambda: metrics.value("mexc.ws.private.reconciliations") >= 1, 20)
            await wait_until(lambda: ws.is_connected() and not ws.reconciling, 10)
            assert seen.states(cancelled.order_id) == [(OrderStatus.CANCELED, Decimal(0))]
            assert seen.states(filled.order_id) == [(OrderStatus.FILLED, Decimal(1))]
            assert seen.states(resting.order_id) == [(OrderStatus.PARTIALLY_FILLED, Decimal("0.5"))]
            assert [o.order_id for o in seen.orders[delivered_before:]] == [
                cancelled.order_id,
                filled.order_id,
                resting.order_id,
            ]
            assert len(seen.states(before.order_id)) == 2  # NEW, CANCELED: nothing delivered again
            await wait_until(lambda: len(seen.fills) == 2, 5)
        finally:
            await ws.close()
            await rest.close()


async def test_a_close_whose_caller_is_cancelled_still_releases_everything_and_reraises() -> None:
    """A shutdown cancelled while ``close()`` waits for a slow handler: the caller gets its
    CancelledError back, and the listen key, the socket and every stream are released anyway."""
    async with MexcSimulator(symbols=("BTCUSDT",), seed=11, market_rate=0.0, book_levels=0) as sim:
        me = sim.create_account(balances={"USDT": "1000000", "BTC": "0"})
        config = sim_config(sim)
        metrics = MetricsRegistry()
        handling, release = asyncio.Event(), asyncio.Event()

        async def slow_order_handler(order: Order) -> None:
            handling.set()
            await release.wait()

        async with MexcPrivateSpotRest(
            config, Credentials(me.api_key, me.secret_key), metrics=metrics
        ) as rest:
            ws = MexcPrivateSpotWebsocket(
                config,
                rest=rest,
                metrics=metrics,
                handlers=PrivateStreamHandlers(order_handler=slow_order_handler),
                symbols=[BTC],
            )
            await asyncio.wait_for(ws.start(), 10)
            fills = ws.fills()
            await rest.place_limit_order(BTC, Side.BUY, "1", PRICE)
            await asyncio.wait_for(handling.wait(), 5)  # the order handler is busy
            closer = asyncio.create_task(ws.close())
            await wait_until(lambda: ws.order_stream.closed, 5)  # close() waits for the handler
            closer.cancel()
            await asyncio.sleep(0.05)
            release.set()
            try:
                await asyncio.wait_for(closer, 5)
            except asyncio.CancelledError:
                cancelled = True
            else:
                cancelled = False
            assert cancelled, "the caller's cancellation was swallowed by close()"
            assert not ws.is_connected()
            assert sim.accounts.listen_keys_of(me.uid) == []
            assert ws.fill_stream.closed
            assert ws.balance_stream.closed
            assert ws.error_stream.closed
            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(anext(fills), 2)  # the iterators ended


async def test_pushes_held_during_a_reconciliation_are_delivered_when_the_stream_closes() -> None:
    """Pushes that arrive while a reconciliation runs are held (to be de-duplicated against it);
    a close() during that reconciliation still delivers them: a fill is never lost to a close."""
    async with MexcSimulator(symbols=("BTCUSDT",), seed=13, market_rate=0.0, book_levels=0) as sim:
        me = sim.create_account(balances={"USDT": "1000000", "BTC": "0"})
        other = sim.create_account(balances={"BTC": "100"})
        config = sim_config(sim)
        metrics = MetricsRegistry()
        seen = Recorder()
        async with MexcPrivateSpotRest(
            config, Credentials(me.api_key, me.secret_key), metrics=metrics
        ) as rest:
            ws = MexcPrivateSpotWebsocket(
                config, rest=rest, metrics=metrics, handlers=seen.handlers(), symbols=[BTC]
            )
            await asyncio.wait_for(ws.start(), 10)
            order = await rest.place_limit_order(BTC, Side.BUY, "2", PRICE)
            await wait_until(lambda: seen.states(order.order_id), 5)
            sim.faults.slow_next(50, 2.0)  # the reconciliation's REST calls take a while
            sim.faults.drop_connections()
            await wait_until(lambda: ws.reconciling and ws.is_connected(), 10)
            sell_into(sim, other.uid, "0.5")  # pushed while the reconciliation runs: held
            await wait_until(lambda: bool(ws._held), 10)
            sim.faults.slow_next(0, 0.0)
            await asyncio.wait_for(ws.close(), 10)
        assert [fill.quantity for fill in seen.fills] == [Decimal("0.5")]
        assert seen.fills[0].order_id == order.order_id
