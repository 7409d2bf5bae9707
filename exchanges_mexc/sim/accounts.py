"""Simulated accounts: API keys, free/locked balances in Decimal, listen keys, and balance events.

Every balance change goes through :class:`AccountStore`, which emits a :class:`BalanceChange` per asset so
the private ``spot@private.account.v3.api.pb`` stream can push one asset per message, as MEXC does.
Fees leave user balances into :attr:`AccountStore.fees_collected`, so totals are conserved exactly.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import NamedTuple

import attrs

from exchanges_mexc.sim.errors import SimError

LISTEN_KEY_TTL_MS = 60 * 60 * 1000
MAX_LISTEN_KEYS = 60


@attrs.frozen
class SimAccount:
    """Credentials of one simulated account. ``repr`` hides the secret."""

    api_key: str
    secret_key: str = attrs.field(repr=False)
    uid: int


class BalanceChange(NamedTuple):
    """One asset's balance after a change (the private account push)."""

    uid: int
    asset: str
    free: Decimal
    free_change: Decimal
    locked: Decimal
    locked_change: Decimal
    reason: str  # MEXC type: ENTRUST, ENTRUST_PLACE, ENTRUST_CANCEL, WITHDRAW, DEPOSIT, ...
    time: int


@attrs.define
class Balance:
    """Mutable free/locked pair of one asset."""

    free: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)


