"""A withdrawal (or cancel) whose answer is lost or unusable is looked up, never re-sent.

The simulator books the withdrawal, then answers with a scripted fault (an empty object, garbage, an
answer without id, a 5xx, half an answer): the client must return the booked withdrawal found in the
history, and exactly one withdrawal exists. A withdrawal that never reached MEXC ("drop") is not
found: the outcome is OrderOutcomeUnknown (never a bare ProtocolError), and nothing is sent again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exchanges.errors import OrderOutcomeUnknown, ProtocolError
from exchanges.models import AssetName, OrderStatus, Side, Symbol, WithdrawalRequest, WithdrawalStatus
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.sim import MexcSimulator

WITHDRAW_PATH = "/api/v3/capital/withdraw"


async def _request(private: MexcPrivateSpotRest, client_id: str) -> WithdrawalRequest:
    network = next(n for n in await private.get_coin_config() if n.asset == "USDT" and n.withdraw_enabled)
    amount = max(network.withdraw_min, Decimal(20))
    return WithdrawalRequest(
        asset=AssetName("USDT"),
        amount=amount,
        address="TXYZabc123",
        network=network.network,
        client_id=client_id,
    )


def _sent(sim: MexcSimulator) -> int:
    return sum(1 for method, path in sim.request_log if method == "POST" and path == WITHDRAW_PATH)


@pytest.mark.parametrize(
    ("mode", "body"),
    [
        ("body", b"{}"),
        ("body", b"[]"),
        ("body", b'{"id": ""}'),
        ("body", b"<html>502 Bad Gateway</html>"),
        ("5xx", b""),
        ("truncate", b""),
    ],
    ids=["empty-object", "empty-list", "empty-id", "garbage", "5xx", "truncate"],
)
async def test_unusable_withdraw_answer_is_reconciled_by_client_id(
    private: MexcPrivateSpotRest, sim: MexcSimulator, mode: str, body: bytes
) -> None:
    request = await _request(private, "wd-rec-1")
    sim.faults.fail_next("POST", WITHDRAW_PATH, mode, body=body)
    withdrawal = await private.withdraw(request)
    assert withdrawal.client_id == "wd-rec-1"
    assert withdrawal.withdrawal_id
    assert withdrawal.amount == request.amount
    assert withdrawal.status is not WithdrawalStatus.CANCELED
    assert _sent(sim) == 1  # looked up, never sent again
    history = await private.get_withdrawal_history("USDT")
    assert [w.withdrawal_id for w in history if w.client_id == "wd-rec-1"] == [withdrawal.withdrawal_id]


async def test_withdraw_that_never_arrived_is_an_unknown_outcome(
    private: MexcPrivateSpotRest, sim: MexcSimulator
) -> None:
    request = await _request(private, "wd-lost-1")
    sim.faults.fail_next("POST", WITHDRAW_PATH, "drop")  # lost before MEXC: answered 503, not booked
    with pytest.raises(OrderOutcomeUnknown) as caught:
        await private.withdraw(request)
    assert caught.value.client_order_id == "wd-lost-1"
    assert _sent(sim) == 1
    assert not [w for w in await private.get_withdrawal_history("USDT") if w.client_id == "wd-lost-1"]


async def test_unusable_answer_without_the_withdrawal_in_history_is_unknown_not_protocol_error(
    private: MexcPrivateSpotRest, sim: MexcSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history does not show it (yet): OrderOutcomeUnknown carrying the ProtocolError as cause."""
    request = await _request(private, "wd-hidden-1")

    async def nothing(*_: Any, **__: Any) -> None:
        return None

    monkeypatch.setattr(private.capital, "_find_by_client_id", nothing)
    monkeypatch.setattr("exchanges_mexc.rest.capital.RECONCILE_FIRST_PAUSE", 0.0)
    sim.faults.fail_next("POST", WITHDRAW_PATH, "body", body=b"{}")
    with pytest.raises(OrderOutcomeUnknown) as caught:
        await private.withdraw(request)
    assert isinstance(caught.value.cause, ProtocolError)
    assert caught.value.client_order_id == "wd-hidden-1"
    assert _sent(sim) == 1


async def test_unusable_transfer_answer_is_an_unknown_outcome_sent_once(
    private: MexcPrivateSpotRest, sim: MexcSimulator
) -> None:
    before = (await private.get_asset_balance("USDT")).free
    sim.faults.fail_next("POST", "/api/v3/capital/transfer", "body", body=b"{}")
    with pytest.raises(OrderOutcomeUnknown) as caught:
        await private.capital.transfer("USDT", "100", "SPOT", "FUTURES")
    assert isinstance(caught.value.cause, ProtocolError)
    assert (await private.get_asset_balance("USDT")).free == before - 100  # it happened once
    assert sum(1 for _, path in sim.request_log if path == "/api/v3/capital/transfer") == 1


@pytest.mark.parametrize("body", [b"{}", b"[]", b"<html>oops</html>"])
async def test_unusable_cancel_answer_is_reconciled_by_looking_the_order_up(
    private: MexcPrivateSpotRest, sim: MexcSimulator, body: bytes
) -> None:
    """A cancel whose 2xx answer is not an order: the order is looked up, not a bare ProtocolError."""
    symbol = Symbol("BTC", "USDT")
    placed = await private.place_limit_order(symbol, Side.BUY, "0.001", "30000")
    sim.faults.fail_next("DELETE", "/api/v3/order", "body", body=body)
    canceled = await private.cancel_order(symbol, order_id=placed.order_id)
    assert canceled.order_id == placed.order_id
    assert canceled.status is OrderStatus.CANCELED
