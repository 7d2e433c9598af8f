#!/usr/bin/env bash
# End-to-end checks of `epilstm evaluate` on a small real store (four 120 kb windows of the shipped
# pilot bigWigs on four chromosomes) with hand-made labels that exercise every bad-input path of the
# issue: labels on a chromosome the representation lacks, loci outside the embedded regions, a task
# with a single class, an empty task, a task without files, a fold whose test chromosome holds one
# class. The report must still be written, say what was skipped and why, and hold every section
# (random-weights control, smoothness, held-out reconstruction, score correlation). The protocol:
# the held-out table first, pinned XGBoost parameters, baselines fitted on the training regions,
# paired per-fold comparison, error bars, --seeds; the embedding's recorded streams and model
# checksum (checked against --model), the held-out chromosomes read from the checkpoint, and an
# older embedding file without those attributes. Then hard errors: one line, exit 2. Finally: the
# same inputs give the same metrics.
# usage: test_evaluate.sh <epilstm binary> <repo root> <shared dir> <scratch dir>
set -uo pipefail
bin=$1; root=$2; shared=$3; work=$4
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$work"
expect_error() {  # <name> <substring> <command...>: exit 2, one stderr line containing it
    local name=$1 want=$2; shift 2
    "$@" >stdout.txt 2>stderr.txt; local rc=$?
    if [ "$rc" -eq 2 ] && grep -qF -- "$want" stderr.txt && [ "$(grep -c 'epilstm: error' stderr.txt)" -eq 1 ]; then
        ok "$name"
    else
        fail "$name (exit $rc, want 2 and an error containing '$want'; stderr: $(tail -3 stderr.txt))"
    fi
}
has() { grep -qF -- "$2" "$1"; }  # has <file> <text>

signal=$shared/data/roadmap_pilot_hg19/signal
genome=$shared/data/annotations_hg19/hg19.chrom.sizes
# Four windows inside dev regions (ENr231, ENr112, ENr114, ENr123), 25 bp aligned, 4,800 bins each.
printf 'chr1\t151200000\t151320000\tw1\nchr2\t51700000\t51820000\tw2\nchr10\t55500000\t55620000\tw10\nchr12\t40400000\t40520000\tw12\n' >regions.bed
"$bin" prepare --bigwig-dir "$signal" --genome "$genome" --regions regions.bed --out store.h5 -q >prep.txt 2>&1 \
    || { fail "prepare: $(cat prep.txt)"; echo "$passed passed, $failures failed"; exit 1; }
"$bin" train --store store.h5 --regions w1,w2,w10 --model model.h5 --epochs 1 --hidden-size 4 --frame-length 50 \
    --batch 4 --seed 3 >train.txt 2>&1 || fail "train: $(cat train.txt)"
# The checkpoint records chr12 as held out and w10 as a validation region (as `epilstm train
# --heldout-chroms chr12 --validation-regions w10` does; written here with h5py, so that the model
# still trains on both).
/usr/bin/python3 -c "import h5py, sys; f = h5py.File(sys.argv[1], 'a'); f.pop('provenance', None); f.create_dataset('provenance/heldout_chroms', data=['chr12'], dtype=h5py.string_dtype()); f.create_dataset('provenance/validation_regions', data=['w10'], dtype=h5py.string_dtype())" model.h5 \
    || fail "adding /provenance to model.h5"
"$bin" embed --model model.h5 --store store.h5 --out emb.h5 --streams 2 >embed.txt 2>&1 || fail "embed: $(cat embed.txt)"
/usr/bin/python3 - emb.h5 model.h5 >prov.txt 2>&1 <<'PY' && ok "the embedding records its streams and the checkpoint's FNV-1a 64 checksum" || fail "embedding provenance: $(cat prov.txt)"
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
data = open(sys.argv[2], 'rb').read()
h = 14695981039346656037
for b in data:
    h = ((h ^ b) * 1099511628211) % 2**64
assert int(f.attrs['streams']) == 2, f.attrs['streams']
want = 'fnv1a64:%016x' % h
got = f.attrs['model_checksum']
got = got.decode() if isinstance(got, bytes) else got
assert got == want, (got, want)
PY

