"""MEXC spot plugin for ``exchanges``: REST, protobuf WebSocket streams, and a local simulator.

Registered through the ``exchanges`` entry point group as ``mexc_spot``; it imports only the public
API of ``exchanges``, exactly as a third-party plugin would.
"""
