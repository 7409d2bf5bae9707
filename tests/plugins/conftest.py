"""Make the toy plugin package importable in-process (the venv test installs it for real)."""

import sys
from pathlib import Path

TOY_DIR = Path(__file__).parent / "toy_exchange"
if str(TOY_DIR) not in sys.path:
    sys.path.insert(0, str(TOY_DIR))
