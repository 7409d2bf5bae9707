"""One backoff formula for reconnects, REST retries and resyncs (exchanges.strategies.Backoff)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.errors import ClockSkewError, ExchangeServerError, RateLimitError
from exchanges.strategies import Backoff, ExponentialBackoffRetry, ReconnectionPolicy

delays = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)


@given(
    initial=delays,
    factor=st.floats(min_value=1.0, max_value=10.0),
    cap=delays,
    jitter=st.floats(min_value=0.0, max_value=1.0),
    attempt=st.integers(min_value=0, max_value=5000),
    seed=st.integers(),
)
def test_delay_is_capped_and_at_least_the_base(
    initial: float, factor: float, cap: float, jitter: float, attempt: int, seed: int
) -> None:
    backoff = Backoff(initial, factor, cap, jitter)
    delay = backoff.delay(attempt, random.Random(seed))
    assert 0.0 <= delay <= cap
    assert delay >= min(initial * factor ** min(attempt, 60), cap) or delay == cap


@given(attempt=st.integers(min_value=0, max_value=50))
def test_without_jitter_delays_never_shrink(attempt: int) -> None:
    backoff = Backoff(0.1, 2.0, 30.0, jitter=0.0)
    assert backoff.delay(attempt) <= backoff.delay(attempt + 1)


def test_reconnects_and_rest_retries_share_the_formula() -> None:
    policy = ReconnectionPolicy(initial_delay=0.2, backoff_factor=3.0, max_delay=5.0, jitter=0.0)
    assert policy.backoff == Backoff(0.2, 3.0, 5.0, 0.0)
    assert [policy.delay(n) for n in range(4)] == [0.2, pytest.approx(0.6), pytest.approx(1.8), 5.0]
    retry = ExponentialBackoffRetry(max_attempts=5, base_delay=0.2, max_delay=5.0, jitter=0.0)
    error = ExchangeServerError("boom", status=503)
    # REST attempt 1 failed -> the first wait, like reconnect attempt 0
    assert [retry.calculate_delay(n, error) for n in (1, 2, 3)] == [0.2, 0.4, 0.8]
    assert retry.backoff.delay(0) == Backoff(0.2, 2.0, 5.0, 0.0).delay(0)


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    retry = ExponentialBackoffRetry(max_attempts=3, base_delay=0.1, max_delay=5.0, jitter=0.0)
    assert retry.calculate_delay(1, RateLimitError("slow", retry_after=2.0)) == 2.0
    assert not retry.should_retry(1, RateLimitError("slow", retry_after=60.0))


def test_clock_skew_is_not_blindly_retried() -> None:
    """The resync-and-resend lives in the plugin's signed client; the generic retry must not loop."""
    retry = ExponentialBackoffRetry(max_attempts=5)
    assert not retry.should_retry(1, ClockSkewError("timestamp outside recvWindow", code=700003))


@pytest.mark.parametrize(
    "kwargs",
    [{"factor": 0.5}, {"initial_delay": -1.0}, {"max_delay": float("inf")}, {"jitter": float("nan")}],
)
def test_bad_backoff_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        Backoff(**kwargs)
