"""Wallet state: coin/network config, withdrawals moving through MEXC statuses, deposits, addresses.

Withdrawal life: APPLY(1) -> AUDITING(2) -> WAIT(3) -> PROCESSING(4) -> SUCCESS(7), one step every
``step_seconds`` (a background tick) or on :meth:`Capital.advance`; DELETE cancels while the status is
1-3 (-> CANCEL(9), funds unlocked). The amount is locked at apply time; on success it leaves the
account, the network fee part going to the fee pot (the recipient gets ``amount - fee``).
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from exchanges_mexc.sim.accounts import AccountStore, SimAccount
from exchanges_mexc.sim.book import fmt
from exchanges_mexc.sim.errors import SimError, missing
from exchanges_mexc.sim.specs import CoinSpec, make_coin
from exchanges_mexc.sim.transfers import TransferRecord, Transfers

APPLY, AUDITING, WAIT, PROCESSING, SUCCESS, FAILED, CANCEL = 1, 2, 3, 4, 7, 8, 9
NEXT_STATUS = {APPLY: AUDITING, AUDITING: WAIT, WAIT: PROCESSING, PROCESSING: SUCCESS}
CANCELLABLE = frozenset({APPLY, AUDITING, WAIT})
WEEK_MS = 7 * 24 * 3600_000


@attrs.frozen
class HistoryQuery:
    """Filters of withdraw/history and deposit/hisrec (parsed by the REST handler)."""

    coin: str = ""
    status: int | None = None
    start: int | None = None  # default: a week before ``end``
    end: int | None = None  # default: now
    limit: int = 1000


@attrs.define
class WithdrawalRecord:
    """One withdrawal (mutable status)."""

    id: str
    uid: int
    coin: str
    network: str
    address: str
    amount: Decimal
    fee: Decimal
    status: int
    apply_time: int
    update_time: int
    memo: str | None
    remark: str | None
    withdraw_order_id: str | None
    tx_id: str | None = None
    next_step_at: int = 0

    def to_json(self) -> dict[str, Any]:
        """withdraw/history item."""
        return {
            "id": self.id,
            "txId": self.tx_id,
            "coin": self.coin,
            "network": self.network,
            "address": self.address,
            "amount": fmt(self.amount),
            "transferType": 0,
            "status": self.status,
            "transactionFee": fmt(self.fee),
            "confirmNo": None,
            "applyTime": self.apply_time,
            "remark": self.remark,
            "memo": self.memo,
            "transHash": self.tx_id,
            "updateTime": self.update_time,
            "coinId": hashlib.md5(self.coin.encode()).hexdigest(),
            "vcoinId": hashlib.md5(self.coin.encode()).hexdigest(),
            "withdrawOrderId": self.withdraw_order_id,
        }


@attrs.define
class DepositRecord:
    """One deposit."""

    uid: int
    coin: str
    network: str
    amount: Decimal
    address: str
    tx_id: str
    status: int
    insert_time: int

    def to_json(self) -> dict[str, Any]:
        """deposit/hisrec item."""
        return {
            "amount": fmt(self.amount),
            "coin": self.coin,
            "network": self.network,
            "status": self.status,
            "address": self.address,
            "txId": self.tx_id,
            "insertTime": self.insert_time,
            "unlockConfirm": "12",
            "confirmTimes": "12",
            "memo": None,
        }


def _amount(raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise SimError(10097, "amount is error") from None
    if not value.is_finite():
        raise SimError(10097, "amount is error")
    if value <= 0:
        raise SimError(10102, "amount cannot be zero or negative")
    return value


class Capital:
    """Coins, withdrawals and deposits of every account."""

    def __init__(
        self, accounts: AccountStore, clock: Callable[[], int], step_seconds: float | None = 1.0
    ) -> None:
        self.accounts = accounts
        self.clock = clock
        self.step_seconds = step_seconds
        self.coins: dict[str, CoinSpec] = {}
        self.withdrawals: dict[str, WithdrawalRecord] = {}
        self.deposits: list[DepositRecord] = []
        self._tx = itertools.count(1)
        self.transfers = Transfers(accounts, clock)

    def add_coin(self, coin: str | CoinSpec) -> CoinSpec:
        """List a coin (preset networks for USDT/BTC/ETH, one generic network otherwise)."""
        spec = coin if isinstance(coin, CoinSpec) else make_coin(coin.upper())
        self.coins[spec.coin] = spec
        return spec

    def coin(self, name: str) -> CoinSpec:
        """Listed coin or 10232."""
        spec = self.coins.get(name.upper())
        if spec is None:
            raise SimError(10232, "currency does not exist")
        return spec

    def address(self, uid: int, coin: str, network: str) -> str:
        """Deterministic deposit address of (uid, coin, network)."""
        digest = hashlib.sha256(f"{uid}:{coin}:{network}".encode()).hexdigest()
        if network == "TRX":
            return "T" + digest[:33]
        if network == "BTC":
            return "bc1q" + digest[:38]
        return "0x" + digest[:40]

    # -- withdrawals ----------------------------------------------------------------------------
    def withdraw(self, uid: int, params: dict[str, str]) -> WithdrawalRecord:
        """Validate and apply; the amount is locked until SUCCESS or CANCEL."""
        for name in ("coin", "address", "amount"):
            if not params.get(name):
                raise missing(name)
        coin = self.coin(params["coin"])
        net = coin.network(params.get("netWork") or params.get("network"))
        if net is None:
            raise SimError(730002, "Your input param is invalid")
        if not net.withdraw_enable:
            raise SimError(10206, "transfer is disabled")
        if net.same_address and not params.get("memo"):
            raise SimError(730002, "Your input param is invalid")
        remark = params.get("remark")
        if remark is not None and len(remark) > 200:
            raise SimError(10268, "remark length is too long")
        amount = _amount(params["amount"])
        step = Decimal(net.withdraw_multiple)
        if step > 0 and amount % step != 0:
            raise SimError(10096, "amount decimal places is too long")
        fee = Decimal(net.withdraw_fee)
        if amount < Decimal(net.withdraw_min) or amount > Decimal(net.withdraw_max) or amount <= fee:
            raise SimError(10097, "amount is error")
        if self.accounts.free(uid, coin.coin) < amount:
            raise SimError(10101, "Insufficient balance")
        self.accounts.lock(uid, coin.coin, amount, "WITHDRAW")
        now = self.clock()
        record = WithdrawalRecord(
            id=secrets.token_hex(16),
            uid=uid,
            coin=coin.coin,
            network=net.network,
            address=params["address"],
            amount=amount,
            fee=fee,
            status=APPLY,
            apply_time=now,
            update_time=now,
            memo=params.get("memo"),
            remark=remark,
            withdraw_order_id=params.get("withdrawOrderId"),
        )
        record.next_step_at = self._next_step(now)
        self.withdrawals[record.id] = record
        return record

    def _next_step(self, now: int) -> int:
        if self.step_seconds is None:
            return 2**62
        return now + int(self.step_seconds * 1000)

    def cancel_withdrawal(self, uid: int, withdrawal_id: str) -> WithdrawalRecord:
        """Cancel while APPLY/AUDITING/WAIT; else 730003."""
        record = self.withdrawals.get(withdrawal_id)
        if record is None or record.uid != uid:
            raise SimError(22222, "record does not exist")
        if record.status not in CANCELLABLE:
            raise SimError(730003, "Unsupported operation")
        record.status = CANCEL
        record.update_time = self.clock()
        self.accounts.unlock(uid, record.coin, record.amount, "WITHDRAW")
        return record

    def advance(self, withdrawal_id: str | None = None, *, to_status: int = SUCCESS) -> None:
        """Test hook: move one withdrawal (or all pending) straight up to ``to_status``."""
        for record in list(self.withdrawals.values()):
            if withdrawal_id is not None and record.id != withdrawal_id:
                continue
            while record.status in NEXT_STATUS and record.status < to_status:
                self._step(record)

    def tick(self) -> None:
        """Advance every withdrawal whose timer is due (called by the simulator's background task)."""
        now = self.clock()
        for record in list(self.withdrawals.values()):
            if record.status in NEXT_STATUS and record.next_step_at <= now:
                self._step(record)
                record.next_step_at = self._next_step(now)

    def _step(self, record: WithdrawalRecord) -> None:
        record.status = NEXT_STATUS[record.status]
        record.update_time = self.clock()
        if record.status == SUCCESS:
            record.tx_id = "0x" + hashlib.sha256(f"{record.id}:{next(self._tx)}".encode()).hexdigest()
            self.accounts.spend_locked(record.uid, record.coin, record.amount, "WITHDRAW")
            self.accounts.collect_fee(record.coin, record.fee)

    def withdraw_history(self, uid: int, query: HistoryQuery) -> list[dict[str, Any]]:
        """Newest first, filtered by coin/status/time (default last 7 days), at most ``limit``."""
        return [r.to_json() for r in self._filter(uid, query, list(self.withdrawals.values()), "apply_time")]

    def transfer(self, uid: int, params: dict[str, str]) -> TransferRecord:
        """SPOT <-> FUTURES (see :mod:`exchanges_mexc.sim.transfers`)."""
        for name in ("fromAccountType", "toAccountType", "asset", "amount"):
            if not params.get(name):
                raise missing(name)
        asset = params["asset"].upper()
        return self.transfers.transfer(
            uid,
            asset,
            _amount(params["amount"]),
            params["fromAccountType"],
            params["toAccountType"],
            listed=asset in self.coins,
        )

    # -- deposits -------------------------------------------------------------------------------
    def deposit(
        self, account: SimAccount | int, coin: str, amount: str | Decimal, network: str | None = None
    ) -> None:
        """Test hook: credit a completed deposit (status 5 SUCCESS) and record it."""
        uid = account if isinstance(account, int) else account.uid
        spec = self.coins.get(coin.upper()) or self.add_coin(coin)
        net = spec.network(network)
        net_id = net.network if net else coin.upper()
        value = Decimal(str(amount))
        self.accounts.credit(uid, spec.coin, value, "DEPOSIT")
        self.deposits.append(
            DepositRecord(
                uid,
                spec.coin,
                net_id,
                value,
                self.address(uid, spec.coin, net_id),
                "0x" + secrets.token_hex(32),
                5,
                self.clock(),
            )
        )

    def deposit_history(self, uid: int, query: HistoryQuery) -> list[dict[str, Any]]:
        """Newest first, same filters as withdrawals."""
        return [r.to_json() for r in self._filter(uid, query, self.deposits, "insert_time")]

    def _filter(self, uid: int, query: HistoryQuery, records: list[Any], time_attr: str) -> list[Any]:
        end = self.clock() if query.end is None else query.end
        start = end - WEEK_MS if query.start is None else query.start
        coin, status = query.coin.upper(), query.status
        out = [
            r
            for r in records
            if r.uid == uid
            and (not coin or r.coin == coin)
            and (status is None or r.status == status)
            and start <= getattr(r, time_attr) <= end
        ]
        out.sort(key=lambda r: getattr(r, time_attr), reverse=True)
        return out[: query.limit]
