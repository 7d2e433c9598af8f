#!/usr/bin/env bash
# One shot on a GPU machine: builds the GPU checks in a fresh directory, runs the CUDA parity test
# (every variant, CPU vs GPU, ≤ 1e-5), the host-emulated parity test, and the GPU benchmark against
# PyTorch on the same GPU at D = 1014, H = 110, F = 100, B ∈ {64, 256, 1024}.
#
#   bench/gpu/run_on_gpu.sh THIRD_PARTY_DIR [OUT_DIR]
#
# THIRD_PARTY_DIR: made by bench/gpu/prepare_third_party.sh on a build machine (Eigen, Catch2), or
# empty ("") to use /usr/include. Needs nvcc (/usr/local/cuda/bin or PATH), CMake ≥ 3.18, python3
# with torch (CUDA). Results: OUT_DIR (default $OUT if set, else build/gpu-run) gets build.log,
# parity_cuda.log, parity_host.log, bench.txt (one key=value line per run) and summary.txt.
# Exit status: non-zero when the build or a parity test fails; 77 when no GPU is visible.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
tp=${1-}
out=${2:-${OUT:-build/gpu-run}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
build=$(mktemp -d "${TMPDIR:-/tmp}/epilstm-gpu-build.XXXXXX")
[ -n "$tp" ] && tp=$(cd "$tp" && pwd)
export PATH="$PATH:/usr/local/cuda/bin"
python=${PYTHON:-python3}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 4)}

{
    echo "date: $(date -u +%FT%TZ)"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "nvidia-smi failed"
    nvcc --version | tail -2
    cmake --version | head -1
    "$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1
} | tee "$out/summary.txt"

echo "==> build in $build"
if ! { cmake -S bench/gpu -B "$build" -DEPILSTM_THIRD_PARTY="$tp" -DCMAKE_BUILD_TYPE=Release &&
       cmake --build "$build" -j "$jobs"; } > "$out/build.log" 2>&1; then
    tail -30 "$out/build.log"
    echo "build FAILED (see $out/build.log)" | tee -a "$out/summary.txt"
    exit 1
fi

status=0
echo "==> parity (CUDA)"
"$build/test_parity_cuda" 2>&1 | tee "$out/parity_cuda.log"
rc=${PIPESTATUS[0]}
case $rc in 0) what=passed ;; 77) what="SKIPPED: no usable GPU" ;; *) what=FAILED ;; esac
echo "parity_cuda exit $rc ($what)" | tee -a "$out/summary.txt"
[ $rc = 77 ] && exit 77
[ $rc != 0 ] && status=1
"$build/test_parity_host" > "$out/parity_host.log" 2>&1
rc=$?
echo "parity_host exit $rc" | tee -a "$out/summary.txt"
[ $rc != 0 ] && status=1

echo "==> benchmark (D=1014 H=110 F=100)"
: > "$out/bench.txt"
for B in 64 256 1024; do
    for mode in train embed; do
        "$build/gpu_bench" $mode 1014 110 100 $B 3 2>&1 | tee -a "$out/bench.txt"
    done
    for mode in ln-train ln-embed lstm-train lstm-embed; do
        "$python" bench/gpu/torch_gpu_bench.py $mode 1014 110 100 $B 3 2>&1 | tee -a "$out/bench.txt"
    done
done
"$python" bench/gpu/summarize.py "$out/bench.txt" | tee -a "$out/summary.txt"
rm -rf "$build"
exit $status
