#!/usr/bin/env bash
# Builds the binaries envtest runs (kube-apiserver and etcd) from source into
# bin/k8s/<version>-linux-amd64/ and prints that folder as the last line, so
#   KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh | tail -1)
# works. Built from source because no prebuilt test binaries can be downloaded
# here: only the Go module proxy is reachable.
#
# Idempotent: when both binaries exist and report the pinned versions it only
# prints the folder. A cold kube-apiserver build takes about 11 minutes and
# 2.4 GB of memory; the scratch modules are kept under bin/.build so a rebuild
# after a version bump reuses the module and build caches.
set -euo pipefail

# shellcheck source=hack/tools.versions
source "$(dirname "$0")/tools.versions"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GOOS=$(go env GOOS)
GOARCH=$(go env GOARCH)
DEST="$ROOT/bin/k8s/${KUBERNETES_VERSION#v}-${GOOS}-${GOARCH}"
BUILD="$ROOT/bin/.build"
# The scratch modules live inside the repository's bin/; keep the repository's
# own module and workspace out of their way.
export GOFLAGS="-mod=mod -buildvcs=false"
export GOWORK=off

log() { echo "setup-envtest: $*" >&2; }

apiserver_ok() {
  [ -x "$DEST/kube-apiserver" ] &&
    "$DEST/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes ${KUBERNETES_VERSION}"
}

etcd_ok() {
  [ -x "$DEST/etcd" ] &&
    "$DEST/etcd" --version 2>/dev/null | grep -qx "etcd Version: ${ETCD_VERSION#v}"
}

# k8s_module prepares (once) the scratch module that builds kube-apiserver
# and kubectl from k8s.io/kubernetes and prints its folder.
k8s_module() {
  local dir="$BUILD/kube-apiserver-${KUBERNETES_VERSION}" gomod
  if [ -f "$dir/go.mod" ] && grep -q "k8s.io/kubernetes ${KUBERNETES_VERSION}" "$dir/go.mod"; then
    echo "$dir"
    return
  fi
  mkdir -p "$dir"
  (
    cd "$dir"
    rm -f go.mod go.sum
    go mod init velostream.local/build/kube-apiserver >/dev/null 2>&1
    go mod edit -require="k8s.io/kubernetes@${KUBERNETES_VERSION}"
    # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces
    # them with local folders; those replaces do not apply to a dependent
    # module, so point each one at its published v0.<minor>.<patch> tag.
    gomod=$(go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" |
      sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [ -f "$gomod" ] || { log "cannot find the go.mod of k8s.io/kubernetes@${KUBERNETES_VERSION}"; exit 1; }
    local staging="v0.${KUBERNETES_VERSION#v1.}" n=0 m
    for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$gomod" | sort -u); do
      go mod edit -replace="$m=$m@$staging"
      n=$((n + 1))
    done
    [ "$n" -gt 0 ] || { log "no k8s.io staging modules found in $gomod"; exit 1; }
    log "replaced $n staging modules with ${staging}"
  ) || exit 1
  echo "$dir"
}

# build_k8s CMD builds k8s.io/kubernetes/cmd/CMD into $DEST with the
# version stamped as a release build would have it.
build_k8s() {
  local cmd=$1 dir minor=${KUBERNETES_VERSION#v1.}
  minor=${minor%%.*}
  dir=$(k8s_module)
  (
    cd "$dir"
    go get "k8s.io/kubernetes/cmd/$cmd@${KUBERNETES_VERSION}" >&2
    CGO_ENABLED=0 go build -trimpath -o "$DEST/$cmd" \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor}" \
      "k8s.io/kubernetes/cmd/$cmd"
  )
}

build_apiserver() {
  log "building kube-apiserver ${KUBERNETES_VERSION} (cold: about 11 minutes)"
  build_k8s kube-apiserver
}

build_etcd() {
  local dir="$BUILD/etcd-${ETCD_VERSION}"
  log "building etcd ${ETCD_VERSION} (cold: about a minute)"
  mkdir -p "$dir"
  (
    cd "$dir"
    rm -f go.mod go.sum
    go mod init velostream.local/build/etcd >/dev/null 2>&1
    # `go install ...@version` refuses modules with replace directives, which
    # etcd's server module has; a scratch module that requires it builds.
    go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >&2
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$DEST/etcd" go.etcd.io/etcd/server/v3
  )
}

mkdir -p "$DEST"
apiserver_ok || build_apiserver
apiserver_ok || { log "kube-apiserver in $DEST does not report ${KUBERNETES_VERSION}"; exit 1; }
etcd_ok || build_etcd
etcd_ok || { log "etcd in $DEST does not report ${ETCD_VERSION}"; exit 1; }

# kubectl renders the kustomize bases in the manifest tests: link the
# machine's client when it has one, else build it from the same module as
# kube-apiserver (a new machine may have none, and no download is possible).
if [ ! -e "$DEST/kubectl" ]; then
  if command -v kubectl >/dev/null 2>&1; then
    ln -s "$(command -v kubectl)" "$DEST/kubectl"
  else
    log "building kubectl ${KUBERNETES_VERSION} (no kubectl on PATH)"
    build_k8s kubectl
  fi
fi
# The tests look for their tools in bin/.
ln -sf "$DEST/kubectl" "$ROOT/bin/kubectl"

echo "$DEST"
