"""Wallet (capital) endpoints, JSON -> models: withdrawals, deposits, deposit addresses, networks.

Each body is decoded once into the typed shapes below (msgspec Structs, numbers sent as strings read
by :mod:`.values`); a wrong shape or type is a :class:`~exchanges.errors.ProtocolError` naming the
endpoint and the path, and so is a value that fails a check (a negative or non-finite amount).

Statuses are MEXC ints (withdrawals 1..10, deposits 1..12, API.md §5); they are normalised through
:mod:`.enums` and the exchange's value is kept verbatim in ``raw_status``. The network id used by the
current withdraw endpoint is ``netWork``; ``network`` is the older display name (both read, ``netWork``
preferred).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import msgspec

from exchanges.errors import ProtocolError
from exchanges.models import (
    AssetName,
    Deposit,
    DepositAddress,
    NetworkInfo,
    Withdrawal,
    WithdrawalRequest,
    WithdrawalStatus,
)

from ..constants import EXCHANGE_NAME
from . import enums
from .checks import fail, non_negative_dec, non_negative_time
from .shapes import Loose, read, read_either
from .values import dec, dec_opt, text_opt, to_int

__all__ = [
    "parse_cancel_withdrawal",
    "parse_coin_config",
    "parse_deposit",
    "parse_deposit_addresses",
    "parse_deposits",
    "parse_transfer_id",
    "parse_withdraw_response",
    "parse_withdrawal",
    "parse_withdrawals",
]

WITHDRAW: Final = "POST /api/v3/capital/withdraw"
WITHDRAW_HISTORY: Final = "GET /api/v3/capital/withdraw/history"
DEPOSIT_HISTORY: Final = "GET /api/v3/capital/deposit/hisrec"
DEPOSIT_ADDRESS: Final = "GET /api/v3/capital/deposit/address"
COIN_CONFIG: Final = "GET /api/v3/capital/config/getall"
TRANSFER: Final = "POST /api/v3/capital/transfer"
WITHDRAW_CANCEL: Final = "DELETE /api/v3/capital/withdraw"

Text = str | int | None
"""An id, hash or memo: MEXC sends some as numbers; read with :func:`.values.text_opt`."""
Time = int | str | None
"""Milliseconds as a number or a digit string; read with :func:`.values.to_int`."""


# ------------------------------------------------------------------------------------------------
# Shapes
# ------------------------------------------------------------------------------------------------


class WithdrawalRow(msgspec.Struct, frozen=True, gc=False):
    """One GET /api/v3/capital/withdraw/history item. ``id`` and ``coin`` are required: a record
    without them names no withdrawal."""

    id: str | int
    coin: str
    amount: Loose = None
    address: str | None = None
    status: int | str | None = None
    netWork: str | None = None
    network: str | None = None
    transactionFee: Loose = None
    txId: Text = None
    transHash: Text = None
    memo: Text = None
    withdrawOrderId: Text = None
    applyTime: Time = None
    updateTime: Time = None


class DepositRow(msgspec.Struct, frozen=True, gc=False):
    """One GET /api/v3/capital/deposit/hisrec item."""

    coin: str
    amount: Loose = None
    status: int | str | None = None
    netWork: str | None = None
    network: str | None = None
    address: str | None = None
    txId: Text = None
    memo: Text = None
    insertTime: Time = None


class DepositAddressAnswer(msgspec.Struct, frozen=True, gc=False):
    """A deposit-address object, or the ``{"data": [...]}`` envelope some answers use (then ``data``
    holds the addresses and the other fields are absent)."""

    coin: str | None = None
    address: str | None = None
    netWork: str | None = None
    network: str | None = None
    memo: Text = None
    tag: Text = None
    addressTag: Text = None
    data: list[DepositAddressAnswer] | None = None


class NetworkRow(msgspec.Struct, frozen=True, gc=False):
    """One ``networkList`` item of GET /api/v3/capital/config/getall."""

    coin: str | None = None
    netWork: str | None = None
    network: str | None = None
    name: str | None = None
    depositEnable: bool | None = None
    withdrawEnable: bool | None = None
    withdrawFee: Loose = None
    withdrawMin: Loose = None
    withdrawMax: Loose = None
    minConfirm: Time = None
    withdrawIntegerMultiple: Loose = None
    sameAddress: bool | None = None
    contract: Text = None


class CoinRow(msgspec.Struct, frozen=True, gc=False):
    """One coin of GET /api/v3/capital/config/getall."""

    coin: str | None = None
    networkList: list[NetworkRow] | None = None


class IdAnswer(msgspec.Struct, frozen=True, gc=False):
    """``{"id": ...}`` (withdraw) or ``{"tranId": ...}`` (transfer); a missing one is checked by the
    parser, which names the field."""

    id: Text = None
    tranId: Text = None


# ------------------------------------------------------------------------------------------------
# Builders
# ------------------------------------------------------------------------------------------------


def _asset(name: str | None) -> AssetName:
    text = (name or "").strip().upper()
    if not text:
        fail("coin", "missing")
    return AssetName(text)


def _amount(value: Loose, field: str) -> Decimal:
    return non_negative_dec(dec(value), field)


def _optional_amount(value: Loose, field: str) -> Decimal | None:
    number = dec_opt(value)
    return None if number is None else non_negative_dec(number, field)


def _raw(value: object) -> str:
    return "" if value is None else str(value)


def _network(row: WithdrawalRow | DepositRow | DepositAddressAnswer | NetworkRow) -> str | None:
    return text_opt(row.netWork) or text_opt(row.network)


def _withdrawal(row: WithdrawalRow) -> Withdrawal:
    """GET /api/v3/capital/withdraw/history item -> Withdrawal (``raw_status`` keeps MEXC's value)."""
    withdrawal_id = text_opt(row.id)
    if withdrawal_id is None:
        fail("id", "missing")
    return Withdrawal(
        withdrawal_id=withdrawal_id,
        asset=_asset(row.coin),
        amount=_amount(row.amount, "amount"),
        address=row.address or "",
        status=enums.withdrawal_status(row.status),
        raw_status=_raw(row.status),
        network=_network(row),
        fee=None if row.transactionFee in (None, "") else _amount(row.transactionFee, "transactionFee"),
        tx_id=text_opt(row.txId) or text_opt(row.transHash),
        memo=text_opt(row.memo),
        client_id=text_opt(row.withdrawOrderId),
        timestamp=non_negative_time(to_int(row.applyTime or row.updateTime), "applyTime"),
    )


def parse_withdrawal(body: bytes) -> Withdrawal:
    """One withdrawal object -> Withdrawal (``raw_status`` keeps MEXC's value)."""
    return read(body, WithdrawalRow, WITHDRAW_HISTORY, _withdrawal)


def parse_withdrawals(body: bytes) -> list[Withdrawal]:
    """GET /api/v3/capital/withdraw/history -> withdrawals."""
    return read(body, list[WithdrawalRow], WITHDRAW_HISTORY, lambda rows: [_withdrawal(r) for r in rows])


def _first(answer: list[IdAnswer] | IdAnswer) -> IdAnswer | None:
    """The object of an answer sent as one object or as a one-item list (the older form)."""
    if isinstance(answer, list):
        return answer[0] if answer else None
    return answer


def parse_withdraw_response(body: bytes, request: WithdrawalRequest, timestamp: int = 0) -> Withdrawal:
    """POST /api/v3/capital/withdraw ``{"id": ...}`` (or the old ``[{"id": ...}]``) -> a PENDING Withdrawal
    echoing the request. An answer without an id raises ProtocolError: the withdrawal may exist, so
    the caller must look it up (by ``withdrawOrderId``) rather than submit it again."""
    answer = _first(read_either(body, list[IdAnswer], IdAnswer, WITHDRAW, lambda data: data))
    withdrawal_id = text_opt(answer.id) if answer is not None else None
    if not withdrawal_id:
        raise ProtocolError("answer without id", source=WITHDRAW, field="id", exchange=EXCHANGE_NAME)
    return Withdrawal(
        withdrawal_id=withdrawal_id,
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


def _deposit(row: DepositRow) -> Deposit:
    """GET /api/v3/capital/deposit/hisrec item -> Deposit (``raw_status`` keeps MEXC's 1..12 value)."""
    return Deposit(
        asset=_asset(row.coin),
        amount=_amount(row.amount, "amount"),
        status=enums.deposit_status(row.status),
        raw_status=_raw(row.status),
        network=_network(row),
        address=text_opt(row.address),
        tx_id=text_opt(row.txId),
        memo=text_opt(row.memo),
        timestamp=non_negative_time(to_int(row.insertTime), "insertTime"),
    )


def parse_deposit(body: bytes) -> Deposit:
    """One deposit object -> Deposit (``raw_status`` keeps MEXC's 1..12 value)."""
    return read(body, DepositRow, DEPOSIT_HISTORY, _deposit)


def parse_deposits(body: bytes) -> list[Deposit]:
    """GET /api/v3/capital/deposit/hisrec -> deposits."""
    return read(body, list[DepositRow], DEPOSIT_HISTORY, lambda rows: [_deposit(r) for r in rows])


def _deposit_address(row: DepositAddressAnswer) -> DepositAddress:
    """One ``{"coin","network","address","memo"}`` item (``tag``/``addressTag`` accepted as memo)."""
    return DepositAddress(
        asset=_asset(row.coin),
        address=row.address or "",
        network=_network(row),
        memo=text_opt(row.memo) or text_opt(row.tag) or text_opt(row.addressTag),
    )


def _deposit_addresses(answer: list[DepositAddressAnswer] | DepositAddressAnswer) -> list[DepositAddress]:
    if not isinstance(answer, list):  # one object, or the {"data": [...]} envelope
        answer = answer.data if answer.data is not None else [answer]
    return [_deposit_address(row) for row in answer]


def parse_deposit_addresses(body: bytes) -> list[DepositAddress]:
    """GET/POST /api/v3/capital/deposit/address: a list, one object, or a ``{"data": [...]}`` envelope."""
    return read_either(
        body, list[DepositAddressAnswer], DepositAddressAnswer, DEPOSIT_ADDRESS, _deposit_addresses
    )


def parse_coin_config(body: bytes) -> list[NetworkInfo]:
    """GET /api/v3/capital/config/getall (a list of coins, or one coin object) -> every network of every
    coin. ``network`` is the id to withdraw with (``netWork``), ``name`` its display name."""
    return read_either(
        body,
        list[CoinRow],
        CoinRow,
        COIN_CONFIG,
        lambda coins: _networks(coins if isinstance(coins, list) else [coins]),
    )


def _networks(coins: list[CoinRow]) -> list[NetworkInfo]:
    result: list[NetworkInfo] = []
    for coin in coins:
        for net in coin.networkList or ():
            network_id = _network(net) or ""
            result.append(
                NetworkInfo(
                    asset=_asset(net.coin or coin.coin),
                    network=network_id,
                    name=net.network or net.name or network_id,
                    deposit_enabled=net.depositEnable is True,
                    withdraw_enabled=net.withdrawEnable is True,
                    withdraw_fee=_amount(net.withdrawFee, "withdrawFee"),
                    withdraw_min=_amount(net.withdrawMin, "withdrawMin"),
                    withdraw_max=_optional_amount(net.withdrawMax, "withdrawMax"),
                    min_confirmations=non_negative_time(to_int(net.minConfirm), "minConfirm"),
                    withdraw_multiple=_optional_amount(
                        net.withdrawIntegerMultiple, "withdrawIntegerMultiple"
                    ),
                    memo_required=net.sameAddress is True,
                    contract=text_opt(net.contract),
                )
            )
    return result


def parse_transfer_id(body: bytes) -> str:
    """POST /api/v3/capital/transfer -> the ``tranId`` (MEXC answers ``[{"tranId": ...}]`` or the object).

    An answer without one raises ProtocolError (the transfer may have happened)."""
    answer = _first(read_either(body, list[IdAnswer], IdAnswer, TRANSFER, lambda data: data))
    tran_id = text_opt(answer.tranId) if answer is not None else None
    if not tran_id:
        raise ProtocolError("answer without tranId", source=TRANSFER, field="tranId", exchange=EXCHANGE_NAME)
    return tran_id


def parse_cancel_withdrawal(body: bytes) -> str:
    """DELETE /api/v3/capital/withdraw ``{"id": ...}`` -> the canceled withdrawal's id. Any other answer
    raises ProtocolError: the caller looks the withdrawal up instead of taking it as canceled."""
    answer = _first(read_either(body, list[IdAnswer], IdAnswer, WITHDRAW_CANCEL, lambda data: data))
    withdrawal_id = text_opt(answer.id) if answer is not None else None
    if not withdrawal_id:
        raise ProtocolError("answer without id", source=WITHDRAW_CANCEL, field="id", exchange=EXCHANGE_NAME)
    return withdrawal_id
