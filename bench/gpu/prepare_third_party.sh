#!/usr/bin/env bash
# Copies the header-only dependencies the GPU checks need (Eigen, Catch2's single header) from this
# machine's Debian packages into DIR (default build/third_party, ~10 MB), to carry to a GPU machine
# that lacks them. Usage: bench/gpu/prepare_third_party.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build/third_party}
mkdir -p "$dir/eigen3" "$dir/catch2"
cp -r /usr/include/eigen3/Eigen "$dir/eigen3/"
cp /usr/include/catch2/catch.hpp "$dir/catch2/"
du -sh "$dir"