class AccountStore:
    """All accounts, keyed by api key (balances by uid). Not thread-safe; used from the event loop only."""

    def __init__(self, clock: Callable[[], int] | None = None) -> None:
        self._clock = clock or (lambda: int(time.time() * 1000))
        self._by_key: dict[str, SimAccount] = {}
        self._balances: dict[int, dict[str, Balance]] = {}
        self._listen_keys: dict[str, tuple[int, int]] = {}  # key -> (uid, expires_at_ms)
        self._next_uid = 10_000_001
        self.fees_collected: dict[str, Decimal] = {}
        self.listeners: list[Callable[[BalanceChange], None]] = []

    # -- accounts -------------------------------------------------------------------------------
    def create(
        self,
        balances: Mapping[str, str | int | Decimal] | None = None,
        *,
        api_key: str | None = None,
        secret_key: str | None = None,
    ) -> SimAccount:
        """New account with starting balances (all free). Keys are random unless given."""
        uid = self._next_uid
        self._next_uid += 1
        account = SimAccount(
            api_key=api_key or "mx0v" + secrets.token_hex(14),
            secret_key=secret_key or secrets.token_hex(16),
            uid=uid,
        )
        if account.api_key in self._by_key:
            raise ValueError("duplicate api key")
        self._by_key[account.api_key] = account
        self._balances[uid] = {
            asset.upper(): Balance(free=Decimal(str(amount))) for asset, amount in (balances or {}).items()
        }
        return account

    def by_key(self, api_key: str) -> SimAccount | None:
        """The account owning ``api_key``, or None."""
        return self._by_key.get(api_key)

    # -- balances -------------------------------------------------------------------------------
    def balances(self, uid: int) -> dict[str, tuple[Decimal, Decimal]]:
        """``{asset: (free, locked)}`` for one account."""
        return {asset: (b.free, b.locked) for asset, b in self._balances[uid].items()}

    def free(self, uid: int, asset: str) -> Decimal:
        """Free amount of ``asset``."""
        bal = self._balances[uid].get(asset)
        return bal.free if bal else Decimal(0)

    def _change(self, uid: int, asset: str, d_free: Decimal, d_locked: Decimal, reason: str) -> None:
        bal = self._balances[uid].setdefault(asset, Balance())
        new_free = bal.free + d_free
        new_locked = bal.locked + d_locked
        if new_free < 0 or new_locked < 0:
            raise SimError(30004, "Insufficient position")
        bal.free, bal.locked = new_free, new_locked
        if not self.listeners or (d_free == 0 and d_locked == 0):
            return
        event = BalanceChange(uid, asset, new_free, d_free, new_locked, d_locked, reason, self._clock())
        for listener in self.listeners:
            listener(event)

    def lock(self, uid: int, asset: str, amount: Decimal, reason: str = "ENTRUST_PLACE") -> None:
        """Move ``amount`` free -> locked; raises SimError 30004 if free is too small."""
        if self.free(uid, asset) < amount:
            raise SimError(30004, "Insufficient position")
        self._change(uid, asset, -amount, amount, reason)

    def unlock(self, uid: int, asset: str, amount: Decimal, reason: str = "ENTRUST_CANCEL") -> None:
        """Move ``amount`` locked -> free."""
        self._change(uid, asset, amount, -amount, reason)

    def spend_locked(self, uid: int, asset: str, amount: Decimal, reason: str = "ENTRUST") -> None:
        """Remove ``amount`` from locked (it went to the counterparty or the network)."""
        self._change(uid, asset, Decimal(0), -amount, reason)

    def credit(self, uid: int, asset: str, amount: Decimal, reason: str = "ENTRUST") -> None:
        """Add ``amount`` to free."""
        self._change(uid, asset, amount, Decimal(0), reason)

    def debit(self, uid: int, asset: str, amount: Decimal, reason: str = "ENTRUST") -> None:
        """Remove ``amount`` from free (raises 30004 when short)."""
        self._change(uid, asset, -amount, Decimal(0), reason)

    def collect_fee(self, asset: str, amount: Decimal) -> None:
        """Book a fee taken from a user into the exchange's fee pot."""
        self.fees_collected[asset] = self.fees_collected.get(asset, Decimal(0)) + amount

    def totals(self) -> dict[str, Decimal]:
        """Sum over all accounts of free + locked, per asset (for conservation checks)."""
        out: dict[str, Decimal] = {}
        for per_asset in self._balances.values():
            for asset, bal in per_asset.items():
                out[asset] = out.get(asset, Decimal(0)) + bal.free + bal.locked
        return out

    # -- listen keys ----------------------------------------------------------------------------
    def new_listen_key(self, uid: int) -> str:
        """Create a listen key valid 60 min (max 60 valid keys per uid)."""
        self._purge_keys()
        if sum(1 for owner, _ in self._listen_keys.values() if owner == uid) >= MAX_LISTEN_KEYS:
            raise SimError(730003, "Unsupported operation")
        key = secrets.token_hex(32)
        self._listen_keys[key] = (uid, self._clock() + LISTEN_KEY_TTL_MS)
        return key

    def keepalive_listen_key(self, uid: int, key: str) -> bool:
        """Extend a key by 60 min; False if it is unknown/expired or not this uid's."""
        entry = self._listen_keys.get(key)
        if entry is None or entry[0] != uid or entry[1] < self._clock():
            return False
        self._listen_keys[key] = (uid, self._clock() + LISTEN_KEY_TTL_MS)
        return True

    def delete_listen_key(self, uid: int, key: str) -> bool:
        """Invalidate a key; False if unknown."""
        entry = self._listen_keys.get(key)
        if entry is None or entry[0] != uid:
            return False
        del self._listen_keys[key]
        return True

    def expire_listen_key(self, key: str) -> None:
        """Test hook: the key stops being valid now."""
        self._listen_keys.pop(key, None)

    def listen_keys_of(self, uid: int) -> list[str]:
        """Valid keys of ``uid``."""
        self._purge_keys()
        return [k for k, (owner, _) in self._listen_keys.items() if owner == uid]

    def listen_key_owner(self, key: str) -> int | None:
        """uid of a valid key, or None."""
        entry = self._listen_keys.get(key)
        if entry is None or entry[1] < self._clock():
            return None
        return entry[0]

    def _purge_keys(self) -> None:
        now = self._clock()
        for key in [k for k, (_, exp) in self._listen_keys.items() if exp < now]:
            del self._listen_keys[key]
