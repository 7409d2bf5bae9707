"""The withdrawal allowlist holds on every path that can send a withdrawal, not only the composite's.

``MexcPrivateSpotRest`` (the spec's private REST client) is built from the same ``ExchangeConfig`` that
carries ``withdrawal_allowlist``; its ``withdraw`` must refuse an address the allowlist does not name
before any request, exactly like ``PrivateExchange.withdraw`` does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exchanges.config import Credentials
from exchanges.errors import WithdrawalRefused
from exchanges.models import AssetName, WithdrawalRequest
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.sim import MexcSimulator

from .conftest import make_config  # type: ignore[import-not-found]

WITHDRAW = ("POST", "/api/v3/capital/withdraw")


def _posted(sim: MexcSimulator) -> int:
    return sum(1 for entry in sim.request_log if entry == WITHDRAW)


async def _client(sim: MexcSimulator, account: Any, allowlist: object) -> MexcPrivateSpotRest:
    config = make_config(sim, withdrawal_allowlist=allowlist)
    client = MexcPrivateSpotRest(config, Credentials(account.api_key, account.secret_key))
    await client.initialize()
    return client


async def _request(client: MexcPrivateSpotRest, address: str, asset: str = "USDT") -> WithdrawalRequest:
    network = next(n for n in await client.get_coin_config() if n.asset == asset and n.withdraw_enabled)
    return WithdrawalRequest(
        asset=AssetName(asset),
        amount=max(network.withdraw_min, Decimal(20)),
        address=address,
        network=network.network,
    )


@pytest.mark.parametrize(
    "allowlist",
    [["TGood"], {"USDT": ["TGood"]}, {"BTC": ["TOther"]}, []],
    ids=["every-asset", "per-asset", "asset-not-named", "empty"],
)
async def test_the_rest_client_refuses_an_address_outside_the_allowlist_before_sending(
    sim: MexcSimulator, account: Any, allowlist: object
) -> None:
    """Breaks when MexcCapitalRest.withdraw stops asking the allowlist (the POST goes out)."""
    client = await _client(sim, account, allowlist)
    try:
        request = await _request(client, "TAttacker")
        with pytest.raises(WithdrawalRefused) as caught:
            await client.withdraw(request)
        assert caught.value.rule == "address_not_allowed"
        assert "TAttacker" in str(caught.value)
        assert _posted(sim) == 0
    finally:
        await client.close()


async def test_the_rest_client_sends_an_allowed_address(sim: MexcSimulator, account: Any) -> None:
    client = await _client(sim, account, {"usdt": "TGood"})
    try:
        withdrawal = await client.withdraw(await _request(client, "TGood"))
        assert withdrawal.address == "TGood"
        assert _posted(sim) == 1
    finally:
        await client.close()


async def test_without_an_allowlist_the_rest_client_sends(sim: MexcSimulator, account: Any) -> None:
    client = await _client(sim, account, None)
    try:
        await client.withdraw(await _request(client, "TAnywhere"))
        assert _posted(sim) == 1
    finally:
        await client.close()


async def _pinned_request(
    client: MexcPrivateSpotRest, address: str, network: str, memo: str | None
) -> WithdrawalRequest:
    return WithdrawalRequest(
        asset=AssetName("USDT"), amount=Decimal(20), address=address, network=network, memo=memo
    )


PINNED = {"USDT": [{"address": "rExchange", "memo": "1001", "network": "trx"}, "TPlain"]}


@pytest.mark.parametrize(
    ("address", "network", "memo", "says"),
    [
        ("rExchange", "TRX", "9999", "memo '9999'"),
        ("rExchange", "TRX", None, "memo None"),
        ("TPlain", "TRX", "1001", "the entry pins no memo"),
        ("rExchange", "ETH", "1001", "network ETH"),
    ],
    ids=["memo-mismatch", "memo-missing", "memo-on-an-entry-without-memo", "network-mismatch"],
)
async def test_a_memo_or_network_the_entry_does_not_pin_is_refused_before_sending(
    sim: MexcSimulator, account: Any, address: str, network: str, memo: str | None, says: str
) -> None:
    """Breaks when the memo or network comparison in AllowedDestination.refusal is loosened: on a memo
    network an exchange's deposit address with any other memo credits another account."""
    client = await _client(sim, account, PINNED)
    try:
        with pytest.raises(WithdrawalRefused) as caught:
            await client.withdraw(await _pinned_request(client, address, network, memo))
        assert caught.value.rule == "address_not_allowed"
        assert says in str(caught.value)
        assert "not allowlisted" in str(caught.value)
        assert _posted(sim) == 0
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("address", "network", "memo"),
    [("rExchange", "TRX", "1001"), ("TPlain", "ETH", None), ("TPlain", "TRX", "")],
    ids=["pinned-memo-and-network", "unpinned-any-network", "empty-memo-is-no-memo"],
)
async def test_a_matching_pinned_entry_goes_through(
    sim: MexcSimulator, account: Any, address: str, network: str, memo: str | None
) -> None:
    client = await _client(sim, account, PINNED)
    try:
        withdrawal = await client.withdraw(await _pinned_request(client, address, network, memo))
        assert withdrawal.address == address
        assert _posted(sim) == 1
    finally:
        await client.close()
