"""What every CLI command shares about output: the environment banner, ``--json``, confirmations.

* :func:`environment_label`: ``SIMULATOR`` for simulator profiles, ``PRODUCTION`` for the real exchange,
  so no screen or order command leaves the user guessing where money moves.
* :func:`add_json_option` / :func:`print_json`: ``--json`` prints one JSON document on stdout with the
  exchange, the environment and the data (records become plain JSON: Decimal as strings, enums as their
  values, symbols as ``"BTC/USDT"``).
* :func:`confirm`: a yes/no question on the terminal; anything but ``y``/``yes`` (or end of input)
  is a no.
"""

from __future__ import annotations

import argparse
import enum
import json
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TextIO

import attrs

from exchanges.models import Symbol

__all__ = ["add_json_option", "confirm", "environment_label", "print_json", "to_jsonable"]

SIMULATOR_ENVIRONMENTS = frozenset({"sim", "simulator", "test", "testnet", "local"})


def environment_label(environment: str | None) -> str:
    """``SIMULATOR``, ``PRODUCTION`` or the profile's name in capitals (``REPLAY``...)."""
    name = (environment or "production").strip().lower()
    if name in SIMULATOR_ENVIRONMENTS:
        return "SIMULATOR"
    return name.upper()


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")


def to_jsonable(value: Any) -> Any:
    """Records, enums, Decimals and symbols as plain JSON values (recursively)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Symbol):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        return {field.name: to_jsonable(getattr(value, field.name)) for field in attrs.fields(type(value))}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: to_jsonable(getattr(value, name)) for name in value._fields}
    if isinstance(value, Mapping):
        return {str(to_jsonable(key)): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item) for item in value]
    return str(value)


def print_json(exchange: str, environment: str | None, data: Any, stream: TextIO | None = None) -> None:
    """``{"exchange", "environment", "data"}`` as one indented JSON document."""
    payload = {"exchange": exchange, "environment": environment_label(environment), "data": to_jsonable(data)}
    print(json.dumps(payload, indent=2), file=stream or sys.stdout)


def confirm(question: str, *, stdin: TextIO | None = None, stderr: TextIO | None = None) -> bool:
    """Ask ``question [y/N]`` on stderr and read the answer from stdin; True only for y/yes."""
    out = stderr or sys.stderr
    source = stdin or sys.stdin
    out.write(f"{question} [y/N] ")
    out.flush()
    answer = source.readline()
    if not answer:
        out.write("\n")
        return False
    return answer.strip().lower() in ("y", "yes")
