"""``exchanges list``: installed exchanges, their capabilities, and plugins that failed to load."""

from __future__ import annotations

import argparse
import json
import sys

from exchanges.cli._command import CliCommand
from exchanges.cli._console import format_table
from exchanges.plugins import ExchangesPluginManager


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace) -> int:
    manager: ExchangesPluginManager = getattr(args, "plugin_manager", None) or ExchangesPluginManager()
    registry = manager.registry
    if args.json:
        payload = {
            "exchanges": [
                {
                    "name": spec.name,
                    "title": spec.title,
                    "plugin": registry.owner(spec.name),
                    "public_capabilities": list(spec.public_capabilities),
                    "private_capabilities": list(spec.private_capabilities),
                    "environments": sorted(spec.environments),
                }
                for spec in registry.specs()
            ],
            "failures": manager.failures,
            "disabled": manager.disabled,
        }
        print(json.dumps(payload, indent=2))
        return 0
    rows = [
        (
            spec.name,
            spec.title,
            ", ".join(spec.public_capabilities) or "-",
            ", ".join(spec.private_capabilities) if spec.create_private else "(no private domain)",
            ", ".join(["production", *sorted(spec.environments)]),
        )
        for spec in registry.specs()
    ]
    if rows:
        print(format_table(("NAME", "TITLE", "PUBLIC", "PRIVATE", "ENVIRONMENTS"), rows, wrap=True))
    else:
        print("No exchanges installed.")
    if manager.disabled:
        print(f"\nDisabled plugins: {', '.join(manager.disabled)}")
    if manager.failures:
        print("\nPlugins that failed to load:", file=sys.stderr)
        for name, reason in sorted(manager.failures.items()):
            print(f"  {name}: {reason}", file=sys.stderr)
    return 0


COMMAND = CliCommand(
    name="list", help="list installed exchanges and their capabilities", run=run, configure=_configure
)
