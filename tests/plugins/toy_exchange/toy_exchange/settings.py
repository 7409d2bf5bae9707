"""The toy plugin's own typed settings, set like any core key: ``[toy] fail_initialize = true`` in
``exchanges.toml``, ``EXCHANGES_TOY_FAIL_INITIALIZE=1``, or ``overrides={"fail_initialize": True}``."""

from __future__ import annotations

import attrs


@attrs.frozen
class ToySettings:
    fail_initialize: bool = False
    """Make ``initialize()`` raise, to watch the factory close a half-built exchange."""
