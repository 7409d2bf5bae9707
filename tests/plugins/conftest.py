"""Make the toy plugin package importable in-process (the venv tests install it for real), and
provide ``fresh_venv``: a throwaway virtual environment for installing plugins offline."""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

TOY_DIR = Path(__file__).parent / "toy_exchange"
if str(TOY_DIR) not in sys.path:
    sys.path.insert(0, str(TOY_DIR))


def clean_env() -> dict[str, str]:
    """The environment without our config, paths or pip settings, as a fresh shell would have it."""
    drop = ("EXCHANGES_", "PYTHONPATH", "VIRTUAL_ENV", "PIP_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


class FreshVenv:
    """A throwaway venv: ``python``, ``env`` (a clean environment) and ``install(project)``."""

    def __init__(self, python: Path) -> None:
        self.python = python
        self.root = python.parent.parent
        self.env = clean_env()

    def install(self, project: Path, cwd: Path) -> None:
        pip_install(self.python, project, cwd)

    def run(self, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run ``python *args`` in the venv with the clean environment."""
        return subprocess.run(
            [str(self.python), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            env=self.env,
            check=False,
        )


@pytest.fixture
def fresh_venv(tmp_path: Path) -> FreshVenv:
    """The python of a new venv that sees this one's packages (pytest, exchangekit...) but nothing of
    the repository: no network is needed to install a plugin into it with ``--no-index``."""
    venv = tmp_path / "venv"
    created = subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if created.returncode != 0:
        pytest.skip(f"cannot create a virtual environment here: {created.stderr.strip()[:200]}")
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # --system-site-packages exposes the base interpreter's packages; when the tests themselves run in
    # a venv, also expose this venv's site-packages (incl. the editable exchangekit install and pip).
    site_dirs = [p for p in site.getsitepackages() if Path(p).is_dir()]
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    Path(purelib, "_outer_site.pth").write_text(
        "".join(f"import site; site.addsitedir({d!r})\n" for d in site_dirs)
    )
    return FreshVenv(python)


def pip_install(python: Path, project: Path, cwd: Path) -> None:
    """Install ``project`` into the venv of ``python`` offline (its dependencies are already there)."""
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--disable-pip-version-check",
            "-q",
            str(project),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=clean_env(),
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
