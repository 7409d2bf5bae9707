"""Account records (``Decimal``, attrs frozen): balances, fees, withdrawals, deposits, networks
and internal transfers."""

from __future__ import annotations

from decimal import Decimal

import attrs

from exchanges._models.enums import AccountType, DepositStatus, WithdrawalStatus
from exchanges._models.symbol import AssetName, Symbol


@attrs.frozen(slots=True)
class AssetBalance:
    asset: AssetName
    free: Decimal
    locked: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@attrs.frozen(slots=True)
class TradeFee:
    """The account's commission rates for one symbol, as fractions (0.001 = 0.1 %)."""

    symbol: Symbol
    maker: Decimal
    taker: Decimal


@attrs.frozen(slots=True)
class BalanceUpdate:
    """A pushed balance change: the new balance plus what changed and why (exchange's reason text)."""

    balance: AssetBalance
    free_change: Decimal
    locked_change: Decimal
    reason: str
    timestamp: int


@attrs.frozen(slots=True)
class WithdrawalRequest:
    """What a user asks to withdraw. ``network`` is the exchange's network id (MEXC ``netWork``)."""

    asset: AssetName
    amount: Decimal = attrs.field(converter=Decimal)
    address: str
    network: str | None = None
    memo: str | None = None
    client_id: str | None = None
    remark: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount <= 0:
            raise ValueError(f"withdrawal amount must be positive, got {self.amount}")
        if not self.address:
            raise ValueError("withdrawal address must not be empty")


@attrs.frozen(slots=True)
class Withdrawal:
    withdrawal_id: str
    asset: AssetName
    amount: Decimal
    address: str
    status: WithdrawalStatus
    raw_status: str = ""
    network: str | None = None
    fee: Decimal | None = None
    tx_id: str | None = None
    memo: str | None = None
    client_id: str | None = None
    timestamp: int = 0


@attrs.frozen(slots=True)
class Deposit:
    asset: AssetName
    amount: Decimal
    status: DepositStatus
    raw_status: str = ""
    network: str | None = None
    address: str | None = None
    tx_id: str | None = None
    memo: str | None = None
    timestamp: int = 0


@attrs.frozen(slots=True)
class DepositAddress:
    asset: AssetName
    address: str
    network: str | None = None
    memo: str | None = None


@attrs.frozen(slots=True)
class NetworkInfo:
    """One network an asset can move on, with its withdrawal rules."""

    asset: AssetName
    network: str
    name: str
    deposit_enabled: bool
    withdraw_enabled: bool
    withdraw_fee: Decimal
    withdraw_min: Decimal
    withdraw_max: Decimal | None = None
    min_confirmations: int = 0
    withdraw_multiple: Decimal | None = None
    """Withdrawal amounts must be a multiple of this (None or 0: no rule beyond the asset's precision)."""
    memo_required: bool = False
    """The destination needs a memo/tag (shared deposit address, e.g. XRP, EOS, TON)."""
    contract: str | None = None
    """The token contract on this network, when the exchange says."""


@attrs.frozen(slots=True)
class Transfer:
    """A completed internal transfer between two of the user's own accounts."""

    transfer_id: str
    asset: AssetName
    amount: Decimal
    from_account: AccountType
    to_account: AccountType
    timestamp: int = 0


@attrs.frozen(slots=True)
class WithdrawalPlan:
    """What a withdrawal would send after every pre-send check passed (``dry_run=True`` returns it).

    ``network`` is the exchange's id the request is sent with; ``receive_amount`` is ``amount - fee``.
    ``params`` are the exact request parameters (without signature, timestamp or client id).
    """

    asset: AssetName
    network: str
    network_name: str
    address: str
    amount: Decimal
    fee: Decimal
    receive_amount: Decimal
    memo: str | None = None
    params: tuple[tuple[str, str], ...] = ()
