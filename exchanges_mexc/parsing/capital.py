"""Wallet (capital) endpoints, JSON -> models: withdrawals, deposits, deposit addresses, networks.

Statuses are MEXC ints (withdrawals 1..10, deposits 1..12, API.md §5); they are normalised through
:mod:`.enums` and the exchange's value is kept verbatim in ``raw_status``. The network id used by the
current withdraw endpoint is ``netWork``; ``network`` is the older display name (both read, ``netWork``
preferred).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Final, TypeVar

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
from .checks import non_negative_dec, protocol_error
from .shapes import decode_any
from .values import dec, dec_opt, text_opt, to_int

R = TypeVar("R")
Row = Mapping[str, object]
"""One JSON object of a capital answer (read field by field below, each value checked)."""

WITHDRAW: Final = "POST /api/v3/capital/withdraw"
WITHDRAW_HISTORY: Final = "GET /api/v3/capital/withdraw/history"
DEPOSIT_HISTORY: Final = "GET /api/v3/capital/deposit/hisrec"
DEPOSIT_ADDRESS: Final = "GET /api/v3/capital/deposit/address"
COIN_CONFIG: Final = "GET /api/v3/capital/config/getall"
TRANSFER: Final = "POST /api/v3/capital/transfer"
_PARSE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, ArithmeticError)


def _objects(data: object, source: str) -> list[Row]:
    """``data`` as a list of JSON objects, else ProtocolError."""
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise protocol_error(source, TypeError("expected a list of objects"))
    return data


def _build(source: str, build: Callable[[], R]) -> R:
    """``build()``; any error reading the values becomes ProtocolError naming ``source``."""
    try:
        return build()
    except _PARSE_ERRORS as error:
        raise protocol_error(source, error) from None


def _amount(value: object, field: str) -> Decimal:
    return non_negative_dec(dec(value), field)


__all__ = [
    "parse_coin_config",
    "parse_deposit",
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


def _network(data: Row) -> str | None:
    return text_opt(data.get("netWork")) or text_opt(data.get("network"))


def _withdrawal(data: Row) -> Withdrawal:
    """GET /api/v3/capital/withdraw/history item -> Withdrawal (``raw_status`` keeps MEXC's value)."""
    g = data.get
    status = g("status")
    return Withdrawal(
        withdrawal_id=str(g("id")),
        asset=_asset(g("coin")),
        amount=_amount(g("amount"), "amount"),
        address=str(g("address") or ""),
        status=enums.withdrawal_status(status),
        raw_status=_raw(status),
        network=_network(data),
        fee=None if g("transactionFee") in (None, "") else _amount(g("transactionFee"), "transactionFee"),
        tx_id=text_opt(g("txId")) or text_opt(g("transHash")),
        memo=text_opt(g("memo")),
        client_id=text_opt(g("withdrawOrderId")),
        timestamp=to_int(g("applyTime") or g("updateTime")),
    )


def parse_withdrawal(body: bytes) -> Withdrawal:
    """One withdrawal object -> Withdrawal (``raw_status`` keeps MEXC's value)."""
    data = decode_any(body, WITHDRAW_HISTORY)
    (row,) = _objects([data], WITHDRAW_HISTORY)
    return _build(WITHDRAW_HISTORY, lambda: _withdrawal(row))


def parse_withdrawals(body: bytes) -> list[Withdrawal]:
    """GET /api/v3/capital/withdraw/history -> withdrawals."""
    rows = _objects(decode_any(body, WITHDRAW_HISTORY), WITHDRAW_HISTORY)
    return _build(WITHDRAW_HISTORY, lambda: [_withdrawal(row) for row in rows])


def parse_withdraw_response(body: bytes, request: WithdrawalRequest, timestamp: int = 0) -> Withdrawal:
    """POST /api/v3/capital/withdraw ``{"id": ...}`` (or the old ``[{"id": ...}]``) -> a PENDING Withdrawal
    echoing the request. An answer without an id raises ProtocolError: the withdrawal may exist, so
    the caller must look it up (by ``withdrawOrderId``) rather than submit it again."""
    data = decode_any(body, WITHDRAW)
    item = data[0] if isinstance(data, list) and data else data
    withdrawal_id = text_opt(item.get("id")) if isinstance(item, dict) else None
    if not withdrawal_id:
        raise ProtocolError("answer without id", source=WITHDRAW, field="id", exchange=EXCHANGE_NAME)
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


def _deposit(data: Row) -> Deposit:
    """GET /api/v3/capital/deposit/hisrec item -> Deposit (``raw_status`` keeps MEXC's 1..12 value)."""
    g = data.get
    status = g("status")
    return Deposit(
        asset=_asset(g("coin")),
        amount=_amount(g("amount"), "amount"),
        status=enums.deposit_status(status),
        raw_status=_raw(status),
        network=_network(data),
        address=text_opt(g("address")),
        tx_id=text_opt(g("txId")),
        memo=text_opt(g("memo")),
        timestamp=to_int(g("insertTime")),
    )


def parse_deposit(body: bytes) -> Deposit:
    """One deposit object -> Deposit (``raw_status`` keeps MEXC's 1..12 value)."""
    (row,) = _objects([decode_any(body, DEPOSIT_HISTORY)], DEPOSIT_HISTORY)
    return _build(DEPOSIT_HISTORY, lambda: _deposit(row))


def parse_deposits(body: bytes) -> list[Deposit]:
    """GET /api/v3/capital/deposit/hisrec -> deposits."""
    rows = _objects(decode_any(body, DEPOSIT_HISTORY), DEPOSIT_HISTORY)
    return _build(DEPOSIT_HISTORY, lambda: [_deposit(row) for row in rows])


def _deposit_address(data: Row) -> DepositAddress:
    """One ``{"coin","network","address","memo"}`` item (``tag``/``addressTag`` accepted as memo)."""
    g = data.get
    return DepositAddress(
        asset=_asset(g("coin")),
        address=str(g("address") or ""),
        network=_network(data),
        memo=text_opt(g("memo")) or text_opt(g("tag")) or text_opt(g("addressTag")),
    )


def parse_deposit_addresses(body: bytes) -> list[DepositAddress]:
    """GET/POST /api/v3/capital/deposit/address: a list, one object, or a ``{"data": [...]}`` envelope."""
    data = decode_any(body, DEPOSIT_ADDRESS)
    if isinstance(data, dict):
        data = data.get("data", [data])
    rows = _objects(data, DEPOSIT_ADDRESS)
    return _build(DEPOSIT_ADDRESS, lambda: [_deposit_address(item) for item in rows])


def parse_coin_config(body: bytes) -> list[NetworkInfo]:
    """GET /api/v3/capital/config/getall (a list of coins, or one coin object) -> every network of every
    coin. ``network`` is the id to withdraw with (``netWork``), ``name`` its display name."""
    data = decode_any(body, COIN_CONFIG)
    coins = _objects([data] if isinstance(data, dict) else data, COIN_CONFIG)
    return _build(COIN_CONFIG, lambda: _networks(coins))


def _networks(coins: list[Row]) -> list[NetworkInfo]:
    result: list[NetworkInfo] = []
    for coin in coins:
        coin_name = coin.get("coin")
        networks = coin.get("networkList")
        for net in _objects(networks, COIN_CONFIG) if networks is not None else ():
            g = net.get
            network_id = _network(net) or ""
            result.append(
                NetworkInfo(
                    asset=_asset(g("coin") or coin_name),
                    network=network_id,
                    name=str(g("network") or g("name") or network_id),
                    deposit_enabled=g("depositEnable") is True,
                    withdraw_enabled=g("withdrawEnable") is True,
                    withdraw_fee=_amount(g("withdrawFee"), "withdrawFee"),
                    withdraw_min=_amount(g("withdrawMin"), "withdrawMin"),
                    withdraw_max=dec_opt(g("withdrawMax")),
                    min_confirmations=to_int(g("minConfirm")),
                    withdraw_multiple=dec_opt(g("withdrawIntegerMultiple")),
                    memo_required=g("sameAddress") is True,
                    contract=text_opt(g("contract")),
                )
            )
    return result


def parse_transfer_id(body: bytes) -> str:
    """POST /api/v3/capital/transfer -> the ``tranId`` (MEXC answers ``[{"tranId": ...}]`` or the object).

    An answer without one raises ProtocolError (the transfer may have happened)."""
    data = decode_any(body, TRANSFER)
    item = data[0] if isinstance(data, list) and data else data
    tran_id = text_opt(item.get("tranId")) if isinstance(item, dict) else None
    if not tran_id:
        raise ProtocolError("answer without tranId", source=TRANSFER, field="tranId", exchange=EXCHANGE_NAME)
    return tran_id
