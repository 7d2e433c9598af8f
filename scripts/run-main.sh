#!/usr/bin/env bash
# The main job on the shipped Roadmap pilot data (../shared/data/roadmap_pilot_hg19: 25 bigWig
# tracks = 5 epigenomes × 5 histone marks, hg19, 25 bp, 37 ENCODE pilot regions):
#   1. install dependencies and build the `epilstm` program;
#   2. prepare: bigWigs → an HDF5 signal store (25 bp bins, asinh), one dataset per region;
#   3. train Epi-LSTM (softsign, layer norm, H = 16) out of core on every region except those on
#      chr7, which are held out (a cross-chromosome split, as in the paper's evaluation), and on
#      chr16, the validation regions (the best epoch is kept, with a learning-rate decay on plateau
#      and early stopping); minibatches mix 4-frame segments from across the genome;
#   4. embed every region, the held-out ones included, to HDF5 and one bigWig per latent feature;
#   5. reconstruct the held-out chr7 regions through `epilstm reconstruct` (MODEL-SPEC's reference
#      entry point) and report their MSE against the per-track-mean baseline;
#   6. train the paper's comparators on the same training regions (chr7 and chr16 left out):
#      Avocado (tensor factorization) and REFINED+CNN (REFINED placement + CNN autoencoder), and embed
#      every region with each (Avocado fits the genome factors of the regions it was not trained on
#      with everything else frozen), with their reconstructions;
#   7. evaluate: downstream classification of the pilot labels (XGBoost, cross-chromosome folds) for
#      the representation, a random-weights control, Avocado, REFINED+CNN, the raw signal, PCA and the
#      majority baseline; smoothness; held-out reconstruction quality; correlation with CpG-island
#      coverage. Writes report.md with tables and PNG plots.
# Outputs go to $EPILSTM_OUT (default: results/main in the repository). Options through the
# environment: EPILSTM_EPOCHS (20), EPILSTM_HIDDEN (16), EPILSTM_BATCH (32), EPILSTM_SEED (1), EPILSTM_BIN
# (an already built epilstm program: skips the build), EPILSTM_COMPARATORS (1; 0 skips step 6).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${EPILSTM_SHARED_DIR:-$root/../shared}
data=$shared/data/roadmap_pilot_hg19
genome=$shared/data/annotations_hg19/hg19.chrom.sizes
out=${EPILSTM_OUT:-$root/results/main}
epochs=${EPILSTM_EPOCHS:-20}
hidden=${EPILSTM_HIDDEN:-16}
batch=${EPILSTM_BATCH:-32}
seed=${EPILSTM_SEED:-1}
comparators=${EPILSTM_COMPARATORS:-1}
py=/usr/bin/python3  # Debian's, with h5py and pyBigWig (a pyenv python3 on PATH may lack them)

[ -d "$data/signal" ] || { echo "run-main: no pilot data at $data (set EPILSTM_SHARED_DIR)" >&2; exit 1; }
t0=$SECONDS
echo "==> installing dependencies"
bash scripts/install-deps.sh
if [ -n "${EPILSTM_BIN:-}" ]; then
    bin=$EPILSTM_BIN  # an epilstm program already built (e.g. build/default/bin/epilstm)
    echo "==> using $bin"
else
    echo "==> building epilstm"
    # Its own build tree, tuned for this machine (-march=native), separate from the test builds.
    cmake --preset default -B build/main -DEPILSTM_NATIVE=ON -DEPILSTM_BUILD_TESTS=OFF -DEPILSTM_BUILD_BENCH=OFF >/dev/null
    cmake --build build/main --target epilstm_cli -j 2
    bin=$root/build/main/bin/epilstm
fi
mkdir -p "$out"

