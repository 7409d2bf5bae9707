"""``FaultSchedule(must_include=...)``: required faults appear on every seed, the other draws are unchanged.

Pure schedule logic (no proxy), so Hypothesis explores seeds: a coverage check such as "the run stalled at
least one request" must hold for any ``CHAOS_SEED`` a user replays.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.testing.chaos import FaultSchedule, HttpFault, TcpFault, WsFault

WITHIN = 12
REQUIRED = (HttpFault.STALL, HttpFault.STALL, WsFault.DROP, TcpFault.RESET)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def http_faults(schedule: FaultSchedule, decisions: int) -> list[HttpFault | None]:
    out: list[HttpFault | None] = []
    for _ in range(decisions):
        decision = schedule.next_http("GET", "/api/v3/depth")
        out.append(None if decision is None else decision.fault)  # type: ignore[arg-type]
    return out


@given(SEEDS)
def test_required_faults_appear_within_the_window_on_every_seed(seed: int) -> None:
    schedule = FaultSchedule(seed, must_include=REQUIRED, must_include_within=WITHIN)
    http = http_faults(schedule, WITHIN)
    ws_rng = schedule.connection_random("ws", 0)
    ws = [schedule.next_ws(ws_rng, 0) for _ in range(WITHIN)]
    tcp = [schedule.next_tcp(schedule.connection_random("tcp", n), n) for n in range(WITHIN)]
    assert http.count(HttpFault.STALL) == 2
    assert ws.count(WsFault.DROP) == 1
    assert [d.fault for d in tcp if d is not None] == [TcpFault.RESET]
    assert schedule.counts() == {"http:stall": 2, "ws:drop": 1, "tcp:reset": 1}


@given(SEEDS)
def test_the_other_decisions_follow_the_seed_as_without_must_include(seed: int) -> None:
    rates = {HttpFault.SERVER_ERROR: 0.3, HttpFault.DELAY: 0.2}
    plain = http_faults(FaultSchedule(seed, http=rates), 40)
    required = http_faults(FaultSchedule(seed, http=rates, must_include=(HttpFault.STALL,)), 40)
    assert required == http_faults(FaultSchedule(seed, http=rates, must_include=(HttpFault.STALL,)), 40)
    changed = [i for i, (a, b) in enumerate(zip(plain, required, strict=True)) if a != b]
    assert len(changed) <= 1
    assert all(required[i] is HttpFault.STALL for i in changed)
    assert HttpFault.STALL in required


def test_only_active_decisions_on_the_faulted_paths_count() -> None:
    schedule = FaultSchedule(
        random.randrange(2**32), http_paths=("/a",), must_include=(HttpFault.DROP,), must_include_within=1
    )
    schedule.calm()
    assert schedule.next_http("GET", "/a") is None  # calm: not a random decision
    schedule.resume()
    assert schedule.next_http("GET", "/b") is None  # off the faulted paths: not a decision either
    decision = schedule.next_http("GET", "/a")
    assert decision is not None
    assert decision.fault is HttpFault.DROP


def test_more_required_faults_than_the_window_is_rejected() -> None:
    with pytest.raises(ValueError, match="must_include_within=1"):
        FaultSchedule(1, must_include=(WsFault.DROP, WsFault.DUPLICATE), must_include_within=1)
