"""docs/writing-a-plugin.md is a working recipe: its listings are the toy plugin, file for file, and
a plugin written from the guide alone passes the conformance kit in a fresh virtual environment."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "writing-a-plugin.md"
TOY_DIR = Path(__file__).parent / "toy_exchange"
LISTING = re.compile(r"^```(?:python|toml) file=(\S+)\n(.*?)^```$", re.S | re.M)


def guide_files() -> dict[str, str]:
    """``relative path -> content`` of every listing the guide marks with ``file=``."""
    return {path: body for path, body in LISTING.findall(GUIDE.read_text(encoding="utf-8"))}


def toy_files() -> dict[str, str]:
    found = {}
    for path in TOY_DIR.rglob("*"):
        if path.suffix in (".py", ".toml") and not any(
            part in ("__pycache__", "build") or part.endswith(".egg-info") for part in path.parts
        ):
            found[path.relative_to(TOY_DIR).as_posix()] = path.read_text(encoding="utf-8")
    return found


def test_guide_lists_every_file_of_the_plugin() -> None:
    listed = guide_files()
    assert {"pyproject.toml", "toy_exchange/plugin.py", "tests/test_conformance.py"} <= set(listed)
    assert set(listed) == set(toy_files()), (
        "the guide's listings and tests/plugins/toy_exchange must hold the same files"
    )


@pytest.mark.parametrize("path", sorted(toy_files()))
def test_toy_plugin_is_exactly_the_guide(path: str) -> None:
    assert guide_files().get(path) == toy_files()[path], (
        f"tests/plugins/toy_exchange/{path} differs from its listing in docs/writing-a-plugin.md"
    )


@pytest.mark.slow
def test_plugin_from_the_guide_passes_the_kit_in_a_fresh_venv(tmp_path: Path, fresh_venv: Any) -> None:
    project = tmp_path / "toy-exchange"
    for relative, content in guide_files().items():
        target = project / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    fresh_venv.install(project, tmp_path)
    # -P: the project directory is not put on sys.path, so the tests use the installed plugin; the
    # project has no pytest or asyncio configuration of its own.
    run = fresh_venv.run("-P", "-m", "pytest", "-p", "no:cacheprovider", "tests", cwd=project)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    assert "failed" not in run.stdout, run.stdout[-4000:]
    assert "installed exchanges: mexc_spot, toy" in run.stdout, run.stdout[:2000]
    where = fresh_venv.run("-P", "-c", "import toy_exchange; print(toy_exchange.__file__)", cwd=project)
    assert Path(where.stdout.strip()).resolve().is_relative_to(fresh_venv.root.resolve())
