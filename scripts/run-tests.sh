#!/usr/bin/env bash
# Installs the dependencies, then configures, builds and tests the `default` preset and the `asan`
# preset (set EPILSTM_SKIP_ASAN=1 to skip the latter). Works from any directory; exits non-zero on
# the first failure. Build trees: build/default and build/asan.
# Note: tests that run Python use /usr/bin/python3 (a pyenv python3 on PATH may lack torch/h5py).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=2
t_start=$SECONDS
timings=()

phase() {  # phase <label> <command...>: run it, record and print its wall time
    local label=$1; shift
    local t0=$SECONDS
    echo "==> ${label}: $*"
    "$@"
    local dt=$((SECONDS - t0))
    timings+=("$(printf '%-22s %5ds' "$label" "$dt")")
    echo "==> ${label}: done in ${dt}s"
}

phase install-deps bash scripts/install-deps.sh

presets=(default)
if [ "${EPILSTM_SKIP_ASAN:-0}" != 1 ]; then
    presets+=(asan)
else
    echo "==> EPILSTM_SKIP_ASAN=1: skipping the asan preset"
fi

for p in "${presets[@]}"; do
    phase "configure ($p)" cmake --preset "$p"
    phase "build ($p)" cmake --build --preset "$p" -j "$jobs"
    phase "test ($p)" ctest --preset "$p" --output-on-failure -j "$jobs"
done

echo
echo "==> elapsed time per phase"
printf '    %s\n' "${timings[@]}"
echo "    total                  $((SECONDS - t_start))s"
echo "==> all tests passed"
