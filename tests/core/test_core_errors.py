"""The error tree: what callers catch, what they may retry, what they need to reconcile."""

from __future__ import annotations

import pytest

from exchanges.errors import (
    ClockSkewError,
    ExchangeAPIError,
    ExchangeConnectionError,
    ExchangeError,
    ExchangeServerError,
    InvalidOrder,
    OrderNotPlaced,
    OrderOutcomeError,
    OrderOutcomeUnknown,
    RateLimitError,
)


@pytest.mark.parametrize("kind", [OrderOutcomeUnknown, OrderNotPlaced])
def test_lost_write_errors_carry_what_reconciliation_needs(kind: type[OrderOutcomeError]) -> None:
    cause = TimeoutError("read timed out")
    error = kind("lost answer", symbol="BTC/USDT", client_order_id="ex123", cause=cause, exchange="x")
    assert isinstance(error, OrderOutcomeError)
    assert (error.symbol, error.client_order_id, error.cause) == ("BTC/USDT", "ex123", cause)
    assert not error.retryable  # re-sending a write is never automatic
    assert str(error) == "[x] lost answer"


def test_retryable_flags() -> None:
    retryable: set[type[ExchangeError]] = {
        RateLimitError,
        ExchangeServerError,
        ExchangeConnectionError,
    }
    never: set[type[ExchangeError]] = {
        InvalidOrder,
        ClockSkewError,  # a blind retry fails the same way; the plugin resyncs then re-sends once
        ExchangeAPIError,
        OrderOutcomeUnknown,
        OrderNotPlaced,
        ExchangeError,
    }
    assert all(kind.retryable for kind in retryable)
    assert not any(kind.retryable for kind in never)


def test_api_error_text_names_status_and_code_but_nothing_else() -> None:
    error = RateLimitError("slow down", retry_after=2.0, status=429, code=429, exchange="mexc_spot")
    assert str(error) == "[mexc_spot] slow down (HTTP 429, code 429)"
    assert error.retry_after == 2.0
