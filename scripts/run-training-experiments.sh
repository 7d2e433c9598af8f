#!/usr/bin/env bash
# The experiments behind the main job's training defaults (docs/training.md), on the shipped dev
# data only: train on the dev regions except chr7 (the main job's test chromosome, never looked at
# here) and chr16 (validation), then measure the chr16 reconstruction MSE in the signal's own units
# (`epilstm reconstruct`, one stream per region) and in the model's training units.
#
#   scripts/run-training-experiments.sh [OUT]        (default results/training-experiments)
#
# Needs the main job's build (build/main/bin/epilstm) and store (results/main/store.h5; run
# scripts/run-main.sh once). EPILSTM_EPOCHS (default 12) epochs per configuration; EPILSTM_CONFIGS
# picks some of the configurations.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${EPILSTM_SHARED_DIR:-$root/../shared}
data=$shared/data/roadmap_pilot_hg19
bin=${EPILSTM_BIN:-$root/build/main/bin/epilstm}
store=${EPILSTM_STORE:-$root/results/main/store.h5}
bed=${EPILSTM_REGIONS_BED:-$root/results/main/regions.bed}
out=${1:-$root/results/training-experiments}
epochs=${EPILSTM_EPOCHS:-12}
py=/usr/bin/python3
[ -x "$bin" ] && [ -f "$store" ] && [ -f "$bed" ] || { echo "run scripts/run-main.sh first (needs $bin, $store, $bed)" >&2; exit 1; }
mkdir -p "$out"

train=$(awk -F'\t' '$1 != "chr7" && $1 != "chr16" {print $4}' "$bed" | paste -sd, -)
valid=$(awk -F'\t' '$1 == "chr16" {print $4}' "$bed" | paste -sd, -)
[ -f "$out/valid_chr16.h5" ] || "$py" scripts/prepare_matrix.py --signal-dir "$data/signal" --regions "$valid" --out "$out/valid_chr16.h5"

common=(--store "$store" --regions "$train" --validation-regions "$valid" --epochs "$epochs" --hidden-size 16
        --batch 32 --lr 3e-3 --seed 1 --checkpoint-minutes 0)
declare -A cfg=(
    [A-by-region-shuffled]="--shuffle"
    [B-mixed-10]="--mix-frames 10"
    [C-mixed-10-standardized]="--mix-frames 10 --standardize"
    [D-mixed-10-standardized-schedule]="--mix-frames 10 --standardize --lr-patience 2 --patience 4"
    [E-mixed-4-standardized-schedule]="--mix-frames 4 --standardize --lr-patience 2 --patience 4"
    [F-by-region-shuffled-schedule]="--shuffle --lr-patience 2 --patience 4"
    [G-mixed-10-schedule]="--mix-frames 10 --lr-patience 2 --patience 4"
    [H-mixed-4-schedule]="--mix-frames 4 --lr-patience 2 --patience 4"
)
# μ, σ of every track over the training regions: the standardized MSE of any model's reconstruction.
"$py" - "$store" "$train" "$out/train_stats.npz" <<'PY'
import h5py, numpy as np, sys
s = h5py.File(sys.argv[1]); x = []
for name in sys.argv[2].split(','):
    g = s['regions/' + name]; v = g['signal'][:].T
    if 'missing' in g: v = v[g['missing'][:] == 0]
    x.append(v)
x = np.concatenate(x).astype(np.float64)
np.savez(sys.argv[3], mean=x.mean(0), sd=x.std(0))
PY
zmse() {  # standardized MSE (every track weighs the same) of a reconstruction of the chr16 matrix
    "$py" -c "
import h5py, numpy as np, sys
st = np.load('$out/train_stats.npz'); x = h5py.File('$out/valid_chr16.h5')['signal'][:].astype(np.float64)
r = h5py.File('$out/rec.tmp.h5')['reconstruction'][:].astype(np.float64)
print('%.5f' % (((r - x) / st['sd']) ** 2).mean())"
}
[ -n "${EPILSTM_CONFIGS:-}" ] && [ -f "$out/table.md" ] || printf '| configuration | options | epochs run | best epoch | best validation loss (training units) | chr16 MSE, signal units (last) | chr16 MSE (best) | chr16 standardized MSE (best) | seconds |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n' >"$out/table.md"
# EPILSTM_CONFIGS: a space-separated subset of the names below (default: all).
for name in ${EPILSTM_CONFIGS:-$(printf '%s\n' "${!cfg[@]}" | sort)}; do
    t0=$SECONDS
    # shellcheck disable=SC2086
    "$bin" train "${common[@]}" ${cfg[$name]} --model "$out/$name.h5" >"$out/$name.train.log"
    dt=$((SECONDS - t0))
    ran=$(grep -c "^epoch [0-9]*  validation MSE" "$out/$name.train.log")
    best=$(grep "(best: saved)" "$out/$name.train.log" | tail -1)
    best_epoch=$(echo "$best" | awk '{print $2}')
    best_loss=$(echo "$best" | awk '{print $5}')
    mse() { "$bin" reconstruct --model "$1" --matrix "$out/valid_chr16.h5" --out "$out/rec.tmp.h5" | awk '/reconstruction MSE/ {print $3}'; }
    last=$(mse "$out/$name.h5")
    bestm=$(mse "$out/$name.best.h5")
    bestz=$(zmse)
    printf '| %s | `%s` | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "${cfg[$name]}" "$ran" "$best_epoch" "$best_loss" "$last" "$bestm" "$bestz" "$dt" | tee -a "$out/table.md"
done
rm -f "$out/rec.tmp.h5"
echo "table: $out/table.md"
