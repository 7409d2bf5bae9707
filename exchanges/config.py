"""Exchange configuration and API credentials.

``ExchangeConfig`` is deliberately flat: every exchange-neutral knob (REST, WebSocket, caches) is one
field with a default, and a plugin's own knobs are the fields of its typed ``settings`` record, so
each can come from a TOML file, an environment variable or a keyword argument with the same name.
:func:`load_exchange_config` layers the sources, lowest first::

    plugin defaults  <  plugin environment profile  <  TOML [name]  <  TOML [name.environments.<env>]
                     <  environment variables (EXCHANGES_<NAME>_<FIELD>)  <  explicit overrides

The TOML file is the ``path`` argument, else ``$EXCHANGES_CONFIG``, else ``./exchanges.toml`` when it
exists::

    [toy]
    request_timeout = 3
    [toy.environments.sim]
    rest_url = "http://127.0.0.1:8080"

``Credentials`` keep the secret out of every ``repr``, ``str``, log line and exception message; they
come from ``<PREFIX>_API_KEY``/``<PREFIX>_SECRET_KEY`` or a TOML file named by
``<PREFIX>_CREDENTIALS_FILE``. Secrets never live in the exchange config file on purpose.
"""

from __future__ import annotations

from exchanges._config.allowlist import AllowedDestination, WithdrawalAllowlist
from exchanges._config.credentials import Credentials, load_credentials, mask_key
from exchanges._config.loading import (
    CONFIG_ENV_VAR,
    DEFAULT_CONFIG_FILE,
    env_prefix,
    load_exchange_config,
    read_config_file,
)
from exchanges._config.record import ExchangeConfig

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_FILE",
    "AllowedDestination",
    "Credentials",
    "ExchangeConfig",
    "WithdrawalAllowlist",
    "env_prefix",
    "load_credentials",
    "load_exchange_config",
    "mask_key",
    "read_config_file",
]
