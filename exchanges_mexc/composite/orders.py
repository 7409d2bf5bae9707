"""``OrdersView``: the read-only ``orders`` mapping of a private composite.

An order can be seen twice: in the answer of our own REST call and in a user-stream push. The view
merges both sources and keeps, per order id, the state that is further along (more filled, or final
rather than open), using the user stream's own ordering rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from exchanges.models import Order, OrderId, Symbol
from exchanges_mexc.ws.reconcile import is_older


class OrdersView(Mapping[OrderId, Order]):
    """Read-only, live view of tracked orders: the newer of the REST-seen and stream-seen states."""

    def __init__(self, own: Mapping[OrderId, Order], stream: Callable[[], Mapping[OrderId, Order]]) -> None:
        self._own = own
        self._stream = stream

    def _merged(self) -> dict[OrderId, Order]:
        merged = dict(self._own)
        for order_id, order in self._stream().items():
            current = merged.get(order_id)
            if current is None or not is_older(order, current):
                merged[order_id] = order
        return merged

    def __getitem__(self, order_id: OrderId) -> Order:
        return self._merged()[order_id]

    def __iter__(self) -> Iterator[OrderId]:
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())

    def open_orders(self, symbol: Symbol | None = None) -> list[Order]:
        """Tracked orders that can still trade (optionally of one symbol)."""
        return [
            order
            for order in self._merged().values()
            if order.status.is_open and (symbol is None or order.symbol == symbol)
        ]

    def __repr__(self) -> str:
        return f"<tracked orders: {len(self)}>"
