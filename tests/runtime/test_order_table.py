"""OrderTable keeps every open order and only the most recent finished ones."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given
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
@example([(0, OrderStatus.FILLED), (1, OrderStatus.FILLED), (1, OrderStatus.NEW)], 1)  # eviction is final
def test_open_orders_kept_and_finished_bounded(updates: list[tuple[int, OrderStatus]], cap: int) -> None:
    table = OrderTable(max_finished=cap)
    model: dict[OrderId, Order] = {}  # reference: a plain dict plus an explicit eviction queue
    finished: list[OrderId] = []  # ids in the order they last finished, oldest first
    for number, status in updates:
        item = order(number, status)
        table[item.order_id] = item
        model[item.order_id] = item
        if item.order_id in finished:
            finished.remove(item.order_id)
        if not status.is_open:
            finished.append(item.order_id)
            while len(finished) > cap:
                del model[finished.pop(0)]  # evicted for good
        assert table == model  # same orders, each in its latest state
    assert all(o.status.is_open for o in table.values() if o.order_id not in finished)
    assert sum(not o.status.is_open for o in table.values()) <= cap


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


def test_every_write_path_respects_the_cap() -> None:
    """update/setdefault/pop go through the same bookkeeping as item assignment (no dict bypass)."""
    table = OrderTable(max_finished=1)
    table.update({OrderId("o1"): order(1, OrderStatus.FILLED), OrderId("o2"): order(2, OrderStatus.FILLED)})
    assert list(table) == ["o2"]
    assert table.evicted == 1
    table.setdefault(OrderId("o3"), order(3, OrderStatus.CANCELED))
    assert list(table) == ["o3"]
    assert table.pop(OrderId("o3")).order_id == "o3"
    table[OrderId("o4")] = order(4, OrderStatus.FILLED)
    assert list(table) == ["o4"]  # o3's pop also forgot it as finished: o4 evicted nothing
    assert table.evicted == 2
    assert not isinstance(table, dict)
