"""The ``exchanges`` command line: ``exchanges list`` plus subcommands contributed by plugins.

Errors print one line to stderr and exit non-zero; logging is quiet unless ``--log-level`` asks for it
(tracebacks appear only with ``--log-level DEBUG``), except for long-running services that name their
own default (``CliCommand.log_level``: ``record``, ``gateway`` and ``sim`` log warnings). A closed
pipe (``exchanges orders ... | head``) ends the command quietly with exit code 0.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import os
import sys
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, cast

from exchanges.cli._command import CliCommand, CommandResult
from exchanges.errors import ExchangeError

if TYPE_CHECKING:
    from exchanges.plugins import ExchangesPluginManager

__all__ = ["CliCommand", "CommandResult", "build_parser", "main"]

logger = logging.getLogger("exchanges.cli")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_LOG_LEVEL = "CRITICAL"
"""Quiet by default: every command reports its own failure in one line."""
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _builtin_commands() -> list[CliCommand]:
    from exchanges.cli import _account_cmds, _gateway_cmd, _list_cmd, _market_cmds, _recording_cmds

    return [
        _list_cmd.COMMAND,
        *_market_cmds.COMMANDS,
        *_account_cmds.COMMANDS,
        *_recording_cmds.COMMANDS,
        _gateway_cmd.COMMAND,
    ]


def build_parser(commands: Sequence[CliCommand]) -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="exchanges", description="Pluggable crypto exchange connectors: inspect plugins, run tools."
    )
    parser.add_argument(
        "--log-level",
        default=None,
        type=str.upper,
        choices=LOG_LEVELS,
        help="logging on stderr (default: quiet, errors are reported in one line; record, gateway and "
        "sim log warnings; DEBUG adds tracebacks)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in commands:
        command_parser = sub.add_parser(command.name, help=command.help, description=command.help)
        command.configure(command_parser)
        command_parser.set_defaults(_command=command)
    return parser


def _pre_log_level(argv: Sequence[str]) -> str | None:
    """Read --log-level before plugins load, so their loading is logged at the right level."""
    for index, arg in enumerate(argv):
        if arg == "--log-level" and index + 1 < len(argv):
            return argv[index + 1].upper()
        if arg.startswith("--log-level="):
            return arg.split("=", 1)[1].upper()
    return None


def _run(command: CliCommand, args: argparse.Namespace) -> int:
    result = command.run(args)
    if inspect.isawaitable(result):

        async def wait() -> int:
            return await cast(Awaitable[int], result)

        result = asyncio.run(wait())
    return int(cast(Any, result) or 0)


def main(argv: Sequence[str] | None = None, *, plugin_manager: ExchangesPluginManager | None = None) -> int:
    """Entry point of the ``exchanges`` console script; returns the exit code.

    ``plugin_manager`` replaces entry-point discovery (tests, embedding).
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    level = _pre_log_level(arguments)
    logging.basicConfig(
        level=level if level in LOG_LEVELS else DEFAULT_LOG_LEVEL,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    debug = level == "DEBUG"
    try:
        from exchanges.plugins import ExchangesPluginManager

        manager = plugin_manager if plugin_manager is not None else ExchangesPluginManager()
        commands = [*_builtin_commands(), *manager.cli_commands()]
        parser = build_parser(commands)
        args = parser.parse_args(arguments)
        args.plugin_manager = manager
        command = getattr(args, "_command", None)
        if command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        if args.log_level is None and command.log_level is not None:
            logging.getLogger().setLevel(command.log_level)
        code = _run(command, args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        print("exchanges: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ExchangeError as exc:
        logger.debug("command failed", exc_info=debug)
        print(f"exchanges: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        logger.debug("unexpected failure", exc_info=debug)
        print(
            f"exchanges: unexpected error: {type(exc).__name__}: {exc} "
            "(rerun with --log-level DEBUG for details)",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _silence_stdout() -> None:
    """The reader went away (``| head``): point stdout at /dev/null so the exit flush stays quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)
