"""Wallet endpoints against the simulator: coin config, withdraw/cancel/status, deposits, addresses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exchanges.errors import ExchangeAPIError, InsufficientBalance
from exchanges.models import AssetName, WithdrawalRequest, WithdrawalStatus
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.sim import MexcSimulator


async def test_coin_config(private: MexcPrivateSpotRest) -> None:
    networks = await private.get_coin_config()
    usdt = [n for n in networks if n.asset == "USDT"]
    assert usdt
    assert all(n.network for n in usdt)


async def test_withdraw_status_and_cancel(private: MexcPrivateSpotRest, sim: MexcSimulator) -> None:
    networks = [n for n in await private.get_coin_config() if n.asset == "USDT" and n.withdraw_enabled]
    network = networks[0]
    amount = max(network.withdraw_min, Decimal(20))
    request = WithdrawalRequest(
        asset=AssetName("USDT"), amount=amount, address="TXYZabc123", network=network.network, client_id="w1"
    )
    withdrawal = await private.withdraw(request)
    assert withdrawal.withdrawal_id
    assert withdrawal.amount == amount
    assert withdrawal.client_id == "w1"
    status = await private.get_withdrawal_status(withdrawal.withdrawal_id)
    assert status.withdrawal_id == withdrawal.withdrawal_id
    history = await private.get_withdrawal_history("USDT")
    assert withdrawal.withdrawal_id in {w.withdrawal_id for w in history}
    canceled_id = await private.cancel_withdrawal(withdrawal.withdrawal_id)
    assert canceled_id == withdrawal.withdrawal_id
    assert (await private.get_withdrawal(withdrawal.withdrawal_id)).status is WithdrawalStatus.CANCELED
    with pytest.raises(ExchangeAPIError, match="not in the MEXC withdrawal history"):
        await private.get_withdrawal("no-such-id")


async def test_withdraw_more_than_balance(private: MexcPrivateSpotRest) -> None:
    network = next(n for n in await private.get_coin_config() if n.asset == "USDT")
    request = WithdrawalRequest(
        asset=AssetName("USDT"), amount="999999", address="TXYZ", network=network.network
    )
    with pytest.raises((InsufficientBalance, ExchangeAPIError)):
        await private.withdraw(request)


async def test_deposits_and_addresses(private: MexcPrivateSpotRest, sim: MexcSimulator, account: Any) -> None:
    sim.deposit(account, "USDT", "250")
    deposits = await private.get_deposit_history("USDT")
    assert any(d.amount == Decimal("250") for d in deposits)
    network = next(n for n in await private.get_coin_config() if n.asset == "USDT")
    address = await private.get_deposit_address("USDT", network.network)
    assert address.address
    assert address.asset == "USDT"
