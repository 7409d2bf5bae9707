"""Safe placement decision logic with plain async callables (the simulator tests cover the wiring)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from exchanges.errors import (
    ExchangeConnectionError,
    ExchangeServerError,
    InsufficientBalance,
    OrderNotFound,
    OrderNotPlaced,
    OrderOutcomeUnknown,
    ProtocolError,
    RateLimitError,
)
from exchanges.models import Order, OrderId, OrderRequest, OrderStatus, OrderType, Side, Symbol
from exchanges.transport.rest import SendTrace
from exchanges_mexc.rest.placement import ReconcilePolicy, order_from_answer, place_safely
from exchanges_mexc.rest.preflight import PreparedOrder

BTC = Symbol("BTC", "USDT")
PREPARED = PreparedOrder(
    OrderRequest(BTC, Side.BUY, OrderType.LIMIT, Decimal(1), Decimal(10), None, "cid1"), "BTCUSDT"
)
ORDER = Order(BTC, OrderId("1"), Side.BUY, OrderType.LIMIT, OrderStatus.NEW, Decimal(1), Decimal(10), "cid1")
FAST = ReconcilePolicy(
    recv_window=0.05, settle_delay=0.05, window=0.5, initial_backoff=0.01, max_backoff=0.05
)


class Calls:
    def __init__(self) -> None:
        self.sent = 0
        self.looked_up = 0


def unknown() -> OrderOutcomeUnknown:
    return OrderOutcomeUnknown("lost", symbol=BTC, client_order_id="cid1")


async def run(coro: object) -> Order:
    return await asyncio.wait_for(coro, 5)  # type: ignore[arg-type]


async def test_success_sends_once() -> None:
    calls = Calls()

    async def send(trace: SendTrace) -> Order:
        trace.mark_signed(asyncio.get_running_loop().time())
        calls.sent += 1
        return ORDER

    async def lookup() -> Order:
        raise AssertionError("no lookup on success")

    assert await run(place_safely(PREPARED, send, lookup, FAST)) is ORDER
    assert calls.sent == 1


@pytest.mark.parametrize("error", [unknown(), ExchangeServerError("500", status=500)])
async def test_lost_answer_is_reconciled_without_resending(error: Exception) -> None:
    calls = Calls()

    async def send(trace: SendTrace) -> Order:
        trace.mark_signed(asyncio.get_running_loop().time())
        calls.sent += 1
        raise error

    async def lookup() -> Order:
        calls.looked_up += 1
        if calls.looked_up < 3:
            raise ExchangeConnectionError("flaky")
        return ORDER

    assert await run(place_safely(PREPARED, send, lookup, FAST)) is ORDER
    assert calls.sent == 1
    assert calls.looked_up == 3


async def test_unknown_order_after_settle_means_not_placed() -> None:
    calls = Calls()

    async def send(trace: SendTrace) -> Order:
        trace.mark_signed(asyncio.get_running_loop().time())
        calls.sent += 1
        raise unknown()

    async def lookup() -> Order:
        calls.looked_up += 1
        raise OrderNotFound("Unknown order sent.", code=-2011)

    with pytest.raises(OrderNotPlaced, match="NOT placed") as caught:
        await run(place_safely(PREPARED, send, lookup, FAST))
    assert caught.value.client_order_id == "cid1"
    assert calls.sent == 1
    assert calls.looked_up >= 2  # one early answer is not trusted; a later one after the settle point is


async def test_order_appearing_late_is_found() -> None:
    calls = Calls()

    async def send(trace: SendTrace) -> Order:
        trace.mark_signed(asyncio.get_running_loop().time())
        calls.sent += 1
        raise unknown()

    async def lookup() -> Order:
        calls.looked_up += 1
        if calls.looked_up == 1:
            raise OrderNotFound("Unknown order sent.", code=-2011)
        return ORDER

    assert await run(place_safely(PREPARED, send, lookup, FAST)) is ORDER
    assert calls.sent == 1


async def test_lookups_failing_until_window_end_raise_outcome_unknown() -> None:
    calls = Calls()

    async def send(trace: SendTrace) -> Order:
        trace.mark_signed(asyncio.get_running_loop().time())
        calls.sent += 1
        raise unknown()

    async def lookup() -> Order:
        calls.looked_up += 1
        raise ExchangeConnectionError("down")

    with pytest.raises(OrderOutcomeUnknown) as caught:
        await run(place_safely(PREPARED, send, lookup, FAST))
    assert caught.value.client_order_id == "cid1"
    assert calls.sent == 1
    assert calls.looked_up >= 2


async def test_rate_limit_refusal_is_resent_boundedly() -> None:
    calls = Calls()

    async def send(trace: SendTrace) -> Order:
        trace.mark_signed(asyncio.get_running_loop().time())
        calls.sent += 1
        if calls.sent == 1:
            raise RateLimitError("429", retry_after=0.0, status=429)
        return ORDER

    async def lookup() -> Order:
        raise AssertionError("no lookup")

    assert await run(place_safely(PREPARED, send, lookup, FAST)) is ORDER
    assert calls.sent == 2

    always = Calls()

    async def send_429(trace: SendTrace) -> Order:
        trace.mark_signed(asyncio.get_running_loop().time())
        always.sent += 1
        raise RateLimitError("429", retry_after=0.0, status=429)

    with pytest.raises(RateLimitError):
        await run(place_safely(PREPARED, send_429, lookup, FAST))
    assert always.sent == FAST.max_rate_limit_retries + 1


async def test_business_error_is_raised_once() -> None:
    calls = Calls()

    async def send(trace: SendTrace) -> Order:
        trace.mark_signed(asyncio.get_running_loop().time())
        calls.sent += 1
        raise InsufficientBalance("no money", code=10101)

    async def lookup() -> Order:
        raise AssertionError("no lookup")

    with pytest.raises(InsufficientBalance):
        await run(place_safely(PREPARED, send, lookup, FAST))
    assert calls.sent == 1


async def test_an_order_that_never_left_is_not_placed_without_lookup() -> None:
    calls = Calls()

    async def send(trace: SendTrace) -> Order:
        calls.sent += 1
        raise ExchangeConnectionError("cannot connect")

    async def lookup() -> Order:
        raise AssertionError("nothing left: nothing to look up")

    with pytest.raises(OrderNotPlaced, match="never left") as caught:
        await run(place_safely(PREPARED, send, lookup, FAST))
    assert caught.value.client_order_id == "cid1"
    assert isinstance(caught.value.cause, ExchangeConnectionError)
    assert calls.sent == 1


POST_ANSWER = (
    b'{"symbol": "BTCUSDT", "orderId": "C02__1", "orderListId": -1, "price": "10", "origQty": "1", '
    b'"type": "LIMIT", "side": "BUY", "transactTime": 1700000000000%s}'
)


def test_an_answer_without_client_order_id_is_our_order_with_the_id_we_sent() -> None:
    """MEXC's POST answer does not echo ``newClientOrderId``: the order carries the one we sent, and
    is taken as the answer (no reconciliation)."""
    order = order_from_answer(POST_ANSWER % b"", PREPARED)
    assert order.client_order_id == "cid1"
    assert order.order_id == "C02__1"
    assert order.status is OrderStatus.NEW


def test_an_answer_naming_our_client_order_id_is_our_order() -> None:
    order = order_from_answer(POST_ANSWER % b', "clientOrderId": "cid1"', PREPARED)
    assert order.client_order_id == "cid1"


def test_an_answer_naming_another_client_order_id_is_unusable() -> None:
    """Another order's answer must never be taken for ours: it is a ProtocolError (reconciled)."""
    with pytest.raises(ProtocolError, match="another client order id"):
        order_from_answer(POST_ANSWER % b', "clientOrderId": "someone-else"', PREPARED)
