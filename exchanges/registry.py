"""What a plugin registers (``ExchangeSpec``) and where (``ExchangeRegistry``).

Exchange names are unique across every installed plugin: a second plugin claiming a name is an
error that names both plugins, never a silent override.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import attrs

from exchanges.capabilities import ALL_CAPABILITIES
from exchanges.config import Credentials, ExchangeConfig
from exchanges.errors import ExchangeNotFound, PluginError
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import Symbol

__all__ = [
    "ExchangeRegistry",
    "ExchangeSpec",
    "PrivateFactory",
    "PublicFactory",
    "SimulatorFactory",
    "SimulatorSession",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ENV_PREFIX = re.compile(r"^[A-Z][A-Z0-9_]*$")

PublicFactory = Callable[[ExchangeConfig, Sequence[Symbol]], PublicExchange]
PrivateFactory = Callable[[ExchangeConfig, Credentials], PrivateExchange]


@attrs.frozen
class SimulatorSession:
    """A running local simulator that generic tools (``exchanges watch --sim``) can point an exchange at.

    Pass ``environment`` and ``overrides`` to the factory's ``create_*_exchange``; ``credentials``
    (when the simulator created a funded demo account) serve the private domain.
    """

    overrides: Mapping[str, Any]
    """Config overrides pointing the exchange at the simulator (``{"rest_url": ..., "ws_url": ...}``)."""
    environment: str | None = None
    """The plugin's environment profile for the simulator (e.g. ``"sim"``), or None for the default."""
    credentials: Credentials | None = None
    description: str = ""
    """One line for humans, e.g. ``"MEXC simulator at http://127.0.0.1:40123"``."""


SimulatorFactory = Callable[[], AbstractAsyncContextManager[SimulatorSession]]
"""Starts a simulator on ``async with`` and stops it on exit."""


@attrs.frozen
class ExchangeSpec:
    """One exchange a plugin provides: its name, defaults and constructors for both domains."""

    name: str
    """Config string users pick it by, e.g. ``"mexc_spot"``: lower case, digits and ``_``."""
    title: str
    default_config: ExchangeConfig
    create_public: PublicFactory
    create_private: PrivateFactory | None
    public_capabilities: tuple[str, ...] = ()
    """Names from :data:`exchanges.capabilities.ALL_CAPABILITIES`."""
    private_capabilities: tuple[str, ...] = ()
    credential_env_prefix: str = attrs.field(kw_only=True)
    """Required: credentials come from ``<PREFIX>_API_KEY``/``<PREFIX>_SECRET_KEY`` (or
    ``<PREFIX>_CREDENTIALS_FILE``), e.g. ``"TOY"``. No default, so a plugin never reads another
    exchange's keys by accident."""
    environments: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, hash=False)
    """Named config profiles, e.g. ``{"sim": {"environment": "sim"}}``."""
    simulator: SimulatorFactory | None = attrs.field(default=None, hash=False)
    """Optional: starts an in-process simulator of this exchange (used by ``--sim`` in the CLI)."""

    def validate(self) -> None:
        """Raise :class:`PluginError` when the spec is malformed."""
        if not _NAME.match(self.name):
            raise PluginError(f"invalid exchange name {self.name!r}: use lower case letters, digits and '_'")
        if not _ENV_PREFIX.match(self.credential_env_prefix):
            raise PluginError(
                f"exchange {self.name!r}: credential_env_prefix {self.credential_env_prefix!r} must be "
                "upper case letters, digits and '_' (e.g. 'TOY' for TOY_API_KEY)"
            )
        if self.default_config.name != self.name:
            raise PluginError(
                f"exchange {self.name!r}: default_config.name is {self.default_config.name!r}, "
                "it must equal the spec name"
            )
        for capability in (*self.public_capabilities, *self.private_capabilities):
            if capability not in ALL_CAPABILITIES:
                raise PluginError(
                    f"exchange {self.name!r} declares unknown capability {capability!r}; "
                    f"known: {', '.join(ALL_CAPABILITIES)}"
                )
        settings: Any = self.default_config.settings
        if settings is not None:
            clash = sorted(set(attrs.fields_dict(type(settings))) & set(attrs.fields_dict(ExchangeConfig)))
            if clash:
                raise PluginError(
                    f"exchange {self.name!r}: settings fields {clash} clash with core config keys; "
                    "rename them"
                )
        if self.private_capabilities and self.create_private is None:
            raise PluginError(f"exchange {self.name!r} declares private capabilities but no create_private")


class ExchangeRegistry:
    """Exchange specs by name, each remembering which plugin registered it."""

    def __init__(self) -> None:
        self._specs: dict[str, ExchangeSpec] = {}
        self._owners: dict[str, str] = {}
        self.current_plugin: str | None = None
        """Set by the plugin manager while a plugin's hook runs, so duplicates can name it."""

    def register(self, spec: ExchangeSpec, *, plugin: str | None = None) -> None:
        """Add a spec. A name already taken raises :class:`PluginError` naming both plugins."""
        owner = plugin or self.current_plugin or "<direct>"
        spec.validate()
        if spec.name in self._specs:
            raise PluginError(
                f"exchange {spec.name!r} is registered twice: by plugin {self._owners[spec.name]!r} "
                f"and by plugin {owner!r}"
            )
        self._specs[spec.name] = spec
        self._owners[spec.name] = owner

    def unregister_plugin(self, plugin: str) -> list[str]:
        """Drop every spec a plugin registered (used when its hook fails half-way)."""
        names = [name for name, owner in self._owners.items() if owner == plugin]
        for name in names:
            del self._specs[name]
            del self._owners[name]
        return names

    def get(self, name: str) -> ExchangeSpec:
        """The spec for ``name``; :class:`ExchangeNotFound` lists the installed names."""
        try:
            return self._specs[name]
        except KeyError:
            installed = ", ".join(self.names()) or "none"
            raise ExchangeNotFound(f"unknown exchange {name!r}; installed exchanges: {installed}") from None

    def owner(self, name: str) -> str:
        """The plugin that registered ``name``."""
        self.get(name)
        return self._owners[name]

    def names(self) -> list[str]:
        """Registered exchange names, sorted."""
        return sorted(self._specs)

    def specs(self) -> list[ExchangeSpec]:
        return [self._specs[name] for name in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)
