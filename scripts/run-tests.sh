#!/usr/bin/env bash
# Installs the dependencies, then configures, builds and tests the `default` preset, the `asan`
# preset (set EPILSTM_SKIP_ASAN=1 to skip it) and the `fuzz` preset: each libFuzzer target of
# tests/fuzz fuzzes for EPILSTM_FUZZ_SECONDS (default 30) from its seed corpus (EPILSTM_SKIP_FUZZ=1
# skips it). Works from any directory; exits non-zero on the first failure. Build trees:
# build/default, build/asan, build/fuzz.
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

if [ "${EPILSTM_SKIP_FUZZ:-0}" != 1 ]; then
    presets+=(fuzz)
else
    echo "==> EPILSTM_SKIP_FUZZ=1: skipping the fuzz preset"
fi

for p in "${presets[@]}"; do
    extra=()
    [ "$p" = fuzz ] && extra=(-DEPILSTM_FUZZ_SECONDS="${EPILSTM_FUZZ_SECONDS:-30}")
    phase "configure ($p)" cmake --preset "$p" "${extra[@]}"
    phase "build ($p)" cmake --build --preset "$p" -j "$jobs"
    phase "test ($p)" ctest --preset "$p" --output-on-failure -j "$jobs"
done

echo
echo "==> elapsed time per phase"
printf '    %s\n' "${timings[@]}"
echo "    total                  $((SECONDS - t_start))s"
echo "==> all tests passed"
