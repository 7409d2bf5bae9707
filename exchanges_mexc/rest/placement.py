"""Exactly-once order placement: one order is sent once, and a lost or unusable answer is reconciled.

Every placement ends in exactly one of three outcomes:

* the real :class:`~exchanges.models.Order` (from the answer, or found by reconciliation);
* :class:`~exchanges.errors.OrderNotPlaced`: proven absent (see below, or the order never left: the
  connection could not be opened), placing again is safe;
* :class:`~exchanges.errors.OrderOutcomeUnknown`: not provable either way within the reconcile window;
  check open orders before placing again.

An exchange *refusal* (a 4xx business error such as ``InsufficientBalance``, or a 429/418 beyond the
re-sends allowed) is raised as its own typed error: MEXC answered that it did not take the order, so it
is "not placed" by the exchange's own word.

Every order carries a ``newClientOrderId`` (the caller's or a generated one). When the answer to
``POST /api/v3/order`` is lost (timeout, dropped connection, 5xx: the transport raises
:class:`~exchanges.errors.OrderOutcomeUnknown`) **or unusable** (a 200 whose body is not an order of
ours: ``[]``, ``null``, ``{}``, a field missing, garbage, truncated: :class:`ProtocolError`), we look
the order up with ``GET /api/v3/order?origClientOrderId=...`` with backoff, for a bounded time:

* found -> the real order is returned (logged at INFO as "reconciled");
* MEXC says "unknown order" (-2011) for a lookup started after the **settle point** -> OrderNotPlaced.
  The settle point is computed from the moment the request that was sent was **signed** (its
  ``timestamp`` taken; recorded by the transport in a :class:`SendTrace`, after any wait for a clock
  sync, the rate limiter, a free connection or a ``Retry-After`` pause): ``signed_at + recvWindow +
  MEXC's 1 s tolerance for timestamps ahead of its clock + settle_delay``. MEXC refuses a request that
  reaches it later than ``timestamp + recvWindow`` of its own clock, and it refuses a timestamp more than
  1 s ahead of its clock, so our estimate of its clock can be at most 1 s early for an accepted request;
  ``settle_delay`` covers a request accepted just before the deadline and still being booked. Local
  times are the event loop's monotonic clock, so a jump of the wall clock cannot move the settle point
  (a wall-clock jump makes MEXC refuse the timestamp, 700003, which is re-signed and sent once more:
  refused requests never execute). Assumed: MEXC's own clock does not jump back by more than that 1 s.
* lookups keep failing until the window ends -> OrderOutcomeUnknown carrying the client order id.

The only re-send is after a 429/418 (the gateway refused the request before processing it; the rate
limiter makes the re-send wait for ``Retry-After``), bounded by ``max_rate_limit_retries`` and only when
``Retry-After`` is at most ``max_retry_after`` (a longer one is raised at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from exchanges.config import ExchangeConfig
from exchanges.errors import (
    ExchangeConnectionError,
    ExchangeError,
    ExchangeServerError,
    OrderNotFound,
    OrderNotPlaced,
    OrderOutcomeUnknown,
    ProtocolError,
    RateLimitError,
)
from exchanges.models import Order
from exchanges.transport.rest import SendTrace, exceeds_cap, plain_decimal
from exchanges_mexc.constants import EXCHANGE_NAME
from exchanges_mexc.parsing.account import ORDER_NEW, parse_order_json
from exchanges_mexc.rest.preflight import PreparedOrder
from exchanges_mexc.settings import mexc_settings

FUTURE_TOLERANCE = 1.0
"""Seconds MEXC accepts a timestamp ahead of its own clock (``timestamp < serverTime + 1000``)."""

_UNUSABLE = (ProtocolError, ValueError, TypeError, KeyError, AttributeError, ArithmeticError)
"""What parsing an order answer may raise when the body is not an order (ProtocolError once every
parser is typed; the others from the older untyped paths and Decimal)."""

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
    max_retry_after: float = 10.0

    @classmethod
    def from_config(cls, config: ExchangeConfig) -> ReconcilePolicy:
        extra: dict[str, Any] = dict(config.extra)
        recv = mexc_settings(config).recv_window_ms / 1000.0
        settle = float(extra.get("reconcile_settle_delay", 1.0))
        return cls(
            recv_window=recv,
            settle_delay=settle,
            window=float(extra.get("reconcile_window", recv + FUTURE_TOLERANCE + settle + 15.0)),
            initial_backoff=float(extra.get("reconcile_backoff", 0.1)),
            max_rate_limit_retries=max(config.max_retries, 0),
            max_retry_after=config.max_retry_after,
        )

    def settle_point(self, signed_at: float) -> float:
        """Loop time after which a request signed at ``signed_at`` can no longer be accepted."""
        return signed_at + self.recv_window + FUTURE_TOLERANCE + self.settle_delay


def order_from_answer(body: bytes, prepared: PreparedOrder) -> Order:
    """The order in a ``POST /api/v3/order`` answer, or ProtocolError when the answer is not one of
    ours (wrong shape, missing id, another side/type/client id): the caller reconciles."""
    source = ORDER_NEW
    try:
        order = parse_order_json(body, prepared.symbol, source)
    except ProtocolError:
        raise
    except _UNUSABLE as exc:  # defence in depth: the typed parser should only raise ProtocolError
        raise ProtocolError(f"answer is not a usable order ({type(exc).__name__})", source=source) from exc
    if not order.order_id:
        raise ProtocolError("answer has no order id", source=source, field="orderId")
    if order.side is not prepared.side or order.order_type is not prepared.order_type:
        raise ProtocolError("answer describes another order (side or type differ)", source=source)
    if order.client_order_id is None:  # the POST answer does not echo it
        order = attrs.evolve(order, client_order_id=prepared.client_order_id)
    elif order.client_order_id != prepared.client_order_id:
        raise ProtocolError("answer carries another client order id", source=source, field="clientOrderId")
    return order


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
    send: Callable[[SendTrace], Awaitable[Order]],
    lookup: Callable[[], Awaitable[Order]],
    policy: ReconcilePolicy,
) -> Order:
    """Send once via ``send`` (which fills the trace); on an unknown outcome or an unusable answer
    reconcile via ``lookup`` (see the module docstring)."""
    rate_limited = 0
    try:
        while True:
            trace = SendTrace()
            try:
                order = await send(trace)
                break
            except RateLimitError as refused:
                too_long = exceeds_cap(refused.retry_after, policy.max_retry_after)
                if too_long or rate_limited >= policy.max_rate_limit_retries:
                    raise
                rate_limited += 1
                logger.warning(
                    "MEXC rate limit refused order %s; sending again after the pause", describe(prepared)
                )
            except (OrderOutcomeUnknown, ExchangeServerError, ProtocolError) as unknown:
                logger.warning(
                    "MEXC order %s: outcome unknown (%s); reconciling by client order id",
                    describe(prepared),
                    type(unknown).__name__,
                )
                signed_at = trace.signed_at
                if signed_at is None:  # cannot happen after a send; the conservative answer is "now"
                    signed_at = asyncio.get_running_loop().time()
                order = await reconcile(prepared, lookup, policy, signed_at=signed_at, cause=unknown)
                logger.info(
                    "MEXC order reconciled: %s -> order_id=%s %s",
                    describe(prepared),
                    order.order_id,
                    order.status.value,
                )
                return order
            except ExchangeConnectionError as not_sent:
                # Plain (not OrderOutcomeUnknown): the transport proved no byte of the order left
                # (connection refused, DNS, TLS, connect timeout, or the clock sync before signing).
                raise OrderNotPlaced(
                    f"order {prepared.client_order_id} for {prepared.symbol} was NOT placed: it never "
                    f"left ({not_sent.message}); placing it again is safe",
                    symbol=prepared.symbol,
                    client_order_id=prepared.client_order_id,
                    cause=not_sent,
                    exchange=EXCHANGE_NAME,
                ) from not_sent
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
    signed_at: float,
    cause: BaseException | None = None,
) -> Order:
    """Find the order by its client id; raise OrderNotPlaced or OrderOutcomeUnknown as documented.
    ``signed_at``: loop time at which the request that was sent last was signed."""
    loop = asyncio.get_running_loop()
    settle_at = policy.settle_point(signed_at)
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
        except (ExchangeError, *_UNUSABLE) as error:  # a failed or unusable lookup proves nothing
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
