"""Signed wallet endpoints (API.md §5): coin config, withdraw (apply/cancel/history), deposits, addresses."""

from __future__ import annotations

from typing import Any

from exchanges_mexc.sim.capital import HistoryQuery
from exchanges_mexc.sim.errors import SimError
from exchanges_mexc.sim.http import ROUTER, Ctx

route = ROUTER.route


@route("GET", "/api/v3/capital/config/getall", signed=True)
async def config_getall(ctx: Ctx) -> Any:
    """Every coin with its networks."""
    return [coin.to_json() for coin in ctx.sim.capital.coins.values()]


@route("POST", "/api/v3/capital/withdraw", signed=True)
async def withdraw(ctx: Ctx) -> Any:
    """Apply for a withdrawal (``netWork`` param); ``{"id": ...}``."""
    record = ctx.sim.capital.withdraw(ctx.uid, ctx.params)
    return {"id": record.id}


@route("POST", "/api/v3/capital/withdraw/apply", signed=True)
async def withdraw_apply(ctx: Ctx) -> Any:
    """The older endpoint (``network`` param); ``[{"id": ...}]``."""
    record = ctx.sim.capital.withdraw(ctx.uid, ctx.params)
    return [{"id": record.id}]


@route("DELETE", "/api/v3/capital/withdraw", signed=True)
async def cancel_withdraw(ctx: Ctx) -> Any:
    """Cancel a withdrawal still in APPLY/AUDITING/WAIT."""
    record = ctx.sim.capital.cancel_withdrawal(ctx.uid, ctx.require("id"))
    return {"id": record.id}


@route("GET", "/api/v3/capital/withdraw/history", signed=True)
async def withdraw_history(ctx: Ctx) -> Any:
    """Withdrawals, newest first."""
    return ctx.sim.capital.withdraw_history(ctx.uid, _history_query(ctx))


@route("GET", "/api/v3/capital/deposit/hisrec", signed=True)
async def deposit_history(ctx: Ctx) -> Any:
    """Deposits, newest first."""
    return ctx.sim.capital.deposit_history(ctx.uid, _history_query(ctx))


def _addresses(ctx: Ctx, network: str | None) -> list[dict[str, Any]]:
    coin = ctx.sim.capital.coin(ctx.require("coin"))
    nets = [n for n in coin.networks if network in (None, "", n.network, n.name)]
    if not nets:
        raise SimError(730002, "Your input param is invalid")
    return [
        {
            "coin": coin.coin,
            "network": n.network,
            "address": ctx.sim.capital.address(ctx.uid, coin.coin, n.network),
            "memo": None,
        }
        for n in nets
    ]


@route("GET", "/api/v3/capital/deposit/address", signed=True)
async def deposit_address(ctx: Ctx) -> Any:
    """Deposit addresses of a coin (optionally one network)."""
    return _addresses(ctx, ctx.params.get("network"))


@route("POST", "/api/v3/capital/deposit/address", signed=True)
async def new_deposit_address(ctx: Ctx) -> Any:
    """Generate (here: return the deterministic) address of one network."""
    return _addresses(ctx, ctx.require("network"))


@route("POST", "/api/v3/capital/transfer", signed=True)
async def transfer(ctx: Ctx) -> Any:
    """Move an asset between the caller's SPOT and FUTURES accounts; ``[{"tranId": ...}]``."""
    record = ctx.sim.capital.transfer(ctx.uid, ctx.params)
    return [{"tranId": record.tran_id}]


def _history_query(ctx: Ctx) -> HistoryQuery:
    """coin/status/startTime/endTime/limit (33333 for a non-integer; limit capped at 1000)."""
    start, end = ctx.int_param("startTime", None), ctx.int_param("endTime", None)
    limit, status = ctx.int_param("limit", None, None, 1000), ctx.int_param("status", None)
    coin = ctx.params.get("coin", "")
    return HistoryQuery(coin, status, start, end, 1000 if limit is None else limit)
