"""``exchanges gateway``: status of a bus, and clear errors (real nats-server, real CLI entry point)."""

from __future__ import annotations

import pytest

from exchanges.bus import LocalNatsServer
from exchanges.bus._local_server import free_port
from exchanges.cli import main


def test_status_of_a_bus_without_gateways(
    nats_server: LocalNatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gateway", "status", "--nats", nats_server.url]) == 0
    assert "no gateway is heartbeating" in capsys.readouterr().out


def test_an_unreachable_bus_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"nats://user:secret@127.0.0.1:{free_port()}"
    assert main(["gateway", "status", "--nats", url]) == 1
    err = capsys.readouterr().err
    assert "NATS at nats://127.0.0.1:" in err
    assert "unreachable" in err
    assert "secret" not in err


def test_a_gateway_needs_symbols_or_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gateway", "mexc_spot", "--nats", "nats://127.0.0.1:1"]) == 2
    assert "--symbols" in capsys.readouterr().err
