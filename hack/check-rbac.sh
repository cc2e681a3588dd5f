#!/usr/bin/env bash
# Fails when config/rbac/role.yaml differs from what controller-gen makes
# from the controllers' +kubebuilder:rbac markers now, so a controller that
# starts using a new kind or verb cannot ship without its permission (the
# envtest suite runs the operator with exactly this role, so a missing
# permission also fails there). Usage: hack/check-rbac.sh [controller-gen]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONTROLLER_GEN=${1:-$ROOT/bin/controller-gen}
cd "$ROOT"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CONTROLLER_GEN" rbac:roleName=manager-role paths=./controllers/... output:rbac:artifacts:config="$tmp"
if ! diff -u config/rbac/role.yaml "$tmp/role.yaml"; then
  echo "check-rbac: config/rbac/role.yaml is stale: run 'make rbac chart-sync' and commit the result" >&2
  exit 1
fi
echo "check-rbac: config/rbac/role.yaml is up to date"
