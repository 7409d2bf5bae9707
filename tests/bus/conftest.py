"""Fixtures for the bus: a real ``nats-server -js`` on a free loopback port (never a mock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from exchanges.bus import LocalNatsServer


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[LocalNatsServer]:
    """``nats-server -js -a 127.0.0.1 -p <free port> -sd <tmp dir>``, stopped after the test."""
    server = LocalNatsServer(store_dir=tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.close()
