"""Shared pytest configuration: hypothesis profiles sized for a 2-core machine.

Local runs ("dev") draw new random examples every time, so they keep exploring. CI runs
(``CI=true``) are derandomized: the same examples on every run, so a result is reproducible and a
rare counterexample found locally is fixed (and pinned with ``@example``) rather than surfacing as
a flaky CI failure.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
