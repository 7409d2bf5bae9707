"""Latest known state of each order, bounded for long-running programs.

A bot that runs for weeks sees every order it ever placed; keeping all of them grows memory without
limit. ``OrderTable`` keeps every order that can still trade and the ``max_finished`` most recently
finished ones (filled, canceled, rejected...), evicting the oldest finished first. It is a plain
``dict`` for readers, so lookups and iteration cost nothing extra.
"""

from __future__ import annotations

from collections import OrderedDict

from exchanges.models import Order, OrderId

__all__ = [
    "OrderTable",
]


class OrderTable(dict[OrderId, Order]):
    """``order_id -> Order``; open orders are never evicted, finished ones beyond the cap are."""

    def __init__(self, max_finished: int = 10_000) -> None:
        super().__init__()
        if max_finished < 0:
            raise ValueError("max_finished must not be negative")
        self.max_finished = max_finished
        self._finished: OrderedDict[OrderId, None] = OrderedDict()
        self.evicted = 0

    def __setitem__(self, order_id: OrderId, order: Order) -> None:
        super().__setitem__(order_id, order)
        finished = self._finished
        if order.status.is_open:
            finished.pop(order_id, None)
            return
        finished[order_id] = None
        finished.move_to_end(order_id)
        while len(finished) > self.max_finished:
            oldest, _ = finished.popitem(last=False)
            super().pop(oldest, None)
            self.evicted += 1

    def __delitem__(self, order_id: OrderId) -> None:
        super().__delitem__(order_id)
        self._finished.pop(order_id, None)
