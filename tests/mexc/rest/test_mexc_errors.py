"""MexcErrorClassifier: the real MEXC code table, HTTP statuses, Retry-After, no secrets in text."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.errors import (
    AuthenticationError,
    ClockSkewError,
    ExchangeAPIError,
    ExchangeServerError,
    InsufficientBalance,
    InvalidOrder,
    OrderNotFound,
    RateLimitError,
    SymbolNotSupported,
    TradingDisabled,
)
from exchanges_mexc import errors
from exchanges_mexc.errors import (
    AUTHENTICATION_CODES,
    CLOCK_SKEW_CODES,
    CODE_CLASSES,
    INSUFFICIENT_BALANCE_CODES,
    INVALID_ORDER_CODES,
    ORDER_NOT_FOUND_CODES,
    RATE_LIMIT_CODES,
    SERVER_ERROR_CODES,
    SPEC_INSUFFICIENT_BALANCE_ALIASES,
    SPEC_RATE_LIMIT_ALIASES,
    SPEC_TRADING_DISABLED_ALIASES,
    SYMBOL_NOT_SUPPORTED_CODES,
    TRADING_DISABLED_CODES,
    MexcErrorClassifier,
    envelope_in_body,
    is_error_envelope,
)

classifier = MexcErrorClassifier()


def body(code: int, msg: str = "m") -> bytes:
    return msgspec.json.encode({"code": code, "msg": msg, "_extend": None})


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (10072, AuthenticationError),
        (700001, AuthenticationError),
        (700002, AuthenticationError),
        (700006, AuthenticationError),
        (700007, AuthenticationError),
        (602, AuthenticationError),
        (401, AuthenticationError),
        (700003, ClockSkewError),
        (10101, InsufficientBalance),
        (30004, InsufficientBalance),
        (30005, InsufficientBalance),
        (-2011, OrderNotFound),
        (10007, SymbolNotSupported),
        (-1121, SymbolNotSupported),
        (30014, SymbolNotSupported),
        (30021, SymbolNotSupported),
        (730001, SymbolNotSupported),
        (30000, TradingDisabled),
        (30001, TradingDisabled),
        (30016, TradingDisabled),
        (30018, TradingDisabled),
        (30019, TradingDisabled),
        (30020, TradingDisabled),
        (30027, TradingDisabled),
        (30028, TradingDisabled),
        (30002, InvalidOrder),
        (30003, InvalidOrder),
        (30010, InvalidOrder),
        (30025, InvalidOrder),
        (30029, InvalidOrder),
        (30041, InvalidOrder),
        (30087, InvalidOrder),
        (33333, InvalidOrder),
        (44444, InvalidOrder),
        (700004, InvalidOrder),
        (700008, InvalidOrder),
        (10095, InvalidOrder),
        (10096, InvalidOrder),
        (10097, InvalidOrder),
        (10102, InvalidOrder),
        (1100, RateLimitError),
        (1101, RateLimitError),
        (1102, RateLimitError),
        (2010, TradingDisabled),
        (2011, TradingDisabled),
        (2013, TradingDisabled),
        (2019, InsufficientBalance),
        (2020, InsufficientBalance),
        (123456789, ExchangeAPIError),
    ],
)
def test_code_table(code: int, cls: type[ExchangeAPIError]) -> None:
    error = classifier.classify(400, body(code, "the msg"), {}, "POST", "/api/v3/order")
    assert type(error) is cls
    assert isinstance(error, ExchangeAPIError)
    assert error.code == code
    assert error.status == 400
    assert str(code) in str(error)
    assert "the msg" in str(error)


REAL_CODE_SETS = {
    "AUTHENTICATION_CODES": (AUTHENTICATION_CODES, AuthenticationError),
    "CLOCK_SKEW_CODES": (CLOCK_SKEW_CODES, ClockSkewError),
    "INSUFFICIENT_BALANCE_CODES": (INSUFFICIENT_BALANCE_CODES, InsufficientBalance),
    "INVALID_ORDER_CODES": (INVALID_ORDER_CODES, InvalidOrder),
    "ORDER_NOT_FOUND_CODES": (ORDER_NOT_FOUND_CODES, OrderNotFound),
    "RATE_LIMIT_CODES": (RATE_LIMIT_CODES, RateLimitError),
    "SERVER_ERROR_CODES": (SERVER_ERROR_CODES, ExchangeServerError),
    "SYMBOL_NOT_SUPPORTED_CODES": (SYMBOL_NOT_SUPPORTED_CODES, SymbolNotSupported),
    "TRADING_DISABLED_CODES": (TRADING_DISABLED_CODES, TradingDisabled),
}
SPEC_ALIASES = {
    RateLimitError: SPEC_RATE_LIMIT_ALIASES,
    TradingDisabled: SPEC_TRADING_DISABLED_ALIASES,
    InsufficientBalance: SPEC_INSUFFICIENT_BALANCE_ALIASES,
}


def test_real_code_sets_are_all_listed_here() -> None:
    # A code set added to errors.py must be added above, or the collision checks below miss it.
    defined = {name for name in dir(errors) if name.endswith("_CODES") and name != "SUCCESS_CODES"}
    assert defined == set(REAL_CODE_SETS)


def test_spec_aliases_do_not_collide_with_real_codes() -> None:
    real: set[int] = set().union(*(codes for codes, _ in REAL_CODE_SETS.values()))
    aliases: set[int] = set().union(*SPEC_ALIASES.values())
    assert aliases == {1100, 1101, 1102, 2010, 2011, 2013, 2019, 2020}
    assert not aliases & real
    assert -2011 in real  # the real "unknown order" is negative: no clash with the spec's 2011
    for cls, codes in SPEC_ALIASES.items():
        for code in codes:
            assert CODE_CLASSES[code] is cls


def test_real_code_sets_are_disjoint_and_classified() -> None:
    # CODE_CLASSES is built by dict merging: a code in two sets would silently take the later class.
    seen: dict[int, str] = {}
    for name, (codes, cls) in REAL_CODE_SETS.items():
        for code in codes:
            assert code not in seen, f"{code} is in both {seen[code]} and {name}"
            seen[code] = name
            assert CODE_CLASSES[code] is cls
    aliases: set[int] = set().union(*SPEC_ALIASES.values())
    assert set(CODE_CLASSES) == set(seen) | aliases


@pytest.mark.parametrize("status", [429, 418])
def test_rate_limit_statuses_carry_retry_after(status: int) -> None:
    error = classifier.classify(status, b"", {"Retry-After": "7"}, "GET", "/api/v3/depth")
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0
    assert error.status == status


def test_code_429_in_body_is_rate_limit() -> None:
    error = classifier.classify(400, body(429, "Too Many Requests"), {"retry-after": "2"}, "GET", "/x")
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 2.0


def test_403_is_waf_error() -> None:
    error = classifier.classify(403, b"<html>denied</html>", {}, "GET", "/api/v3/account")
    assert type(error) is ExchangeAPIError
    assert "WAF" in str(error)
    assert error.status == 403


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_server_error(status: int) -> None:
    error = classifier.classify(status, b"oops", {}, "GET", "/api/v3/time")
    assert isinstance(error, ExchangeServerError)
    assert error.retryable


def test_non_json_body_is_generic_error() -> None:
    error = classifier.classify(400, b"not json", {}, "GET", "/api/v3/time")
    assert type(error) is ExchangeAPIError
    assert error.code is None


def test_message_has_no_query_string_or_key() -> None:
    error = classifier.classify(
        400, body(700002, "Signature for this request is not valid."), {}, "GET", "/p"
    )
    text = str(error)
    assert "signature=" not in text
    assert "?" not in text
    assert "/p" in text


def test_envelope_detection() -> None:
    assert is_error_envelope({"code": 30002, "msg": "min"})
    assert not is_error_envelope({"code": 200, "data": [], "msg": None})
    assert not is_error_envelope({"code": 0, "msg": "success", "data": {}})
    assert not is_error_envelope({"symbol": "BTCUSDT"})
    assert not is_error_envelope([{"code": 1}])


_ENVELOPE_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 800000) | st.sampled_from(["0", "200", "30002", "x", ""]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["a", "msg"]), children)
    ),
    max_leaves=8,
)


@given(
    st.dictionaries(st.sampled_from(["code", "msg", "data", "symbol"]), _ENVELOPE_VALUES) | _ENVELOPE_VALUES
)
def test_envelope_in_raw_body_agrees_with_the_decoded_check(value: object) -> None:
    """Scanning only ``code``/``msg`` of a raw body finds exactly the envelopes a full decode finds."""
    body = msgspec.json.encode(value)
    found = envelope_in_body(body)
    assert (found is not None) == (b'"msg"' in body and is_error_envelope(value))
    if found is not None:
        assert isinstance(value, dict)
        assert dict(found) == {"code": value["code"], "msg": value["msg"]}


def test_retry_after_http_date_and_garbage() -> None:
    error = classifier.classify(429, b"", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, "GET", "/x")
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 0.0  # a date in the past
    error = classifier.classify(429, b"", {"Retry-After": "soon"}, "GET", "/x")
    assert isinstance(error, RateLimitError)
    assert error.retry_after == float("inf")  # present but unusable: longer than any cap, never waited for


def test_envelope_to_exception() -> None:
    error = classifier.from_envelope({"code": "30002", "msg": "min"}, where="POST /api/v3/order")
    assert isinstance(error, InvalidOrder)
    assert error.code == 30002
    weird = classifier.from_envelope({"code": {"x": 1}, "msg": "odd"})
    assert type(weird) is ExchangeAPIError
    assert is_error_envelope({"code": {"x": 1}, "msg": "odd"})
