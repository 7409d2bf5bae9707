"""MexcSymbolMapper: round trips, longest-suffix split, learned pairs, unknown pairs, cache counters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.errors import SymbolNotSupported
from exchanges.models import Symbol
from exchanges_mexc.symbols import DEFAULT_QUOTE_ASSETS, MexcSymbolMapper

BASE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=10)


@given(BASE, st.sampled_from(DEFAULT_QUOTE_ASSETS))
def test_round_trip(base: str, quote: str) -> None:
    mapper = MexcSymbolMapper()
    symbol = Symbol(base, quote)
    pair = mapper.to_pair(symbol)
    assert pair == base + quote
    assert mapper.to_symbol(pair) == symbol
    assert mapper.string_to_symbol(mapper.symbol_to_string(symbol)) == symbol


@given(st.text(alphabet="ABCDEFGHIJKLNOPQRSVWXZ0123456789", min_size=1, max_size=12))
def test_pairs_without_known_quote_raise(pair: str) -> None:
    # A pair that ends in no known quote (with a non-empty base) cannot be split: it must raise.
    mapper = MexcSymbolMapper()
    if any(pair.endswith(q) and len(pair) > len(q) for q in mapper.quote_assets):
        return
    with pytest.raises(SymbolNotSupported, match="unknown MEXC pair"):
        mapper.to_symbol(pair)


def test_longest_suffix_and_edge_cases() -> None:
    mapper = MexcSymbolMapper()
    assert mapper.to_symbol("USDCUSDT") == Symbol("USDC", "USDT")
    assert mapper.to_symbol("ETHBTC") == Symbol("ETH", "BTC")
    assert mapper.to_symbol("WLFIUSD1") == Symbol("WLFI", "USD1")
    assert mapper.to_symbol("btcusdt") == Symbol("BTC", "USDT")
    for bad in ("USDT", "", "BTC/USDT", "FOOXYZ"):
        with pytest.raises(SymbolNotSupported):
            mapper.to_symbol(bad)


def test_registered_pairs_win_and_quotes_are_learned() -> None:
    mapper = MexcSymbolMapper(quote_assets=("USDT",))
    with pytest.raises(SymbolNotSupported):
        mapper.to_symbol("ABCXYZ")
    mapper.register(Symbol("ABC", "XYZ"))
    assert mapper.to_symbol("ABCXYZ") == Symbol("ABC", "XYZ")
    assert mapper.to_symbol("DEFXYZ") == Symbol("DEF", "XYZ")
    assert mapper.is_known("ABCXYZ")
    assert mapper.load([Symbol("Q", "USDT")]) == 1
    with pytest.raises(TypeError):
        mapper.load(["BTCUSDT"])  # type: ignore[arg-type]


def test_cache_counters() -> None:
    mapper = MexcSymbolMapper()
    assert mapper.cache_hit_rate == 0.0
    for _ in range(9):
        mapper.to_symbol("BTCUSDT")
    assert (mapper.cache_misses, mapper.cache_hits) == (1, 8)
    mapper.to_pair(Symbol("BTC", "USDT"))
    mapper.to_pair(Symbol("BTC", "USDT"))
    assert mapper.cache_hit_rate == pytest.approx(100 * 9 / 11)
    assert mapper.stats()["symbol_cache_pairs"] == 1
