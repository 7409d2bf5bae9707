"""OrderTable keeps every open order and only the most recent finished ones."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from exchanges.models import Order, OrderId, OrderStatus, OrderType, Side, Symbol
from exchanges.order_table import OrderTable

SYMBOL = Symbol("BTC", "USDT")


def order(number: int, status: OrderStatus) -> Order:
    return Order(SYMBOL, OrderId(f"o{number}"), Side.BUY, OrderType.LIMIT, status, Decimal(1), Decimal(1))


@given(
    st.lists(st.tuples(st.integers(0, 30), st.sampled_from(list(OrderStatus))), max_size=200),
    st.integers(0, 5),
)
def test_open_orders_kept_and_finished_bounded(updates: list[tuple[int, OrderStatus]], cap: int) -> None:
    table = OrderTable(max_finished=cap)
    latest: dict[OrderId, Order] = {}
    finished_order: list[OrderId] = []  # ids in the order they last finished
    for number, status in updates:
        item = order(number, status)
        table[item.order_id] = item
        latest[item.order_id] = item
        if item.order_id in finished_order:
            finished_order.remove(item.order_id)
        if not status.is_open:
            finished_order.append(item.order_id)
    open_ids = {oid for oid, o in latest.items() if o.status.is_open}
    assert open_ids <= set(table)  # never evicted
    kept_finished = [oid for oid in table if not table[oid].status.is_open]
    assert len(kept_finished) == min(cap, len(finished_order))
    assert set(kept_finished) == set(finished_order[len(finished_order) - len(kept_finished) :])
    for oid, value in table.items():
        assert value == latest[oid]  # always the latest state


def test_eviction_is_counted_and_delete_forgets() -> None:
    table = OrderTable(max_finished=1)
    table[OrderId("o1")] = order(1, OrderStatus.FILLED)
    table[OrderId("o2")] = order(2, OrderStatus.CANCELED)
    assert list(table) == ["o2"]
    assert table.evicted == 1
    del table[OrderId("o2")]
    table[OrderId("o3")] = order(3, OrderStatus.FILLED)
    assert list(table) == ["o3"]
    assert table.evicted == 1
