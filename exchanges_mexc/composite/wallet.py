"""Deposits, withdrawal networks, safe withdrawals and SPOT <-> FUTURES transfers for the MEXC composite.

**Networks.** A network may be named by MEXC's id (``netWork``, e.g. ``TRX``), by MEXC's display name
(``Tron(TRC20)``) or by a common name (``TRC20``, ``ERC20``, ``BEP20``...): :func:`resolve_network` finds
exactly one network of the asset in the coin configuration (``/api/v3/capital/config/getall``, cached
``COIN_CONFIG_TTL`` seconds) or raises :class:`~exchanges.errors.WithdrawalRefused`.

**Safe withdrawals.** :meth:`MexcWallet.plan_withdrawal` runs every pre-send check (network known and
withdrawals enabled, memo present where the network needs one, min/max, amount above the fee, amount a
multiple of the network's step, destination in the optional allowlist) and returns the
:class:`~exchanges.models.WithdrawalPlan` that would be sent. Each refusal is a ``WithdrawalRefused``
naming the rule and the numbers; no withdraw request is sent. The allowlist is the core setting
``config.withdrawal_allowlist`` (:class:`~exchanges.config.WithdrawalAllowlist`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation, localcontext

import attrs

from exchanges.config import WithdrawalAllowlist
from exchanges.errors import InvalidOrder, WithdrawalRefused
from exchanges.models import (
    AccountType,
    Amount,
    AssetName,
    Deposit,
    DepositAddress,
    NetworkInfo,
    Transfer,
    Withdrawal,
    WithdrawalPlan,
    WithdrawalRequest,
    to_amount,
)
from exchanges.transport.rest import plain_decimal
from exchanges_mexc.constants import EXCHANGE_NAME
from exchanges_mexc.rest.capital import refuse_unlisted_address
from exchanges_mexc.rest.private import MexcPrivateSpotRest

logger = logging.getLogger("exchanges.mexc.exchange.wallet")

COIN_CONFIG_TTL = 60.0
"""Seconds the coin configuration is reused before it is fetched again."""

COMMON_NETWORK_NAMES: Mapping[str, tuple[str, ...]] = {
    "TRC20": ("TRX", "TRC20"),
    "ERC20": ("ETH", "ERC20"),
    "BEP20": ("BSC", "BEP20"),
    "BSC": ("BSC", "BEP20"),
    "POLYGON": ("MATIC", "POLYGON"),
    "ARBITRUM": ("ARB", "ARBITRUM"),
    "SOLANA": ("SOL",),
    "OPTIMISM": ("OP", "OPTIMISM"),
}
"""Common network names -> MEXC ids or bracketed name tokens (``Tron(TRC20)``) they stand for."""

SUPPORTED_TRANSFERS = frozenset(
    {(AccountType.SPOT, AccountType.FUTURES), (AccountType.FUTURES, AccountType.SPOT)}
)


def _refuse(rule: str, message: str) -> WithdrawalRefused:
    return WithdrawalRefused(message, rule=rule, exchange=EXCHANGE_NAME)


def _name_token(name: str) -> str:
    """``"Tron(TRC20)"`` -> ``"TRC20"``; a name without brackets -> itself, upper case."""
    if "(" in name and name.endswith(")"):
        return name[name.rindex("(") + 1 : -1].upper()
    return name.upper()


def resolve_network(asset: str, networks: Sequence[NetworkInfo], wanted: str | None) -> NetworkInfo:
    """The one network of ``asset`` that ``wanted`` names (id, display name or common name)."""
    names = ", ".join(f"{n.network} ({n.name})" for n in networks) or "none"
    if not networks:
        raise _refuse("unknown_network", f"MEXC lists no withdrawal network for {asset}")
    if wanted is None or not wanted.strip():
        if len(networks) == 1:
            return networks[0]
        raise _refuse("network_required", f"{asset} moves on several networks; pick one of: {names}")
    key = wanted.strip().upper()
    for rule in (
        lambda n: n.network.upper() == key,
        lambda n: n.name.upper() == key,
        lambda n: _name_token(n.name) == key,
        lambda n: (
            n.network.upper() in COMMON_NETWORK_NAMES.get(key, ())
            or _name_token(n.name) in COMMON_NETWORK_NAMES.get(key, ())
        ),
    ):
        found = [n for n in networks if rule(n)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            options = ", ".join(n.network for n in found)
            raise _refuse(
                "ambiguous_network", f"network {wanted!r} matches several {asset} networks: {options}"
            )
    raise _refuse("unknown_network", f"{asset} has no network {wanted!r}; MEXC lists: {names}")


MULTIPLE_CHECK_DIGITS = 100
"""Significant digits the multiple check works with; an amount needing more is refused as unchecked."""


def _is_multiple(amount: Decimal, step: Decimal) -> bool:
    """``amount`` is an exact multiple of ``step`` (exact Decimal arithmetic, never rounded).

    The default context (28 digits) cannot divide ``1e30`` by ``0.000001`` and raises; an amount that
    even ``MULTIPLE_CHECK_DIGITS`` digits cannot check is reported as not a multiple (refused, not sent).
    """
    with localcontext() as context:
        context.prec = MULTIPLE_CHECK_DIGITS
        try:
            return amount % step == 0
        except InvalidOperation:
            return False


def network_names(network_id: str, display_name: str, asked: str | None) -> list[str]:
    """Every name of one resolved network (MEXC id, display name, its bracketed token, the name the
    request asked for, which resolved to it): an allowlist entry's pinned network may use any of them."""
    return sorted({n for n in (network_id, display_name, _name_token(display_name), asked) if n})


