#!/usr/bin/env bash
# Regenerates the ServiceMonitor and PrometheusRule CRDs the operator's tests
# install (controllers/testdata/crds/monitoring) from the prometheus-operator
# API types at the version go.mod pins, with controller-gen. The tests need
# the real schemas so that discovery finds the kinds and the API server
# validates what the operator applies; prometheus-operator's own CRD files
# are not in the Go module. Usage: hack/monitoring-crds.sh [controller-gen]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONTROLLER_GEN=${1:-$ROOT/bin/controller-gen}
DEST=$ROOT/controllers/testdata/crds/monitoring
cd "$ROOT"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CONTROLLER_GEN" crd paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 \
  output:crd:artifacts:config="$tmp"
mkdir -p "$DEST"
for kind in servicemonitors prometheusrules; do
  cp "$tmp/monitoring.coreos.com_${kind}.yaml" "$DEST/"
done
echo "monitoring-crds: wrote $(ls "$DEST" | tr '\n' ' ')into $DEST"
