#!/usr/bin/env bash
# Install Debian packages the project needs, only when missing (idempotent, safe to re-run).
#
#   deploy/local/apt-install.sh postgresql            # what the catalog's PostgreSQL tests need
#   deploy/local/apt-install.sh postgresql redis-server
#
# Runs apt-get as root, or through sudo when that is available. Packages already installed
# are left alone, so a second run does nothing and needs no network.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 PACKAGE..." >&2
  exit 2
fi

missing=()
for package in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "apt-install: already installed: $*"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "apt-install: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "apt-install: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
