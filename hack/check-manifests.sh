#!/usr/bin/env bash
# Fails when the committed CRDs (config/crd/bases) or deepcopy code
# (api/**/zz_generated.deepcopy.go) differ from what controller-gen makes from
# the API types now, so CI catches a types change committed without
# `make manifests generate`. Regenerates into a temporary folder and leaves
# the working tree alone. Usage: hack/check-manifests.sh [path/to/controller-gen]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONTROLLER_GEN=${1:-$ROOT/bin/controller-gen}
cd "$ROOT"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$CONTROLLER_GEN" crd paths=./api/... output:crd:artifacts:config="$tmp/crd"

stale=0
if ! diff -ru config/crd/bases "$tmp/crd" >"$tmp/crd.diff"; then
  cat "$tmp/crd.diff" >&2
  echo "check-manifests: config/crd/bases is stale: run 'make manifests' and commit the result" >&2
  stale=1
fi

# A new kind's CRD is generated into bases/ but only installed when the
# kustomization lists it.
for f in config/crd/bases/*.yaml; do
  if ! grep -qx -- "- bases/$(basename "$f")" config/crd/kustomization.yaml; then
    echo "check-manifests: config/crd/kustomization.yaml does not list bases/$(basename "$f")" >&2
    stale=1
  fi
done

# One package at a time: controller-gen's object output into a folder is flat,
# so each API package gets its own temporary folder.
for dir in $(find api -name '*_types.go' -exec dirname {} \; | sort -u); do
  "$CONTROLLER_GEN" object paths="./$dir" output:object:dir="$tmp/object/$dir"
  if ! diff -u "$dir/zz_generated.deepcopy.go" "$tmp/object/$dir/zz_generated.deepcopy.go" >"$tmp/object.diff" 2>&1; then
    cat "$tmp/object.diff" >&2
    echo "check-manifests: $dir/zz_generated.deepcopy.go is stale: run 'make generate' and commit the result" >&2
    stale=1
  fi
done

[ "$stale" -eq 0 ] && echo "check-manifests: CRDs and deepcopy code are up to date"
exit "$stale"
