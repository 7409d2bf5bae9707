"""Tolerant scalar conversions for MEXC JSON values.

MEXC sends numbers as strings (``"46263.71"``), sometimes as JSON numbers, and leaves fields empty as
``""`` or ``null`` (e.g. ticker ``bidQty``, ``quoteVolume``, ``count``). One place decides what empty means:
required money fields default to ``Decimal(0)``, optional ones become ``None``. Decimals are always built
from the *string* form, so a JSON float never turns into a binary-fraction Decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import msgspec

__all__ = [
    "ZERO",
    "code_opt",
    "dec",
    "dec_opt",
    "decimal_floats",
    "flt",
    "flt_opt",
    "text_opt",
    "to_int",
    "to_int_opt",
]

ZERO = Decimal(0)
MAX_EXPONENT = 38
"""Decimals beyond 1e38 are rejected like infinities: no price or amount is that large, and such a
value would become ``inf`` wherever it meets a float."""


def dec(value: object, default: Decimal = ZERO) -> Decimal:
    """A Decimal from ``"1.5"``, ``1.5`` or ``2``; ``None``/``""`` give ``default``."""
    result = dec_opt(value)
    return default if result is None else result


def dec_opt(value: object) -> Decimal | None:
    """A Decimal, or None for ``None``/``""``. Raises ValueError for text that is not a number."""
    if type(value) is str:  # protobuf pushes: always text (the private stream's hot path)
        if not value:
            return None
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"expected a decimal number, got {value!r}") from None
        if result.is_finite() and result.adjusted() <= MAX_EXPONENT:
            return result
        raise ValueError(f"expected a finite decimal number, got {value!r}")
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a decimal number, got {value!r}")
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(value) if isinstance(value, str | int) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"expected a decimal number, got {value!r}") from None
    if not result.is_finite() or result.adjusted() > MAX_EXPONENT:
        raise ValueError(f"expected a finite decimal number, got {value!r}")
    return result


def flt(value: object, default: float = 0.0) -> float:
    """A float from a string or number; ``None``/``""`` give ``default``."""
    if value is None or value == "":
        return default
    return float(value)  # type: ignore[arg-type]


def flt_opt(value: object) -> float | None:
    """A float, or None for ``None``/``""``."""
    if value is None or value == "":
        return None
    return float(value)  # type: ignore[arg-type]


def to_int(value: object, default: int = 0) -> int:
    """An int from ``123``, ``"123"`` or ``"123.0"``; ``None``/``""`` give ``default``."""
    result = to_int_opt(value)
    return default if result is None else result


def to_int_opt(value: object) -> int | None:
    """An int, or None for ``None``/``""`` (MEXC sends ids and times as int or as string). Raises
    ValueError outside the signed 64-bit range MEXC's ids and times live in (``"1e999"`` is a finite
    number, but no time)."""
    result = _to_int_opt(value)
    if result is not None and not _INT64_MIN <= result <= _INT64_MAX:
        raise ValueError(f"expected a 64-bit integer, got {value!r}")
    return result


_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def _to_int_opt(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise ValueError(f"expected an integer, got {value!r}") from None
            # adjusted() first: int() of "1e999999999" would build a billion-digit number
            if not number.is_finite() or number.adjusted() > 18 or number != number.to_integral_value():
                raise ValueError(f"expected an integer, got {value!r}") from None
            return int(number)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def code_opt(value: object) -> int | None:
    """A message ``code``/``id`` (``30002`` or ``"30002"``), or None for anything else; never raises.

    For error envelopes and control frames, where an odd value must not stop the message being read.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def text_opt(value: object) -> str | None:
    """A non-empty string, or None for ``None``/``""`` (ids arrive as int or str; both become str)."""
    if value is None or value == "":
        return None
    return str(value)


_FLOAT_LIST = msgspec.json.Decoder(list[float])


def decimal_floats(texts: Sequence[str]) -> list[float]:
    """``[float(text) for text in texts]``, in one C call when every text is a plain JSON number.

    Protobuf pushes carry numbers as decimal strings; a 10-trade push has 20. Joined into one JSON
    array and decoded by msgspec they cost ~1 us instead of ~3.5 us of ``float()`` calls (measured,
    docs/performance.md). Same values: both round correctly (checked against ``float()`` on random
    decimals, tests/mexc/proto/test_decimal_floats.py). Anything msgspec does not take as exactly one
    number per text (``".5"``, ``"nan"``, ``"1e999"``, ``""``, ``"1,2"``) goes through ``float()``
    one by one, so what ``float()`` accepts is accepted as before and the rest raises ValueError.
    """
    try:
        numbers = _FLOAT_LIST.decode("[" + ",".join(texts) + "]")
    except msgspec.DecodeError:
        numbers = []
    if len(numbers) == len(texts):
        return numbers
    return [float(text) for text in texts]
