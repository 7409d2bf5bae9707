"""Safe order placement: one order is sent once, and a lost answer is reconciled, never re-sent.

Every order carries a ``newClientOrderId`` (the caller's or a generated one). When the answer to
``POST /api/v3/order`` is lost (timeout, dropped connection, 5xx: the transport raises
:class:`~exchanges.errors.OrderOutcomeUnknown`), we look the order up with
``GET /api/v3/order?origClientOrderId=...`` with backoff, for a bounded time:

* found -> the real order is returned (logged at INFO as "reconciled");
* MEXC says "unknown order" (-2011) for a lookup started after the **settle point** -> the order was
  not placed: :class:`~exchanges.errors.OrderNotPlaced` (the caller may place again, ideally with
  a new client id). The settle point is ``send time + recvWindow + settle_delay``: MEXC refuses a
  request that reaches it later than ``timestamp + recvWindow``, so a lost request cannot be accepted
  after it;
* lookups keep failing until the window ends -> OrderOutcomeUnknown carrying the client order id.

The only re-send is after a 429/418 (the gateway refused the request before processing it; the rate
limiter makes the re-send wait for ``Retry-After``), bounded by ``max_rate_limit_retries``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from exchanges.config import ExchangeConfig
from exchanges.errors import (
    ExchangeError,
    ExchangeServerError,
    OrderNotFound,
    OrderNotPlaced,
    OrderOutcomeUnknown,
    RateLimitError,
)
from exchanges.models import Order
from exchanges.transport.rest import plain_decimal
from exchanges_mexc.constants import EXCHANGE_NAME
from exchanges_mexc.rest.preflight import PreparedOrder

logger = logging.getLogger("exchanges.mexc.rest.placement")


@attrs.frozen(slots=True)
class ReconcilePolicy:
    """Timing of reconciliation, in seconds. ``from_config`` reads ``config.extra`` overrides:
    ``reconcile_settle_delay``, ``reconcile_window``, ``reconcile_backoff``."""

    recv_window: float = 5.0
    settle_delay: float = 1.0
    window: float = 20.0
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    max_rate_limit_retries: int = 2

    @classmethod
    def from_config(cls, config: ExchangeConfig) -> ReconcilePolicy:
        extra: dict[str, Any] = dict(config.extra)
        recv = config.recv_window_ms / 1000.0
        settle = float(extra.get("reconcile_settle_delay", 1.0))
        return cls(
            recv_window=recv,
            settle_delay=settle,
            window=float(extra.get("reconcile_window", recv + settle + 15.0)),
            initial_backoff=float(extra.get("reconcile_backoff", 0.1)),
            max_rate_limit_retries=max(config.max_retries, 0),
        )


def describe(prepared: PreparedOrder) -> str:
    """``BTC/USDT BUY LIMIT qty=0.001 price=50000 cid=ex..``: public facts only, for logs."""
    parts = [str(prepared.symbol), prepared.side.value, prepared.order_type.value]
    if prepared.quantity is not None:
        parts.append(f"qty={plain_decimal(prepared.quantity)}")
    if prepared.quote_quantity is not None:
        parts.append(f"quote_qty={plain_decimal(prepared.quote_quantity)}")
    if prepared.price is not None:
        parts.append(f"price={plain_decimal(prepared.price)}")
    parts.append(f"cid={prepared.client_order_id}")
    return " ".join(parts)


async def place_safely(
    prepared: PreparedOrder,
    send: Callable[[], Awaitable[Order]],
    lookup: Callable[[], Awaitable[Order]],
    policy: ReconcilePolicy,
) -> Order:
    """Send once via ``send``; on an unknown outcome reconcile via ``lookup`` (see module docstring)."""
    loop = asyncio.get_running_loop()
    rate_limited = 0
    try:
        while True:
            sent_at = loop.time()
            try:
                order = await send()
                break
            except RateLimitError:
                if rate_limited >= policy.max_rate_limit_retries:
                    raise
                rate_limited += 1
                logger.warning(
                    "MEXC rate limit refused order %s; sending again after the pause", describe(prepared)
                )
            except (OrderOutcomeUnknown, ExchangeServerError) as unknown:
                logger.warning(
                    "MEXC order %s: outcome unknown (%s); reconciling by client order id",
                    describe(prepared),
                    type(unknown).__name__,
                )
                order = await reconcile(prepared, lookup, policy, sent_at=sent_at, cause=unknown)
                logger.info(
                    "MEXC order reconciled: %s -> order_id=%s %s",
                    describe(prepared),
                    order.order_id,
                    order.status.value,
                )
                return order
    except ExchangeError as error:
        logger.error("MEXC order failed: %s: %s", describe(prepared), error)
        raise
    if logger.isEnabledFor(logging.INFO):  # describe() formats Decimals: skip it when INFO is off
        logger.info(
            "MEXC order placed: %s -> order_id=%s %s", describe(prepared), order.order_id, order.status.value
        )
    return order


async def reconcile(
    prepared: PreparedOrder,
    lookup: Callable[[], Awaitable[Order]],
    policy: ReconcilePolicy,
    *,
    sent_at: float,
    cause: BaseException | None = None,
) -> Order:
    """Find the order by its client id; raise OrderNotPlaced or OrderOutcomeUnknown as documented."""
    loop = asyncio.get_running_loop()
    settle_at = sent_at + policy.recv_window + policy.settle_delay
    deadline = max(loop.time() + policy.window, settle_at + policy.initial_backoff)
    delay = policy.initial_backoff
    last_error: BaseException | None = cause
    cid = prepared.client_order_id
    while True:
        started = loop.time()
        try:
            return await lookup()
        except OrderNotFound as error:
            if started >= settle_at:
                raise OrderNotPlaced(
                    f"order {cid} for {prepared.symbol} was NOT placed: its answer was lost and MEXC "
                    "does not know it after the settle time; placing it again is safe "
                    "(use a new client order id)",
                    symbol=prepared.symbol,
                    client_order_id=cid,
                    cause=cause,
                    exchange=EXCHANGE_NAME,
                ) from error
            last_error = error
            # Not found yet: ask again once the lost request can no longer arrive.
            pause = max(settle_at - loop.time(), 0.0) + 0.01
        except ExchangeError as error:
            last_error = error
            pause = delay
            delay = min(delay * 2, policy.max_backoff)
        now = loop.time()
        if now >= deadline:
            raise OrderOutcomeUnknown(
                f"order {cid} for {prepared.symbol}: outcome still unknown after {policy.window:g} s of "
                f"lookups (last error: {type(last_error).__name__}); check open orders before placing again",
                symbol=prepared.symbol,
                client_order_id=cid,
                cause=last_error,
                exchange=EXCHANGE_NAME,
            )
        await asyncio.sleep(min(pause, deadline - now))