echo "==> preparing the signal store from $data/signal"
# The pilot regions as a BED (bigWig coverage of each region, 25 bp aligned).
awk -F'\t' 'NR > 1 && $9 == "dev" {print $2 "\t" $7 "\t" $8 "\t" $1}' "$data/regions.tsv" >"$out/regions.bed"
"$bin" prepare --bigwig-dir "$data/signal" --genome "$genome" --regions "$out/regions.bed" --out "$out/store.h5"

heldout_regions=$(awk -F'\t' '$1 == "chr7" {print $4}' "$out/regions.bed" | paste -sd, -)
valid_regions=$(awk -F'\t' '$1 == "chr16" {print $4}' "$out/regions.bed" | paste -sd, -)
echo "==> training (chr7 held out, chr16 for validation): H=$hidden, up to $epochs epochs, minibatches of $batch segments of 4 frames mixed across the genome, seed $seed"
# Defaults chosen on the dev data's validation chromosome (docs/training.md, scripts/run-training-experiments.sh).
"$bin" train --store "$out/store.h5" --heldout-chroms chr7 --validation-regions "$valid_regions" \
    --model "$out/last.h5" --best-model "$out/model.h5" --epochs "$epochs" --hidden-size "$hidden" --batch "$batch" \
    --lr 3e-3 --mix-frames 4 --lr-patience 2 --patience 4 --seed "$seed" | tee "$out/train.log"

echo "==> embedding every region (held-out chr7 included)"
"$bin" embed --model "$out/model.h5" --store "$out/store.h5" --out "$out/embedding.h5" --streams 8 \
    --bigwig "$out/bigwig" | tee "$out/embed.log"

echo "==> reconstructing the held-out chr7 regions (epilstm reconstruct)"
"$py" scripts/prepare_matrix.py --signal-dir "$data/signal" --regions "$heldout_regions" --out "$out/heldout_chr7.h5"
"$bin" reconstruct --model "$out/model.h5" --matrix "$out/heldout_chr7.h5" --out "$out/heldout_chr7.reconstruction.h5" \
    | tee "$out/reconstruct.log"

# The comparators' budgets (docs/comparators.md, "The main job"): each trains for about the wall
# time Epi-LSTM's 20 epochs take on this 2-core machine (~85 s), not for Avocado's or REFINED's own
# budgets. Avocado: a 64-unit network (the paper's 2048 would take ~10 min for one epoch here), 4
# epochs of 30 % of the observed pairs, out of core 8 regions at a time; the regions it was not
# trained on (chr7, chr16) get genome factors fitted with the network frozen, 4 epochs of 50 % of
# their pairs. REFINED+CNN: bottleneck E = H, 5 epochs over every training position.
avocado_args=(--avocado-units 64 --avocado-layers 2 --avocado-factors 32,64,25,40,45 --avocado-passes 0.3
              --avocado-window-regions 8 --epochs 4 --batch 4096 --lr 1e-2)
