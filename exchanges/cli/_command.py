"""``CliCommand``: one ``exchanges <name>`` subcommand, built in or contributed by a plugin."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

import attrs

CommandResult = int | Awaitable[int]
"""A command returns its exit code, or an awaitable of it (run with ``asyncio.run``)."""


def _no_options(parser: argparse.ArgumentParser) -> None:
    """Default ``configure``: the command takes no options."""


@attrs.frozen
class CliCommand:
    """A subcommand: ``configure`` adds its options to its sub-parser, ``run`` executes it.

    Plugins return these from the ``exchanges_cli_commands`` hook, e.g. ``exchanges sim``.
    """

    name: str
    help: str
    run: Callable[[argparse.Namespace], CommandResult]
    configure: Callable[[argparse.ArgumentParser], None] = _no_options
    log_level: str | None = None
    """Logging level when ``--log-level`` is not given (None: the CLI's quiet default). Long-running
    services (``record``, ``gateway``, ``sim``) say ``"WARNING"``: their warnings (a recording that
    stopped, a bus connection lost) are the operator's only news while they run."""
