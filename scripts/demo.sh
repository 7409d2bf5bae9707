#!/usr/bin/env bash
# Install the project into ./.venv and run the demo against the built-in MEXC simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .venv ] || python3 -m venv .venv
. .venv/bin/activate
pip install -q --disable-pip-version-check -e . 2>&1 | grep -v '^WARNING: Location' || true
exec exchanges demo "$@"
