#!/usr/bin/env bash
# Installs what epilstm needs to build, test and run on Debian 12 (bookworm). Idempotent: when every
# package is already installed it does nothing (no apt-get update), so reruns take a second.
set -euo pipefail

packages=(
    cmake g++ make
    libeigen3-dev libhdf5-dev hdf5-tools catch2 libboost-dev libcli11-dev
    libbigwig-dev libcurl4-gnutls-dev libopenblas-dev libxgboost-dev xgboost
    zlib1g-dev gnuplot-nox time
    clang libclang-rt-14-dev
    libopenmpi-dev openmpi-bin
    python3-torch python3-numpy python3-h5py python3-pybigwig
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
