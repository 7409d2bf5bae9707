"""What the market-data builders share: REST endpoint names, the record constructor, the clock,
protobuf version strings and the symbol-resolving row filter, plus ``GET /api/v3/time``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Final, Protocol, TypeVar

from exchanges.errors import SymbolNotSupported
from exchanges.models import Symbol

from ..checks import fail, positive_int
from ..shapes import ServerTime, read

__all__ = [
    "AGG_TRADES",
    "AVG_PRICE",
    "BOOK_TICKER",
    "DEPTH",
    "KLINES",
    "MAX_VERSION",
    "TICKER_24H",
    "TICKER_PRICE",
    "TIME",
    "TRADES",
    "SymbolResolver",
    "by_symbol",
    "new_record",
    "now_ms",
    "parse_server_time",
    "required_version",
    "version_or_none",
]

new_record = tuple.__new__
"""``new_record(Record, values)`` builds a NamedTuple without its Python-level ``__new__`` (~100 ns
per record cheaper); callers pass the values in the record's field order."""
MAX_VERSION: Final = 2**63
"""Versions are int64 sequence numbers on the wire; a larger one is not a version."""
SymbolResolver = Callable[[str], Symbol]

# REST endpoints, as named in ProtocolError.source.
TIME: Final = "GET /api/v3/time"
DEPTH: Final = "GET /api/v3/depth"
TRADES: Final = "GET /api/v3/trades"
AGG_TRADES: Final = "GET /api/v3/aggTrades"
KLINES: Final = "GET /api/v3/klines"
TICKER_24H: Final = "GET /api/v3/ticker/24hr"
TICKER_PRICE: Final = "GET /api/v3/ticker/price"
AVG_PRICE: Final = "GET /api/v3/avgPrice"
BOOK_TICKER: Final = "GET /api/v3/ticker/bookTicker"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_server_time(body: bytes) -> int:
    """GET /api/v3/time -> MEXC's clock in milliseconds (> 0)."""
    return read(body, ServerTime, TIME, lambda data: positive_int(data.serverTime, "serverTime"))


class _Named(Protocol):
    @property
    def symbol(self) -> str: ...


N = TypeVar("N", bound=_Named)


def by_symbol(rows: Iterable[N], resolve: SymbolResolver) -> Iterable[tuple[Symbol, N]]:
    """(Symbol, row) for rows whose ``symbol`` the resolver knows; unknown pairs are skipped."""
    for row in rows:
        try:
            symbol = resolve(row.symbol)
        except (ValueError, SymbolNotSupported):
            continue
        yield symbol, row


def version_or_none(text: str, field: str) -> int | None:
    """A protobuf version string -> an int in ``[0, 2**63)``, None when empty (absent)."""
    try:
        version = int(text) if text else None
    except ValueError:
        fail(field, f"expected an integer, got {text!r}"[:120])
    if version is None or 0 <= version < MAX_VERSION:
        return version
    fail(field, f"expected a version in [0, 2**63), got {text!r}"[:120])


def required_version(text: str, field: str) -> int:
    version = version_or_none(text, field)
    if version is None:
        fail(field, "missing")
    return version
