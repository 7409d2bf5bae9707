"""Package identity: the distribution name, its version and the library's logging manners."""

from __future__ import annotations

import importlib.metadata
import logging

import exchanges


def test_version_is_the_installed_distributions() -> None:
    assert importlib.metadata.version("exchangekit") == exchanges.__version__


def test_the_library_logs_through_a_null_handler() -> None:
    """Without an application handler, records stop at "exchanges" instead of Python's stderr fallback."""
    handlers = logging.getLogger("exchanges").handlers
    assert any(isinstance(handler, logging.NullHandler) for handler in handlers)


def test_the_kit_is_a_pytest_plugin_of_the_distribution() -> None:
    points = importlib.metadata.distribution("exchangekit").entry_points
    assert ("pytest11", "exchanges.testing.pytest_plugin") in {(p.group, p.value) for p in points}
    assert "testing" in (importlib.metadata.metadata("exchangekit").get_all("Provides-Extra") or [])
