#!/usr/bin/env bash
# Installs the Debian packages given as arguments when their command is
# missing. Usage: hack/install-apt.sh COMMAND=PACKAGE ...
# (e.g. kcat=kcat promtool=prometheus chromium=chromium). Uses sudo when not root.
set -euo pipefail
missing=()
for spec in "$@"; do
  cmd=${spec%%=*}; pkg=${spec#*=}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
