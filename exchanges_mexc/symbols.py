"""MexcSymbolMapper: ``Symbol("BTC", "USDT")`` <-> MEXC pair string ``"BTCUSDT"``, cached both ways.

MEXC pair strings are base and quote concatenated without a separator, so a pair can only be split by
knowing the quote assets. The mapper knows the quotes MEXC lists and splits on the *longest* matching
quote suffix; after :meth:`MexcSymbolMapper.load` it also knows every listed pair exactly (exchangeInfo's
``baseAsset``/``quoteAsset`` win over any suffix guess).

Conversions are on every hot path (each WebSocket push names its pair), so both directions are dict
lookups after the first call; hits and misses are counted for the ``cache_hit_rate`` metric.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from exchanges.errors import SymbolNotSupported
from exchanges.metrics import ratio
from exchanges.models import AssetName, Symbol, SymbolInfo
from exchanges_mexc.constants import EXCHANGE_NAME

__all__ = ["DEFAULT_QUOTE_ASSETS", "MexcSymbolMapper"]

logger = logging.getLogger("exchanges.mexc.symbols")

DEFAULT_QUOTE_ASSETS: tuple[str, ...] = (
    "USDT",
    "USDC",
    "USDE",
    "USD1",
    "BTC",
    "ETH",
    "EUR",
    "BRL",
    "TRY",
    "MX",
)
"""Quote assets MEXC spot lists markets in. ``load()`` adds any other quote seen in exchangeInfo."""


class MexcSymbolMapper:
    """Converts between :class:`~exchanges.models.Symbol` and MEXC pair strings.

    * ``to_pair(symbol)`` never fails: MEXC pairs are ``base + quote``.
    * ``to_symbol(pair)`` returns the listed pair learned from exchangeInfo, else splits on the longest
      known quote suffix; a pair no known quote ends it raises
      :class:`~exchanges.errors.SymbolNotSupported`.

    The spec's names ``symbol_to_string`` / ``string_to_symbol`` are aliases. Not thread-safe by design
    (one event loop).
    """

    __slots__ = ("_hits", "_misses", "_pair_cache", "_quotes", "_symbol_cache")

    def __init__(self, quote_assets: Iterable[str] = DEFAULT_QUOTE_ASSETS) -> None:
        self._quotes: tuple[str, ...] = ()
        self._pair_cache: dict[Symbol, str] = {}
        self._symbol_cache: dict[str, Symbol] = {}
        self._hits = 0
        self._misses = 0
        self._set_quotes(quote_assets)

    # ------------------------------------------------------------------ conversions (hot path)

    def to_pair(self, symbol: Symbol) -> str:
        """``Symbol("BTC", "USDT")`` -> ``"BTCUSDT"``."""
        pair = self._pair_cache.get(symbol)
        if pair is not None:
            self._hits += 1
            return pair
        self._misses += 1
        pair = self._pair_cache[symbol] = f"{symbol.base}{symbol.quote}"
        return pair

    def to_symbol(self, pair: str) -> Symbol:
        """``"BTCUSDT"`` (any case) -> ``Symbol("BTC", "USDT")``; raises SymbolNotSupported if unknown."""
        symbol = self._symbol_cache.get(pair)
        if symbol is not None:
            self._hits += 1
            return symbol
        self._misses += 1
        symbol = self._split(pair)
        self._symbol_cache[pair] = symbol
        return symbol

    symbol_to_string = to_pair
    string_to_symbol = to_symbol

    # ------------------------------------------------------------------ learning

    def register(self, symbol: Symbol, pair: str | None = None) -> None:
        """Learn one listed pair (``pair`` defaults to ``base + quote``); its quote becomes a known quote."""
        exact = (pair or f"{symbol.base}{symbol.quote}").upper()
        self._pair_cache[symbol] = exact
        self._symbol_cache[exact] = symbol
        if symbol.quote not in self._quotes:
            self._set_quotes((*self._quotes, symbol.quote))

    def load(self, infos: Iterable[SymbolInfo] | Mapping[Symbol, SymbolInfo] | Iterable[Symbol]) -> int:
        """Learn every listed pair, e.g. from ``parse_exchange_info(...)``; returns how many were learned.

        Accepts the ``dict[Symbol, SymbolInfo]`` the parser returns, an iterable of SymbolInfo or of Symbol.
        Pairs cached earlier by a suffix guess are replaced by the listed split.
        """
        items: Iterable[object] = infos.values() if isinstance(infos, Mapping) else infos
        count = 0
        for item in items:
            symbol = item.symbol if isinstance(item, SymbolInfo) else item
            if not isinstance(symbol, Symbol):
                raise TypeError(f"load() expects SymbolInfo or Symbol items, got {type(item).__name__}")
            self.register(symbol)
            count += 1
        logger.debug("learned %d MEXC pairs; %d quote assets known", count, len(self._quotes))
        return count

    def is_known(self, pair: str) -> bool:
        """True if the pair was learned (``register``/``load``) or already converted."""
        return pair in self._symbol_cache

    # ------------------------------------------------------------------ metrics

    @property
    def quote_assets(self) -> tuple[str, ...]:
        """Known quote assets, longest first (the order suffixes are tried in)."""
        return self._quotes

    @property
    def cache_hits(self) -> int:
        return self._hits

    @property
    def cache_misses(self) -> int:
        return self._misses

    @property
    def cache_hit_rate(self) -> float:
        """Percentage of conversions served from the cache (0.0 before the first conversion)."""
        return ratio(self._hits, self._hits + self._misses)

    def stats(self) -> dict[str, float]:
        """Hits, misses, hit rate (%) and cache sizes, for ``get_performance_metrics()``."""
        return {
            "symbol_cache_hits": self._hits,
            "symbol_cache_misses": self._misses,
            "symbol_cache_hit_rate": self.cache_hit_rate,
            "symbol_cache_pairs": len(self._symbol_cache),
        }

    # ------------------------------------------------------------------ internals

    def _set_quotes(self, quotes: Iterable[str]) -> None:
        unique = {q.strip().upper() for q in quotes if q and q.strip()}
        # Longest first, then alphabetical: deterministic, and "USDT" is tried before a shorter suffix.
        self._quotes = tuple(sorted(unique, key=lambda q: (-len(q), q)))

    def _split(self, pair: str) -> Symbol:
        text = pair.strip().upper()
        if text != pair:
            known = self._symbol_cache.get(text)
            if known is not None:
                return known
        for quote in self._quotes:
            if len(text) > len(quote) and text.endswith(quote):
                base = text[: -len(quote)]
                try:
                    return Symbol(AssetName(base), AssetName(quote))
                except ValueError:
                    break
        raise SymbolNotSupported(
            f"unknown MEXC pair {pair!r}: it matches no listed pair and ends in none of the known quote "
            f"assets ({', '.join(self._quotes)}); load exchangeInfo first or register the symbol",
            exchange=EXCHANGE_NAME,
        )
