"""LocalOrderBook: hypothesis against a plain-dict reference model, plus direct checks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from exchanges.models import BookUpdate, OrderBookEntry, Symbol
from exchanges.orderbook import LocalOrderBook

SYMBOL = Symbol("BTC", "USDT")
Levels = list[tuple[float, float]]

prices = st.integers(min_value=1, max_value=40).map(lambda tick: tick / 4)
sizes = st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.25, 7.0])
levels = st.lists(st.tuples(prices, sizes), max_size=8)


class Reference:
    """The documented semantics, written as naively as possible."""

    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}

    def snapshot(self, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> None:
        self.bids = {p: s for p, s in bids if s > 0}
        self.asks = {p: s for p, s in asks if s > 0}
        if self.bids and self.asks and max(self.bids) >= min(self.asks):
            low, high = min(self.asks), max(self.bids)
            self.bids = {p: s for p, s in self.bids.items() if p < low}
            self.asks = {p: s for p, s in self.asks.items() if p > high}

    def update(self, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> None:
        for side, changes in ((self.bids, bids), (self.asks, asks)):
            for p, s in changes:
                if s > 0:
                    side[p] = s
                else:
                    side.pop(p, None)
        if not self.crossed():
            return
        new_bids = [p for p, s in bids if s > 0]
        if new_bids and self.asks and max(new_bids) >= min(self.asks):
            self.asks = {p: s for p, s in self.asks.items() if p > max(new_bids)}
        new_asks = [p for p, s in asks if s > 0]
        if new_asks and self.crossed():
            self.bids = {p: s for p, s in self.bids.items() if p < min(new_asks)}

    def crossed(self) -> bool:
        return bool(self.bids and self.asks and max(self.bids) >= min(self.asks))


ops = st.lists(st.tuples(st.booleans(), levels, levels), max_size=30)


@given(ops)
def test_matches_reference_model(
    operations: list[tuple[bool, list[tuple[float, float]], list[tuple[float, float]]]],
) -> None:
    book = LocalOrderBook(SYMBOL)
    ref = Reference()
    snapped = False
    for version, (is_snapshot, bids, asks) in enumerate(operations, start=1):
        if is_snapshot:
            book.apply_snapshot(bids, asks, version, version * 10)
            ref.snapshot(bids, asks)
            snapped = True
        else:
            book.apply_update(BookUpdate(SYMBOL, bids, asks, version, version, version * 10))
            ref.update(bids, asks)
        snap = book.snapshot()
        assert snap.bids == tuple(OrderBookEntry(p, ref.bids[p]) for p in sorted(ref.bids, reverse=True))
        assert snap.asks == tuple(OrderBookEntry(p, ref.asks[p]) for p in sorted(ref.asks))
        assert snap.version == version
        assert snap.timestamp == version * 10
        if snapped:
            assert not ref.crossed()
            best_bid, best_ask = book.best_bid(), book.best_ask()
            if best_bid and best_ask:
                assert best_bid.price < best_ask.price
        top = book.snapshot(3)
        assert top.bids == snap.bids[:3]
        assert top.asks == snap.asks[:3]
        assert book.bids(2) == [tuple(e) for e in snap.bids[:2]]
        assert book.asks(2) == [tuple(e) for e in snap.asks[:2]]


cached_ops = st.lists(
    st.tuples(levels, levels, st.sampled_from([None, 1, 2, 3, 3, 3, 6])), min_size=1, max_size=40
)


@given(levels, levels, cached_ops)
def test_cached_top_levels_always_match_the_book(
    bids: Levels, asks: Levels, operations: list[tuple[Levels, Levels, int | None]]
) -> None:
    """snapshot(depth) reuses the cached top levels of a side only while they are still the truth."""
    book = LocalOrderBook(SYMBOL)
    book.apply_snapshot(bids, asks, 0, 0)
    for version, (update_bids, update_asks, depth) in enumerate(operations, start=1):
        book.apply_update(BookUpdate(SYMBOL, update_bids, update_asks, version, version, version))
        if depth is None:
            continue  # no read: the next read must still see this update
        full = book.snapshot()
        top = book.snapshot(depth)
        assert top.bids == full.bids[:depth]
        assert top.asks == full.asks[:depth]
        assert top.version == version


wide_prices = st.integers(min_value=1, max_value=400).map(lambda tick: tick / 8)
wide_sizes = st.sampled_from([0.0, -1.0, 0.125, 1.0, 3.5, 1e-9, 2e6])
wide_levels = st.lists(st.tuples(wide_prices, wide_sizes), max_size=12)
steps = st.lists(
    st.tuples(wide_levels, wide_levels, st.sampled_from([None, 1, 5, 20, 20, 20, 50])),
    min_size=1,
    max_size=60,
)


@given(wide_levels, wide_levels, steps)
def test_long_update_sequences_match_a_plain_dict_model(
    bids: Levels, asks: Levels, operations: list[tuple[Levels, Levels, int | None]]
) -> None:
    """Every read after every update equals the plain-dict model: top-N (cached or not), best levels,
    spread, mid, depths and the plain-tuple reads. Sizes <= 0 delete; crossing updates uncross."""
    book = LocalOrderBook(SYMBOL)
    ref = Reference()
    book.apply_snapshot(bids, asks, 0, 0)
    ref.snapshot(bids, asks)
    for version, (update_bids, update_asks, depth) in enumerate(operations, start=1):
        book.apply_update(BookUpdate(SYMBOL, update_bids, update_asks, version, version, version))
        ref.update(update_bids, update_asks)
        want_bids = [(p, ref.bids[p]) for p in sorted(ref.bids, reverse=True)]
        want_asks = [(p, ref.asks[p]) for p in sorted(ref.asks)]
        assert not ref.crossed()
        assert (book.bid_depth, book.ask_depth) == (len(want_bids), len(want_asks))
        assert book.best_bid() == (want_bids[0] if want_bids else None)
        assert book.best_ask() == (want_asks[0] if want_asks else None)
        if want_bids and want_asks:
            assert book.spread() == want_asks[0][0] - want_bids[0][0]
            assert book.mid() == (want_asks[0][0] + want_bids[0][0]) / 2.0
        if depth is None:
            continue  # no read this step: the next read must still see this update
        top = book.snapshot(depth)
        assert list(top.bids) == want_bids[:depth]
        assert list(top.asks) == want_asks[:depth]
        assert all(type(entry) is OrderBookEntry for entry in top.bids + top.asks)
        assert (top.version, top.timestamp) == (version, version)
        assert book.bids(depth) == want_bids[:depth]
        assert book.asks(depth) == want_asks[:depth]
    full = book.snapshot()
    assert list(full.bids) == [(p, ref.bids[p]) for p in sorted(ref.bids, reverse=True)]
    assert list(full.asks) == [(p, ref.asks[p]) for p in sorted(ref.asks)]
    assert book.bids() == list(full.bids)
    assert book.asks() == list(full.asks)


def test_cached_top_is_reused_beyond_the_edge_and_rebuilt_inside_it() -> None:
    """The top-N cache: an update beyond the N-th level keeps the cached side (the same tuple); a
    change at or inside it (a size, a new level, a deletion) is seen by the next snapshot."""
    book = LocalOrderBook(SYMBOL)
    book.apply_snapshot(
        [(float(p), 1.0) for p in range(90, 100)], [(float(p), 1.0) for p in range(101, 111)], 1, 0
    )
    first = book.snapshot(3)
    assert [e.price for e in first.bids] == [99.0, 98.0, 97.0]
    book.apply_update(BookUpdate(SYMBOL, [(96.0, 5.0), (50.0, 1.0)], [(104.0, 5.0)], 2, 2, 0))
    second = book.snapshot(3)
    assert second.bids is first.bids  # nothing inside the edge moved
    assert second.asks is first.asks
    book.apply_update(BookUpdate(SYMBOL, [(97.0, 2.0)], [], 3, 3, 0))  # a size at the edge itself
    assert book.snapshot(3).bids[2] == OrderBookEntry(97.0, 2.0)
    assert book.snapshot(3).asks is first.asks
    book.apply_update(BookUpdate(SYMBOL, [], [(102.0, 0.0)], 4, 4, 0))  # a deletion inside the top
    assert [e.price for e in book.snapshot(3).asks] == [101.0, 103.0, 104.0]
    book.apply_update(BookUpdate(SYMBOL, [(99.5, 4.0)], [], 5, 5, 0))  # a new best bid
    assert book.snapshot(3).bids == (
        OrderBookEntry(99.5, 4.0),
        OrderBookEntry(99.0, 1.0),
        OrderBookEntry(98.0, 1.0),
    )


def test_zero_and_negative_sizes() -> None:
    """A size of 0 (or below) deletes: ignored in a snapshot, a no-op for a price not in the book."""
    book = LocalOrderBook(SYMBOL)
    book.apply_snapshot([(99.0, 0.0), (98.0, 1.0)], [(101.0, -1.0), (102.0, 2.0)], 1, 0)
    assert book.bids() == [(98.0, 1.0)]
    assert book.asks() == [(102.0, 2.0)]
    book.apply_update(BookUpdate(SYMBOL, [(97.0, 0.0), (98.0, -2.0)], [(103.0, 0.0)], 2, 2, 0))
    assert book.bids() == []
    assert book.asks() == [(102.0, 2.0)]
    assert book.best_bid() is None
    assert book.spread() is None
    assert book.snapshot(5).bids == ()


def test_crossed_snapshot_drops_the_overlap_on_both_sides() -> None:
    book = LocalOrderBook(SYMBOL)
    book.apply_snapshot(
        [(100.0, 1.0), (102.0, 1.0), (98.0, 1.0)], [(99.0, 1.0), (101.0, 1.0), (103.0, 1.0)], 1, 0
    )
    assert book.bids() == [(98.0, 1.0)]  # bids at or above the lowest ask (99) are gone
    assert book.asks() == [(103.0, 1.0)]  # asks at or below the highest bid (102) are gone


def test_basic_reads() -> None:
    book = LocalOrderBook(SYMBOL)
    assert not hasattr(book, "state")  # the synchronizer owns the state, not the data structure
    assert book.best_bid() is None
    assert book.spread() is None
    assert book.mid() is None
    book.apply_snapshot([(99.0, 1.0), (100.0, 2.0)], [(101.0, 3.0), (102.0, 4.0)], 7, 1700)
    assert book.version == 7
    assert book.last_update_time == 1700
    assert book.best_bid() == OrderBookEntry(100.0, 2.0)
    assert book.best_ask() == OrderBookEntry(101.0, 3.0)
    assert book.spread() == 1.0
    assert book.mid() == 100.5
    book.apply_update(BookUpdate(SYMBOL, [(100.0, 0.0), (98.0, 5.0)], [(101.0, 1.5)], 8, 9, 1800))
    assert book.best_bid() == OrderBookEntry(99.0, 1.0)
    assert book.snapshot(1).asks == (OrderBookEntry(101.0, 1.5),)
    assert book.version == 9
    assert (book.bid_depth, book.ask_depth) == (2, 2)
    assert book.snapshot(0).bids == ()


def test_crossing_update_drops_stale_opposite_levels() -> None:
    book = LocalOrderBook(SYMBOL)
    book.apply_snapshot([(99.0, 1.0)], [(100.0, 1.0), (101.0, 1.0), (102.0, 1.0)], 1, 0)
    book.apply_update(BookUpdate(SYMBOL, [(101.0, 2.0)], [], 2, 2, 0))
    assert book.best_bid() == OrderBookEntry(101.0, 2.0)
    assert book.snapshot().asks == (OrderBookEntry(102.0, 1.0),)
    book.apply_update(BookUpdate(SYMBOL, [], [(100.5, 3.0)], 3, 3, 0))
    assert book.best_ask() == OrderBookEntry(100.5, 3.0)
    assert book.snapshot().bids == (OrderBookEntry(99.0, 1.0),)


def test_orderbook_module_does_not_import_the_synchronizer() -> None:
    """One owner per state: the data structure knows nothing of the state machine (no cycle)."""
    import ast
    import inspect

    from exchanges import orderbook

    tree = ast.parse(inspect.getsource(orderbook))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "exchanges.book_sync" not in imported
    assert not hasattr(orderbook, "BookSynchronizer")
