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
  clock error + settle_delay``. Why: MEXC refuses a request that reaches it later than ``timestamp +
  recvWindow`` of its own clock. ``timestamp`` is our *estimate* of MEXC's clock at signing; if the
  estimate is ahead by ``e``, MEXC's clock reaches ``timestamp + recvWindow`` at local time
  ``signed_at + e + recvWindow``, so the settle point must add the largest ``e`` we can have. MEXC's
  own 1 s tolerance for timestamps ahead of its clock does **not** bound ``e`` (it is checked on
  arrival, so a request delayed in transit passes it with any ``e``); what bounds ``e`` is the clock
  sync: half its measured round trip (:meth:`ServerClock.error_bound`). The clock error used is
  ``max(error_bound, 1 s)``: the 1 s floor covers drift and small wall-clock steps since the sync.
  ``settle_delay`` covers a request accepted just before the deadline and still being booked. Local
  times are the event loop's monotonic clock. Assumed: MEXC's clock does not jump back, and our wall
  clock is not stepped forward by more than the floor between the sync and the signing (such a step
  makes MEXC refuse promptly arriving requests with 700003, which resyncs the clock).
* lookups keep failing until the window ends -> OrderOutcomeUnknown carrying the client order id.

The only re-send is after a 429/418 (the gateway refused the request before processing it; the rate
limiter makes the re-send wait for ``Retry-After``), bounded by ``max_rate_limit_retries`` and only when
``Retry-After`` is at most ``max_retry_after`` (a longer one is raised at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import attrs

from exchanges.config import ExchangeConfig
from exchanges.errors import (
    ConfigurationError,
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
from exchanges.strategies import Backoff
from exchanges.transport.rest import SendTrace, exceeds_cap, plain_decimal
from exchanges_mexc.constants import EXCHANGE_NAME
from exchanges_mexc.parsing.account import ORDER_NEW, parse_order_json
from exchanges_mexc.rest.preflight import PreparedOrder
from exchanges_mexc.settings import mexc_settings

FUTURE_TOLERANCE = 1.0
"""Least clock error (seconds) a settle point allows for: our estimate of MEXC's clock may be this much
ahead of it even when the sync measured better (drift, small wall-clock steps since the sync). Equal to
MEXC's tolerance for timestamps ahead of its clock, which refuses estimates further ahead on arrival."""

_UNUSABLE = (ProtocolError, ValueError, TypeError, KeyError, AttributeError, ArithmeticError)
"""What parsing an order answer may raise when the body is not an order (ProtocolError once every
parser is typed; the others from the older untyped paths and Decimal)."""

_MOVED_TO_SETTINGS = ("reconcile_settle_delay", "reconcile_window", "reconcile_backoff")

logger = logging.getLogger("exchanges.mexc.rest.placement")


@attrs.frozen(slots=True)
class ReconcilePolicy:
    """Timing of reconciliation, in seconds. ``from_config`` reads the MEXC settings
    ``reconcile_settle_delay``, ``reconcile_window`` and ``reconcile_backoff``."""

    recv_window: float = 5.0
    settle_delay: float = 1.0
    window: float = 20.0
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    max_rate_limit_retries: int = 2
    max_retry_after: float = 10.0

    @classmethod
    def from_config(cls, config: ExchangeConfig) -> ReconcilePolicy:
        moved = sorted(key for key in config.extra if key in _MOVED_TO_SETTINGS)
        if moved:  # read from ``extra`` before they were typed: refuse rather than silently ignore
            raise ConfigurationError(
                f"{', '.join(moved)} in 'extra' is no longer read: set it as a key of its own "
                f"(e.g. [mexc_spot] {moved[0]} = ...)"
            )
        settings = mexc_settings(config)
        recv = settings.recv_window_ms / 1000.0
        settle = settings.reconcile_settle_delay
        return cls(
            recv_window=recv,
            settle_delay=settle,
            window=settings.reconcile_window or recv + FUTURE_TOLERANCE + settle + 15.0,
            initial_backoff=settings.reconcile_backoff,
            max_rate_limit_retries=max(config.max_retries, 0),
            max_retry_after=config.max_retry_after,
        )

    def settle_point(self, signed_at: float, clock_error: float = 0.0) -> float:
        """Loop time after which a request signed at ``signed_at`` can no longer be accepted, when our
        estimate of MEXC's clock may be up to ``clock_error`` seconds ahead of it (at least
        :data:`FUTURE_TOLERANCE` is assumed). See the module docstring."""
        return signed_at + self.recv_window + max(FUTURE_TOLERANCE, clock_error) + self.settle_delay


def order_from_answer(body: bytes, prepared: PreparedOrder) -> Order:
    """The order in a ``POST /api/v3/order`` answer, or ProtocolError when the answer is not one of
    ours (wrong shape, missing id, another side/type/client id): the caller reconciles."""
    source = ORDER_NEW
    try:
        # The POST answer does not echo the client order id: the one we sent is recorded when it is
        # absent (no second Order built); one that is present must be ours (checked below).
        order = parse_order_json(body, prepared.symbol, source, client_order_id=prepared.client_order_id)
    except ProtocolError:
        raise
    except _UNUSABLE as exc:  # defence in depth: the typed parser should only raise ProtocolError
        raise ProtocolError(f"answer is not a usable order ({type(exc).__name__})", source=source) from exc
    if not order.order_id:
        raise ProtocolError("answer has no order id", source=source, field="orderId")
    if order.side is not prepared.side or order.order_type is not prepared.order_type:
        raise ProtocolError("answer describes another order (side or type differ)", source=source)
    if order.client_order_id != prepared.client_order_id:
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
    clock_error: Callable[[], float] = lambda: 0.0,
) -> Order:
    """Send once via ``send`` (which fills the trace); on an unknown outcome or an unusable answer
    reconcile via ``lookup`` (see the module docstring). ``clock_error``: how far ahead of MEXC's
    clock our signing clock may be now (seconds; read after the send, so after any resync)."""
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
                order = await reconcile(
                    prepared, lookup, policy, signed_at=signed_at, clock_error=clock_error(), cause=unknown
                )
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
    clock_error: float = 0.0,
    cause: BaseException | None = None,
) -> Order:
    """Find the order by its client id; raise OrderNotPlaced or OrderOutcomeUnknown as documented.
    ``signed_at``: loop time at which the request that was sent last was signed; ``clock_error``: how
    far ahead of MEXC's clock the timestamp may have been (seconds)."""
    loop = asyncio.get_running_loop()
    settle_at = policy.settle_point(signed_at, clock_error)
    deadline = max(loop.time() + policy.window, settle_at + policy.initial_backoff)
    backoff = Backoff(initial_delay=policy.initial_backoff, max_delay=policy.max_backoff)
    failures = 0
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
            pause = backoff.delay(failures)  # jittered: many orders reconciling do not ask in lockstep
            failures += 1
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