avocado_embed_args=(--fit-epochs 4 --fit-passes 0.5 --fit-lr 1e-2)
AVOCADO_DESC="N = 64, L = 2, factors 32/64/25/40/45, 4 epochs of 30 % of the pairs, batch 4096, lr 1e-2"
refined_args=(--epochs 5 --batch 256 --lr 3e-3 --cnn-channels 8,16)
REFINED_DESC="E = $hidden, C1 = 8, C2 = 16, 5 epochs, batch 256, lr 3e-3"
compare=()
if [ "$comparators" = 1 ]; then
    # Budgets (docs/comparators.md, "The main job"): each comparator gets a wall-clock budget of the
    # order of Epi-LSTM's training on this 2-core machine.
    echo "==> training Avocado on the same training regions (chr7 held out, chr16 left out): $AVOCADO_DESC"
    "$bin" train --method avocado --store "$out/store.h5" --heldout-chroms chr7 --validation-regions "$valid_regions" \
        --model "$out/avocado.h5" "${avocado_args[@]}" --seed "$seed" | tee "$out/avocado_train.log"
    echo "==> embedding every region with Avocado (genome factors fitted for the regions it was not trained on)"
    "$bin" embed --model "$out/avocado.h5" --store "$out/store.h5" --out "$out/avocado_embedding.h5" \
        --reconstruction-out "$out/avocado_reconstruction.h5" "${avocado_embed_args[@]}" | tee "$out/avocado_embed.log"
    echo "==> training REFINED+CNN on the same training regions: $REFINED_DESC"
    "$bin" train --method refined-cnn --store "$out/store.h5" --heldout-chroms chr7 --validation-regions "$valid_regions" \
        --model "$out/refined_cnn.h5" --hidden-size "$hidden" "${refined_args[@]}" --seed "$seed" | tee "$out/refined_cnn_train.log"
    echo "==> embedding every region with REFINED+CNN"
    "$bin" embed --model "$out/refined_cnn.h5" --store "$out/store.h5" --out "$out/refined_cnn_embedding.h5" \
        --reconstruction-out "$out/refined_cnn_reconstruction.h5" | tee "$out/refined_cnn_embed.log"
    compare=(--compare "avocado=$out/avocado_embedding.h5" --compare-reconstruction "avocado=$out/avocado_reconstruction.h5"
             --compare "refined-cnn=$out/refined_cnn_embedding.h5"
             --compare-reconstruction "refined-cnn=$out/refined_cnn_reconstruction.h5")
fi

echo "==> evaluating the representation against the comparators and baselines (epilstm evaluate)"
ann=$shared/data/annotations_hg19
"$bin" evaluate --embedding "$out/embedding.h5" --store "$out/store.h5" --model "$out/model.h5" "${compare[@]}" \
    --labels-dir "$shared/data/pilot_labels_hg19" --heldout-chroms chr7 --validation-regions "$valid_regions" --streams 8 \
    --promoters "$ann/RefSeqTSS2kb.hg19.bed.gz" --genes "$ann/RefSeqGene.hg19.bed.gz" \
    --score "$ann/CpGIsland.hg19.bed.gz" --seed "$seed" --out "$out/evaluation" 2>"$out/evaluate.log"

echo
echo "==> done in $((SECONDS - t0)) s. Results:"
echo "    signal store (all dev regions)   $out/store.h5"
echo "    model checkpoint (best epoch)    $out/model.h5 (last epoch: $out/last.h5)"
echo "    representation, every region     $out/embedding.h5 (/regions/<name>/embedding [n, $hidden])"
echo "    one bigWig per latent feature    $out/bigwig/feature_<j>.bigWig"
echo "    held-out chr7 reconstruction     $out/heldout_chr7.reconstruction.h5 (/embedding, /reconstruction)"
echo "    evaluation report (tables, plots) $out/evaluation/report.md (plots/*.png, metrics.tsv, smoothness.tsv,"
echo "                                     reconstruction.tsv, score_correlation.tsv)"
if [ "$comparators" = 1 ]; then
echo "    Avocado checkpoint, representation $out/avocado.h5, $out/avocado_embedding.h5 (+ _reconstruction.h5)"
echo "    REFINED+CNN checkpoint, repr.      $out/refined_cnn.h5, $out/refined_cnn_embedding.h5 (+ _reconstruction.h5)"
fi
echo "    logs                             $out/train.log, $out/embed.log, $out/reconstruct.log, $out/evaluate.log"
grep "reconstruction MSE" "$out/reconstruct.log" | sed 's/^/    held-out chr7: /'
echo
echo "==> downstream classification ($out/evaluation/report.md; plots in $out/evaluation/plots/)"
sed -n '/^| task | cell type/,/^$/p' "$out/evaluation/report.md"
echo "==> held-out chr7 reconstruction quality"
sed -n '/^| predictor/,/^$/p' "$out/evaluation/report.md"
echo "==> smoothness R²(k)"
sed -n '/^| k |/,/^$/p' "$out/evaluation/report.md"
