#!/usr/bin/env bash
# Install the project with its test extras into ./.venv and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .venv ] || python3 -m venv .venv
. .venv/bin/activate
# The distribution was renamed from "exchanges" to "exchangekit": drop an old editable install of it.
pip uninstall -q -y exchanges >/dev/null 2>&1 || true
pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
exec python -m pytest -q "$@"
