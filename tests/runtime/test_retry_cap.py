"""The retry strategy never waits past its cap, whatever ``Retry-After`` says."""

from __future__ import annotations

import math

import pytest

from exchanges.errors import RateLimitError
from exchanges.strategies import ExponentialBackoffRetry


@pytest.mark.parametrize("retry_after", [0.5, 2.0])
def test_a_retry_after_within_the_cap_is_waited_for(retry_after: float) -> None:
    retry = ExponentialBackoffRetry(max_attempts=3, base_delay=0.01, max_delay=2.0, jitter=0.0)
    error = RateLimitError("429", retry_after=retry_after, status=429)
    assert retry.should_retry(1, error)
    assert retry.calculate_delay(1, error) == retry_after


@pytest.mark.parametrize("retry_after", [2.5, 99999.0, math.inf, math.nan])
def test_a_retry_after_above_the_cap_is_not_retried_and_never_overrides_it(retry_after: float) -> None:
    """Breaks when ``should_retry`` ignores ``retry_after`` (the call would sleep 27 hours)."""
    retry = ExponentialBackoffRetry(max_attempts=3, base_delay=0.01, max_delay=2.0, jitter=0.0)
    error = RateLimitError("429", retry_after=retry_after, status=429)
    assert not retry.should_retry(1, error)
    assert retry.calculate_delay(1, error) <= 2.0
