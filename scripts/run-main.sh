#!/usr/bin/env bash
# The main job on the shipped Roadmap pilot data (../shared/data/roadmap_pilot_hg19: 25 bigWig
# tracks = 5 epigenomes × 5 histone marks, hg19, 25 bp):
#   1. install dependencies and build the `epilstm` program;
#   2. prepare HDF5 signal matrices (asinh of the bigWig values): training = every dev region
#      except those on chr7, held out = the chr7 regions (a cross-chromosome split);
#   3. train Epi-LSTM (softsign, layer norm, H = 16) on the training matrix;
#   4. reconstruct the held-out regions (positions never seen in training) and report the MSE
#      against the per-track-mean baseline.
# Outputs go to $EPILSTM_OUT (default: results/main in the repository). Options through the
# environment: EPILSTM_EPOCHS (20), EPILSTM_HIDDEN (16), EPILSTM_BATCH (32), EPILSTM_SEED (1).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${EPILSTM_SHARED_DIR:-$root/../shared}
data=$shared/data/roadmap_pilot_hg19
out=${EPILSTM_OUT:-$root/results/main}
epochs=${EPILSTM_EPOCHS:-20}
hidden=${EPILSTM_HIDDEN:-16}
batch=${EPILSTM_BATCH:-32}
seed=${EPILSTM_SEED:-1}
py=/usr/bin/python3  # Debian's, with h5py and pyBigWig (a pyenv python3 on PATH may lack them)

[ -d "$data/signal" ] || { echo "run-main: no pilot data at $data (set EPILSTM_SHARED_DIR)" >&2; exit 1; }
t0=$SECONDS
echo "==> installing dependencies"
bash scripts/install-deps.sh
echo "==> building epilstm"
# Its own build tree, tuned for this machine (-march=native), separate from the test builds.
cmake --preset default -B build/main -DEPILSTM_NATIVE=ON -DEPILSTM_BUILD_TESTS=OFF -DEPILSTM_BUILD_BENCH=OFF >/dev/null
cmake --build build/main --target epilstm_cli -j 2
bin=$root/build/main/bin/epilstm
mkdir -p "$out"

echo "==> preparing signal matrices from $data/signal"
train_regions=$(awk -F'\t' 'NR > 1 && $9 == "dev" && $2 != "chr7" {print $1}' "$data/regions.tsv" | paste -sd, -)
heldout_regions=$(awk -F'\t' 'NR > 1 && $9 == "dev" && $2 == "chr7" {print $1}' "$data/regions.tsv" | paste -sd, -)
"$py" scripts/prepare_matrix.py --signal-dir "$data/signal" --regions "$train_regions" --out "$out/train.h5"
"$py" scripts/prepare_matrix.py --signal-dir "$data/signal" --regions "$heldout_regions" --out "$out/heldout_chr7.h5"

echo "==> training (H=$hidden, $epochs epochs, $batch streams, seed $seed)"
"$bin" train --matrix "$out/train.h5" --model "$out/model.h5" --epochs "$epochs" --hidden-size "$hidden" \
    --batch "$batch" --lr 3e-3 --seed "$seed" | tee "$out/train.log"

echo "==> reconstructing the held-out chr7 regions"
"$bin" reconstruct --model "$out/model.h5" --matrix "$out/heldout_chr7.h5" --out "$out/heldout_chr7.reconstruction.h5" \
    | tee "$out/reconstruct.log"

echo
echo "==> done in $((SECONDS - t0)) s. Results:"
echo "    training matrix        $out/train.h5"
echo "    held-out matrix        $out/heldout_chr7.h5"
echo "    model checkpoint       $out/model.h5"
echo "    representation + reconstruction of held-out chr7: $out/heldout_chr7.reconstruction.h5 (/embedding, /reconstruction)"
echo "    logs                   $out/train.log, $out/reconstruct.log"
grep "reconstruction MSE" "$out/reconstruct.log" | sed 's/^/    held-out: /'
