"""Small records used by the MEXC private REST client's API (inputs and MEXC-specific answers)."""

from __future__ import annotations

import attrs

from exchanges.errors import ExchangeError
from exchanges.models import Amount, Order, OrderRequest, TradeFee


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
