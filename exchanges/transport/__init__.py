"""Exchange-neutral transports: REST (:mod:`exchanges.transport.rest`) and WebSocket
(:mod:`exchanges.transport.ws`).

Nothing here names an exchange: plugins pass signers, error classifiers, rate-limit costs,
subscription codecs and connection strategies. Import from the submodules; this package
imports nothing itself, so loading one transport never pulls in the other.
"""

__all__: list[str] = []
