#!/usr/bin/env bash
# The ablation study (docs/ablation.md) on the shipped Roadmap pilot data:
#   1. install dependencies and build `epilstm` and `epilstm-ablation` in build/ablation;
#   2. prepare the HDF5 signal store from the 25 pilot bigWigs (skipped when it already exists);
#   3. train every variant of the compile-time grid (activation × normalization × hidden size ×
#      encoder: 24 types) on the regions not on chr7, same seed, schedule and budget, and score each
#      on held-out chr7 reconstruction MSE, downstream mAP, smoothness at 1 kb and positions/s.
# Outputs go to $EPILSTM_OUT (default: results/ablation): ablation.md (the table), ablation.tsv,
# ablation.log. Options through the environment: EPILSTM_EPOCHS (2), EPILSTM_SEED (1),
# EPILSTM_THREADS (1), EPILSTM_STORE (an existing store to use instead of preparing one),
# EPILSTM_VARIANTS (a --variants filter, e.g. "H8,H16" for a smaller grid). Extra arguments are
# passed to epilstm-ablation (see `build/ablation/bin/epilstm-ablation --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${EPILSTM_SHARED_DIR:-$root/../shared}
data=$shared/data/roadmap_pilot_hg19
labels=$shared/data/pilot_labels_hg19
genome=$shared/data/annotations_hg19/hg19.chrom.sizes
out=${EPILSTM_OUT:-$root/results/ablation}
store=${EPILSTM_STORE:-$out/store.h5}
epochs=${EPILSTM_EPOCHS:-2}
seed=${EPILSTM_SEED:-1}
threads=${EPILSTM_THREADS:-1}
variants=${EPILSTM_VARIANTS:-}

[ -d "$data/signal" ] || { echo "run-ablation: no pilot data at $data (set EPILSTM_SHARED_DIR)" >&2; exit 1; }
[ -d "$labels" ] || { echo "run-ablation: no pilot labels at $labels (set EPILSTM_SHARED_DIR)" >&2; exit 1; }
t0=$SECONDS
echo "==> installing dependencies"
bash scripts/install-deps.sh
echo "==> building epilstm and epilstm-ablation (build/ablation)"
# Its own build tree, tuned for this machine (-march=native), separate from the test builds.
cmake -S . -B build/ablation -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEPILSTM_NATIVE=ON -DEPILSTM_BUILD_TESTS=OFF \
    -DEPILSTM_BUILD_BENCH=OFF >/dev/null
cmake --build build/ablation --target epilstm_ablation -j 2
bin=$root/build/ablation/bin
[ -x "$bin/epilstm-ablation" ] || { echo "run-ablation: epilstm-ablation was not built (needs HDF5 and XGBoost)" >&2; exit 1; }
mkdir -p "$out"

if [ -f "$store" ]; then
    echo "==> using the existing signal store $store"
else
    echo "==> building epilstm (for \`epilstm prepare\`) and preparing the signal store from $data/signal"
    cmake --build build/ablation --target epilstm_cli -j 2
    awk -F'\t' 'NR > 1 && $9 == "dev" {print $2 "\t" $7 "\t" $8 "\t" $1}' "$data/regions.tsv" >"$out/regions.bed"
    "$bin/epilstm" prepare --bigwig-dir "$data/signal" --genome "$genome" --regions "$out/regions.bed" --out "$store"
fi

echo "==> ablation: $epochs epoch(s) per variant, seed $seed, $threads thread(s), chr7 held out"
t1=$SECONDS
"$bin/epilstm-ablation" --store "$store" --labels-dir "$labels" --out "$out" --heldout-chrom chr7 \
    --epochs "$epochs" --seed "$seed" --threads "$threads" ${variants:+--variants "$variants"} "$@" \
    2> >(tee "$out/ablation.log" >&2)
echo
echo "==> done in $((SECONDS - t0)) s (study $((SECONDS - t1)) s). Results:"
echo "    table (markdown)   $out/ablation.md"
echo "    table (TSV)        $out/ablation.tsv"
echo "    progress log       $out/ablation.log"
echo "    signal store       $store"
