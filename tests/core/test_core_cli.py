"""The ``exchanges`` command: ``list`` in a real subprocess, plugin commands and error handling in-process."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pytest

from exchanges.cli import CliCommand, main
from exchanges.errors import ConfigurationError
from exchanges.hookspecs import hookimpl
from exchanges.plugins import ExchangesPluginManager


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGES_")}
    return subprocess.run(
        [sys.executable, "-m", "exchanges.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_list_subprocess_shows_mexc() -> None:
    result = run_cli("list")
    assert result.returncode == 0, result.stderr
    assert "mexc_spot" in result.stdout
    assert "MEXC Spot" in result.stdout
    assert "orderbook_stream" in result.stdout
    assert "Traceback" not in result.stderr


def test_list_json_subprocess() -> None:
    result = run_cli("--log-level", "debug", "list", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    names = [entry["name"] for entry in payload["exchanges"]]
    assert "mexc_spot" in names


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


class CommandPlugin:
    @hookimpl
    def exchanges_cli_commands(self) -> list[CliCommand]:
        def configure(parser: argparse.ArgumentParser) -> None:
            parser.add_argument("--mode", default="ok")

        async def run(args: argparse.Namespace) -> int:
            if args.mode == "config":
                raise ConfigurationError("MEXC_API_KEY is not set")
            if args.mode == "crash":
                raise RuntimeError("unexpected kaboom")
            if args.mode == "interrupt":
                raise KeyboardInterrupt
            print("demo ran")
            return 3

        return [CliCommand(name="demo", help="a demo command", run=run, configure=configure)]


@pytest.fixture
def plugin_manager() -> ExchangesPluginManager:
    return ExchangesPluginManager(load_entry_points=False, plugins=[CommandPlugin()])


def test_plugin_command_runs_async(
    plugin_manager: ExchangesPluginManager, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"], plugin_manager=plugin_manager) == 3
    assert "demo ran" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("mode", "code", "text"),
    [("config", 1, "MEXC_API_KEY is not set"), ("crash", 1, "kaboom"), ("interrupt", 130, "interrupted")],
)
def test_errors_are_one_line_without_traceback(
    plugin_manager: ExchangesPluginManager,
    capsys: pytest.CaptureFixture[str],
    mode: str,
    code: int,
    text: str,
) -> None:
    assert main(["demo", "--mode", mode], plugin_manager=plugin_manager) == code
    err = capsys.readouterr().err
    assert text in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_no_command_prints_help(
    plugin_manager: ExchangesPluginManager, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([], plugin_manager=plugin_manager) == 2
    assert "demo" in capsys.readouterr().err


def test_duplicate_or_reserved_command_is_a_plugin_failure() -> None:
    class Reserved:
        @hookimpl
        def exchanges_cli_commands(self) -> list[CliCommand]:
            return [CliCommand(name="list", help="x", run=lambda args: 0)]

    pm = ExchangesPluginManager(load_entry_points=False)
    pm.register(CommandPlugin(), name="one")
    pm.register(CommandPlugin(), name="two")
    pm.register(Reserved(), name="reserved")
    assert [command.name for command in pm.cli_commands()] == ["demo"]
    assert set(pm.failures) == {"two", "reserved"}
