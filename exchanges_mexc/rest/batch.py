"""``POST /api/v3/batchOrders``: up to 20 orders of one symbol in one request, one result per item.

Each item is validated locally first; an invalid item becomes a failed :class:`BatchResult` and is not
sent. MEXC answers one item per input, in order: ``{"symbol","orderId","orderListId"(,"newClientOrderId")}``
or ``{"newClientOrderId","code","msg"}``. If the whole answer is lost or unusable, every sent item is
reconciled by its client order id (found -> its order; not found after the settle point of the signed
request -> OrderNotPlaced; else OrderOutcomeUnknown), exactly like a single order; so is an item the
answer lacks or cannot describe as an order. Nothing is ever sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import msgspec

from exchanges.config import ExchangeConfig
from exchanges.errors import (
    ExchangeError,
    ExchangeServerError,
    InvalidOrder,
    OrderOutcomeUnknown,
    ProtocolError,
)
from exchanges.models import Order, OrderRequest, Symbol
from exchanges.transport.rest import SendTrace, plain_decimal
from exchanges_mexc import constants as c
from exchanges_mexc.parsing.account import parse_order_mapping
from exchanges_mexc.parsing.values import code_opt
from exchanges_mexc.rest.placement import ReconcilePolicy, describe, reconcile
from exchanges_mexc.rest.preflight import PreparedOrder
from exchanges_mexc.rest.signed import MexcSignedClient
from exchanges_mexc.rest.types import BatchResult


class BatchClient(Protocol):
    """What a batch needs from the private REST client (``MexcPrivateSpotRest`` provides it); a
    Protocol so this module does not import the client that imports it."""

    config: ExchangeConfig
    signed: MexcSignedClient
    policy: ReconcilePolicy

    async def prepare(self, request: OrderRequest) -> PreparedOrder: ...

    async def get_order(
        self,
        symbol: Symbol,
        order_id: str | None = None,
        client_order_id: str | None = None,
        *,
        priority: bool = False,
    ) -> Order: ...


logger = logging.getLogger("exchanges.mexc.rest.batch")

BATCH_SOURCE = "POST /api/v3/batchOrders"


def _echo(prepared: PreparedOrder) -> dict[str, Any]:
    """What MEXC's full order JSON would say about our own request (the batch answer omits it)."""
    echo: dict[str, Any] = {
        "side": prepared.side.value,
        "type": prepared.order_type.value,
        "clientOrderId": prepared.client_order_id,
    }
    if prepared.quantity is not None:
        echo["origQty"] = plain_decimal(prepared.quantity)
    if prepared.price is not None:
        echo["price"] = plain_decimal(prepared.price)
    if prepared.quote_quantity is not None:
        echo["origQuoteOrderQty"] = plain_decimal(prepared.quote_quantity)
    return echo


async def place_batch(client: BatchClient, requests: Sequence[OrderRequest]) -> list[BatchResult]:
    """See the module docstring. Raises InvalidOrder for an empty, oversized or multi-symbol batch."""
    if not requests or len(requests) > c.MAX_BATCH_ORDERS:
        raise InvalidOrder(
            f"a MEXC batch holds 1..{c.MAX_BATCH_ORDERS} orders, got {len(requests)}",
            exchange=c.EXCHANGE_NAME,
        )
    symbols = {r.symbol for r in requests}
    if len(symbols) != 1:
        names = ", ".join(sorted(str(s) for s in symbols))
        raise InvalidOrder(f"a MEXC batch must hold one symbol, got {names}", exchange=c.EXCHANGE_NAME)
    symbol = requests[0].symbol
    results: list[BatchResult | None] = [None] * len(requests)
    sent: list[tuple[int, PreparedOrder]] = []
    for index, req in enumerate(requests):
        try:
            prepared = await client.prepare(req)
        except ExchangeError as error:
            results[index] = BatchResult(req, req.client_order_id or "", error=error)
            continue
        sent.append((index, prepared))
    if sent:
        payload = msgspec.json.encode([p.batch_item() for _, p in sent]).decode()
        trace = SendTrace()
        try:
            data = await client.signed.request(
                c.BATCH_ORDERS,
                [("batchOrders", payload)],
                timeout=client.config.order_timeout,
                context={"symbol": symbol, "client_order_id": ",".join(p.client_order_id for _, p in sent)},
                priority=True,
                trace=trace,
            )
        except (OrderOutcomeUnknown, ExchangeServerError, ProtocolError) as unknown:
            logger.warning(
                "MEXC batch of %d: outcome unknown (%s); reconciling", len(sent), type(unknown).__name__
            )
            await _reconcile_items(client, requests, sent, trace, unknown, results)
        else:
            unclear = _match_answers(client, requests, sent, data, results)
            if unclear:
                cause = ProtocolError(
                    f"{len(unclear)} item(s) missing from or unusable in the answer", source=BATCH_SOURCE
                )
                logger.warning("MEXC batch: %s; reconciling them", cause.reason)
                await _reconcile_items(client, requests, unclear, trace, cause, results)
    final = [r for r in results if r is not None]
    placed = sum(1 for r in final if r.ok)
    logger.info("MEXC batch %s: %d placed, %d failed", symbol, placed, len(final) - placed)
    return final


