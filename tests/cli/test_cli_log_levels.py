"""Quiet by default, except long-running services: ``record``, ``gateway`` and ``sim`` log warnings
(a recording that stopped, a lost bus connection) unless ``--log-level`` says otherwise."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from exchanges.cli import _builtin_commands, main
from exchanges_mexc.cli.sim_cmd import COMMAND as SIM_COMMAND


@pytest.fixture(autouse=True)
def keep_root_level() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)


def test_service_commands_name_warning_and_data_commands_stay_quiet() -> None:
    levels = {command.name: command.log_level for command in _builtin_commands()}
    assert levels["record"] == levels["gateway"] == SIM_COMMAND.log_level == "WARNING"
    assert {levels[name] for name in ("list", "book", "ticker", "orders", "order", "replay")} == {None}


def test_a_service_command_logs_warnings_unless_told_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    root.setLevel(logging.CRITICAL)
    argv = ["record", "no_such_exchange", "BTC/USDT", "--out", str(tmp_path / "rec")]
    assert main(argv) == 1
    assert root.level == logging.WARNING
    assert len(capsys.readouterr().err.strip().splitlines()) == 1  # the failure: still one line

    root.setLevel(logging.CRITICAL)
    assert main(["--log-level", "CRITICAL", *argv]) == 1
    assert root.level == logging.CRITICAL  # an explicit --log-level wins over the command's default
