#!/usr/bin/env bash
# Regenerate exchanges_mexc/_proto/*_pb2.py and *_pb2.pyi from proto/mexc/*.proto.
#
#   bash scripts/gen_proto.sh           regenerate in place
#   bash scripts/gen_proto.sh --check   regenerate into a temp dir and diff against the committed files;
#                                       exit 1 on any difference (CI freshness check, tox -e proto)
#
# Uses grpcio-tools' bundled protoc (python -m grpc_tools.protoc) for the Python code and mypy-protobuf's
# protoc-gen-mypy for the typing stubs. protoc emits flat imports between generated modules
# (`import PublicDealsV3Api_pb2 as ...`); they are rewritten to package-relative imports
# (`from . import PublicDealsV3Api_pb2 as ...`) so the modules work inside the exchanges_mexc._proto package.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then
    # shellcheck disable=SC1091
    . .venv/bin/activate
fi

PROTO_DIR=proto/mexc
PKG_DIR=exchanges_mexc/_proto
MODE=write
if [ "${1:-}" = "--check" ]; then
    MODE=check
elif [ -n "${1:-}" ]; then
    echo "usage: $0 [--check]" >&2
    exit 2
fi

PLUGIN="$(command -v protoc-gen-mypy || true)"
if [ -z "$PLUGIN" ]; then
    echo "protoc-gen-mypy not found (pip install mypy-protobuf)" >&2
    exit 2
fi

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

# Sorted file list: deterministic protoc invocation regardless of locale/filesystem order.
mapfile -t PROTOS < <(LC_ALL=C ls "$PROTO_DIR"/*.proto | LC_ALL=C sort)

# protoc-gen-mypy chats "Writing mypy to ..." on stderr: keep the log, show it only on failure.
if ! python -m grpc_tools.protoc -I"$PROTO_DIR" \
    --plugin=protoc-gen-mypy="$PLUGIN" \
    --python_out="$OUT" --mypy_out="$OUT" \
    "${PROTOS[@]}" 2>"$OUT/.protoc.log"; then
    cat "$OUT/.protoc.log" >&2
    exit 2
fi
rm -f "$OUT/.protoc.log"

# Flat cross-imports -> package-relative imports (the .py and the .pyi forms).
for f in "$OUT"/*_pb2.py "$OUT"/*_pb2.pyi; do
    sed -i -E \
        -e 's/^import ([A-Za-z0-9_]+_pb2) as ([A-Za-z0-9_]+)$/from . import \1 as \2/' \
        -e 's/^import ([A-Za-z0-9_]+_pb2)$/from . import \1/' \
        "$f"
done

cat > "$OUT/__init__.py" <<'EOF'
"""Generated protobuf modules for MEXC spot v3 WebSocket pushes. Do not edit: run scripts/gen_proto.sh.

Sources: proto/mexc/*.proto (our own, wire-compatible with MEXC's field numbers and types).
"""
EOF

if [ "$MODE" = check ]; then
    status=0
    # Every generated file must match the committed one ...
    for f in "$OUT"/*; do
        name="$(basename "$f")"
        if ! diff -u "$PKG_DIR/$name" "$f" >/dev/null 2>&1; then
            echo "stale or missing: $PKG_DIR/$name" >&2
            diff -u "$PKG_DIR/$name" "$f" >&2 || true
            status=1
        fi
    done
    # ... and no committed generated file may be left over from a removed .proto.
    for f in "$PKG_DIR"/*_pb2.py "$PKG_DIR"/*_pb2.pyi; do
        [ -e "$f" ] || continue
        if [ ! -e "$OUT/$(basename "$f")" ]; then
            echo "orphan generated file: $f" >&2
            status=1
        fi
    done
    if [ "$status" -ne 0 ]; then
        echo "protobuf code is out of date: run bash scripts/gen_proto.sh" >&2
    else
        echo "protobuf code is up to date"
    fi
    exit "$status"
fi

mkdir -p "$PKG_DIR"
rm -f "$PKG_DIR"/*_pb2.py "$PKG_DIR"/*_pb2.pyi
cp "$OUT"/*_pb2.py "$OUT"/*_pb2.pyi "$OUT/__init__.py" "$PKG_DIR"/
echo "generated $(ls "$OUT"/*_pb2.py | wc -l) modules into $PKG_DIR"