def check_withdrawal(
    request: WithdrawalRequest, net: NetworkInfo, allowlist: WithdrawalAllowlist | None
) -> WithdrawalPlan:
    """Every pre-send rule for ``request`` on ``net``; the plan when all pass, else WithdrawalRefused."""
    asset, amount = request.asset, request.amount
    where = f"{asset} on {net.network}"
    if not net.withdraw_enabled:
        raise _refuse("withdraw_disabled", f"withdrawals of {where} are disabled by MEXC now")
    if net.memo_required and not (request.memo and request.memo.strip()):
        raise _refuse("memo_required", f"{where} needs a memo/tag for the destination (memo=...)")
    if amount < net.withdraw_min:
        raise _refuse(
            "below_minimum",
            f"{plain_decimal(amount)} {where} is below the minimum {plain_decimal(net.withdraw_min)}",
        )
    if net.withdraw_max is not None and net.withdraw_max > 0 and amount > net.withdraw_max:
        raise _refuse(
            "above_maximum",
            f"{plain_decimal(amount)} {where} is above the maximum {plain_decimal(net.withdraw_max)}",
        )
    if amount <= net.withdraw_fee:
        raise _refuse(
            "not_above_fee",
            f"{plain_decimal(amount)} {where} does not exceed the fee {plain_decimal(net.withdraw_fee)}",
        )
    step = net.withdraw_multiple
    if step is not None and step > 0 and not _is_multiple(amount, step):
        raise _refuse(
            "amount_multiple", f"{plain_decimal(amount)} {where} is not a multiple of {plain_decimal(step)}"
        )
    refuse_unlisted_address(
        allowlist,
        asset,
        request.address,
        memo=request.memo,
        networks=network_names(net.network, net.name, request.network),
    )
    params: list[tuple[str, str]] = [
        ("coin", asset),
        ("address", request.address),
        ("amount", plain_decimal(amount)),
        ("netWork", net.network),
    ]
    if request.memo:
        params.append(("memo", request.memo))
    if request.remark:
        params.append(("remark", request.remark))
    return WithdrawalPlan(
        asset=asset,
        network=net.network,
        network_name=net.name,
        address=request.address,
        amount=amount,
        fee=net.withdraw_fee,
        receive_amount=amount - net.withdraw_fee,
        memo=request.memo,
        params=tuple(params),
    )


