"""Building blocks for the commands a plugin adds to the ``exchanges`` CLI (stated plugin API).

A plugin's ``exchanges_cli_commands`` hook returns :class:`~exchanges.cli.CliCommand` records; their
``run`` functions may use these helpers so every command looks and fails the same way: raise
:class:`CliError` for a one-line user-facing error, draw with :class:`Screen` and the ``render_*``
functions, follow a market with :class:`MarketView`, and stop cleanly on Ctrl-C with
:func:`stop_on_signals`. The modules they come from are private and may change.
"""

from exchanges.cli._command import CliCommand, CommandResult
from exchanges.cli._common import CliError
from exchanges.cli._live import MarketView, stop_on_signals
from exchanges.cli._render import (
    Screen,
    fmt_num,
    format_table,
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
    "fmt_num",
    "format_table",
    "render_balances",
    "render_book",
    "render_fills",
    "render_orders",
    "render_ticker",
    "render_trades",
    "stop_on_signals",
]
