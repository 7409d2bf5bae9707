"""Commands the MEXC plugin adds to the ``exchanges`` CLI: ``sim`` and ``demo``.

Modules are imported when a command runs, so ``exchanges list`` never loads the simulator.
"""

from __future__ import annotations

from exchanges.cli import CliCommand


def commands() -> list[CliCommand]:
    """The plugin's commands, for the ``exchanges_cli_commands`` hook."""
    from exchanges_mexc.cli import demo, sim_cmd

    return [sim_cmd.COMMAND, demo.COMMAND]
