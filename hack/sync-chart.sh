#!/usr/bin/env bash
# Copies what the Helm chart shares with config/ into the chart, which may
# only read files inside its own folder: the CRDs (config/crd/bases ->
# charts/velostream/crds) and the operator's RBAC rules (config/rbac/role.yaml,
# generated from the controllers' markers -> charts/velostream/files/
# manager-rules.yaml). Run it after `make manifests rbac`; the manifest tests
# (test/manifests) fail while the chart's copies differ.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHART=$ROOT/charts/velostream
cd "$ROOT"

rm -f "$CHART"/crds/*.yaml
mkdir -p "$CHART/crds" "$CHART/files"
cp config/crd/bases/*.yaml "$CHART/crds/"
{
  echo "# Copied from config/rbac/role.yaml by hack/sync-chart.sh: do not edit."
  sed -n '/^rules:/,$p' config/rbac/role.yaml | tail -n +2
} >"$CHART/files/manager-rules.yaml"
echo "sync-chart: copied $(ls "$CHART/crds" | wc -l) CRDs and the manager's rules into $CHART"
