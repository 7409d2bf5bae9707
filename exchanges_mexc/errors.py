"""MEXC error codes -> the framework's exception classes (API.md §7).

MEXC answers business and auth errors with HTTP 400 and ``{"code": <int>, "msg": "<text>"}``;
403 means the WAF refused the request, 429 is the rate limit and 418 an IP ban (both with a
``Retry-After`` header in seconds); 5xx means MEXC failed and the outcome of a write is unknown.

The seed spec's codes (1100/1101/1102 rate limit, 2010/2011/2013 trading disabled, 2019/2020
insufficient balance) are Binance-style codes MEXC spot never sends (API.md §12 #6). They are kept as
aliases because they collide with no real MEXC spot code: the real table has ``-2011`` (unknown order,
negative) but no positive 1100-1102, 2010, 2011, 2013, 2019 or 2020.

Judgement calls: 10073 (invalid Request-Time) is treated like 700003 (resync the clock, retry once);
22222 (record does not exist) stays a plain ExchangeAPIError because only -2011 reliably means
"unknown order" (order reconciliation must not mistake another missing record for it); 20002/10219/11444
(internal error, flow write failed, maintenance) are server errors.

Messages name the HTTP status, the code and MEXC's own ``msg``; never the query string, the
signature or the API key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exchanges.errors import (
    AuthenticationError,
    ClockSkewError,
    ExchangeAPIError,
    ExchangeError,
    ExchangeServerError,
    InsufficientBalance,
    InvalidOrder,
    OrderNotFound,
    RateLimitError,
    SymbolNotSupported,
    TradingDisabled,
)
from exchanges.transport.rest import error_envelope, parse_retry_after
from exchanges_mexc.constants import EXCHANGE_NAME, SUCCESS_CODES
from exchanges_mexc.parsing.shapes import envelope_keys
from exchanges_mexc.parsing.values import code_opt

AUTHENTICATION_CODES = frozenset({400, 401, 602, 10001, 10072, 700001, 700002, 700006, 700007})
CLOCK_SKEW_CODES = frozenset({700003, 10073})
INSUFFICIENT_BALANCE_CODES = frozenset({10101, 30004, 30005})
ORDER_NOT_FOUND_CODES = frozenset({-2011})
SYMBOL_NOT_SUPPORTED_CODES = frozenset({10007, -1121, 30014, 30021, 730001})
TRADING_DISABLED_CODES = frozenset(
    {26, 30000, 30001, 30016, 30018, 30019, 30020, 30027, 30028, 60005, 70011, 730100, 10206, 10211, 10265}
)
INVALID_ORDER_CODES = frozenset(
    {
        -1128,
        30002,
        30003,
        30010,
        30025,
        30026,
        30029,
        30032,
        30041,
        30087,
        33333,
        44444,
        700004,
        700005,
        700008,
        730002,
        10095,
        10096,
        10097,
        10102,
    }
)
RATE_LIMIT_CODES = frozenset({429})
SERVER_ERROR_CODES = frozenset({500, 503, 504, 20002, 10219, 11444})

SPEC_RATE_LIMIT_ALIASES = frozenset({1100, 1101, 1102})
SPEC_TRADING_DISABLED_ALIASES = frozenset({2010, 2011, 2013})
SPEC_INSUFFICIENT_BALANCE_ALIASES = frozenset({2019, 2020})

CODE_CLASSES: Mapping[int, type[ExchangeAPIError]] = {
    **dict.fromkeys(SPEC_RATE_LIMIT_ALIASES, RateLimitError),
    **dict.fromkeys(SPEC_TRADING_DISABLED_ALIASES, TradingDisabled),
    **dict.fromkeys(SPEC_INSUFFICIENT_BALANCE_ALIASES, InsufficientBalance),
    **dict.fromkeys(AUTHENTICATION_CODES, AuthenticationError),
    **dict.fromkeys(CLOCK_SKEW_CODES, ClockSkewError),
    **dict.fromkeys(INSUFFICIENT_BALANCE_CODES, InsufficientBalance),
    **dict.fromkeys(ORDER_NOT_FOUND_CODES, OrderNotFound),
    **dict.fromkeys(SYMBOL_NOT_SUPPORTED_CODES, SymbolNotSupported),
    **dict.fromkeys(TRADING_DISABLED_CODES, TradingDisabled),
    **dict.fromkeys(INVALID_ORDER_CODES, InvalidOrder),
    **dict.fromkeys(RATE_LIMIT_CODES, RateLimitError),
    **dict.fromkeys(SERVER_ERROR_CODES, ExchangeServerError),
}
"""Every MEXC code we classify; anything else becomes a plain ExchangeAPIError."""

_MAX_MSG = 200
"""Longest MEXC ``msg`` kept from a 2xx error envelope: the same cut ``error_envelope`` makes for bodies."""


class SideNotAllowed(InvalidOrder, TradingDisabled):
    """The symbol does not accept this side now (``tradeSideType``; MEXC 30001). Catchable as both."""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def decode_error_body(body: bytes) -> tuple[int | None, str]:
    """``(code, msg)`` from a MEXC error body; ``(None, "")`` when it is not MEXC's JSON shape."""
    code, msg = error_envelope(body)
    return code, msg or ""


