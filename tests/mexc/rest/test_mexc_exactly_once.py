"""Exactly-once placement against the simulator over loopback.

Invariant: every placement ends in exactly one of the real ``Order``, ``OrderNotPlaced`` (and then the
exchange does not have it) or ``OrderOutcomeUnknown``, and the exchange never holds two orders for one
client order id. Each test names the line whose removal makes it fail.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from exchanges.config import Credentials, ExchangeConfig
from exchanges.errors import OrderNotPlaced, ProtocolError
from exchanges.models import Order, OrderRequest, OrderStatus, OrderType, Side, Symbol
from exchanges_mexc.rest.placement import order_from_answer
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.sim import MexcSimulator

BTC = Symbol("BTC", "USDT")
UNUSABLE_BODIES = [
    b"[]",
    b"null",
    b"{}",
    b'{"symbol":"BTCUSDT","orderId":"C02__1","type":"LIMIT","price":"50000","origQty":"0.001"}',  # no side
    b"\x00garbage<html>",
    b'{"symbol":"BTCUSDT","orderId":',  # cut JSON with a correct Content-Length
]


def order_posts(sim: MexcSimulator) -> int:
    return sum(1 for method, path in sim.request_log if (method, path) == ("POST", "/api/v3/order"))


@pytest.mark.parametrize("body", UNUSABLE_BODIES, ids=["list", "null", "empty", "no-side", "garbage", "cut"])
async def test_unusable_200_is_reconciled_to_the_real_order(
    private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any, body: bytes
) -> None:
    """Breaks when placement.py stops catching ProtocolError in ``place_safely`` (the caller then gets
    ProtocolError while the order rests on the book)."""
    sim.faults.fail_next_order("body", body=body)
    request = OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000", client_order_id="odd-200")
    order = await asyncio.wait_for(private.place(request), 15)
    booked = sim.engine.orders_of(account)
    assert len(booked) == 1
    assert order.order_id == booked[0].order_id
    assert order.client_order_id == "odd-200"
    assert order.status is OrderStatus.NEW
    assert order_posts(sim) == 1


async def test_truncated_answer_is_reconciled(
    private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any
) -> None:
    sim.faults.fail_next_order("truncate")
    order = await asyncio.wait_for(private.place_order(BTC, Side.SELL, OrderType.LIMIT, "0.001", "60000"), 15)
    booked = sim.engine.orders_of(account)
    assert [o.order_id for o in booked] == [order.order_id]
    assert order_posts(sim) == 1


async def test_not_placed_only_after_the_settle_point_of_the_signed_timestamp(
    make_config: Callable[..., ExchangeConfig],
) -> None:
    """The order waits 2 s for the rate limiter (as after a Retry-After pause) before it is signed; the
    gateway loses it. ``OrderNotPlaced`` may only come once MEXC can no longer accept it: after the
    moment it reached MEXC + recvWindow. Breaks when the settle point is computed before send()
    (``signed_at`` replaced by the loop time before ``send(trace)`` in placement.place_safely)."""
    async with MexcSimulator(symbols=("BTCUSDT",), seed=5, market_rate=0.0) as sim:
        account = sim.create_account(balances={"USDT": "100000"})
        config = make_config(sim, recv_window_ms=1000, reconcile_settle_delay=0.05)
        async with MexcPrivateSpotRest(config, Credentials(account.api_key, account.secret_key)) as private:
            arrived: list[float] = []
            original = sim.faults.take_failure

            def spy(method: str, path: str, *, before: bool = False) -> Any:
                if before and (method, path) == ("POST", "/api/v3/order"):
                    arrived.append(time.monotonic())
                return original(method, path, before=before)

            sim.faults.take_failure = spy  # type: ignore[method-assign]
            sim.faults.fail_next_order("drop")
            assert private.signed.transport.limiter is not None
            private.signed.transport.limiter.pause(["uid"], 2.0)
            with pytest.raises(OrderNotPlaced):
                await asyncio.wait_for(
                    private.place_order(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000"), 20
                )
            raised_at = time.monotonic()
            assert len(arrived) == 1
            assert raised_at >= arrived[0] + 1.0 + 1.0  # recvWindow + MEXC's 1 s future tolerance
            assert sim.engine.orders_of(account) == []


async def test_settle_point_allows_for_the_clock_sync_error(
    make_config: Callable[..., ExchangeConfig],
) -> None:
    """A sync with a 4 s round trip leaves our estimate of MEXC's clock up to 2 s ahead of it, so MEXC
    may accept the lost order until signed_at + 2 s + recvWindow. ``OrderNotPlaced`` must not come
    before that. Breaks when ``settle_point`` ignores ``clock_error`` (back to the fixed 1 s) or when
    placement stops passing ``ServerClock.error_bound``."""
    async with MexcSimulator(symbols=("BTCUSDT",), seed=5, market_rate=0.0) as sim:
        account = sim.create_account(balances={"USDT": "100000"})
        config = make_config(sim, recv_window_ms=1000, reconcile_settle_delay=0.05)
        async with MexcPrivateSpotRest(config, Credentials(account.api_key, account.secret_key)) as private:
            await private.signed.clock.sync()
            private.signed.clock.round_trip_ms = 4000  # as measured by a slow sync
            sent: list[float] = []
            original = sim.faults.take_failure

            def spy(method: str, path: str, *, before: bool = False) -> Any:
                if before and (method, path) == ("POST", "/api/v3/order"):
                    sent.append(time.monotonic())
                return original(method, path, before=before)

            sim.faults.take_failure = spy  # type: ignore[method-assign]
            sim.faults.fail_next_order("drop")
            with pytest.raises(OrderNotPlaced):
                await asyncio.wait_for(
                    private.place_order(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000"), 20
                )
            raised_at = time.monotonic()
            assert len(sent) == 1
            # The settle point counts from the signing, which is before the simulator saw the request
            # (``sent``) by the request's transit: up to a few hundred ms on a loaded host. Ignoring the
            # clock error would settle at signed + 1 s + 1 s + 0.05 s, below this bound by ~0.45 s.
            transit_allowance = 0.5
            assert raised_at >= sent[0] + 1.0 + 2.0 - transit_allowance  # recvWindow + half the sync RTT
            assert sim.engine.orders_of(account) == []


async def test_50_concurrent_orders_with_slow_connections_all_placed(
    make_config: Callable[..., ExchangeConfig],
) -> None:
    """5 pooled connections, the first 10 requests held 0.6 s each, order timeout 1 s: the last orders
    wait longer than the timeout for a connection. Breaks when the transport stops gating before
    sending (``gate.enter``/``leave`` removed in RestTransport.request: aiohttp queues the request
    inside the timeout and 22-31 of 50 orders time out)."""
    async with MexcSimulator(
        symbols=("BTCUSDT",), seed=6, market_rate=0.0, ip_weight_limit=100_000, uid_weight_limit=100_000
    ) as sim:
        account = sim.create_account(balances={"USDT": "10000000"})
        config = make_config(
            sim,
            connection_pool_size=5,
            order_reserved_connections=1,
            order_timeout=1.0,
            ip_weight_limit=100_000,
            uid_weight_limit=100_000,
        )
        async with MexcPrivateSpotRest(config, Credentials(account.api_key, account.secret_key)) as private:
            sim.faults.slow_next(10, 0.6)
            requests = [
                OrderRequest(
                    BTC, Side.BUY, OrderType.LIMIT, "0.001", str(40000 + i), client_order_id=f"burst{i}"
                )
                for i in range(50)
            ]
            results = await asyncio.wait_for(
                asyncio.gather(*(private.place(r) for r in requests), return_exceptions=True), 60
            )
            failures = [r for r in results if not isinstance(r, Order)]
            assert failures == []
            assert len(sim.engine.orders_of(account)) == 50
            assert order_posts(sim) == 50  # each sent once: none reconciled, none re-sent


async def test_wrong_types_are_refused_at_the_door_before_any_request(
    private: MexcPrivateSpotRest, sim: MexcSimulator
) -> None:
    before = len(sim.request_log)
    bad: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"symbol": "BTCUSDT"}, TypeError, "symbol must be a Symbol"),
        ({"side": 1}, TypeError, "side must be a Side"),
        ({"side": "BUYY"}, Exception, "side must be Side.BUY or Side.SELL"),
        ({"order_type": "LIMITT"}, Exception, "order_type must be one of"),
        ({"client_order_id": 123}, TypeError, "client_order_id must be a str"),
        ({"quantity": float("nan")}, Exception, "quantity must be a finite number"),
        ({"price": float("inf")}, Exception, "price must be a finite number"),
        ({"quantity": "-1"}, Exception, "quantity must be positive"),
        ({"price": True}, TypeError, "price must be a Decimal, str, int or float"),
    ]
    for change, kind, message in bad:
        args: dict[str, Any] = {
            "symbol": BTC,
            "side": Side.BUY,
            "order_type": OrderType.LIMIT,
            "quantity": "0.001",
            "price": "50000",
        }
        args.update(change)
        with pytest.raises(kind, match=message):
            await private.place_order(**args)
    assert len(sim.request_log) == before  # nothing was sent
    # The string forms of the enums are accepted (case-insensitive) and validated.
    order = await private.place_order(BTC, "buy", "limit", "0.001", "50000")
    assert order.side is Side.BUY
    assert order.order_type is OrderType.LIMIT


async def test_unusable_answer_is_a_protocol_error_not_an_order(private: MexcPrivateSpotRest) -> None:
    """The answer check itself: a body describing another order is never returned as ours."""

    prepared = await private.prepare(
        OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000", None, "mine")
    )
    other = b'{"symbol":"BTCUSDT","orderId":"C02__9","side":"SELL","type":"LIMIT","price":"1","origQty":"1"}'
    with pytest.raises(ProtocolError):
        order_from_answer(other, prepared)


@pytest.mark.parametrize(
    "body", [b"{}", b"[]", b'[{"orderId":""}]', b"<html>"], ids=["obj", "empty", "item", "html"]
)
async def test_unusable_batch_answer_reconciles_every_item(
    private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any, body: bytes
) -> None:
    """Breaks when ``_match_answers`` stops returning the items it cannot settle (they then end as
    OrderOutcomeUnknown, or the whole call raises, while the orders rest on the book)."""
    sim.faults.fail_next("POST", "/api/v3/batchOrders", "body", body=body)
    requests = [
        OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", str(41000 + i), None, f"bat{i}")
        for i in range(3)
    ]
    results = await asyncio.wait_for(private.place_batch_orders(requests), 15)
    booked = {o.client_order_id: o.order_id for o in sim.engine.orders_of(account)}
    assert len(booked) == 3
    assert [r.order.order_id if r.order else r.error for r in results] == [
        booked[f"bat{i}"] for i in range(3)
    ]


async def test_batch_item_of_another_order_is_never_taken_as_ours(
    private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any
) -> None:
    """The answer (cut by a proxy) holds only a refusal for ``bat1``; all three orders were booked.
    ``bat0`` must not take ``bat1``'s item by its position (it would be reported refused while it rests
    on the book). Breaks when ``_match_answers`` falls back to the positional item even when that item
    names another client order id."""
    body = b'[{"newClientOrderId":"bat1","code":30004,"msg":"Insufficient position"}]'
    sim.faults.fail_next("POST", "/api/v3/batchOrders", "body", body=body)
    requests = [
        OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", str(41000 + i), None, f"bat{i}")
        for i in range(3)
    ]
    results = await asyncio.wait_for(private.place_batch_orders(requests), 15)
    booked = {o.client_order_id: o.order_id for o in sim.engine.orders_of(account)}
    assert len(booked) == 3
    assert results[0].order is not None
    assert results[0].order.order_id == booked["bat0"]
    assert results[1].error is not None  # MEXC's stated refusal is taken at its word
    assert results[2].order is not None
    assert results[2].order.order_id == booked["bat2"]


async def test_failing_lookups_are_retried_until_the_order_is_found(
    private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any
) -> None:
    """The answer is lost (5xx after booking) and the first lookups fail too (each of the transport's
    3 attempts of two lookups answers 5xx): reconciliation backs off and asks again, well inside its
    window. Breaks when the pause after a failed lookup stops following ``Backoff`` (e.g. waits out
    the whole window)."""
    sim.faults.fail_next_order("5xx")
    for _ in range(6):
        sim.faults.fail_next("GET", "/api/v3/order", "5xx")
    request = OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000", client_order_id="slowlook")
    order = await asyncio.wait_for(private.place(request), 10)
    booked = sim.engine.orders_of(account)
    assert [o.order_id for o in booked] == [order.order_id]
    assert order_posts(sim) == 1
    lookups = sum(1 for method, path in sim.request_log if (method, path) == ("GET", "/api/v3/order"))
    assert lookups == 7


async def test_refused_connection_ends_as_not_placed(
    private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any
) -> None:
    """A real refused TCP connection (nothing listens on the port): one of the three outcomes, not a
    bare ExchangeConnectionError. Breaks when ``place_safely`` stops mapping it."""
    with socket.socket() as probe:  # a free port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    private.signed.transport.base_url = f"http://127.0.0.1:{port}"
    await private.signed.transport.close()
    with pytest.raises(OrderNotPlaced, match="never left"):
        await asyncio.wait_for(private.place_order(BTC, Side.BUY, OrderType.LIMIT, "0.001", "50000"), 15)
    assert sim.engine.orders_of(account) == []
