"""Internal transfers between a user's SPOT and FUTURES accounts (``POST /api/v3/capital/transfer``).

The futures side is only a wallet here (no futures trading): what moves in can move back. Refusals use
MEXC's codes: 10103 "this account transfer is not supported" for an unknown or identical account pair,
10100 "this currency transfer is not supported" for an unlisted asset, 10101 for too little balance.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from decimal import Decimal

import attrs

from exchanges_mexc.sim.accounts import AccountStore
from exchanges_mexc.sim.errors import SimError

ACCOUNT_TYPES = frozenset({"SPOT", "FUTURES"})


@attrs.frozen
class TransferRecord:
    """One completed transfer."""

    tran_id: str
    uid: int
    asset: str
    amount: Decimal
    from_account: str
    to_account: str
    time: int


class Transfers:
    """Futures wallets of every account plus the transfer log."""

    def __init__(self, accounts: AccountStore, clock: Callable[[], int]) -> None:
        self.accounts = accounts
        self.clock = clock
        self.futures: dict[tuple[int, str], Decimal] = {}
        self.records: list[TransferRecord] = []

    def futures_balance(self, uid: int, asset: str) -> Decimal:
        """Free balance of ``asset`` in the futures wallet of ``uid``."""
        return self.futures.get((uid, asset.upper()), Decimal(0))

    def transfer(
        self, uid: int, asset: str, amount: Decimal, from_account: str, to_account: str, listed: bool
    ) -> TransferRecord:
        """Move ``amount`` between SPOT and FUTURES (all-or-nothing)."""
        src, dst = from_account.upper(), to_account.upper()
        if src not in ACCOUNT_TYPES or dst not in ACCOUNT_TYPES or src == dst:
            raise SimError(10103, "this account transfer is not supported")
        if not listed:
            raise SimError(10100, "this currency transfer is not supported")
        coin = asset.upper()
        key = (uid, coin)
        if src == "SPOT":
            if self.accounts.free(uid, coin) < amount:
                raise SimError(10101, "Insufficient balance")
            self.accounts.debit(uid, coin, amount, "TRANSFER_OUT")
            self.futures[key] = self.futures_balance(uid, coin) + amount
        else:
            if self.futures_balance(uid, coin) < amount:
                raise SimError(10101, "Insufficient balance")
            self.futures[key] = self.futures_balance(uid, coin) - amount
            self.accounts.credit(uid, coin, amount, "TRANSFER_IN")
        record = TransferRecord(secrets.token_hex(16), uid, coin, amount, src, dst, self.clock())
        self.records.append(record)
        return record
