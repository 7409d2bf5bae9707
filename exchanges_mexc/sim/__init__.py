"""A faithful local MEXC spot v3 exchange (REST + protobuf WebSocket) for tests, demos and paper trading.

``async with MexcSimulator(...) as sim:`` then point any MEXC client at ``sim.rest_url`` / ``sim.ws_url``.
See docs/simulator.md.
"""

from exchanges_mexc.sim.accounts import SimAccount
from exchanges_mexc.sim.app import MexcSimulator
from exchanges_mexc.sim.errors import SimError
from exchanges_mexc.sim.specs import SymbolSpec, make_spec

__all__ = ["MexcSimulator", "SimAccount", "SimError", "SymbolSpec", "make_spec"]
