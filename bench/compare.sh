#!/usr/bin/env bash
# Side-by-side: epilstm vs PyTorch (Debian torch 1.13, CPU) on this machine, in one invocation.
#
#   bench/compare.sh [BUILD_DIR]          full grid (D∈{25,1014} H∈{16,110} F=100 B∈{16,64,256} threads 1,2)
#   GRID=target bench/compare.sh          only D=1014 H=110 B=64 (the issue's target shape)
#   SECONDS_PER_RUN=3 (default 2)         time budget of each measurement (median reported)
#
# BUILD_DIR (default build-perf) must hold bench/epilstm_bench[_openblas], built with
#   cmake --preset default -B build-perf -DEPILSTM_NATIVE=ON -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-perf --target epilstm_bench epilstm_bench_openblas
#
# Thread settings (fair to both sides; docs/DEPENDENCIES.md shows naive ones collapse PyTorch):
#   OPENBLAS_CORETYPE=Cooperlake for every process (AVX-512 kernels; the machine presets Haswell).
#   1 thread : ours OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1; torch set_num_threads(1) + OPENBLAS_NUM_THREADS=1.
#   2 threads: ours OMP_NUM_THREADS=2 (Eigen build) / OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 (OpenBLAS
#              build: our threads over streams run the small GEMMs; see RESULTS.md); torch: the better
#              of (set_num_threads(2), OPENBLAS_NUM_THREADS=1) and (set_num_threads(1), OPENBLAS_NUM_THREADS=2).
#   "ours" is the better of the Eigen-GEMM and OpenBLAS builds (the table says which).
# SGEMM ceiling: the model's own GEMMs at the same shapes, each timed alone (best of runs), with the
# better of Eigen and OpenBLAS at the same thread count; % = achieved GFLOP/s / ceiling GFLOP/s.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build-perf}"
bin="$build/bench"
secs="${SECONDS_PER_RUN:-2}"
py=/usr/bin/python3
export OPENBLAS_CORETYPE=Cooperlake
log="$(mktemp /tmp/epilstm_compare.XXXXXX)"

if [[ "${GRID:-full}" == target ]]; then
    shapes=("1014 110 64")
else
    shapes=()
    for D in 25 1014; do for H in 16 110; do for B in 16 64 256; do shapes+=("$D $H $B"); done; done; done
fi
F=100

run() {  # tag env... -- command...
    local tag="$1"; shift
    local envs=()
    while [[ "$1" != -- ]]; do envs+=("$1"); shift; done
    shift
    local out
    out="$(env "${envs[@]}" "$@" 2>&1 | tail -1)" || out="failed"
    echo "$tag $out" | tee -a "$log"
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -n) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) nproc=$(nproc) load: $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in "${shapes[@]}"; do
    read -r D H B <<<"$shape"
    for t in 1 2; do
        k="$D $H $B $t"
        ob=1
        for mode in train embed sgemm; do
            run "ours-eigen $k" OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=1 -- "$bin/epilstm_bench" $mode $D $H $F $B $secs
            if [[ -x "$bin/epilstm_bench_openblas" ]]; then
                [[ $mode == sgemm ]] && ob=$t
                run "ours-openblas $k" OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$ob -- "$bin/epilstm_bench_openblas" $mode $D $H $F $B $secs
            fi
        done
        for m in ln-train ln-embed lstm-train lstm-embed; do
            run "torch-a $k" OPENBLAS_NUM_THREADS=1 -- $py "$here/torch_bench.py" $m $D $H $F $B $t $secs
            if [[ $t == 2 ]]; then
                run "torch-b $k" OPENBLAS_NUM_THREADS=2 -- $py "$here/torch_bench.py" $m $D $H $F $B 1 $secs
            fi
        done
    done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
$py "$here/compare_table.py" "$log"
echo "(raw lines: $log)"
