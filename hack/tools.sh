#!/usr/bin/env bash
# Builds one Go tool into bin/ at the version pinned in hack/tools.versions and
# prints the binary's path as the last line. Usage: hack/tools.sh NAME, where
# NAME is controller-gen, helm or kubeconform.
#
# Tools are built from source with `go install pkg@version` because only the
# Go module proxy is reachable here (no release downloads). A stamp file
# bin/.versions/NAME records the version built, so a second run is a no-op and
# a version bump in tools.versions rebuilds.
set -euo pipefail

# shellcheck source=hack/tools.versions
source "$(dirname "$0")/tools.versions"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/bin"
STAMPS="$BIN/.versions"

usage() { echo "usage: $0 controller-gen|helm|kubeconform" >&2; exit 2; }
[ $# -eq 1 ] || usage
name=$1

ldflags=""
case "$name" in
  controller-gen)
    pkg=sigs.k8s.io/controller-tools/cmd/controller-gen
    version=$CONTROLLER_TOOLS_VERSION ;;
  helm)
    pkg=helm.sh/helm/v3/cmd/helm
    version=$HELM_VERSION
    # Without this helm reports its version as "v3.x-unreleased" and charts
    # pinning kubeVersion/helm ranges misjudge it.
    ldflags="-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" ;;
  kubeconform)
    pkg=github.com/yannh/kubeconform/cmd/kubeconform
    version=$KUBECONFORM_VERSION
    # Its -v prints "development" unless stamped.
    ldflags="-X main.version=${KUBECONFORM_VERSION}" ;;
  *) usage ;;
esac

bin="$BIN/$name"
stamp="$STAMPS/$name"
if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then
  echo "$bin"
  exit 0
fi

echo "tools: building $name $version" >&2
mkdir -p "$STAMPS"
# Run outside the repository so its go.mod (and any go.work) cannot change
# which dependency versions the tool is built with.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
GOWORK=off GOFLAGS=-buildvcs=false GOBIN="$BIN" CGO_ENABLED=0 \
  go install -trimpath -ldflags "-s -w $ldflags" "$pkg@$version"
echo "$version" >"$stamp"
echo "$bin"
