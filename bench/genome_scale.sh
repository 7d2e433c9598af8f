#!/usr/bin/env bash
# The whole data path at the compendium's width (issue #14), timed in one run on this machine:
#
#   bench/genome_scale.sh [BUILD_DIR]    (default build/default; a -DEPILSTM_NATIVE=ON build is the
#                                         one to quote for speed)
#   environment: POSITIONS (default 2000000 25-bp bins, one region of chr1), TRACKS (1014),
#                PREPARE_ARGS (extra `epilstm prepare` options, e.g. "--precision float16 --deflate-level 1"),
#                EMBED_STREAMS (default 64: `embed --streams`, streams per region; 1 is `reconstruct`'s
#                exact single stream, which leaves the GEMMs one column wide),
#                GS_WORK (default /tmp/epilstm_genome_scale: the synthetic bigWigs are kept there
#                and reused by later runs with the same POSITIONS and TRACKS; ~3 GB at the defaults)
#
# 1. A synthetic Roadmap-shaped compendium (bench/synthetic_compendium.py): TRACKS bigWigs with
#    variable-length records and the pilot's value distributions, over one region of POSITIONS bins.
# 2. `epilstm prepare` of all of them into a store (wall time, peak RSS, values/s).
# 3. One epoch of `epilstm train` from the store at the paper's shape (H = 110, F = 100, B = 64,
#    2 threads), and the same model in memory (bench/epilstm_bench, the compute alone, same build):
#    the share of the epoch spent reading and inflating the store is 1 − store rate / in-memory rate.
#    A sequential read of the whole store (h5py, one thread) gives the bare inflate rate.
# 4. `epilstm embed` of the region (wall time, peak RSS).
# Last line: the projected whole-genome pipeline (prepare + one epoch + embed) at D = TRACKS, each
# step's time scaled linearly to 124 M positions (hg19 at 25 bp). Figures only; nothing is asserted.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${1:-$root/build/default}"
bin="$build/bin/epilstm"
bench="$build/bench/epilstm_bench"
# the in-memory figure from the same GEMM library as the program (OpenBLAS when it was found)
[ -x "$build/bench/epilstm_bench_openblas" ] && bench="$build/bench/epilstm_bench_openblas"
py=/usr/bin/python3
positions="${POSITIONS:-2000000}"
tracks="${TRACKS:-1014}"
work="${GS_WORK:-/tmp/epilstm_genome_scale}"
data="$work/bigwig_${tracks}x${positions}"
genome_positions=124000000
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc --all)}"
mkdir -p "$work"

echo "machine: $(nproc --all) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); build $build; OMP_NUM_THREADS=$OMP_NUM_THREADS OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(unset)}"
if [ ! -f "$data/region.bed" ] || [ "$(ls "$data" | grep -c '\.bigWig$')" -ne "$tracks" ]; then
    t0=$(date +%s.%N)
    "$py" "$here/synthetic_compendium.py" --out "$data" --tracks "$tracks" --positions "$positions"
    echo "generated in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s"
fi
echo "bigWigs: $(du -sh "$data" | cut -f1) in $data"

# timed <label> <command...>: wall seconds and peak RSS (GNU time) into $label.time
timed() {
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/$label.time" "$@"
}
secs() { cut -d' ' -f1 "$work/$1.time"; }
rss_mib() { awk '{ printf "%.0f", $2 / 1024 }' "$work/$1.time"; }

rm -f "$work/store.h5" "$work/model.h5" "$work/embedding.h5"
prepare_args="${PREPARE_ARGS:-}"
# shellcheck disable=SC2086  # PREPARE_ARGS is a list of options
timed prepare "$bin" prepare --bigwig-dir "$data" --genome "$data/genome.sizes" --regions "$data/region.bed" \
    --out "$work/store.h5" -q $prepare_args
store_mb=$(du -m "$work/store.h5" | cut -f1)

args=(--store "$work/store.h5" --model "$work/model.h5" --epochs 1 --hidden-size 110 --frame-length 100 --batch 64
      --seed 1 --checkpoint-minutes 0)
timed train "$bin" train "${args[@]}" >"$work/train.txt" 2>&1 || { cat "$work/train.txt"; exit 1; }
store_rate=$(grep -o '([0-9]* positions/s)' "$work/train.txt" | tr -dc '0-9')
mem_line=$("$bench" train "$tracks" 110 100 64 5)
mem_rate=$(echo "$mem_line" | grep -o ' pos_s=[0-9.]*' | cut -d= -f2)

read_line=$("$py" - "$work/store.h5" <<'PY'
import h5py, sys, time
with h5py.File(sys.argv[1]) as f:
    ds = f["regions/synthetic/signal"]
    D, N = ds.shape
    step = ds.chunks[1]
    t0 = time.perf_counter()
    for a in range(0, N, step):
        ds[:, a:a + step]
    t = time.perf_counter() - t0
print(f"{D * N / t / 1e6:.1f} M values/s ({N / t:,.0f} positions/s, {4 * D * N / t / 1e6:,.0f} MB/s of float32), chunks {ds.chunks}")
PY
)

embed_streams="${EMBED_STREAMS:-64}"
timed embed "$bin" embed --model "$work/model.h5" --store "$work/store.h5" --out "$work/embedding.h5" \
    --streams "$embed_streams" >"$work/embed.txt" 2>&1 \
    || { cat "$work/embed.txt"; exit 1; }

"$py" - "$positions" "$tracks" "$genome_positions" "$(secs prepare)" "$(rss_mib prepare)" "$(secs train)" \
    "$(rss_mib train)" "$(secs embed)" "$(rss_mib embed)" "$store_rate" "$mem_rate" "$store_mb" "$read_line" \
    "${prepare_args:-(defaults)}" "$embed_streams" <<'PY'
import sys
N, D, G = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tp, rp, tt, rt, te, re = (float(x) for x in sys.argv[4:10])
store_rate, mem_rate, store_mb, read_line = float(sys.argv[10]), float(sys.argv[11]), float(sys.argv[12]), sys.argv[13]
prepare_args, embed_streams = sys.argv[14], sys.argv[15]
scale = G / N
print()
print(f"## genome scale: D = {D}, {N:,} positions (one region), store {store_mb:,.0f} MB "
      f"({4 * D * N / 1e6 / store_mb:.2f} : 1 against float32), prepare {prepare_args}")
print("| step | wall s | peak RSS MiB | rate | projected at 124 M positions |")
print("|---|---:|---:|---:|---:|")
print(f"| prepare | {tp:.1f} | {rp:.0f} | {D * N / tp / 1e6:.1f} M values/s | {tp * scale / 3600:.2f} h |")
print(f"| train, one epoch from the store | {tt:.1f} | {rt:.0f} | {store_rate:,.0f} positions/s | {tt * scale / 3600:.2f} h |")
print(f"| embed, {embed_streams} streams | {te:.1f} | {re:.0f} | {N / te:,.0f} positions/s | {te * scale / 3600:.2f} h |")
print()
print(f"train in memory (epilstm_bench, the compute alone): {mem_rate:,.0f} positions/s; from the store "
      f"{store_rate:,.0f}: {100 * store_rate / mem_rate:.0f} % of it, so reading and inflating take "
      f"~{max(0.0, 100 * (1 - store_rate / mem_rate)):.0f} % of the epoch")
print(f"sequential read of the whole store (h5py: HDF5's own pipeline, one thread): {read_line}")
print(f"projected whole-genome pipeline at D={D}: {(tp + tt + te) * scale / 3600:.2f} h")
PY
