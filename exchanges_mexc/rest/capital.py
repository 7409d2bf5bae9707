"""MEXC wallet endpoints (API.md §5): withdrawals, deposits, deposit addresses, coin/network config.

The seed spec's ``/wapi/v3/...`` paths never existed on MEXC v3; these are the current ones
(``POST /api/v3/capital/withdraw`` with ``netWork``). A withdrawal moves money, so it is treated like an
order: it always carries a ``withdrawOrderId`` (the request's ``client_id`` or a generated one), and a lost
answer is looked up in the withdrawal history by that id instead of being sent again.

The configured ``withdrawal_allowlist`` is enforced here, on the one path every withdrawal takes (the
composite's checked ``withdraw`` and this client's own): an address it does not name is refused with
``WithdrawalRefused`` (rule ``address_not_allowed``) before anything is sent; so is a memo or network
the matching entry does not pin (see ``exchanges.config.AllowedDestination``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection

import attrs

from exchanges.config import WithdrawalAllowlist
from exchanges.errors import (
    ExchangeAPIError,
    ExchangeConnectionError,
    ExchangeError,
    ExchangeServerError,
    OrderOutcomeUnknown,
    ProtocolError,
    WithdrawalRefused,
)
from exchanges.models import (
    AssetName,
    Deposit,
    DepositAddress,
    NetworkInfo,
    Withdrawal,
    WithdrawalRequest,
    WithdrawalStatus,
)
from exchanges.transport.rest import plain_decimal
from exchanges_mexc import constants as c
from exchanges_mexc.parsing.capital import (
    parse_cancel_withdrawal,
    parse_coin_config,
    parse_deposit_addresses,
    parse_deposits,
    parse_transfer_id,
    parse_withdraw_response,
    parse_withdrawals,
)
from exchanges_mexc.rest.params import window_params
from exchanges_mexc.rest.signed import MexcSignedClient

logger = logging.getLogger("exchanges.mexc.rest.capital")

RECONCILE_LOOKUPS = 4
"""History lookups for a withdrawal whose answer was lost or unusable (pauses 0.25, 0.5, 1 s between)."""
RECONCILE_FIRST_PAUSE = 0.25

_UNKNOWN_CANCEL = (OrderOutcomeUnknown, ProtocolError, ExchangeConnectionError, ExchangeServerError)
"""Failures after which a withdrawal cancel may or may not have happened (the request may have arrived)."""


def _history_params(
    asset: str | None, status: int | None, start_time: int | None, end_time: int | None, limit: int
) -> list[tuple[str, str]]:
    params = window_params(start_time, end_time, limit, 1000)
    if asset is not None:
        params.append(("coin", str(asset).upper()))
    if status is not None:
        params.append(("status", str(status)))
    return params


def refuse_unlisted_address(
    allowlist: WithdrawalAllowlist | None,
    asset: str,
    address: str,
    *,
    memo: str | None = None,
    networks: Collection[str] = (),
) -> None:
    """Raise WithdrawalRefused (``address_not_allowed``) when an allowlist is set and no entry matches
    ``address`` for ``asset`` with this ``memo`` on a network named any of ``networks`` (an entry
    without a memo refuses a withdrawal that carries one); nothing when there is no allowlist."""
    if allowlist is None:
        return
    reason = allowlist.refusal(asset, address, memo=memo, networks=networks)
    if reason is not None:
        raise WithdrawalRefused(reason, rule="address_not_allowed", exchange=c.EXCHANGE_NAME)


class MexcCapitalRest:
    """Wallet calls over a :class:`~exchanges_mexc.rest.signed.MexcSignedClient`."""

    def __init__(self, signed: MexcSignedClient) -> None:
        self.signed = signed

    async def withdraw(
        self, request: WithdrawalRequest, *, network_names: Collection[str] = ()
    ) -> Withdrawal:
        """Submit a withdrawal (``netWork`` = ``request.network``, see :meth:`get_coin_config`).

        A destination the configured allowlist does not match (address, memo, network) is refused
        before anything is sent. ``network_names``: other names of ``request.network`` that an
        allowlist entry's pinned network may use (the composite passes the coin config's names)."""
        names = [request.network, *network_names] if request.network else []
        refuse_unlisted_address(
            self.signed.config.withdrawal_allowlist,
            request.asset,
            request.address,
            memo=request.memo,
            networks=names,
        )
        client_id = request.client_id or "wd" + uuid.uuid4().hex[:30]
        request = attrs.evolve(request, client_id=client_id)
        params: list[tuple[str, str]] = [
            ("coin", request.asset),
            ("address", request.address),
            ("amount", plain_decimal(request.amount)),
        ]
        for name, value in (("netWork", request.network), ("memo", request.memo), ("remark", request.remark)):
            if value:
                params.append((name, value))
        params.append(("withdrawOrderId", client_id))
        described = (
            f"{plain_decimal(request.amount)} {request.asset} network={request.network} id={client_id}"
        )
        try:
            data = await self.signed.request(
                c.WITHDRAW,
                params,
                timeout=self.signed.config.order_timeout,
                context={"client_order_id": client_id},
                raw=True,
            )
            withdrawal = parse_withdraw_response(data, request, self.signed.clock.now_ms())
        except OrderOutcomeUnknown as unknown:
            return await self._reconcile(request.asset, client_id, described, unknown)
        except ProtocolError as unusable:  # a 2xx answer that is not a withdrawal: money may have moved
            return await self._reconcile(request.asset, client_id, described, unusable)
        except ExchangeAPIError as error:
            logger.error("MEXC withdrawal failed: %s: %s", described, error)
            raise
        logger.info("MEXC withdrawal submitted: %s -> %s", described, withdrawal.withdrawal_id)
        return withdrawal

    async def _reconcile(
        self, asset: str, client_id: str, described: str, cause: ExchangeError
    ) -> Withdrawal:
        """The withdrawal whose answer was lost or unusable, found in the history by its
        ``withdrawOrderId``; never sent again. Not found after a few lookups: OrderOutcomeUnknown."""
        delay = RECONCILE_FIRST_PAUSE
        for attempt in range(RECONCILE_LOOKUPS):
            found = await self._find_by_client_id(asset, client_id)
            if found is not None:
                logger.info("MEXC withdrawal reconciled: %s -> %s", described, found.withdrawal_id)
                return found
            if attempt + 1 < RECONCILE_LOOKUPS:
                await asyncio.sleep(delay)
                delay *= 2
        logger.error("MEXC withdrawal %s: outcome unknown and not in the history yet", described)
        if isinstance(cause, OrderOutcomeUnknown):
            raise cause
        raise OrderOutcomeUnknown(
            f"withdrawal {client_id}: the answer was unusable ({cause.message}) and the withdrawal is not "
            "in the history yet; look it up by withdrawOrderId before withdrawing again",
            client_order_id=client_id,
            cause=cause,
            exchange=c.EXCHANGE_NAME,
        ) from cause

    async def _find_by_client_id(self, asset: str, client_id: str) -> Withdrawal | None:
        """The withdrawal with ``withdrawOrderId`` = ``client_id``; None when absent or the lookup failed
        (a failed lookup proves nothing)."""
        try:
            history = await self.get_withdrawal_history(asset)
        except ExchangeError:
            return None
        return next((w for w in history if w.client_id == client_id), None)

    async def cancel_withdrawal(self, withdrawal_id: str) -> str:
        """Cancel a pending withdrawal; returns its id.

        Canceling one id twice has no further effect, so the transport may repeat the request after a
        connection failure. Whatever goes wrong (a lost or unusable answer, a 5xx, or a refusal that a
        repeat got because the first attempt had already canceled it), the withdrawal is then looked
        up: CANCELED returns its id. Otherwise a refusal is raised as MEXC sent it, and an answer that
        proves nothing raises OrderOutcomeUnknown naming the status MEXC shows; nothing is re-sent.
        """
        try:
            data = await self.signed.request(
                c.WITHDRAW_CANCEL,
                [("id", withdrawal_id)],
                idempotent=True,
                timeout=self.signed.config.order_timeout,
                raw=True,
            )
            canceled = parse_cancel_withdrawal(data)
        except ExchangeError as error:
            return await self._confirm_canceled(withdrawal_id, error)
        logger.info("MEXC withdrawal canceled: %s", canceled)
        return canceled

    async def _confirm_canceled(self, withdrawal_id: str, error: ExchangeError) -> str:
        """After a failed cancel: the id when MEXC shows the withdrawal CANCELED, else the typed error."""
        found: Withdrawal | None = None
        try:
            found = next(
                (w for w in await self.get_withdrawal_history() if w.withdrawal_id == withdrawal_id), None
            )
        except ExchangeError as lookup:
            logger.warning("MEXC withdrawal %s: cancel lookup failed: %s", withdrawal_id, lookup)
        if found is not None and found.status is WithdrawalStatus.CANCELED:
            logger.info(
                "MEXC withdrawal cancel reconciled: %s is CANCELED (%s)", withdrawal_id, error.message
            )
            return withdrawal_id
        if not isinstance(error, _UNKNOWN_CANCEL):
            raise error  # MEXC refused it (e.g. already processing): its answer is the outcome
        shown = f"MEXC shows it {found.status.value}" if found is not None else "it is not in the history"
        logger.error(
            "MEXC withdrawal %s: cancel outcome unknown (%s); %s", withdrawal_id, error.message, shown
        )
        raise OrderOutcomeUnknown(
            f"cancel of withdrawal {withdrawal_id}: {error.message}; {shown}, so it is not canceled as far "
            "as MEXC says now. Nothing was sent again: check get_withdrawal_status before canceling again",
            cause=error,
            exchange=c.EXCHANGE_NAME,
        ) from error

    async def get_withdrawal_history(
        self,
        asset: str | None = None,
        status: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 1000,
    ) -> list[Withdrawal]:
        """Withdrawals (MEXC default: last 7 days; windows of at most 7 days, 90 days back)."""
        params = _history_params(asset, status, start_time, end_time, limit)
        return parse_withdrawals(await self.signed.request(c.WITHDRAW_HISTORY, params, raw=True))

    async def get_withdrawal(self, withdrawal_id: str) -> Withdrawal:
        """One withdrawal's current status, looked up in the recent history."""
        for withdrawal in await self.get_withdrawal_history():
            if withdrawal.withdrawal_id == withdrawal_id:
                return withdrawal
        raise ExchangeAPIError(
            f"withdrawal {withdrawal_id} is not in the MEXC withdrawal history of the last 7 days",
            exchange=c.EXCHANGE_NAME,
        )

    async def get_deposit_history(
        self,
        asset: str | None = None,
        status: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 1000,
    ) -> list[Deposit]:
        """Deposits (same window rules as withdrawals)."""
        params = _history_params(asset, status, start_time, end_time, limit)
        return parse_deposits(await self.signed.request(c.DEPOSIT_HISTORY, params, raw=True))

    async def get_deposit_addresses(
        self, asset: AssetName | str, network: str | None = None
    ) -> list[DepositAddress]:
        """Every deposit address of ``asset`` (on ``network`` when given)."""
        params = [("coin", str(asset).upper())]
        if network:
            params.append(("network", network))
        return parse_deposit_addresses(await self.signed.request(c.DEPOSIT_ADDRESS, params, raw=True))

    async def get_deposit_address(self, asset: AssetName | str, network: str | None = None) -> DepositAddress:
        """The deposit address of ``asset`` on ``network`` (the first one when no network is given)."""
        addresses = await self.get_deposit_addresses(asset, network)
        if network:
            wanted = network.upper()
            matching = [a for a in addresses if a.network and a.network.upper() == wanted]
            addresses = matching or addresses
        if not addresses:
            raise ExchangeAPIError(
                f"MEXC has no deposit address for {str(asset).upper()}"
                + (f" on {network}" if network else "")
                + " (create one in the MEXC app or with POST /api/v3/capital/deposit/address)",
                exchange=c.EXCHANGE_NAME,
            )
        return addresses[0]

    async def get_coin_config(self) -> list[NetworkInfo]:
        """Every network of every asset with its deposit/withdraw rules (``network`` = the ``netWork`` id)."""
        return parse_coin_config(await self.signed.request(c.COIN_CONFIG, raw=True))

    async def transfer(self, asset: str, amount: str, from_account: str, to_account: str) -> str:
        """Move ``amount`` of ``asset`` between the user's SPOT and FUTURES accounts; returns ``tranId``.

        A lost or unusable answer raises OrderOutcomeUnknown (never re-sent): MEXC takes no client id
        for a transfer, so only its history can tell whether it happened."""
        params = [
            ("fromAccountType", from_account),
            ("toAccountType", to_account),
            ("asset", asset.upper()),
            ("amount", amount),
        ]
        data = await self.signed.request(
            c.TRANSFER, params, timeout=self.signed.config.order_timeout, raw=True
        )
        try:
            tran_id = parse_transfer_id(data)
        except ProtocolError as unusable:  # the transfer may have happened; MEXC gives it no client id
            raise OrderOutcomeUnknown(
                f"transfer of {amount} {asset} {from_account} -> {to_account}: the answer was unusable "
                f"({unusable.message}); check the transfer history before transferring again",
                cause=unusable,
                exchange=c.EXCHANGE_NAME,
            ) from unusable
        logger.info("MEXC transfer %s %s %s -> %s: %s", amount, asset, from_account, to_account, tran_id)
        return tran_id
