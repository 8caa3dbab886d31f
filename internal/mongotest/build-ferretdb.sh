#!/usr/bin/env bash
# Builds FerretDB (a MongoDB wire-protocol server with an SQLite backend) for
# the coordimap_mongodb integration tests into $TOOLS_DIR (default
# $REPO/.cache/tools) as ferretdb-v1.24.0; internal/mongotest looks there,
# in $HOME/.cache/otelcol-coordimap/tools (the Makefile's default
# TOOLS_DIR), or at $COORDIMAP_FERRETDB.
#
# FerretDB's module zip on the Go module proxy lacks build/version/version.txt
# (a generated file its build embeds), so the module source is copied out of
# the module cache, the file is written, and the command is built from a
# wrapper module with a replace directive. The wrapper lives in a temporary
# directory, so the repository's go.mod is untouched. Idempotent: does nothing when the
# binary exists. Cold build ≈2 min on 2 cores.
set -euo pipefail

VERSION=v1.24.0
MODULE=github.com/FerretDB/FerretDB
REPO="${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}"
TOOLS="${TOOLS_DIR:-$REPO/.cache/tools}"
BIN="$TOOLS/ferretdb-$VERSION"
GO="${GO:-go}"

if [ -x "$BIN" ]; then
  exit 0
fi

mkdir -p "$TOOLS"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-build-XXXXXX")"
mkdir -p "$WORK/wrapper"
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

cd "$WORK/wrapper"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOWORK=off
src="$(GOFLAGS=-mod=mod "$GO" mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ -z "$src" ] || [ ! -d "$src" ]; then
  echo "build-ferretdb: cannot download $MODULE@$VERSION" >&2
  exit 1
fi
cp -r "$src" "$WORK/src"
chmod -R u+w "$WORK/src"
printf '%s\n' "$VERSION" > "$WORK/src/build/version/version.txt"

# The wrapper needs FerretDB's go.sum so every dependency resolves to the
# version FerretDB was released with.
cat > go.mod <<MOD
module coordimap.local/ferretdb-build

go 1.22

require $MODULE $VERSION

replace $MODULE => ../src
MOD
cp "$WORK/src/go.sum" go.sum
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
GO
"$GO" mod tidy >/dev/null 2>&1 || true
"$GO" build -trimpath -o "$BIN.tmp" "$MODULE/cmd/ferretdb"
mv "$BIN.tmp" "$BIN"
echo "built $BIN"
