#!/usr/bin/env bash
# The ablation study (examples/ablation, docs/ablation.md) on a tiny budget: a store of 9 shipped
# pilot regions (chr7's ENm010 held out), two variants of the grid, a few thousand training
# positions, 3 folds and 20 XGBoost rounds. Checks the table's rows and that every number is
# finite, that a second run gives the same metrics (same seed), and one-line errors for bad inputs.
# usage: test_ablation.sh <epilstm binary> <epilstm-ablation binary> <repo root> <shared dir> <scratch dir>
set -uo pipefail
bin=$1; abl=$2; root=$3; shared=$4; work=$5
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$work"
expect_error() {  # <name> <substring> <command...>: exit 2, one error line, containing it
    local name=$1 want=$2; shift 2
    "$@" >stdout.txt 2>stderr.txt; local rc=$?
    if [ "$rc" -eq 2 ] && [ "$(grep -c 'epilstm-ablation: error' stderr.txt)" -eq 1 ] \
        && grep 'epilstm-ablation: error' stderr.txt | grep -qF -- "$want"; then
        ok "$name"
    else
        fail "$name (exit $rc, want one error line containing '$want'; stderr: $(tail -3 stderr.txt))"
    fi
}

data=$shared/data/roadmap_pilot_hg19
labels=$shared/data/pilot_labels_hg19
awk -F'\t' 'NR > 1 && ($1 ~ /^(ENr231|ENr112|ENr113|ENr221|ENr334|ENm010|ENr321|ENm011|ENm008)$/) {print $2 "\t" $7 "\t" $8 "\t" $1}' \
    "$data/regions.tsv" >regions.bed
[ "$(wc -l <regions.bed)" -eq 9 ] || { fail "regions.bed has $(wc -l <regions.bed) regions, expected 9"; exit 1; }
"$bin" prepare --bigwig-dir "$data/signal" --genome "$shared/data/annotations_hg19/hg19.chrom.sizes" \
    --regions regions.bed --out store.h5 -q >prep.txt 2>&1 \
    && ok "prepare a 9-region store" || { fail "prepare: $(cat prep.txt)"; echo "$passed passed, $failures failed"; exit 1; }

expect_error "--folds 2: one short range message" "epilstm-ablation: error: --folds must be an integer from 3 to 1000 (got 2)" \
    "$abl" --store store.h5 --labels-dir "$labels" --out never --folds 2

args=(--store store.h5 --labels-dir "$labels" --variants softsign/layer_norm/H8/uni,tanh/none/H8/bi
      --positions 6000 --batch 8 --folds 3 --xgb-rounds 20 --xgb-early-stopping 5 --seed 3)
"$abl" "${args[@]}" --out run1 >run1.txt 2>run1.err && ok "a two-variant study runs" \
    || { fail "ablation: $(tail -5 run1.err)"; echo "$passed passed, $failures failed"; exit 1; }

# The TSV: a header, the no-model reference row and the two variants, in grid order.
tsv=run1/ablation.tsv
[ "$(cut -f1 "$tsv" | paste -sd'|')" = "variant|signal (no model)|softsign/layer_norm/H8/uni|tanh/none/H8/bi" ] \
    && ok "the table has the reference row and the two chosen variants" || fail "rows: $(cut -f1 "$tsv" | paste -sd'|')"
awk -F'\t' '
    NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i; next }
    NR > 2 {  # the variants: every measured column is a finite number
        n = split("width parameters train_positions train_positions_per_s heldout_mse map smoothness_r2_1kb", need, " ")
        for (k = 1; k <= n; ++k) {
            v = $(col[need[k]])
            if (!(need[k] in col) || v !~ /^-?[0-9]+(\.[0-9]+)?$/) { print "row " NR " " need[k] " = " v; bad = 1 }
        }
        if ($(col["heldout_mse"]) <= 0 || $(col["train_positions_per_s"]) <= 0) { print "row " NR " not positive"; bad = 1 }
        if ($(col["map"]) <= 0 || $(col["map"]) > 1) { print "row " NR " mAP out of (0, 1]"; bad = 1 }
        if ($(col["train_positions"]) < 6000) { print "row " NR " trained on fewer positions than the budget"; bad = 1 }
    }
    NR == 2 && $(col["map"]) !~ /^[0-9.]+$/ { print "reference row mAP = " $(col["map"]); bad = 1 }
    END { exit bad }' "$tsv" >check.txt && ok "held-out MSE, mAP, smoothness and positions/s are finite" \
    || fail "non-finite or missing numbers: $(cat check.txt)"
awk -F'\t' 'NR == 4 {print $6}' "$tsv" | grep -qx 16 && ok "the bidirectional H = 8 variant is 16 wide" \
    || fail "width of the bidirectional variant: $(awk -F'\t' 'NR == 4 {print $6}' "$tsv")"
# Parameters = the sum of the tensor sizes (no alignment padding). An LSTM layer with input I and
# hidden H has 4HI + 4H² + 8H weights and biases, plus 18H with layer norm; the output layer D·E + D.
# D = 25 tracks. softsign/layer_norm/H8/uni: encoder (25, 8) 1264 + decoder (8, 8) 720 + output 225;
# tanh/none/H8/bi: 2 encoders (25, 8) 2 × 1120 + decoder (16, 16) 2176 + output 425.
[ "$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i } NR > 2 { printf "%s ", $(col["parameters"]) }' "$tsv")" = "2209 4841 " ] \
    && ok "the parameter column counts the real parameters" \
    || fail "parameters: $(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i } NR > 2 { printf "%s ", $(col["parameters"]) }' "$tsv")"
grep -q '^| tanh/none/H8/bi | 16 |' run1/ablation.md && grep -q 'per-track-mean baseline' run1/ablation.md \
    && grep -q '^| softsign/layer_norm/H8/uni |' run1.txt && ok "ablation.md and stdout hold the markdown table" \
    || fail "markdown table missing: $(head -20 run1/ablation.md)"

# Same seed, same metrics (timings aside).
"$abl" "${args[@]}" --out run2 >/dev/null 2>run2.err || fail "second run: $(tail -3 run2.err)"
metrics() { awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i !~ /seconds|per_s/) keep[i] = 1 }
                      { line = ""; for (i = 1; i <= NF; ++i) if (i in keep) line = line $i "\t"; print line }' "$1"; }
[ "$(metrics run1/ablation.tsv)" = "$(metrics run2/ablation.tsv)" ] && ok "a second run gives the same metrics" \
    || fail "runs differ: $(diff <(metrics run1/ablation.tsv) <(metrics run2/ablation.tsv) | head -4)"

# Bad inputs: one line, exit status 2.
expect_error "missing store" "nothing.h5" "$abl" --store nothing.h5 --labels-dir "$labels" --out bad
expect_error "no region on the held-out chromosome" "no region on chrZ" \
    "$abl" --store store.h5 --labels-dir "$labels" --out bad --heldout-chrom chrZ
expect_error "a variant filter matching nothing" "matches none" \
    "$abl" --store store.h5 --labels-dir "$labels" --out bad --variants H64
expect_error "not a signal store" "regions.bed" "$abl" --store regions.bed --labels-dir "$labels" --out bad
expect_error "a label directory without labels" "no label files" "$abl" --store store.h5 --labels-dir run1 --out bad
[ ! -e bad ] && ok "no output directory after an error" || fail "bad/ was created"

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
