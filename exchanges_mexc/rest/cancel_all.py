"""Cancel every open order of a symbol, under the exactly-once rule for a lost or unusable answer.

``DELETE /api/v3/openOrders`` is never repeated blindly: a second send would also cancel orders placed
after the first one (by another task or another program). When its answer is lost (a timeout, a 5xx, a
connection cut after sending) or unusable (a 200 that is not a list of orders), MEXC is asked what
happened instead:

* no order of the symbol is open any more: the cancel happened. The orders it canceled are read back
  (``allOrders``, CANCELED since shortly before the request was signed) and returned. ``allOrders``
  selects orders by their *creation* time, so the lookup spans the longest window MEXC serves (7 days)
  and filters on the update time: an order resting longer than that is canceled but cannot be read
  back (MEXC no longer lists it), so it is missing from the list;
* orders are still open: :class:`~exchanges.errors.OrderOutcomeUnknown` naming them. They may be newer
  than the request, or the request may never have arrived; nothing is sent again and the caller
  decides (``get_open_orders``, then cancel what should go);
* the lookup itself fails: it proves nothing, so OrderOutcomeUnknown as well.
"""

from __future__ import annotations

import logging
from typing import Protocol

from exchanges.errors import ExchangeError, OrderOutcomeUnknown, ProtocolError
from exchanges.models import Order, OrderStatus, Symbol
from exchanges_mexc import constants as c
from exchanges_mexc.parsing.account import parse_orders_json
from exchanges_mexc.rest.signed import MexcSignedClient

logger = logging.getLogger("exchanges.mexc.rest.private")

CANCEL_ALL = "DELETE /api/v3/openOrders"
LOOKBACK_MS = 2000
"""Orders canceled up to this long before the request was signed count as canceled by it (the local
clock's error against MEXC's and the request's own way there)."""
HISTORY_WINDOW_MS = 7 * 24 * 3600 * 1000 - 60_000
"""How far back allOrders is asked (by creation time): MEXC's 7-day maximum, less a minute of margin."""
_CANCELED = frozenset({OrderStatus.CANCELED, OrderStatus.PARTIALLY_CANCELED})


class CancelAllClient(Protocol):
    """What the cancel needs from the private REST client."""

    @property
    def signed(self) -> MexcSignedClient: ...

    def pair(self, symbol: Symbol) -> str: ...


async def cancel_all_orders(client: CancelAllClient, symbol: Symbol, order_timeout: float) -> list[Order]:
    """Cancel every open order of ``symbol``; returns the canceled orders (see the module doc for a lost
    or unusable answer)."""
    pair = [("symbol", client.pair(symbol))]
    signed_from = client.signed.clock.now_ms()
    try:
        data = await client.signed.request(
            c.OPEN_ORDERS_CANCEL, pair, timeout=order_timeout, context={"symbol": symbol}, raw=True
        )
        orders = parse_orders_json(data, symbol, CANCEL_ALL)
    except (OrderOutcomeUnknown, ProtocolError) as unknown:
        return await _reconcile(client, symbol, signed_from, unknown)
    logger.info("MEXC canceled %d open orders of %s", len(orders), symbol)
    return orders


async def _reconcile(
    client: CancelAllClient, symbol: Symbol, signed_from: int, cause: ExchangeError
) -> list[Order]:
    """What MEXC shows after a cancel-all whose answer was lost or unusable (module doc)."""
    pair = [("symbol", client.pair(symbol))]
    try:
        still_open = parse_orders_json(
            await client.signed.request(c.OPEN_ORDERS, pair, raw=True, priority=True),
            symbol,
            "GET /api/v3/openOrders",
        )
        if not still_open:
            since = signed_from - LOOKBACK_MS
            created_from = signed_from - HISTORY_WINDOW_MS  # resting orders were created long before
            window = [*pair, ("startTime", str(created_from)), ("limit", "1000")]
            recent = parse_orders_json(
                await client.signed.request(c.ALL_ORDERS, window, raw=True, priority=True),
                symbol,
                "GET /api/v3/allOrders",
            )
    except ExchangeError as lookup:
        raise _unknown(symbol, cause, f"the lookup failed too ({lookup.message})") from cause
    if still_open:
        ids = ", ".join(order.order_id for order in still_open[:10])
        more = f" and {len(still_open) - 10} more" if len(still_open) > 10 else ""
        raise _unknown(symbol, cause, f"{len(still_open)} orders are still open ({ids}{more})")
    canceled = [order for order in recent if order.status in _CANCELED and (order.update_time or 0) >= since]
    logger.info(
        "MEXC cancel of every %s order reconciled after %s: none open, %d canceled",
        symbol,
        type(cause).__name__,
        len(canceled),
    )
    return canceled


def _unknown(symbol: Symbol, cause: ExchangeError, shown: str) -> OrderOutcomeUnknown:
    logger.error("MEXC cancel of every %s order: outcome unknown (%s); %s", symbol, cause.message, shown)
    return OrderOutcomeUnknown(
        f"cancel of every open {symbol} order: {cause.message}; {shown}. Nothing was sent again "
        "(a second cancel would also cancel orders placed since): check get_open_orders and cancel "
        "what should go",
        symbol=symbol,
        cause=cause,
        exchange=c.EXCHANGE_NAME,
    )
