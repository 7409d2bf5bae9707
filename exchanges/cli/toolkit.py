"""Building blocks for the commands a plugin adds to the ``exchanges`` CLI (stated plugin API).

A plugin's ``exchanges_cli_commands`` hook returns :class:`~exchanges.cli.CliCommand` records; their
``run`` functions may use these helpers so every command looks and fails the same way: raise
:class:`CliError` for a one-line user-facing error, draw with :class:`Screen` and the ``render_*``
functions, follow a market with :class:`MarketView`, and stop cleanly on Ctrl-C with
:func:`stop_on_signals`. Tables are drawn by rich (:func:`build_table` for a ``rich.table.Table``,
:func:`format_table` for its text); :func:`environment_label` names SIMULATOR / PRODUCTION for a
banner; :func:`add_json_option` and :func:`print_json` give a command ``--json``; :func:`confirm`
asks before a real-money action. The modules they come from are private and may change.
"""

from exchanges.cli._command import CliCommand, CommandResult
from exchanges.cli._common import CliError
from exchanges.cli._console import build_table, format_table, render_plain
from exchanges.cli._live import MarketView, stop_on_signals
from exchanges.cli._output import add_json_option, confirm, environment_label, print_json, to_jsonable
from exchanges.cli._render import (
    Screen,
    fmt_num,
    render_balances,
    render_book,
    render_fills,
    render_orders,
    render_ticker,
    render_trades,
)

__all__ = [
    "CliCommand",
    "CliError",
    "CommandResult",
    "MarketView",
    "Screen",
    "add_json_option",
    "build_table",
    "confirm",
    "environment_label",
    "fmt_num",
    "format_table",
    "print_json",
    "render_balances",
    "render_book",
    "render_fills",
    "render_orders",
    "render_plain",
    "render_ticker",
    "render_trades",
    "stop_on_signals",
    "to_jsonable",
]
