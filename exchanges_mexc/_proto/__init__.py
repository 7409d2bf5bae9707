"""Generated protobuf modules for MEXC spot v3 WebSocket pushes. Do not edit: run scripts/gen_proto.sh.

Sources: proto/mexc/*.proto (our own, wire-compatible with MEXC's field numbers and types).
"""
