"""Small records used by the MEXC private REST client's API (inputs and MEXC-specific answers)."""

from __future__ import annotations

import attrs

from exchanges.capabilities import Amount
from exchanges.errors import ExchangeError
from exchanges.models import Order, OrderType, Side, Symbol, TradeFee


@attrs.frozen(slots=True)
class OrderRequest:
    """One order of a batch (``place_batch_orders``): the same arguments as ``place_order``."""

    symbol: Symbol
    side: Side
    order_type: OrderType
    quantity: Amount | None = None
    price: Amount | None = None
    quote_quantity: Amount | None = None
    client_order_id: str | None = None


@attrs.frozen(slots=True)
class BatchResult:
    """The outcome of one batch item: ``order`` when placed, else ``error`` (never both)."""

    request: OrderRequest
    client_order_id: str
    order: Order | None = None
    error: ExchangeError | None = None

    @property
    def ok(self) -> bool:
        return self.order is not None


__all__ = ["Amount", "BatchResult", "OrderRequest", "TradeFee"]
