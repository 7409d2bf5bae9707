"""The one validation layer at the wire: value checks shared by every REST and WebSocket builder.

A builder either returns a record whose numbers are all finite and in range, or raises. The checks
here raise :class:`InvalidField` (field name + reason, no source); the public entry points (a REST
``parse_*`` function, the frame decoder) know which endpoint or channel they read and turn it into
:class:`exchanges.errors.ProtocolError` with :func:`protocol_error`, so builders stay free of
plumbing arguments.

Rules (DESIGN.md "wire validation"): NaN and infinities are never valid; negative prices and
quantities are never valid; zero is rejected where it is meaningless (a price, a trade's or fill's
quantity, a snapshot level's size) and accepted where it means something (a depth *update* level of
size 0 removes the level; an empty book-ticker side is 0).

A check is one chained comparison per value (``0.0 < price < INF`` is false for NaN, infinities,
negatives and zero) in a plain loop. Measured on CPython 3.11 with ``timeit`` in one process: for 20
depth levels the loop takes ~1.05 us where ``min``/``sum`` passes over ``chain.from_iterable`` took
~4.2 us, and for 10 trades ~0.6 us against ~1.7 us for ``itemgetter`` columns; the slow path that
names the offending field runs only for a message that is being rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final, NoReturn

from exchanges.errors import ProtocolError

from ..constants import EXCHANGE_NAME

__all__ = [
    "INF",
    "InvalidField",
    "check_levels",
    "check_update_levels",
    "fail",
    "non_negative",
    "non_negative_dec",
    "non_negative_time",
    "positive",
    "positive_dec",
    "positive_int",
    "protocol_error",
]

INF: Final = float("inf")


class InvalidField(ValueError):
    """A wire value failed a check. ``field`` names it; the entry point adds the endpoint/channel."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


def fail(field: str | None, reason: str) -> NoReturn:
    raise InvalidField(field, reason)


def protocol_error(source: str, error: BaseException) -> ProtocolError:
    """The typed error for a wire message from ``source`` (endpoint or channel) that failed to parse."""
    if isinstance(error, InvalidField):
        return ProtocolError(error.reason, source=source, field=error.field, exchange=EXCHANGE_NAME)
    return ProtocolError(
        f"{type(error).__name__}: {error}"[:300], source=source, field=None, exchange=EXCHANGE_NAME
    )


def positive(value: float, field: str) -> float:
    """``value`` when it is a finite number > 0 (NaN fails every comparison)."""
    if 0.0 < value < INF:
        return value
    fail(field, f"expected a finite number > 0, got {value!r}")


def non_negative(value: float, field: str) -> float:
    """``value`` when it is a finite number >= 0."""
    if 0.0 <= value < INF:
        return value
    fail(field, f"expected a finite number >= 0, got {value!r}")


def positive_int(value: int, field: str) -> int:
    """An int > 0 (a server time, an id)."""
    if value > 0:
        return value
    fail(field, f"expected an integer > 0, got {value}")


def non_negative_time(value: int, field: str) -> int:
    """A time or id in milliseconds/units: an int >= 0."""
    if value >= 0:
        return value
    fail(field, f"expected a time >= 0, got {value}")


def positive_dec(value: Decimal, field: str) -> Decimal:
    """``value`` when it is a finite Decimal > 0."""
    if value.is_finite() and value > 0:
        return value
    fail(field, f"expected a finite number > 0, got {value}")


def non_negative_dec(value: Decimal, field: str) -> Decimal:
    """``value`` when it is a finite Decimal >= 0."""
    if value.is_finite() and value >= 0:
        return value
    fail(field, f"expected a finite number >= 0, got {value}")


def check_levels(side: str, levels: Sequence[tuple[float, float]]) -> None:
    """A snapshot side: every price and size finite and > 0."""
    for price, size in levels:
        if not (0.0 < price < INF and 0.0 < size < INF):
            _explain(side, levels, zero_size_ok=False)


def check_update_levels(side: str, levels: Sequence[tuple[float, float]]) -> None:
    """A depth-update side: prices finite and > 0, sizes finite and >= 0 (0 removes the level)."""
    for price, size in levels:
        if not (0.0 < price < INF and 0.0 <= size < INF):
            _explain(side, levels, zero_size_ok=True)


def _explain(side: str, levels: Sequence[tuple[float, float]], *, zero_size_ok: bool) -> NoReturn:
    """Slow path: name the first bad level (only runs for a message that is being rejected)."""
    for index, (price, size) in enumerate(levels):
        positive(price, f"{side}[{index}].price")
        if zero_size_ok:
            non_negative(size, f"{side}[{index}].quantity")
        else:
            positive(size, f"{side}[{index}].quantity")
    fail(side, "invalid level")  # not reached: the caller found a level that fails one of the checks
