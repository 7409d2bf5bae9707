"""Cancels whose answer is lost or unusable are reconciled against the simulator, never re-sent blindly.

``cancel_all_orders``: the simulator cancels, then answers with a scripted fault; the client must find
that nothing is open and return the orders the request canceled, having sent DELETE /api/v3/openOrders
once. When the request never reached the engine ("drop"), the orders are still open: the outcome is
OrderOutcomeUnknown naming them (not a bare ProtocolError), and nothing is sent again.

``cancel_withdrawal``: repeating a cancel of one id is harmless, so the transport may retry it; the
answer that counts is the withdrawal's status afterwards.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exchanges.errors import ExchangeAPIError, OrderOutcomeUnknown, ProtocolError
from exchanges.models import AssetName, OrderStatus, Side, Symbol, WithdrawalRequest, WithdrawalStatus
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.sim import MexcSimulator

BTC = Symbol("BTC", "USDT")
CANCEL_ALL = ("DELETE", "/api/v3/openOrders")
WITHDRAW = "/api/v3/capital/withdraw"


def _sent(sim: MexcSimulator, method: str, path: str) -> int:
    return sum(1 for m, p in sim.request_log if m == method and p == path)


async def _resting(private: MexcPrivateSpotRest, count: int) -> list[str]:
    """``count`` BUY orders far below the market: they rest until canceled."""
    return [
        (await private.place_limit_order(BTC, Side.BUY, "0.001", str(30000 - i))).order_id
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("mode", "body"),
    [("body", b"{}"), ("body", b"<html>502</html>"), ("5xx", b""), ("truncate", b""), ("timeout", b"")],
    ids=["empty-object", "garbage", "5xx", "truncate", "timeout"],
)
async def test_cancel_all_with_a_lost_answer_returns_what_it_canceled(
    private: MexcPrivateSpotRest, sim: MexcSimulator, mode: str, body: bytes
) -> None:
    """Breaks when cancel_all_orders raises on the fault instead of looking at what MEXC shows."""
    placed = await _resting(private, 3)
    sim.faults.fail_next(*CANCEL_ALL, mode, body=body)
    canceled = await private.cancel_all_orders(BTC)
    assert sorted(order.order_id for order in canceled) == sorted(placed)
    assert {order.status for order in canceled} == {OrderStatus.CANCELED}
    assert await private.get_open_orders(BTC) == []
    assert _sent(sim, *CANCEL_ALL) == 1  # looked up, never sent again


async def test_cancel_all_that_never_arrived_is_an_unknown_outcome_naming_the_open_orders(
    private: MexcPrivateSpotRest, sim: MexcSimulator
) -> None:
    placed = await _resting(private, 2)
    sim.faults.fail_next(*CANCEL_ALL, "drop")  # lost before the engine: answered 503, nothing canceled
    with pytest.raises(OrderOutcomeUnknown) as caught:
        await private.cancel_all_orders(BTC)
    message = str(caught.value)
    assert "2 orders are still open" in message
    assert all(order_id in message for order_id in placed)
    assert "Nothing was sent again" in message
    assert caught.value.symbol == BTC
    assert _sent(sim, *CANCEL_ALL) == 1
    assert sorted(o.order_id for o in await private.get_open_orders(BTC)) == sorted(placed)


async def test_cancel_all_with_an_unusable_answer_and_a_failing_lookup_is_unknown(
    private: MexcPrivateSpotRest, sim: MexcSimulator
) -> None:
    await _resting(private, 1)
    sim.faults.fail_next(*CANCEL_ALL, "body", body=b"[]x")
    sim.faults.fail_next("GET", "/api/v3/openOrders", "body", body=b"null")
    with pytest.raises(OrderOutcomeUnknown, match="the lookup failed too") as caught:
        await private.cancel_all_orders(BTC)
    assert isinstance(caught.value.cause, ProtocolError)
    assert _sent(sim, *CANCEL_ALL) == 1


async def _withdrawal(private: MexcPrivateSpotRest) -> str:
    network = next(n for n in await private.get_coin_config() if n.asset == "USDT" and n.withdraw_enabled)
    request = WithdrawalRequest(
        asset=AssetName("USDT"),
        amount=max(network.withdraw_min, Decimal(20)),
        address="TXYZabc123",
        network=network.network,
    )
    return (await private.withdraw(request)).withdrawal_id


@pytest.mark.parametrize("body", [b"[]", b"{}", b"null", b'{"id": ""}'])
async def test_cancel_withdrawal_with_an_unusable_answer_is_confirmed_by_its_status(
    private: MexcPrivateSpotRest, sim: MexcSimulator, body: bytes
) -> None:
    withdrawal_id = await _withdrawal(private)
    sim.faults.fail_next("DELETE", WITHDRAW, "body", body=body)
    assert await private.cancel_withdrawal(withdrawal_id) == withdrawal_id
    status = await private.capital.get_withdrawal(withdrawal_id)
    assert status.status is WithdrawalStatus.CANCELED


async def test_cancel_withdrawal_whose_retry_is_refused_because_the_first_worked(
    private: MexcPrivateSpotRest, sim: MexcSimulator
) -> None:
    """The first DELETE cancels and answers 500; the transport's retry is refused (already canceled).
    The withdrawal IS canceled: the caller gets its id, not the retry's refusal."""
    withdrawal_id = await _withdrawal(private)
    sim.faults.fail_next("DELETE", WITHDRAW, "5xx")
    assert await private.cancel_withdrawal(withdrawal_id) == withdrawal_id
    assert _sent(sim, "DELETE", WITHDRAW) == 2


async def test_cancel_withdrawal_that_never_arrived_is_unknown_with_the_status_mexc_shows(
    private: MexcPrivateSpotRest, sim: MexcSimulator
) -> None:
    withdrawal_id = await _withdrawal(private)
    for _ in range(3):  # every attempt (1 + max_retries) lost before MEXC
        sim.faults.fail_next("DELETE", WITHDRAW, "drop")
    with pytest.raises(OrderOutcomeUnknown, match="MEXC shows it PENDING"):
        await private.cancel_withdrawal(withdrawal_id)
    assert (await private.capital.get_withdrawal(withdrawal_id)).status is WithdrawalStatus.PENDING


async def test_a_refused_cancel_keeps_mexcs_refusal(private: MexcPrivateSpotRest, sim: MexcSimulator) -> None:
    withdrawal_id = await _withdrawal(private)
    sim.capital.advance(withdrawal_id)  # completed: no longer cancelable
    with pytest.raises(ExchangeAPIError) as caught:
        await private.cancel_withdrawal(withdrawal_id)
    assert not isinstance(caught.value, OrderOutcomeUnknown)


async def test_cancel_all_reconciled_returns_orders_placed_long_before_the_cancel(
    private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any
) -> None:
    """allOrders' startTime selects by creation time: orders that rested an hour before the cancel must
    still be read back as canceled by it (breaks when the lookup starts at the cancel's own time)."""
    placed = await _resting(private, 3)
    for order in sim.engine.orders_of(account.uid, "BTCUSDT"):
        order.time -= 3_600_000  # placed an hour ago
    sim.faults.fail_next(*CANCEL_ALL, "timeout")
    canceled = await private.cancel_all_orders(BTC)
    assert sorted(order.order_id for order in canceled) == sorted(placed)
    assert _sent(sim, *CANCEL_ALL) == 1
