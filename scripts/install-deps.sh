#!/usr/bin/env bash
# Installs the Debian 12 packages archsim needs, only those that are missing; with arguments,
# those packages instead (scripts/slurm-test.sh installs Slurm this way).
# Idempotent: runs `apt-get update` only when something has to be installed.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libsimgrid-dev
  libyaml-cpp-dev
  libboost-dev libboost-graph-dev
  catch2
  libcli11-dev
  libfmt-dev
  nlohmann-json3-dev
  python3 python3-matplotlib python3-yaml
  chromium
  graphviz
)
if [ $# -gt 0 ]; then packages=("$@"); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y --no-install-recommends -qq "${missing[@]}" >/dev/null
