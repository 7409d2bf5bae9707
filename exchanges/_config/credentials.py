"""API credentials: ``Credentials`` (the secret never shown) and where they are read from."""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

import attrs

from exchanges.errors import ConfigurationError

logger = logging.getLogger("exchanges.config")


def mask_key(value: str) -> str:
    """Show only the ends of an API key (``mx0v...ab12``); short keys are fully masked."""
    if len(value) <= 8:
        return "***"
    return f"{value[:4]}...{value[-4:]}"


@attrs.frozen(slots=True, repr=False)
class Credentials:
    """An API key pair. ``repr``/``str`` show ``Credentials(api_key='mx0v...ab12', secret_key='***')``."""

    api_key: str
    secret_key: str

    def __repr__(self) -> str:
        return f"Credentials(api_key={mask_key(self.api_key)!r}, secret_key='***')"

    __str__ = __repr__

    @classmethod
    def from_env(cls, prefix: str, env: Mapping[str, str] | None = None) -> Credentials:
        """Read ``<PREFIX>_API_KEY``/``<PREFIX>_SECRET_KEY``, else the file in ``<PREFIX>_CREDENTIALS_FILE``.

        ``prefix`` is required: it is the exchange's ``ExchangeSpec.credential_env_prefix``.

        Raises :class:`ConfigurationError` naming the variables when neither is set.
        """
        return load_credentials(prefix, env=os.environ if env is None else env)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Credentials:
        """Read a TOML file with top-level ``api_key`` and ``secret_key`` strings."""
        file = Path(path)
        try:
            with file.open("rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read credentials file {str(file)!r}: {exc.strerror or type(exc).__name__}"
            ) from None
        except tomllib.TOMLDecodeError:
            # The decoder's message may quote file content: never repeat it.
            raise ConfigurationError(f"credentials file {str(file)!r} is not valid TOML") from None
        api_key, secret_key = data.get("api_key"), data.get("secret_key")
        if not isinstance(api_key, str) or not api_key or not isinstance(secret_key, str) or not secret_key:
            raise ConfigurationError(
                f"credentials file {str(file)!r} must define non-empty strings api_key and secret_key"
            )
        return cls(api_key, secret_key)


def load_credentials(prefix: str, env: Mapping[str, str]) -> Credentials:
    """Credentials from ``<PREFIX>_API_KEY``/``<PREFIX>_SECRET_KEY`` or ``<PREFIX>_CREDENTIALS_FILE``."""
    key_var, secret_var, file_var = f"{prefix}_API_KEY", f"{prefix}_SECRET_KEY", f"{prefix}_CREDENTIALS_FILE"
    api_key, secret_key = env.get(key_var, ""), env.get(secret_var, "")
    if api_key and secret_key:
        logger.debug("credentials loaded from %s/%s", key_var, secret_var)
        return Credentials(api_key, secret_key)
    if api_key or secret_key:
        missing = secret_var if api_key else key_var
        raise ConfigurationError(
            f"incomplete credentials: {missing} is not set (set both {key_var} and {secret_var})"
        )
    file = env.get(file_var, "")
    if file:
        logger.debug("credentials loaded from file named by %s", file_var)
        return Credentials.from_file(file)
    raise ConfigurationError(
        f"no API credentials: set {key_var} and {secret_var}, or {file_var} "
        "(a TOML file with api_key and secret_key), or pass credentials explicitly"
    )
