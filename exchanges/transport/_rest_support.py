"""Pieces of the REST transport that are pure: the hook Protocols, the default error
classifier, ``Retry-After`` parsing and query-string encoding.

Kept apart from :mod:`exchanges.transport.rest` so they can be tested and reused (a plugin's own
classifier usually falls back to :class:`DefaultErrorClassifier` for statuses it does not know).
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote, urlencode

import msgspec

from exchanges.errors import ExchangeAPIError, ExchangeError, ExchangeServerError, RateLimitError

Params = Sequence[tuple[str, str]]
"""Query parameters: ordered ``(name, value)`` pairs, already stringified."""

_MAX_MESSAGE = 200


@runtime_checkable
class RequestSigner(Protocol):
    """Signs a request. Called once per attempt, so each attempt gets a fresh timestamp.

    Returns the final url-encoded query string (signature included), sent byte for byte, and extra
    headers (e.g. the API key header).
    """

    def sign(self, method: str, path: str, params: Params) -> tuple[str, Mapping[str, str]]: ...


@runtime_checkable
class ErrorClassifier(Protocol):
    """Turns a non-2xx response into the exception to raise.

    Implementations must not put secrets, signatures or the query string into messages.
    """

    def classify(
        self, status: int, body: bytes, headers: Mapping[str, str], method: str, path: str
    ) -> ExchangeError: ...


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent.

    A header that is present but unusable (garbage, NaN, a date without a zone) gives ``math.inf``:
    the server asked for a wait we cannot bound, so callers treat it as "longer than any cap" and
    raise instead of guessing. Negative values mean "now" (0.0).
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return math.inf if math.isnan(seconds) else max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return math.inf
    if when.tzinfo is None:
        return math.inf
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def error_envelope(body: bytes) -> tuple[int | None, str | None]:
    """``(code, msg)`` from a JSON body like ``{"code": 700002, "msg": "..."}``; Nones otherwise."""
    if not body:
        return None, None
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    raw_code = data.get("code")
    code: int | None = None
    if isinstance(raw_code, int) and not isinstance(raw_code, bool):
        code = raw_code
    elif isinstance(raw_code, str) and raw_code.lstrip("-").isdigit():
        code = int(raw_code)
    raw_msg = data.get("msg", data.get("message"))
    msg = str(raw_msg)[:_MAX_MESSAGE] if raw_msg is not None else None
    return code, msg


class DefaultErrorClassifier:
    """Status-based mapping, exchange-neutral.

    * 429 and 418 -> :class:`RateLimitError` (``retry_after`` from the ``Retry-After`` header)
    * 5xx -> :class:`ExchangeServerError`
    * other statuses -> :class:`ExchangeAPIError`

    ``code``/``msg`` come from a JSON body ``{"code": .., "msg": ..}`` when present. Messages name
    the method, the path (no query string) and the exchange's own message, nothing else.
    """

    def __init__(self, exchange: str | None = None) -> None:
        self.exchange = exchange

    def classify(
        self, status: int, body: bytes, headers: Mapping[str, str], method: str, path: str
    ) -> ExchangeError:
        code, msg = error_envelope(body)
        text = f"{method} {path}: {msg}" if msg else f"{method} {path}: HTTP {status}"
        if status in (429, 418):
            retry_after = parse_retry_after(headers.get("Retry-After"))
            what = "IP banned" if status == 418 else "rate limit reached"
            return RateLimitError(
                f"{text} ({what})", retry_after=retry_after, status=status, code=code, exchange=self.exchange
            )
        if status >= 500:
            return ExchangeServerError(text, status=status, code=code, exchange=self.exchange)
        return ExchangeAPIError(text, status=status, code=code, exchange=self.exchange)


def plain_decimal(value: Decimal) -> str:
    """Plain decimal text, never exponent notation, no trailing zeros: ``1E-5`` -> ``"0.00001"``,
    ``Decimal("1.50")`` -> ``"1.5"``, negative zero -> ``"0"``. The one formatter for money on the wire."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("", "-0"):
        text = "0"
    return text


def param_value(value: Any) -> str:
    """Stringify one parameter for the wire: bools as ``true``/``false``, numbers never in
    exponent notation (``Decimal("1E-5")`` and ``1e-05`` both become ``0.00001``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return plain_decimal(value)
    return str(value)


def normalise_params(params: Params | Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Ordered ``(name, str value)`` pairs; a mapping's None values are dropped."""
    if params is None:
        return []
    # Hot path: names and values are usually str already; only other types go through param_value.
    if isinstance(params, Mapping):
        return [
            (key if type(key) is str else str(key), value if type(value) is str else param_value(value))
            for key, value in params.items()
            if value is not None
        ]
    return [
        (key if type(key) is str else str(key), value if type(value) is str else param_value(value))
        for key, value in params
    ]


is_unreserved = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
"""Matches text made only of RFC 3986 unreserved characters: ``quote(text, safe="")`` returns it
unchanged, so encoders can skip quoting it (one C-level regex match instead of a Python call chain)."""


def encode_query(params: Params) -> str:
    """Percent-encode ``params`` in order (spaces as ``%20``), as unsigned requests send them."""
    unreserved = is_unreserved
    for key, value in params:
        if not (unreserved(key) and unreserved(value)):
            return urlencode(list(params), quote_via=quote)
    return "&".join([f"{key}={value}" for key, value in params])