class MexcWallet:
    """The wallet half of the private composite (one owner: the composite that creates it)."""

    def __init__(self, rest: MexcPrivateSpotRest) -> None:
        self.rest = rest
        self._networks: dict[AssetName, list[NetworkInfo]] | None = None
        self._networks_at = 0.0

    async def networks(self, *, force: bool = False) -> dict[AssetName, list[NetworkInfo]]:
        """Every asset's networks (cached ``COIN_CONFIG_TTL`` seconds)."""
        if force or self._networks is None or time.monotonic() - self._networks_at >= COIN_CONFIG_TTL:
            by_asset: dict[AssetName, list[NetworkInfo]] = {}
            for info in await self.rest.get_coin_config():
                by_asset.setdefault(info.asset, []).append(info)
            self._networks, self._networks_at = by_asset, time.monotonic()
        return self._networks

    async def get_withdrawal_networks(self, asset: AssetName | str) -> list[NetworkInfo]:
        name = AssetName(str(asset).strip().upper())
        return list((await self.networks()).get(name, ()))

    async def plan_withdrawal(self, request: WithdrawalRequest) -> WithdrawalPlan:
        """Resolve the network and run every pre-send check (fresh coin config: rules change)."""
        networks = (await self.networks(force=True)).get(request.asset, [])
        net = resolve_network(request.asset, networks, request.network)
        return check_withdrawal(request, net, self.rest.config.withdrawal_allowlist)

    async def withdraw(self, request: WithdrawalRequest) -> Withdrawal:
        """Plan (every check), then send with MEXC's network id; refusals are logged at ERROR."""
        try:
            plan = await self.plan_withdrawal(request)
        except WithdrawalRefused as refused:
            logger.error("MEXC withdrawal refused before sending (%s): %s", refused.rule, refused)
            raise
        return await self.rest.withdraw(
            attrs.evolve(request, network=plan.network),
            network_names=network_names(plan.network, plan.network_name, request.network),
        )

    async def get_deposit_address(self, asset: AssetName | str, network: str | None = None) -> DepositAddress:
        """The deposit address of ``asset``; ``network`` may be an id or a common name (TRC20...)."""
        name = AssetName(str(asset).strip().upper())
        network_id = None
        if network is not None:
            network_id = resolve_network(name, await self.get_withdrawal_networks(name), network).network
        return await self.rest.get_deposit_address(name, network_id)

    async def get_deposit_history(
        self, asset: AssetName | str | None = None, start_time: int | None = None, end_time: int | None = None
    ) -> list[Deposit]:
        return await self.rest.get_deposit_history(
            None if asset is None else str(asset).upper(), None, start_time, end_time
        )

    async def transfer(
        self, asset: AssetName | str, amount: Amount, from_account: AccountType, to_account: AccountType
    ) -> Transfer:
        """SPOT <-> FUTURES; any other pair, or an amount that is not a finite positive number, is
        refused before sending (accounts may also be given as ``"SPOT"`` / ``"FUTURES"``)."""
        source, target = _account(from_account), _account(to_account)
        if (source, target) not in SUPPORTED_TRANSFERS:
            raise InvalidOrder(
                f"MEXC transfers only SPOT <-> FUTURES, not {source.value} -> {target.value}",
                exchange=EXCHANGE_NAME,
            )
        value = to_amount(amount, "transfer amount")
        name = AssetName(str(asset).strip().upper())
        tran_id = await self.rest.capital.transfer(name, plain_decimal(value), source.value, target.value)
        return Transfer(tran_id, name, value, source, target, self.rest.signed.clock.now_ms())


def _account(value: AccountType | str) -> AccountType:
    """``AccountType.SPOT`` or its name (``"spot"``); anything else is refused as InvalidOrder."""
    if isinstance(value, AccountType):
        return value
    try:
        return AccountType(str(value).strip().upper())
    except ValueError:
        names = ", ".join(a.value for a in AccountType)
        raise InvalidOrder(f"unknown account {value!r}: one of {names}", exchange=EXCHANGE_NAME) from None
