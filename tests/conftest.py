"""Shared pytest configuration: hypothesis profiles sized for CI on a 2-core machine."""

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")
