"""Property tests of the matching engine on random order sequences (no server involved)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from exchanges.models import OrderRequest, OrderType, Side, Symbol
from exchanges_mexc.sim.accounts import AccountStore
from exchanges_mexc.sim.engine import MatchingEngine
from exchanges_mexc.sim.errors import SimError
from exchanges_mexc.sim.specs import make_spec

SPEC = make_spec(
    "ABCUSDT",
    {
        "initial_price": "100",
        "base_precision": 2,
        "quote_precision": 1,
        "base_size_precision": "0.01",
        "maker_commission": "0.001",
        "taker_commission": "0.002",
    },
)
TYPES = ("LIMIT", "LIMIT_MAKER", "IMMEDIATE_OR_CANCEL", "FILL_OR_KILL", "MARKET")

place = st.tuples(
    st.just("place"),
    st.integers(0, 2),
    st.sampled_from(("BUY", "SELL")),
    st.sampled_from(TYPES),
    st.integers(1, 500).map(lambda n: Decimal(n) / 100),  # qty 0.01..5
    st.integers(900, 1100).map(lambda n: Decimal(n) / 10),  # price 90.0..110.0
    st.booleans(),  # market by quote
)
cancel = st.tuples(st.just("cancel"), st.integers(0, 2), st.integers(0, 50))
ops = st.lists(st.one_of(place, place, cancel), min_size=1, max_size=60)


@settings(max_examples=120, deadline=None)
@given(ops)
def test_balances_conserved_never_negative_book_never_crossed(sequence: list[tuple[object, ...]]) -> None:
    accounts = AccountStore(lambda: 1_700_000_000_000)
    engine = MatchingEngine([SPEC], accounts, lambda: 1_700_000_000_000)
    users = [accounts.create({"USDT": "2000", "ABC": "20"}) for _ in range(3)]
    initial = accounts.totals()
    book = engine.books["ABCUSDT"]
    for op in sequence:
        if op[0] == "place":
            _, who, side, otype, qty, price, by_quote = op
            assert isinstance(who, int)
            assert isinstance(qty, Decimal)
            assert isinstance(price, Decimal)
            market = otype == "MARKET"
            req = OrderRequest(
                Symbol.parse("ABC/USDT"),
                Side(str(side)),
                OrderType(str(otype)),
                quantity=None if market and by_quote else qty,
                quote_quantity=(qty * 20 if market and by_quote else None),
                price=None if market else price,
            )
            code = 0
            try:
                engine.place(users[who].uid, req)
            except SimError as err:
                code = err.code
            assert code in (0, 30002, 30003, 30004, 30010, 30041, 30087)
        else:
            _, who, index = op
            assert isinstance(who, int)
            assert isinstance(index, int)
            mine = engine.open_orders(users[who], "ABCUSDT")
            if mine:
                engine.cancel(users[who].uid, "ABCUSDT", mine[index % len(mine)].order_id, None)
        # invariants after every step
        for user in users:
            for asset, (free, locked) in engine.balances_of(user).items():
                assert free >= 0, (asset, free)
                assert locked >= 0, (asset, locked)
                open_locked = sum(
                    (o.locked for o in engine.open_orders(user) if o.lock_asset == asset), Decimal(0)
                )
                assert locked == open_locked
        totals = accounts.totals()
        for asset, amount in initial.items():
            assert totals.get(asset, Decimal(0)) + accounts.fees_collected.get(asset, Decimal(0)) == amount
        bid, ask = book.best("BUY"), book.best("SELL")
        if bid is not None and ask is not None:
            assert bid < ask
        for order in book.orders():
            assert order.is_open
            assert order.remaining > 0