# Labels. Expression: 12 genes per window, alternating expressed / not, except chr12 (all
# expressed: its fold has one class); one gene on chrY (absent) and two outside the windows.
mkdir -p labels/expression labels/pei labels/tads
{
    printf 'gene_id\tchrom\ttss_1based\tstrand\tgene_biotype\texpressed\tpilot_region\n'
    for w in chr1:151200000 chr2:51700000 chr10:55500000 chr12:40400000; do
        c=${w%%:*}; s=${w##*:}
        for i in $(seq 0 11); do
            lab=$((i % 2)); [ "$c" = chr12 ] && lab=1
            strand=+; [ $((i % 3)) -eq 0 ] && strand=-
            printf 'G_%s_%d\t%s\t%d\t%s\tprotein_coding\t%d\tw\n' "$c" "$i" "$c" $((s + 5000 + i * 9000)) "$strand" "$lab"
        done
    done
    printf 'G_Y\tchrY\t2000000\t+\tprotein_coding\t1\tw\n'
    printf 'G_out1\tchr1\t151500000\t+\tprotein_coding\t0\tw\nG_out2\tchr2\t10000\t-\tprotein_coding\t1\tw\n'
    printf 'G_nan\tchr1\t151210000\t+\tprotein_coding\tNaN\tw\n'  # no label: skipped and reported
} >labels/expression/TEST.E116.gene_expressed.dev.tsv
# Promoter–enhancer: every pair non-interacting (a single class).
{
    printf 'enhancer_chrom\tenhancer_start\tenhancer_end\tpromoter_chrom\tpromoter_start\tpromoter_end\tlabel\te\tp\n'
    for c in chr1:151200000 chr2:51700000 chr10:55500000; do
        printf '%s\t%d\t%d\t%s\t%d\t%d\t0\tw\tw\n' "${c%%:*}" $((${c##*:} + 1000)) $((${c##*:} + 3000)) "${c%%:*}" $((${c##*:} + 20000)) $((${c##*:} + 22000))
    done
} >labels/pei/TEST.E116.ep_pairs.dev.tsv
# Domains: an empty file (an empty task). No replication_timing/ directory at all.
: >labels/tads/TEST.E116.arrowhead_domains.dev.bed
# Annotations and a score: promoters/genes BEDs (one gzip-compressed), a bedGraph score.
printf 'chr12\t40410000\t40414000\nchr12\t40450000\t40454000\n' | gzip >promoters.bed.gz
printf 'chr12\t40410000\t40480000\n' >genes.bed
awk 'BEGIN { for (i = 0; i < 400; ++i) printf "chr1\t%d\t%d\t%.3f\n", 151200000 + i * 300, 151200000 + i * 300 + 300, (i % 17) / 17.0 }' >score.bedGraph

base=(--embedding emb.h5 --store store.h5 --folds 4 --seed 5 --threads 1)
args=("${base[@]}" --labels-dir labels)
full=("${args[@]}" --model model.h5 --heldout-chroms chr12 --validation-regions w10 --promoters promoters.bed.gz --genes genes.bed --score score.bedGraph)
"$bin" evaluate "${full[@]}" --out out1 >eval1.txt 2>&1; rc=$?
[ "$rc" -eq 0 ] && [ -s out1/report.md ] && [ -s out1/metrics.tsv ] && ok "evaluate writes report.md and metrics.tsv despite bad labels" \
    || fail "evaluate (exit $rc): $(tail -5 eval1.txt)"
r=out1/report.md
has $r "chromosome chrY absent from the representation" && ok "report: label on an absent chromosome" || fail "no absent-chromosome note"
has $r "1 records dropped: TEST.E116.gene_expressed.dev.tsv: rows whose label is NaN, infinite or empty (skipped)" \
    && ok "report: a NaN label row skipped and counted" || fail "no NaN-row note: $(grep -m2 dropped $r)"
has $r "2 of 51 loci skipped: outside the embedded regions" && ok "report: loci outside the regions, counted" || fail "no outside-regions note"
has $r "promoter_enhancer / TEST: task skipped: all 3 usable loci have label 0" && ok "report: single-class task" || fail "no single-class note"
has $r "domain_boundary / TEST: task skipped: no labelled loci" && ok "report: empty task" || fail "no empty-task note"
has $r "replication_timing: task skipped: no label file" && ok "report: task without files" || fail "no missing-task note"
has $r "folds without per-fold metrics" && ok "report: a single-class test fold" || fail "no single-class-fold note"
# The protocol.
first_table=$(grep -m1 '^| task |' $r)
[ "${first_table#| task | cell type | method | held-out loci |}" != "$first_table" ] && ok "report: the first table is the held-out one" \
    || fail "first table: $first_table"
grep -qP '^\| gene_expression \| TEST \| \*\*epi-lstm\*\* \| 12 \| 12 \| 0/1 \| NA \| NA \| NA \|' $r \
    && ok "report: held-out row (chr12's 12 loci, one class: AP undefined, NA)" || fail "held-out row: $(grep -m3 'held-out' $r)"
has $r "eta=0.1 max_depth=6 min_child_weight=1 gamma=0 lambda=1 alpha=0" && has $r "tree_method=hist max_bin=256" \
    && has $r "base_score=0.5 nthread=1 seed=5" && ok "report: every XGBoost parameter printed" || fail "XGBoost parameters missing"
has $r "- **pca**: the signal's first 4 principal components; fitted on 2 regions (9600 positions): the regions not on chr12 and not 1 validation region(s)." \
    && ok "report: PCA fitted on the training regions only" || fail "pca fitted-on: $(grep -m1 '^- \*\*pca' $r)"
has $r "Held-out chromosomes (not used to train the model; from --heldout-chroms): chr12." && ok "report: held-out source" \
    || fail "held-out source: $(grep -m1 'Held-out chromosomes' $r)"
has $r "embedded with 2 stream(s) per region (as the embedding)" && has $r "made with this checkpoint (checksum fnv1a64:" \
    && ok "report: control embedded with the embedding's streams; model checked" || fail "provenance sentence missing"
has $r "### Paired per-fold comparison" && grep -qP '^gene_expression\tTEST\tepi-lstm\trandom-weights\t' out1/paired.tsv \
    && ok "paired per-fold comparison in report.md and paired.tsv" || fail "no paired comparison"
head -1 out1/plots/downstream_ap.dat | grep -qF '"epi-lstm error"' && has $r "mean per-fold AP" \
    && ok "downstream plot: mean per-fold AP with error bars" || fail "plot data: $(head -1 out1/plots/downstream_ap.dat)"
for m in epi-lstm random-weights raw-signal pca majority; do
    grep -qP "^gene_expression\tTEST\t$m\tpooled" out1/metrics.tsv && ok "metrics.tsv: pooled row of $m" || fail "metrics.tsv lacks $m"
done
has $r "| epi-lstm |" && has $r "| per-track mean |" && has out1/reconstruction.tsv "pearson_" \
    && ok "report: held-out reconstruction table" || fail "no reconstruction section"
awk -F'\t' 'NR > 1 && ($2 == "NA" || $3 == "NA" || $4 == "NA") { bad = 1 } END { exit bad }' out1/reconstruction.tsv \
    && ok "reconstruction: MSE overall, at promoters (.gz BED) and gene bodies all computed" || fail "NA in $(cat out1/reconstruction.tsv | cut -f1-4)"
has $r "random-weights" && has out1/smoothness.tsv "random-weights" && ok "random-weights control in downstream and smoothness" \
    || fail "random-weights control missing"
has out1/score_correlation.tsv "epi-lstm" && ok "score correlation written" || fail "no score correlation"
if command -v gnuplot >/dev/null 2>&1; then
    [ -s out1/plots/downstream_ap.png ] && [ -s out1/plots/smoothness.png ] && [ -s out1/plots/feature_vs_score.png ] \
        && has $r "plots/downstream_ap.png" && ok "plots drawn and linked" || fail "plots missing: $(ls out1/plots)"
else
    has $r "plot not drawn: gnuplot is not installed" && ok "without gnuplot the report says so" || fail "no gnuplot note"
fi
# Every MSE of the model must beat nothing in particular here (one epoch), but be finite and positive.
awk -F'\t' '$1 == "epi-lstm" { exit !($2 > 0 && $2 < 100) }' out1/reconstruction.tsv && ok "model MSE finite" || fail "model MSE"
# H = 4: PCA of 4 components (the representation's width) and of 8 (what the decoder receives, h and
# c); the 8-dimensional subspace holds the 4-dimensional one, so its error is never larger.
awk -F'\t' '$1 == "pca (4 components)" { a = $2 } $1 == "pca (8 components: the decoder'"'"'s input width, h and c)" { b = $2 }
    END { exit !(a != "" && b != "" && b <= a) }' out1/reconstruction.tsv \
    && ok "reconstruction: PCA of the decoder's input width, no worse than PCA of the representation's" \
    || fail "decoder-width PCA row: $(cut -f1-2 out1/reconstruction.tsv)"

# The same inputs, the same numbers.
"$bin" evaluate "${full[@]}" --out out2 >eval2.txt 2>&1
cmp -s out1/metrics.tsv out2/metrics.tsv && cmp -s out1/reconstruction.tsv out2/reconstruction.tsv \
    && ok "deterministic for a fixed seed" || fail "metrics differ between identical runs"

# An older embedding (no streams, no checksum) still works, with notes; without --heldout-chroms
# the checkpoint's list is used; --seeds 2 reports the spread over two fold/XGBoost seeds.
cp emb.h5 emb_old.h5
/usr/bin/python3 -c "import h5py, sys; f = h5py.File(sys.argv[1], 'a'); del f.attrs['streams']; del f.attrs['model_checksum']" emb_old.h5
old=(--embedding emb_old.h5 --store store.h5 --folds 4 --seed 5 --threads 1 --labels-dir labels --model model.h5 --seeds 2)
"$bin" evaluate "${old[@]}" --out out3 >eval3.txt 2>&1 && ok "evaluate an older embedding file" || fail "old embedding: $(tail -3 eval3.txt)"
has out3/report.md "from the checkpoint's /provenance/heldout_chroms): chr12." && ok "held-out chromosomes read from the checkpoint" \
    || fail "held-out from checkpoint: $(grep -m1 'Held-out' out3/report.md)"
has out3/report.md "the regions not on chr12 and not 1 validation region(s)" \
    && ok "validation regions read from the checkpoint: no baseline fitted on them" \
    || fail "validation regions from checkpoint: $(grep -m1 'validation region' out3/report.md)"
has out3/report.md "records no checksum of the checkpoint" && has out3/report.md "does not record its stream count" \
    && ok "report: notes for the older embedding file" || fail "no older-file notes"
[ "$(grep -vP '\trandom-weights\t' out1/metrics.tsv)" = "$(grep -vP '\trandom-weights\t' out3/metrics.tsv)" ] \
    && ok "the checkpoint's lists give the same folds and metrics as --heldout-chroms, --validation-regions" \
    || fail "metrics differ from out1"
has out3/report.md "### Across seeds" && [ "$(grep -cP '^gene_expression\tTEST\tepi-lstm\t(5|6)\t' out3/seeds.tsv)" -eq 2 ] \
    && grep -qP '^gene_expression\tTEST\tepi-lstm\tsd\t' out3/seeds.tsv && ok "--seeds 2: per-seed rows and mean/sd in seeds.tsv" \
    || fail "seeds: $(head -3 out3/seeds.tsv)"
"$bin" evaluate --help >help.txt 2>&1
grep -q -- "--seeds" help.txt && grep -q "default: those the --model checkpoint records" help.txt \
    && grep -q "the embedding's recorded stream count" help.txt && ok "evaluate --help documents the new options" || fail "help"

# Comparators (--compare, --compare-reconstruction): the epi-lstm embedding again under another
# name must score exactly as epi-lstm everywhere; a "reconstruction" that is the store's own signal
# (written in the embedding layout, as `embed --reconstruction-out` does) must have MSE 0 and r = 1.
cp emb.h5 copy_emb.h5
/usr/bin/python3 - store.h5 emb.h5 perfect.h5 >perfect.txt 2>&1 <<'PY' || fail "writing perfect.h5: $(cat perfect.txt)"
import h5py, sys
s = h5py.File(sys.argv[1], 'r'); e = h5py.File(sys.argv[2], 'r'); out = h5py.File(sys.argv[3], 'w')
for k, v in e.attrs.items():
    out.attrs[k] = v
T = s['tracks/id'].shape[0]
out.attrs['embedding_size'] = T
e.copy('regions/names', out, name='regions/names')
for name in e['regions/names'][()]:
    name = name.decode() if isinstance(name, bytes) else name
    g = out.create_group('regions/' + name)
    for k, v in e['regions/' + name].attrs.items():
        g.attrs[k] = v
    g.create_dataset('embedding', data=s['regions/' + name + '/signal'][()].T.astype('float32'))
PY
cmp_args=("${full[@]}" --compare copy=copy_emb.h5 --compare-reconstruction copy=perfect.h5)
"$bin" evaluate "${cmp_args[@]}" --out out4 >eval4.txt 2>&1 && ok "evaluate --compare, --compare-reconstruction" \
    || fail "evaluate --compare: $(tail -3 eval4.txt)"
[ "$(grep -P '^gene_expression\tTEST\tepi-lstm\t' out4/metrics.tsv | cut -f4-)" = "$(grep -P '^gene_expression\tTEST\tcopy\t' out4/metrics.tsv | cut -f4-)" ] \
    && [ -n "$(grep -P '^gene_expression\tTEST\tcopy\t' out4/metrics.tsv)" ] \
    && ok "--compare: a copy of the embedding scores exactly as epi-lstm in metrics.tsv" \
    || fail "copy rows differ: $(grep -P '^gene_expression\tTEST\t(epi-lstm|copy)\tpooled' out4/metrics.tsv)"
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; ++i) { if ($i == "epi-lstm") a = i; if ($i == "copy") b = i }; if (!a || !b) bad = 1; next }
    $a != $b { bad = 1 } END { exit bad || !a || !b }' out4/smoothness.tsv \
    && grep -qP '^copy\t' out4/score_correlation.tsv && has out4/report.md "- **copy**: the representation in \`copy_emb.h5\`" \
    && ok "--compare: the comparator in the smoothness, score-correlation tables and the method list" \
    || fail "comparator columns: $(head -2 out4/smoothness.tsv)"
awk -F'\t' '$1 == "copy" { found = 1; ok = ($2 + 0 == 0 && $6 + 0 > 0.999999) } END { exit !(found && ok) }' out4/reconstruction.tsv \
    && ok "--compare-reconstruction: the signal itself reconstructs with MSE 0 and r = 1" \
    || fail "perfect reconstruction row: $(cut -f1-6 out4/reconstruction.tsv)"
[ "$(grep -v '^copy' out4/reconstruction.tsv)" = "$(cat out1/reconstruction.tsv)" ] \
    && ok "--compare-reconstruction adds a row and changes no other" || fail "reconstruction rows changed"
expect_error "--compare without NAME=" "expected NAME=FILE" "$bin" evaluate "${args[@]}" --compare copy_emb.h5 --out e7
expect_error "--compare with a built-in name" "the name 'pca' is a built-in method's" "$bin" evaluate "${args[@]}" --compare pca=copy_emb.h5 --out e8
expect_error "--compare-reconstruction without its --compare" "no --compare other=EMBEDDING.h5" \
    "$bin" evaluate "${args[@]}" --compare copy=copy_emb.h5 --compare-reconstruction other=perfect.h5 --out e9
expect_error "--compare-reconstruction of the wrong width" "copy_emb.h5: --compare-reconstruction copy has 4 columns" \
    "$bin" evaluate "${full[@]}" --compare copy=copy_emb.h5 --compare-reconstruction copy=copy_emb.h5 --out e10
printf 'chr1\t151200000\t151320000\tw1\n' >one.bed
"$bin" prepare --bigwig-dir "$signal" --genome "$genome" --regions one.bed --out one.h5 -q >/dev/null 2>&1
"$bin" embed --model model.h5 --store one.h5 --out two_emb.h5 >/dev/null 2>&1 || fail "embedding one.h5"
expect_error "--compare file of other regions" "two_emb.h5: holds no region w2" \
    "$bin" evaluate "${args[@]}" --compare two=two_emb.h5 --out e11
for d in e7 e8 e9 e10 e11; do [ ! -e $d/report.md ] || fail "$d: a report was written despite the error"; done

# Hard errors: one line, exit 2.
cp model.h5 model_changed.h5 && printf 'x' >>model_changed.h5
expect_error "a model other than the embedding's" "model_changed.h5: not the checkpoint emb.h5 was made with" \
    "$bin" evaluate "${args[@]}" --model model_changed.h5 --out e6
mkdir -p nolabels
expect_error "label directory without label files" "no label files found" "$bin" evaluate "${base[@]}" --labels-dir nolabels --out e1
expect_error "unknown task" "unknown task 'fires'" "$bin" evaluate "${args[@]}" --tasks fires --out e2
printf 'chr1\t151200000\t151320000\tw1\nchr2\t51700000\t51820000\tw2\n' >two.bed
"$bin" prepare --bigwig-dir "$signal" --genome "$genome" --regions two.bed --out two.h5 -q >/dev/null 2>&1
expect_error "embedding of another store" "region w10 is not in two.h5" "$bin" evaluate --embedding emb.h5 --store two.h5 --labels-dir labels --out e3
printf 'chr1\t151200000\t151200300\tnot-a-number\n' >bad.bedGraph
expect_error "malformed score line" "bad.bedGraph:1: value 'not-a-number'" "$bin" evaluate "${args[@]}" --score bad.bedGraph --out e4
# (with the older embedding, which records no checksum: otherwise the checksum check stops it first, as above)
expect_error "model with other tracks" "expects" "$bin" evaluate --embedding emb_old.h5 --store store.h5 --labels-dir labels \
    --model "$root/tests/fixtures/parity/softsign_layer_norm.model.h5" --out e5

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
