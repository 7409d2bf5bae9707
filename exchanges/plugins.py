"""Plugin discovery: pluggy plus the ``exchanges`` entry-point group.

Each entry point is loaded on its own, so a plugin that fails to import or to register is logged
at ERROR, recorded in :attr:`ExchangesPluginManager.failures` and skipped, and never hides the
others. ``EXCHANGES_DISABLE_PLUGINS=name1,name2`` skips entry points by name.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from exchanges.errors import PluginError
from exchanges.hookspecs import PROJECT_NAME, ExchangesHookSpecs
from exchanges.registry import ExchangeRegistry

if TYPE_CHECKING:
    from exchanges.cli._command import CliCommand

__all__ = [
    "DISABLE_ENV_VAR",
    "ENTRY_POINT_GROUP",
    "RESERVED_COMMANDS",
    "ExchangesPluginManager",
]

logger = logging.getLogger("exchanges.plugins")

ENTRY_POINT_GROUP = PROJECT_NAME
DISABLE_ENV_VAR = "EXCHANGES_DISABLE_PLUGINS"
RESERVED_COMMANDS = frozenset({"list"})
"""Built-in CLI command names plugins cannot take."""


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class ExchangesPluginManager:
    """Loads plugins and collects what they register.

    ``ExchangesPluginManager()`` loads every installed entry point; pass ``load_entry_points=False``
    and ``plugins=[...]`` (or call :meth:`register`) to use plugin objects directly, as tests do.
    """

    def __init__(
        self,
        *,
        load_entry_points: bool = True,
        plugins: Iterable[object] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.pluggy = pluggy.PluginManager(PROJECT_NAME)
        self.pluggy.add_hookspecs(ExchangesHookSpecs)
        self.failures: dict[str, str] = {}
        """Plugin name -> one-line reason it failed to load or register."""
        self.disabled: list[str] = []
        """Entry points skipped because of ``EXCHANGES_DISABLE_PLUGINS``."""
        self._env = os.environ if env is None else env
        self._registry: ExchangeRegistry | None = None
        self._commands: list[CliCommand] | None = None
        for plugin in plugins:
            self.register(plugin)
        if load_entry_points:
            self.load_entry_points()

    # -- loading ---------------------------------------------------------------------------------

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object (module, class instance...). Returns its name."""
        try:
            registered = self.pluggy.register(plugin, name=name)
        except Exception as exc:
            raise PluginError(f"plugin {name or plugin!r} cannot be registered: {_describe(exc)}") from exc
        if registered is None:
            raise PluginError(f"plugin {name or plugin!r} is blocked or already registered")
        self._registry = None
        self._commands = None
        return registered

    def disabled_names(self) -> set[str]:
        raw = self._env.get(DISABLE_ENV_VAR, "")
        return {part.strip() for part in raw.split(",") if part.strip()}

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Import and register every entry point of ``group``, one by one, sorted by name."""
        disabled = self.disabled_names()
        seen: dict[str, str] = {}
        for entry_point in sorted(importlib.metadata.entry_points(group=group), key=lambda e: e.name):
            name = entry_point.name
            if name in seen:
                if seen[name] != entry_point.value:
                    self._fail(name, f"entry point name also used for {seen[name]!r}; kept the first")
                continue  # the same distribution found twice on sys.path
            seen[name] = entry_point.value
            if name in disabled:
                logger.info("plugin %r disabled by %s", name, DISABLE_ENV_VAR)
                self.disabled.append(name)
                continue
            try:
                plugin = entry_point.load()
            except Exception as exc:
                self._fail(name, f"import of {entry_point.value!r} failed: {_describe(exc)}")
                continue
            try:
                self.register(plugin, name=name)
            except PluginError as exc:
                self._fail(name, str(exc))
                continue
            logger.debug("loaded plugin %r from %s", name, entry_point.value)

    def _fail(self, name: str, reason: str) -> None:
        self.failures[name] = reason
        logger.error("plugin %r failed: %s", name, reason)

    # -- what plugins provide --------------------------------------------------------------------

    def _call_each(self, hook_name: str, call: Callable[[str, Callable[..., Any], list[str]], None]) -> None:
        """Call each plugin's implementation of a hook separately, isolating failures."""
        hook = getattr(self.pluggy.hook, hook_name)
        for impl in hook.get_hookimpls():
            if impl.hookwrapper or impl.wrapper:
                continue
            try:
                call(impl.plugin_name, impl.function, list(impl.argnames))
            except Exception as exc:
                self._fail(impl.plugin_name, f"{hook_name} raised {_describe(exc)}")

    @property
    def registry(self) -> ExchangeRegistry:
        """Every exchange registered by the loaded plugins (collected once, on first use)."""
        if self._registry is None:
            registry = ExchangeRegistry()

            def call(plugin: str, function: Callable[..., Any], argnames: list[str]) -> None:
                registry.current_plugin = plugin
                try:
                    function(**{arg: registry for arg in argnames})
                except Exception:
                    registry.unregister_plugin(plugin)  # all or nothing per plugin
                    raise
                finally:
                    registry.current_plugin = None

            self._call_each("exchanges_register_exchanges", call)
            self._registry = registry
        return self._registry

    def cli_commands(self) -> list[CliCommand]:
        """Subcommands contributed by plugins; a duplicate command name is a failure of the later plugin."""
        if self._commands is None:
            from exchanges.cli._command import CliCommand

            commands: dict[str, CliCommand] = {}

            def call(plugin: str, function: Callable[..., Any], argnames: list[str]) -> None:
                result = list(function() or ())
                for command in result:
                    if not isinstance(command, CliCommand):
                        raise PluginError(f"returned {type(command).__name__}, expected CliCommand")
                    if command.name in commands or command.name in RESERVED_COMMANDS:
                        raise PluginError(f"CLI command {command.name!r} is already provided")
                commands.update((command.name, command) for command in result)

            self._call_each("exchanges_cli_commands", call)
            self._commands = list(commands.values())
        return self._commands

    def plugin_names(self) -> list[str]:
        """Names of the registered plugins."""
        return sorted(name for name, _ in self.pluggy.list_name_plugin())