async def _reconcile_items(
    client: BatchClient,
    requests: Sequence[OrderRequest],
    items: list[tuple[int, PreparedOrder]],
    trace: SendTrace,
    cause: BaseException,
    results: list[BatchResult | None],
) -> None:
    """Reconcile ``items`` by client order id, from the settle point of the request actually signed."""
    signed_at = trace.signed_at if trace.signed_at is not None else asyncio.get_running_loop().time()
    found = await asyncio.gather(*(_reconcile_item(client, p, signed_at, cause) for _, p in items))
    for (index, prepared), result in zip(items, found, strict=True):
        results[index] = BatchResult(requests[index], prepared.client_order_id, **result)


async def _reconcile_item(
    client: BatchClient, prepared: PreparedOrder, signed_at: float, cause: BaseException
) -> dict[str, Any]:
    try:
        order = await reconcile(
            prepared,
            lambda: client.get_order(
                prepared.symbol, client_order_id=prepared.client_order_id, priority=True
            ),
            client.policy,
            signed_at=signed_at,
            clock_error=client.signed.clock.error_bound(),
            cause=cause,
        )
    except ExchangeError as error:
        logger.error("MEXC batch order %s: %s", describe(prepared), error)
        return {"error": error}
    logger.info("MEXC batch order reconciled: %s -> order_id=%s", describe(prepared), order.order_id)
    return {"order": order}


def _match_answers(
    client: BatchClient,
    requests: Sequence[OrderRequest],
    sent: list[tuple[int, PreparedOrder]],
    data: Any,
    results: list[BatchResult | None],
) -> list[tuple[int, PreparedOrder]]:
    """Fill ``results`` from the answer's items; returns the sent orders the answer does not settle
    (no item, or an item that is not a usable order nor a stated refusal): they must be reconciled."""
    unclear: list[tuple[int, PreparedOrder]] = []
    items: list[Mapping[str, Any]] = (
        [i for i in data if isinstance(i, Mapping)] if isinstance(data, list) else []
    )
    by_cid = {str(i["newClientOrderId"]): i for i in items if i.get("newClientOrderId")}
    for position, (index, prepared) in enumerate(sent):
        cid = prepared.client_order_id
        item = by_cid.get(cid)
        if item is None and position < len(items) and not items[position].get("newClientOrderId"):
            item = items[position]  # an item without a client id can only be matched by its place
        if item is None:
            unclear.append((index, prepared))
            continue
        if item.get("orderId") in (None, ""):
            code = code_opt(item.get("code"))
            if code is None:  # neither an order nor a refusal MEXC stated: not proof of anything
                unclear.append((index, prepared))
                continue
            error = client.signed.classifier.from_code(code, str(item.get("msg", "")), where="batch item")
            logger.error("MEXC batch order failed: %s: %s", describe(prepared), error)
            results[index] = BatchResult(requests[index], cid, error=error)
            continue
        try:
            order = parse_order_mapping({**_echo(prepared), **item}, prepared.symbol, BATCH_SOURCE)
        except ProtocolError:
            unclear.append((index, prepared))
            continue
        if logger.isEnabledFor(logging.INFO):  # describe() formats Decimals: skip it when INFO is off
            logger.info("MEXC batch order placed: %s -> order_id=%s", describe(prepared), order.order_id)
        results[index] = BatchResult(requests[index], cid, order=order)
    return unclear
