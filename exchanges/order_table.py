"""Latest known state of each order, bounded for long-running programs.

A bot that runs for weeks sees every order it ever placed; keeping all of them grows memory without
limit. ``OrderTable`` keeps every order that can still trade and the ``max_finished`` most recently
finished ones (filled, canceled, rejected...), evicting the oldest finished first.

It is a ``MutableMapping`` that owns a private dict rather than a ``dict`` subclass: every way of
writing (``table[id] = order``, ``update``, ``setdefault``, ``pop``, ``del``) goes through the same
bookkeeping, so no method can bypass the cap. Reads delegate straight to the dict.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import ItemsView, Iterator, KeysView, MutableMapping, ValuesView

from exchanges.models import Order, OrderId

__all__ = ["OrderTable"]


class OrderTable(MutableMapping[OrderId, Order]):
    """``order_id -> Order``; open orders are never evicted, finished ones beyond the cap are."""

    __slots__ = ("_finished", "_orders", "evicted", "max_finished")

    def __init__(self, max_finished: int = 10_000) -> None:
        if max_finished < 0:
            raise ValueError("max_finished must not be negative")
        self.max_finished = max_finished
        self._orders: dict[OrderId, Order] = {}
        self._finished: OrderedDict[OrderId, None] = OrderedDict()
        self.evicted = 0
        """Finished orders dropped to respect the cap, since creation."""

    def __setitem__(self, order_id: OrderId, order: Order) -> None:
        self._orders[order_id] = order
        finished = self._finished
        if order.status.is_open:
            finished.pop(order_id, None)
            return
        finished[order_id] = None
        finished.move_to_end(order_id)
        while len(finished) > self.max_finished:
            oldest, _ = finished.popitem(last=False)
            self._orders.pop(oldest, None)
            self.evicted += 1

    def __delitem__(self, order_id: OrderId) -> None:
        del self._orders[order_id]
        self._finished.pop(order_id, None)

    def __getitem__(self, order_id: OrderId) -> Order:
        return self._orders[order_id]

    def get(self, order_id: OrderId, default: Order | None = None) -> Order | None:  # type: ignore[override]
        return self._orders.get(order_id, default)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def __iter__(self) -> Iterator[OrderId]:
        return iter(self._orders)

    def __len__(self) -> int:
        return len(self._orders)

    def keys(self) -> KeysView[OrderId]:
        return self._orders.keys()

    def values(self) -> ValuesView[Order]:
        return self._orders.values()

    def items(self) -> ItemsView[OrderId, Order]:
        return self._orders.items()

    def __repr__(self) -> str:
        return (
            f"OrderTable({len(self._orders)} orders, {len(self._finished)} finished, evicted={self.evicted})"
        )
