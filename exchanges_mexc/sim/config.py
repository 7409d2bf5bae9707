"""TOML file for simulator accounts (and optional symbol overrides).

::

    [[account]]
    api_key = "mx0vsimalice"          # optional: random when absent
    secret_key = "0123456789abcdef"   # optional: random when absent
    balances = { USDT = "100000", BTC = "2" }

    [symbols.FOOUSDT]                 # optional per-symbol overrides (SymbolSpec field names)
    trade_side_type = 3               # sell only
    api_tradable = false              # isSpotTradingAllowed false -> error 10007
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs


@attrs.frozen
class AccountConfig:
    """One account to create at start."""

    balances: Mapping[str, str] = attrs.field(factory=dict)
    api_key: str | None = None
    secret_key: str | None = None


@attrs.frozen
class SimFileConfig:
    """Everything a simulator TOML file holds."""

    accounts: tuple[AccountConfig, ...] = ()
    symbols: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)


def load_sim_file(path: str | Path) -> SimFileConfig:
    """Parse the TOML file; raises ValueError with the offending entry on bad shapes."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    accounts = []
    for i, entry in enumerate(data.get("account", [])):
        if not isinstance(entry, dict):
            raise ValueError(f"[[account]] #{i} is not a table")
        balances = entry.get("balances", {})
        if not isinstance(balances, dict):
            raise ValueError(f"[[account]] #{i}: balances must be a table")
        accounts.append(
            AccountConfig(
                balances={str(k).upper(): str(v) for k, v in balances.items()},
                api_key=entry.get("api_key"),
                secret_key=entry.get("secret_key"),
            )
        )
    symbols = data.get("symbols", {})
    if not isinstance(symbols, dict):
        raise ValueError("[symbols] must be a table of tables")
    return SimFileConfig(accounts=tuple(accounts), symbols={k.upper(): dict(v) for k, v in symbols.items()})
