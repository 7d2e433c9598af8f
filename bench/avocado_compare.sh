#!/usr/bin/env bash
# Avocado training throughput, epilstm vs PyTorch (CPU), side by side:
#
#   bench/avocado_compare.sh [BUILD_DIR]     (default build/default; needs bench/avocado_bench)
#   SECONDS_PER_RUN=10 (default)  THREADS=1 (default; OMP_NUM_THREADS / torch.set_num_threads)
#   C=5 A=5 N=2048 L=2 B=4096 (defaults: the pilot's 25 tracks, the paper's widths)
#
# Build: cmake --build build/default --target avocado_bench; for figures that mean something, a
# native build (cmake --preset default -B build/native -DEPILSTM_NATIVE=ON): without -march=native
# Eigen's GEMMs use SSE2 only and run ~4x slower (bench/RESULTS.md)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build/default}"
secs="${SECONDS_PER_RUN:-10}"
threads="${THREADS:-1}"
C="${C:-5}" A="${A:-5}" N="${N:-2048}" L="${L:-2}" B="${B:-4096}"
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS=1
ours=$("$build/bench/avocado_bench" "$C" "$A" "$N" "$L" "$B" "$secs")
dense=$(/usr/bin/python3 "$here/avocado_torch_bench.py" dense "$C" "$A" "$N" "$L" "$B" "$secs" "$threads")
lazy=$(/usr/bin/python3 "$here/avocado_torch_bench.py" lazy "$C" "$A" "$N" "$L" "$B" "$secs" "$threads")
echo "Avocado training, C=$C A=$A N=$N L=$L B=$B, $threads thread(s), ${secs}s each"
printf '%-16s %14s %8s\n' implementation positions/s steps
for line in "$ours" "$dense" "$lazy"; do
    impl=$(sed -n 's/.*impl=\([^ ]*\).*/\1/p' <<<"$line")
    pps=$(sed -n 's/.*positions_per_s=\([^ ]*\).*/\1/p' <<<"$line")
    st=$(sed -n 's/.*steps=\([^ ]*\).*/\1/p' <<<"$line")
    printf '%-16s %14s %8s\n' "$impl" "$pps" "$st"
done
