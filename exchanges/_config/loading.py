"""Finding and reading the TOML file and the environment, and layering them into one config."""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from exchanges._config.record import SETTABLE, ExchangeConfig, apply_layer, coerce_layer, plugin_fields_of
from exchanges.errors import ConfigurationError

logger = logging.getLogger("exchanges.config")

CONFIG_ENV_VAR = "EXCHANGES_CONFIG"
"""Environment variable naming the TOML config file."""

DEFAULT_CONFIG_FILE = "exchanges.toml"
"""Looked up in the working directory when neither a path nor ``$EXCHANGES_CONFIG`` is given."""


def env_prefix(name: str) -> str:
    """``toy_spot`` -> ``EXCHANGES_TOY_SPOT_``."""
    return "EXCHANGES_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_"


def _find_config_file(path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    if path is not None:
        return Path(path)
    if env.get(CONFIG_ENV_VAR):
        return Path(env[CONFIG_ENV_VAR])
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a TOML config file; errors name the file."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError(f"config file {str(file)!r} does not exist") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {str(file)!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {str(file)!r} is not valid TOML: {exc}") from None


def _split_section(section: Any, source: str) -> tuple[dict[str, Any], dict[str, Mapping[str, Any]]]:
    """Split ``[name]`` into its flat keys and its ``environments`` sub-tables."""
    if not isinstance(section, Mapping):
        raise ConfigurationError(f"{source} must be a table")
    flat = {k: v for k, v in section.items() if k != "environments"}
    environments = section.get("environments", {})
    if not isinstance(environments, Mapping) or not all(
        isinstance(v, Mapping) for v in environments.values()
    ):
        raise ConfigurationError(f"{source}.environments must be a table of tables")
    return flat, dict(environments)


def _from_env(name: str, env: Mapping[str, str], plugin_fields: Mapping[str, Any]) -> dict[str, str]:
    prefix = env_prefix(name)
    valid = [key for key in (*SETTABLE, *plugin_fields) if key != "extra"]
    found: dict[str, str] = {}
    for var, value in env.items():
        if var.startswith(prefix):
            key = var[len(prefix) :].lower()
            if key not in valid:
                raise ConfigurationError(
                    f"unknown config environment variable {var!r}; valid: "
                    + ", ".join(prefix + f.upper() for f in valid)
                )
            found[key] = value
    return found


def load_exchange_config(
    spec_default: ExchangeConfig,
    *,
    environment: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] = os.environ,
    document: Mapping[str, Any] | None = None,
    environments: Mapping[str, Mapping[str, Any]] | None = None,
) -> ExchangeConfig:
    """Layer defaults, TOML, environment variables and overrides into one ExchangeConfig.

    Core keys and the plugin's settings keys (the fields of ``spec_default.settings``) share one
    namespace per exchange and go through the same layers; a key that is neither raises
    :class:`ConfigurationError` naming it, and so does a value the plugin's validators refuse.
    ``document`` is an already-parsed TOML-shaped mapping used instead of any file;
    ``environments`` are the plugin's built-in profiles (``ExchangeSpec.environments``).
    """
    name = spec_default.name
    plugin_fields = plugin_fields_of(spec_default.settings)
    if document is None:
        file = _find_config_file(path, env)
        document = read_config_file(file) if file is not None else {}
        source = f"config file {str(file)!r}" if file is not None else "config"
        if file is not None:
            logger.debug("reading config for %s from %s", name, file)
    else:
        source = "config mapping"

    def coerce(values: Mapping[str, Any], where: str) -> tuple[dict[str, Any], dict[str, Any]]:
        return coerce_layer(values, plugin_fields, source=where)

    toml_flat, toml_envs = _split_section(document.get(name, {}), f"[{name}] in {source}")
    toml_layer = coerce(toml_flat, f"[{name}] in {source}")
    env_layer = coerce(_from_env(name, env, plugin_fields), "environment variables")
    explicit = coerce(overrides or {}, "overrides")

    chosen = (
        environment
        or explicit[0].get("environment")
        or env_layer[0].get("environment")
        or toml_layer[0].get("environment")
        or spec_default.environment
    )
    builtin_envs = dict(environments or {})
    known = {spec_default.environment, "production", *builtin_envs, *toml_envs}
    if chosen not in known:
        raise ConfigurationError(
            f"unknown environment {chosen!r} for {name}; known: {', '.join(sorted(known))}"
        )
    layers = [  # lowest first; each layer is converted exactly once
        coerce(builtin_envs.get(chosen, {}), f"{name} environment profile {chosen!r}"),
        toml_layer,
        coerce(toml_envs.get(chosen, {}), f"[{name}.environments.{chosen}] in {source}"),
        env_layer,
        explicit,
    ]
    merged: dict[str, Any] = {}
    plugin: dict[str, Any] = {}
    extra: dict[str, Any] = dict(spec_default.extra)
    for core_layer, plugin_layer in layers:
        for key, value in core_layer.items():
            if key == "extra":
                extra.update(value)
            else:
                merged[key] = value
        plugin.update(plugin_layer)
    merged["environment"] = chosen
    merged["extra"] = extra
    return apply_layer(spec_default, merged, plugin)
