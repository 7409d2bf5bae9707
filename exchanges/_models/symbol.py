"""Names of tradable things: ``Symbol`` (a pair), ``AssetName`` and ``OrderId``."""

from __future__ import annotations

from typing import NewType

import attrs

AssetName = NewType("AssetName", str)
"""An upper-case asset ticker such as ``"BTC"``."""

OrderId = NewType("OrderId", str)
"""An exchange order id. Always a string: MEXC ids are opaque strings such as ``"C02__5459..."``."""


def _upper_asset(value: str) -> AssetName:
    text = str(value).strip().upper()
    if not text or not text.isalnum():
        raise ValueError(f"asset name must be non-empty and alphanumeric, got {value!r}")
    return AssetName(text)


@attrs.frozen(slots=True, cache_hash=True, order=True)
class Symbol:
    """A trading pair: ``Symbol("BTC", "USDT")`` or ``Symbol.parse("BTC/USDT")``.

    Assets are normalised to upper case, so ``Symbol("btc", "usdt") == Symbol("BTC", "USDT")``.
    The hash is cached because symbols are dictionary keys on every hot path.
    """

    base: AssetName = attrs.field(converter=_upper_asset)
    quote: AssetName = attrs.field(converter=_upper_asset)

    @classmethod
    def parse(cls, text: str) -> Symbol:
        """Parse ``"BTC/USDT"`` (also ``"BTC-USDT"`` and ``"BTC_USDT"``) into a Symbol."""
        for separator in ("/", "-", "_"):
            if separator in text:
                base, _, quote = text.partition(separator)
                if not base or not quote or separator in quote:
                    break
                return cls(AssetName(base), AssetName(quote))
        raise ValueError(f"cannot parse symbol {text!r}: expected BASE/QUOTE such as 'BTC/USDT'")

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}"