def is_error_envelope(data: object) -> bool:
    """True when a 2xx JSON object is MEXC's ``{code, msg}`` error envelope (code not 0/200)."""
    if not isinstance(data, dict) or "code" not in data or "msg" not in data:
        return False
    code = data["code"]
    return not (isinstance(code, int | str) and code in SUCCESS_CODES)


def envelope_in_body(body: bytes) -> Mapping[str, Any] | None:
    """The ``{code, msg}`` error envelope a raw 2xx body carries, or None.

    For callers that take raw bodies to decode them into typed shapes: a body that does not mention
    ``"msg"`` (a bytes search, ~100 ns for a 5 kB depth answer) is never decoded here, so the body is
    decoded once on the normal path; one that does is scanned for those two keys only.
    """
    if body.lstrip()[:1] != b"{" or b'"msg"' not in body:
        return None
    data = envelope_keys(body)
    return data if data is not None and is_error_envelope(data) else None


class MexcErrorClassifier:
    """Turns a MEXC error response into an exception; implements the transport's ``ErrorClassifier``."""

    exchange = EXCHANGE_NAME

    def classify(
        self, status: int, body: bytes, headers: Mapping[str, str], method: str, path: str
    ) -> ExchangeError:
        code, msg = decode_error_body(body)
        where = f"{method} {path}"
        if status in (429, 418) or code in RATE_LIMIT_CODES:
            retry_after = parse_retry_after(_header(headers, "retry-after"))
            what = "IP banned by MEXC (HTTP 418)" if status == 418 else "MEXC rate limit exceeded"
            wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
            return RateLimitError(
                f"{what} on {where}{wait}{self._detail(code, msg)}",
                retry_after=retry_after,
                status=status,
                code=code,
                exchange=self.exchange,
            )
        if status == 403:
            return ExchangeAPIError(
                f"MEXC WAF refused {where} (HTTP 403: web application firewall limit violated or access "
                f"denied; slow down and check the request){self._detail(code, msg)}",
                status=status,
                code=code,
                exchange=self.exchange,
            )
        if status >= 500:
            return ExchangeServerError(
                f"MEXC internal error on {where}{self._detail(code, msg)}",
                status=status,
                code=code,
                exchange=self.exchange,
            )
        return self.from_code(code, msg, status=status, where=where)

    def from_code(
        self, code: int | None, msg: str, *, status: int | None = None, where: str = ""
    ) -> ExchangeAPIError:
        """The exception for a MEXC ``code``/``msg`` pair (also used for batch items and envelopes)."""
        cls = CODE_CLASSES.get(code, ExchangeAPIError) if code is not None else ExchangeAPIError
        context = f" on {where}" if where else ""
        text = f"MEXC error {code}{context}: {msg}" if code is not None else f"MEXC error{context}: {msg}"
        if code is None and not msg:
            text = f"MEXC error{context} without a MEXC error body"
        return cls(text, status=status, code=code, exchange=self.exchange)

    def classify_error(self, error_code: int, message: str = "") -> type[ExchangeError]:
        """The spec's form: the exception *class* MEXC ``error_code`` maps to (``message`` is accepted
        for the spec's signature; MEXC's codes alone decide). Raise it with ``from_code`` for a message."""
        if error_code in RATE_LIMIT_CODES:
            return RateLimitError
        return CODE_CLASSES.get(error_code, ExchangeAPIError)

    def from_envelope(self, data: Mapping[str, Any], where: str = "") -> ExchangeAPIError:
        """The exception for a ``{code, msg}`` error envelope received with HTTP 2xx."""
        msg = data.get("msg")
        text = "" if msg is None else str(msg)[:_MAX_MSG]
        return self.from_code(code_opt(data.get("code")), text, where=where)

    @staticmethod
    def _detail(code: int | None, msg: str) -> str:
        if code is None:
            return ""
        return f": MEXC code {code} {msg}".rstrip()
