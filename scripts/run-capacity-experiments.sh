#!/usr/bin/env bash
# Why the compression curve looks as it does (docs/evaluation.md, "Compression curve"): on the dev
# data's validation chromosome only (chr16; chr7 stays unseen), is the small-H model limited by its
# training budget, by the layer norm over a handful of cell units, or by the decoder's wiring? Each
# run is the main job's training (scripts/run-main.sh options) with one change; the table compares
# the best validation MSE with PCA of the same width fitted on the training regions.
#
#   scripts/run-capacity-experiments.sh [OUT]     (default results/capacity)
#
# Needs a built epilstm (EPILSTM_BIN, default build/default/bin/epilstm) and the main job's store
# (EPILSTM_STORE, default results/main/store.h5, and regions.bed beside it; run scripts/run-main.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${EPILSTM_BIN:-$root/build/default/bin/epilstm}
store=${EPILSTM_STORE:-$root/results/main/store.h5}
bed=$(dirname "$store")/regions.bed
out=${1:-$root/results/capacity}
[ -x "$bin" ] && [ -f "$store" ] && [ -f "$bed" ] || { echo "run scripts/run-main.sh first (needs $bin, $store, $bed)" >&2; exit 1; }
mkdir -p "$out"
valid=$(awk -F'\t' '$1 == "chr16" {print $4}' "$bed" | paste -sd, -)
printf '| run | options | epochs run | best epoch | best chr16 validation MSE | seconds |\n|---|---|---:|---:|---:|---:|\n' >"$out/table.md"
run() {
    local name=$1
    shift
    local t0=$SECONDS
    "$bin" train --store "$store" --heldout-chroms chr7 --validation-regions "$valid" --model "$out/$name.h5" \
        --best-model "$out/$name.best.h5" --batch 32 --lr 3e-3 --mix-frames 4 --lr-patience 2 --patience 4 --seed 1 \
        --checkpoint-minutes 0 "$@" >"$out/$name.log" 2>&1
    local line
    line=$(grep '^done\|^early stop' "$out/$name.log" | tail -1)
    local epochs best mse
    epochs=$(grep -c '^epoch [0-9]* *validation' "$out/$name.log")
    best=$(sed -n 's/.*best epoch \([0-9]*\).*/\1/p' <<<"$line")
    mse=$(sed -n 's/.*validation MSE \([0-9.]*\).*/\1/p' <<<"$line")
    printf '| %s | `%s` | %s | %s | %s | %s |\n' "$name" "$*" "$epochs" "$best" "$mse" "$((SECONDS - t0))" >>"$out/table.md"
    echo "$name: best epoch $best, validation MSE $mse"
}
run H2 --hidden-size 2 --epochs 20
run H2-no-norm --hidden-size 2 --epochs 20 --normalization none
run H4 --hidden-size 4 --epochs 20
run H4-60-epochs --hidden-size 4 --epochs 60
run H4-no-norm --hidden-size 4 --epochs 20 --normalization none
run H4-own-cell --hidden-size 4 --epochs 20 --wiring own_cell
run H8 --hidden-size 8 --epochs 20
# PCA of each width, fitted on the training regions (not chr7, not chr16), scored on chr16 over the
# positions the model's loss counts (not missing in every track).
/usr/bin/python3 - "$store" "$bed" >>"$out/table.md" <<'PY'
import h5py, numpy as np, sys
s = h5py.File(sys.argv[1])
regs = [l.split('\t') for l in open(sys.argv[2]).read().splitlines() if l]
def load(names):
    out = []
    for n in names:
        g = s['regions/' + n]
        x = g['signal'][:].T.astype(np.float64)
        if 'missing' in g: x = x[g['missing'][:] == 0]
        out.append(x)
    return np.concatenate(out)
train = load([r[3] for r in regs if r[0] not in ('chr7', 'chr16')])
val = load([r[3] for r in regs if r[0] == 'chr16'])
mu = train.mean(0)
vt = np.linalg.svd(train - mu, full_matrices=False)[2]
for k in (2, 4, 8):
    v = vt[:k].T
    print('| PCA-%d | fitted on the training regions | | | %.5f | |' % (k, (((val - mu) @ v @ v.T + mu - val) ** 2).mean()))
PY
cat "$out/table.md"
