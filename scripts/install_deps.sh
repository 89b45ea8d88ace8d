#!/usr/bin/env bash
# Installs the Debian 12 packages spk's build, tests and report need -- only the missing ones.
# Idempotent: when everything is present it prints so and touches nothing (no apt-get update).
# Needs root (or sudo) only when something is missing. Usage: bash scripts/install_deps.sh
set -euo pipefail

packages=(
  build-essential cmake g++ clang
  libxsimd-dev
  opencl-headers opencl-clhpp-headers ocl-icd-opencl-dev pocl-opencl-icd clinfo
  libclblast-dev
  doctest-dev libbenchmark-dev zlib1g-dev
  libdnnl-dev libxnnpack-dev libpthreadpool-dev
  python3 python3-matplotlib
  g++-aarch64-linux-gnu qemu-user
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install_deps: dpkg-query not found; this script targets Debian 12. Install by hand:" >&2
  echo "  ${packages[*]}" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install_deps: all ${#packages[@]} required packages are installed"
  exit 0
fi

echo "install_deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "install_deps: not root and no sudo; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# --no-install-recommends is safe for all of them: pocl-opencl-icd -> libpocl2 pulls clang/LLVM
# through Depends, not Recommends; matplotlib's Agg backend needs no recommended GUI toolkit.
# The aarch64 cross test configuration needs g++-aarch64-linux-gnu and qemu-user (~390 MB
# together); not qemu-user-static, which alone is ~380 MB.
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
echo "install_deps: done"
