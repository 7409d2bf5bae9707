"""Converting one config value (from TOML, an environment variable or an override) to its field's type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def convert_value(kind: Any, value: Any) -> Any:
    """Convert one value to ``kind``; strings (from env vars) are parsed. Raises ValueError."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("expected true/false")
    if kind is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("expected an integer")
        return int(value)
    if kind is float:
        if isinstance(value, bool):
            raise ValueError("expected a number")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ValueError("expected a string")
        return value
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(kind, type) and not isinstance(value, kind):
        raise ValueError(f"expected {kind.__name__}")
    return value
