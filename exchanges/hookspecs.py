"""The pluggy hooks a plugin implements, under the project name ``"exchanges"``.

A plugin is any module or object with ``@hookimpl`` functions, announced through the entry-point
group ``exchanges`` in its ``pyproject.toml``::

    [project.entry-points.exchanges]
    toy = "toy_exchange.plugin"

and, in ``toy_exchange/plugin.py``::

    from exchanges.hookspecs import hookimpl

    @hookimpl
    def exchanges_register_exchanges(registry):
        registry.register(ExchangeSpec(name="toy", ...))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from exchanges.cli._command import CliCommand
    from exchanges.registry import ExchangeRegistry

__all__ = [
    "PROJECT_NAME",
    "ExchangesHookSpecs",
    "hookimpl",
    "hookspec",
]

PROJECT_NAME = "exchanges"
"""pluggy project name and entry-point group."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class ExchangesHookSpecs:
    """Hook specifications; see the module docstring for how a plugin implements them."""

    @hookspec
    def exchanges_register_exchanges(self, registry: ExchangeRegistry) -> None:
        """Register this plugin's exchanges with ``registry.register(ExchangeSpec(...))``."""

    @hookspec
    def exchanges_cli_commands(self) -> list[CliCommand]:  # type: ignore[empty-body]
        """Extra ``exchanges <command>`` subcommands this plugin provides (e.g. ``sim``, ``demo``)."""
