#!/usr/bin/env bash
# Data-parallel training over MPI (docs/distributed.md), measured and projected, in one run:
#
#   bench/mpi_scaling.sh [BUILD_DIR]      (default build/default; needs bin/epilstm built with MPI,
#                                          bench/epilstm_bench and bench/mpi_sum_bench)
#
# 1. Strong scaling on this machine: one epoch of `epilstm train` on a store prepared from the
#    shipped pilot bigWigs (D = 25, H = 110, F = 100, global batch B = 64), as one process and as
#    `mpirun -np 2`, one thread per rank (OMP_NUM_THREADS=1), positions/s from the epoch line.
# 2. The cost model of one step at the paper's shape (D = 1,014, H = 110, F = 100, B = 64):
#      t(P) = t_compute(B/P streams on one core) + t_allreduce(P)
#      t_allreduce(P) = 2·(P−1)/P · 4·N_params / bandwidth  +  4·(P−1) · latency
#    (parallel/mpi_communicator.hpp: the gradient's sum is a reduce-scatter and an all-gather, each
#    P−1 exchanges, as a ring all-reduce's traffic; the step's agreement on the loss and weight is
#    another such pair of tiny messages, latency only), with t_compute measured here by epilstm_bench at B/P streams and
#    one thread, and N_params the model's parameter count. Projected for P = 1, 2, 8, 64 over
#    10 Gb/s (latency 10 µs) and 100 Gb/s (latency 2 µs) networks.
# Prints figures only; nothing is asserted.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${1:-$root/build/default}"
bin="$build/bin/epilstm"
bench="$build/bench/epilstm_bench"
shared="${EPILSTM_SHARED_DIR:-$root/../shared}"
py=/usr/bin/python3
work="$(mktemp -d /tmp/epilstm_mpi_scaling.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

echo "machine: $(nproc --all) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# Four pilot regions of the dev split, 500 kb each (80,008 positions).
awk -F'\t' 'NR > 1 && NR <= 5 { print $2 "\t" $7 "\t" $8 "\t" $1 }' "$shared/data/roadmap_pilot_hg19/regions.tsv" \
    >"$work/regions.bed"
"$bin" prepare --bigwig-dir "$shared/data/roadmap_pilot_hg19/signal" --genome "$shared/data/annotations_hg19/hg19.chrom.sizes" \
    --regions "$work/regions.bed" --out "$work/store.h5" -q >/dev/null
args=(--store "$work/store.h5" --epochs 1 --hidden-size 110 --batch 64 --frame-length 100 --seed 1 --checkpoint-minutes 0)
rate() { grep -o '([0-9]* positions/s)' "$1" | tr -dc '0-9'; }
"$bin" train "${args[@]}" --model "$work/p1.h5" >"$work/p1.txt" 2>&1
mpirun --oversubscribe --bind-to core -x OMP_NUM_THREADS -np 2 "$bin" train "${args[@]}" --model "$work/p2.h5" \
    >"$work/p2.txt" 2>&1
r1=$(rate "$work/p1.txt"); r2=$(rate "$work/p2.txt")
echo
echo "## strong scaling, D=25 H=110 F=100 B=64, one thread per rank (epilstm train, one epoch)"
echo "| P | positions/s | speed-up | efficiency |"
echo "|---:|---:|---:|---:|"
"$py" -c "r1,r2=$r1,$r2; print(f'| 1 | {r1:,} | 1.00 | 100 % |'); print(f'| 2 | {r2:,} | {r2/r1:.2f} | {50*r2/r1:.0f} % |')"

echo
echo "## one step at the paper's shape D=1014 H=110 F=100 B=64: compute at B/P streams on one core"
declare -A tc
for b in 64 32 8 1; do
    line=$("$bench" train 1014 110 100 "$b" 2)
    tc[$b]=$(echo "$line" | grep -o ' pos_s=[0-9.]*' | cut -d= -f2)
    echo "B/P=$b: $line"
done
params=$("$py" - <<'PY'
D, H = 1014, 110
# docs/MODEL-SPEC.md's tensors: encoder W_x[4H,D] W_h[4H,H] b_x b_h[4H], layer norms ln_x ln_h (gamma,
# beta)[4H] and ln_c[H]; the decoder the same with input H; output W[D,H] b[D] (709,634 at D=1014 H=110,
# as `epilstm init` writes; the flat buffer pads each tensor to 16 floats, a few hundred more)
lstm = lambda inp: 4*H*inp + 4*H*H + 2*4*H + 2*2*4*H + 2*H
print(lstm(D) + lstm(H) + D*H + D)
PY
)
echo
echo "## the step's communication measured here (2 ranks, shared memory), N = $params floats"
mpirun --oversubscribe --bind-to none -np 2 "$build/bench/mpi_sum_bench" "$params" 50
"$py" - "$params" "${tc[64]}" "${tc[32]}" "${tc[8]}" "${tc[1]}" <<'PY'
import sys
N = int(sys.argv[1]); rate = {64: float(sys.argv[2]), 32: float(sys.argv[3]), 8: float(sys.argv[4]), 1: float(sys.argv[5])}
F, B = 100, 64
print(f"\nparameters N = {N:,} ({4*N/1e6:.2f} MB of float32 gradient per step)\n")
print("| P | streams per rank | compute ms | all-reduce ms, 10 Gb/s | step ms | positions/s | efficiency | all-reduce ms, 100 Gb/s | step ms | positions/s | efficiency |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
t1 = F * B / rate[64] * 1e3
for P in (1, 2, 8, 64):
    b = B // P
    tc = F * b / rate[b] * 1e3
    row = [str(P), str(b), f"{tc:.1f}"]
    for bw, lat in ((10e9 / 8, 10e-6), (100e9 / 8, 2e-6)):
        ar = 0 if P == 1 else (2 * (P - 1) / P * 4 * N / bw + 4 * (P - 1) * lat) * 1e3
        step = tc + ar
        row += [f"{ar:.2f}", f"{step:.1f}", f"{F * B / step * 1e3:,.0f}", f"{100 * t1 / (P * step):.0f} %"]
    print("| " + " | ".join(row) + " |")
PY
