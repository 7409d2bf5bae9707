"""Wallet (capital) endpoints, JSON -> models: withdrawals, deposits, deposit addresses, networks.

Statuses are MEXC ints (withdrawals 1..10, deposits 1..12, API.md §5); they are normalised through
:mod:`.enums` and the exchange's value is kept verbatim in ``raw_status``. The network id used by the
current withdraw endpoint is ``netWork``; ``network`` is the older display name (both read, ``netWork``
preferred).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from exchanges.models import (
    AssetName,
    Deposit,
    DepositAddress,
    NetworkInfo,
    Withdrawal,
    WithdrawalRequest,
    WithdrawalStatus,
)

from . import enums
from .values import dec, dec_opt, text_opt, to_int

__all__ = [
    "parse_coin_config",
    "parse_deposit",
    "parse_deposit_address",
    "parse_deposit_addresses",
    "parse_deposits",
    "parse_transfer_id",
    "parse_withdraw_response",
    "parse_withdrawal",
    "parse_withdrawals",
]


def _asset(name: object) -> AssetName:
    text = str(name or "").strip().upper()
    if not text:
        raise ValueError("missing coin")
    return AssetName(text)


def _raw(value: object) -> str:
    return "" if value is None else str(value)


def _network(data: Mapping[str, Any]) -> str | None:
    return text_opt(data.get("netWork")) or text_opt(data.get("network"))


def parse_withdrawal(data: Mapping[str, Any]) -> Withdrawal:
    """GET /api/v3/capital/withdraw/history item -> Withdrawal (``raw_status`` keeps MEXC's value)."""
    g = data.get
    status = g("status")
    return Withdrawal(
        withdrawal_id=str(g("id")),
        asset=_asset(g("coin")),
        amount=dec(g("amount")),
        address=str(g("address") or ""),
        status=enums.withdrawal_status(status),
        raw_status=_raw(status),
        network=_network(data),
        fee=dec_opt(g("transactionFee")),
        tx_id=text_opt(g("txId")) or text_opt(g("transHash")),
        memo=text_opt(g("memo")),
        client_id=text_opt(g("withdrawOrderId")),
        timestamp=to_int(g("applyTime") or g("updateTime")),
    )


def parse_withdrawals(rows: Iterable[Mapping[str, Any]]) -> list[Withdrawal]:
    return [parse_withdrawal(row) for row in rows]


def parse_withdraw_response(data: Any, request: WithdrawalRequest, timestamp: int = 0) -> Withdrawal:
    """POST /api/v3/capital/withdraw ``{"id": ...}`` (or the old ``[{"id": ...}]``) -> a PENDING Withdrawal
    echoing the request."""
    item = data[0] if isinstance(data, list) and data else data
    withdrawal_id = item.get("id") if isinstance(item, Mapping) else None
    if not withdrawal_id:
        raise ValueError(f"withdraw response without id: {data!r}")
    return Withdrawal(
        withdrawal_id=str(withdrawal_id),
        asset=request.asset,
        amount=request.amount,
        address=request.address,
        status=WithdrawalStatus.PENDING,
        raw_status="",
        network=request.network,
        memo=request.memo,
        client_id=request.client_id,
        timestamp=timestamp,
    )


def parse_deposit(data: Mapping[str, Any]) -> Deposit:
    """GET /api/v3/capital/deposit/hisrec item -> Deposit (``raw_status`` keeps MEXC's 1..12 value)."""
    g = data.get
    status = g("status")
    return Deposit(
        asset=_asset(g("coin")),
        amount=dec(g("amount")),
        status=enums.deposit_status(status),
        raw_status=_raw(status),
        network=_network(data),
        address=text_opt(g("address")),
        tx_id=text_opt(g("txId")),
        memo=text_opt(g("memo")),
        timestamp=to_int(g("insertTime")),
    )


def parse_deposits(rows: Iterable[Mapping[str, Any]]) -> list[Deposit]:
    return [parse_deposit(row) for row in rows]


def parse_deposit_address(data: Mapping[str, Any]) -> DepositAddress:
    """One ``{"coin","network","address","memo"}`` item (``tag``/``addressTag`` accepted as memo)."""
    g = data.get
    return DepositAddress(
        asset=_asset(g("coin")),
        address=str(g("address") or ""),
        network=_network(data),
        memo=text_opt(g("memo")) or text_opt(g("tag")) or text_opt(g("addressTag")),
    )


def parse_deposit_addresses(data: Any) -> list[DepositAddress]:
    """GET/POST /api/v3/capital/deposit/address: a list, one object, or a ``{"data": [...]}`` envelope."""
    if isinstance(data, Mapping):
        data = data.get("data", [data])
    return [parse_deposit_address(item) for item in data or ()]


def parse_coin_config(data: Any) -> list[NetworkInfo]:
    """GET /api/v3/capital/config/getall (a list of coins, or one coin object) -> every network of every
    coin. ``network`` is the id to withdraw with (``netWork``), ``name`` its display name."""
    coins = [data] if isinstance(data, Mapping) else data
    result: list[NetworkInfo] = []
    for coin in coins or ():
        coin_name = coin.get("coin")
        for net in coin.get("networkList") or ():
            g = net.get
            network_id = _network(net) or ""
            result.append(
                NetworkInfo(
                    asset=_asset(g("coin") or coin_name),
                    network=network_id,
                    name=str(g("network") or g("name") or network_id),
                    deposit_enabled=g("depositEnable") is True,
                    withdraw_enabled=g("withdrawEnable") is True,
                    withdraw_fee=dec(g("withdrawFee")),
                    withdraw_min=dec(g("withdrawMin")),
                    withdraw_max=dec_opt(g("withdrawMax")),
                    min_confirmations=to_int(g("minConfirm")),
                    withdraw_multiple=dec_opt(g("withdrawIntegerMultiple")),
                    memo_required=g("sameAddress") is True,
                    contract=text_opt(g("contract")),
                )
            )
    return result


def parse_transfer_id(data: Any) -> str:
    """POST /api/v3/capital/transfer -> the ``tranId`` (MEXC answers ``[{"tranId": ...}]`` or the object)."""
    item = data[0] if isinstance(data, list) and data else data
    tran_id = text_opt(item.get("tranId")) if isinstance(item, Mapping) else None
    if not tran_id:
        raise ValueError(f"transfer answer without tranId: {str(data)[:200]}")
    return tran_id
