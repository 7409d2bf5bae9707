"""The conformance kit's pytest plugin, loaded by pytest on its own (entry point ``pytest11``).

Installing ``exchangekit[testing]`` is all a plugin's project needs: no ``conftest.py`` and no
asyncio configuration (``asyncio_mode`` may stay ``strict``, the default). The plugin

* runs the kit's ``async def`` tests on pytest-asyncio in any mode (it marks them ``asyncio``);
* provides the fixtures documented in docs/writing-a-plugin.md:

  ``exchange_factory``
      a :class:`~exchanges.factory.FullExchangeFactory` over the installed plugins, reading no
      config file and no environment variables (a test sees the plugin's own defaults).

* adds one line to pytest's header naming the installed exchanges, so a run shows which plugins
  the kit saw.

Importing this module is cheap: the framework is imported only when a fixture or hook needs it.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from exchanges.factory import FullExchangeFactory

__all__ = ["exchange_factory"]

_KIT_CLASSES = ("PublicExchangeConformance", "PrivateExchangeConformance")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "exchanges_conformance: a test inherited from the exchanges conformance kit"
    )


def _is_kit_test(item: pytest.Item) -> bool:
    cls = getattr(item, "cls", None)
    return cls is not None and any(base.__name__ in _KIT_CLASSES for base in cls.__mro__[1:])


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Mark the kit's coroutine tests ``asyncio`` before pytest-asyncio decides how to collect them."""
    cls = getattr(collector, "obj", None)
    if (
        inspect.isclass(cls)
        and any(base.__name__ in _KIT_CLASSES for base in cls.__mro__)
        and name.startswith("test_")
        and inspect.iscoroutinefunction(obj)
    ):
        marks = getattr(obj, "pytestmark", [])
        if not any(mark.name == "asyncio" for mark in marks):
            pytest.mark.asyncio(obj)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _is_kit_test(item):
            item.add_marker(pytest.mark.exchanges_conformance)


def pytest_report_header() -> str:
    from exchanges.plugins import ExchangesPluginManager

    manager = ExchangesPluginManager()
    names = ", ".join(spec.name for spec in manager.registry.specs()) or "none"
    return f"exchanges: installed exchanges: {names}"


@pytest.fixture
def exchange_factory() -> FullExchangeFactory:
    """A factory over the installed plugins that ignores config files and environment variables."""
    from exchanges.factory import FullExchangeFactory

    return FullExchangeFactory(config={}, env={})
