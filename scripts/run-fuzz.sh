#!/usr/bin/env bash
# A longer fuzzing campaign than CI's (docs/fuzzing.md): builds the `fuzz` preset and runs each
# libFuzzer target of tests/fuzz for EPILSTM_FUZZ_SECONDS (default 600) on a growing corpus kept
# in results/fuzz/<target>/corpus (seeded from tests/fuzz/corpus/<target>); crashes are written to
# results/fuzz/<target>/. Usage: scripts/run-fuzz.sh [target ...] (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${EPILSTM_FUZZ_SECONDS:-600}
bash scripts/install-deps.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j 2
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(fuzz_text_inputs fuzz_intervals fuzz_hdf5_files)
status=0
for t in "${targets[@]}"; do
    dir=results/fuzz/$t
    mkdir -p "$dir/corpus"
    cp -n tests/fuzz/corpus/"$t"/* "$dir/corpus/" 2>/dev/null || true
    echo "==> $t for ${seconds}s (corpus $dir/corpus)"
    if ! build/fuzz/tests/fuzz/"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -artifact_prefix="$dir/" -print_final_stats=1 "$dir/corpus" 2>"$dir/log.txt"; then
        echo "    FAILED: see $dir/log.txt and $dir/crash-*" >&2
        status=1
    fi
    grep -E "stat::number_of_executed_units|cov:" "$dir/log.txt" | tail -2 | sed 's/^/    /'
done
exit $status
