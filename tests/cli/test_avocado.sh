#!/usr/bin/env bash
# End-to-end checks of Avocado in the `epilstm` program (docs/comparators.md, "Avocado in the CLI")
# on a tiny store prepared from the shipped pilot bigWigs (3 regions of 400 bins, 24 of the 25
# tracks: (E117, H3K9me3) left out, so impute has an unobserved pair to predict) and a tiny network:
# train lowers the MSE and is deterministic; reconstruct --region has the spec's shapes and equals
# embed; embed fits a held-out region; impute writes a readable bigWig; one clear error per command.
# usage: test_avocado.sh <epilstm binary> <repo root> <shared dir> <scratch dir>
set -uo pipefail
bin=$1; root=$2; shared=$3; work=$4
py=/usr/bin/python3
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$work"
# expect_error <name> <substring> <substring> <command...>: exit 2, exactly one stderr line
# "epilstm: error: ..." containing both substrings
expect_error() {
    local name=$1 want1=$2 want2=$3; shift 3
    "$@" >stdout.txt 2>stderr.txt; local rc=$?
    local lines; lines=$(grep -c . stderr.txt)
    if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q '^epilstm: error: ' stderr.txt && grep -qF -- "$want1" stderr.txt \
        && grep -qF -- "$want2" stderr.txt; then
        ok "$name"
    else
        fail "$name (exit $rc, want 2 and one line with '$want1' and '$want2'; stderr: $(cat stderr.txt))"
    fi
}
no_file() {  # <name> <path...>: none of them exists, nor a temporary file beside them
    local name=$1; shift
    for f in "$@"; do
        if [ -e "$f" ] || ls "$f".tmp-* >/dev/null 2>&1; then fail "$name: $f written"; return; fi
    done
    ok "$name: no output"
}

signal=$shared/data/roadmap_pilot_hg19/signal
genome=$shared/data/annotations_hg19/hg19.chrom.sizes
printf 'chr1\t151155550\t151165550\tr1\nchr1\t151165550\t151175550\tr2\nchr16\t541525\t551525\tr3\n' >regions.bed
mkdir -p bw24
for f in "$signal"/*.bigWig; do
    case $(basename "$f") in E117.H3K9me3.*) ;; *) ln -s "$f" bw24/ ;; esac
done
"$bin" prepare --bigwig-dir bw24 --genome "$genome" --regions regions.bed --out store.h5 -q >prep.txt 2>&1 \
    && "$bin" prepare --bigwig-dir "$signal" --genome "$genome" --regions regions.bed --out store25.h5 -q >>prep.txt 2>&1 \
    && ok "prepare the tiny stores (24 and 25 tracks)" \
    || { fail "prepare: $(cat prep.txt)"; echo "$passed passed, $failures failed"; exit 1; }

net=(--avocado-units 16 --avocado-layers 1 --avocado-factors 4,4,3,3,2 --batch 256 --lr 1e-2)

# 1. Training (chr16 held out): the train MSE goes down; the checkpoint holds the training regions.
"$bin" train --method avocado --store store.h5 --heldout-chroms chr16 --epochs 4 "${net[@]}" --seed 3 --model a.h5 \
    >train.txt 2>train.err && ok "train --method avocado" || fail "train: $(cat train.err)"
first=$(awk '/^epoch 1\/4  train MSE/ {print $5}' train.txt); last=$(awk '/^epoch 4\/4  train MSE/ {print $5}' train.txt)
if [ -n "$first" ] && [ -n "$last" ] && awk -v a="$first" -v b="$last" 'BEGIN {exit !(b < 0.9 * a)}'; then
    ok "train MSE goes down ($first -> $last)"
else fail "train MSE: epoch 1 '$first', epoch 4 '$last' ($(cat train.txt))"; fi
pairs=$("$py" -c "import h5py; f = h5py.File('store.h5', 'r'); print(24 * sum(int((f['regions/' + r + '/missing'][()] == 0).sum()) for r in ('r1', 'r2')))")
grep -q "24 tracks (5 cell types x 5 assays), 2 region(s), 800 positions, $pairs observed" train.txt \
    && grep -q "1 hidden layer(s) of 16 units on z of 16 (factors Fc 4, Fa 4, genome 3+3+2 = representation 8)" train.txt \
    && ok "train prints what it trains on ($pairs pairs)" || fail "train summary (want $pairs pairs): $(head -3 train.txt)"
"$py" - <<'PY' && ok "checkpoint: spec layout, training regions only" || fail "checkpoint layout"
import h5py, sys
f = h5py.File('a.h5', 'r')
assert f.attrs['format'] in (b'avocado-checkpoint', 'avocado-checkpoint')
assert sorted(f['regions']) == ['r1', 'r2'], list(f['regions'])
assert f['regions/r1/genome_25'].shape == (400, 3) and f['regions/r1/genome_250'].shape == (40, 3)
assert f['regions/r1/genome_5k'].shape == (2, 2)
assert f['celltype_factors'].shape == (5, 4) and f['assay_factors'].shape == (5, 4)
assert f['dense/0/W'].shape == (16, 16) and f['out/W'].shape == (1, 16)
assert len(f['tracks/id']) == 24
PY

# 1b. Out of core (--avocado-window-regions 1): one region in memory at a time, the other's factors
# in a scratch folder that is gone afterwards; it trains too, and the checkpoint has the same layout.
"$bin" train --method avocado --store store.h5 --heldout-chroms chr16 --epochs 4 "${net[@]}" --seed 3 --model w.h5 \
    --avocado-window-regions 1 >trainw.txt 2>trainw.err && ok "train --avocado-window-regions 1" || fail "train out of core: $(cat trainw.err)"
first=$(awk '/^epoch 1\/4  train MSE/ {print $5}' trainw.txt); last=$(awk '/^epoch 4\/4  train MSE/ {print $5}' trainw.txt)
if [ -n "$first" ] && [ -n "$last" ] && awk -v a="$first" -v b="$last" 'BEGIN {exit !(b < 0.9 * a)}' && [ ! -e w.h5.scratch ]; then
    ok "out of core: train MSE goes down ($first -> $last), scratch folder removed"
else fail "out of core: epoch 1 '$first', epoch 4 '$last', scratch: $(ls -d w.h5.scratch 2>&1)"; fi
"$py" -c "
import h5py
a, w = h5py.File('a.h5', 'r'), h5py.File('w.h5', 'r')
assert sorted(w['regions']) == sorted(a['regions'])
for r in a['regions']:
    for d in ('genome_25', 'genome_250', 'genome_5k'):
        assert w['regions/' + r + '/' + d].shape == a['regions/' + r + '/' + d].shape
" && ok "out of core: the checkpoint holds the same regions and shapes" || fail "out-of-core checkpoint layout"

# 2. Determinism: the same seed gives identical datasets, another seed does not.
"$bin" train --method avocado --store store.h5 --heldout-chroms chr16 --epochs 4 "${net[@]}" --seed 3 --model b.h5 >/dev/null 2>&1
"$bin" train --method avocado --store store.h5 --heldout-chroms chr16 --epochs 4 "${net[@]}" --seed 4 --model c.h5 >/dev/null 2>&1
"$py" - <<'PY' && ok "same seed: identical checkpoint datasets; another seed: different" || fail "determinism"
import h5py, numpy as np
def datasets(path):
    out = {}
    with h5py.File(path, 'r') as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out
a, b, c = datasets('a.h5'), datasets('b.h5'), datasets('c.h5')
assert a.keys() == b.keys() and len(a) > 10
for k in a:
    assert np.array_equal(a[k], b[k]), k
assert not np.array_equal(a['dense/0/W'], c['dense/0/W'])
PY

# 3. reconstruct --region: the spec's shapes; embed: the same rows; a held-out region fitted.
"$bin" reconstruct --model a.h5 --region r1 --out rec.h5 >rec.txt 2>&1 && ok "reconstruct --region" || fail "reconstruct: $(cat rec.txt)"
"$bin" embed --model a.h5 --store store.h5 --out emb.h5 --reconstruction-out embrec.h5 --fit-epochs 20 --fit-lr 1e-2 >emb.txt 2>emb.err \
    && ok "embed every region" || fail "embed: $(cat emb.err)"
grep -q "^fitted r3 (400 positions" emb.txt && ok "embed fits the region the checkpoint lacks" || fail "no fit: $(cat emb.txt)"
"$bin" embed --model a.h5 --store store.h5 --regions r3 --out emb0.h5 --reconstruction-out embrec0.h5 --fit-epochs 0 \
    >/dev/null 2>&1 || fail "embed --fit-epochs 0"
"$py" - <<'PY' && ok "reconstruct shapes = spec, /embedding = embed's rows, fitting lowers the held-out MSE" || fail "embed/reconstruct values"
import h5py, numpy as np
r = h5py.File('rec.h5', 'r'); e = h5py.File('emb.h5', 'r'); er = h5py.File('embrec.h5', 'r')
assert r['embedding'].shape == (400, 8) and r['embedding'].dtype == np.float32, r['embedding'].shape
assert r['reconstruction'].shape == (400, 24) and r['reconstruction'].dtype == np.float32
assert np.isfinite(r['reconstruction'][()]).all()
assert [n.decode() if isinstance(n, bytes) else n for n in e['regions/names'][()]] == ['r1', 'r2', 'r3']
assert e.attrs['embedding_size'] == 8 and er.attrs['embedding_size'] == 24
assert np.array_equal(e['regions/r1/embedding'][()], r['embedding'][()])
assert np.array_equal(er['regions/r1/embedding'][()], r['reconstruction'][()])
assert e['regions/r3/embedding'].shape == (400, 8) and np.isfinite(e['regions/r3/embedding'][()]).all()
x = h5py.File('store.h5', 'r')['regions/r3/signal'][()].T          # [n, T]
fit = np.mean((er['regions/r3/embedding'][()] - x) ** 2)
unfit = np.mean((h5py.File('embrec0.h5', 'r')['regions/r3/embedding'][()] - x) ** 2)
print('held-out r3 MSE: fitted', fit, 'unfitted', unfit)
assert fit < 0.5 * unfit, (fit, unfit)
PY

# 4. impute: an unobserved pair as a readable bigWig; an observed pair is its reconstruction.
"$bin" impute --model a.h5 --store store.h5 --celltype E117 --assay H3K9me3 --out imp.bw --fit-epochs 2 >imp.txt 2>imp.err \
    && ok "impute an unobserved track" || fail "impute: $(cat imp.err)"
grep -q "^note:" imp.txt && fail "impute of an unobserved pair printed a note" || ok "no note for an unobserved pair"
"$bin" impute --model a.h5 --store store.h5 --celltype E003 --assay H3K27me3 --regions r1 --transformed --out obs_t.bw \
    >obs.txt 2>&1 || fail "impute observed --transformed: $(cat obs.txt)"
grep -q "^note: .*reconstruction of an observed track" obs.txt && ok "observed pair: a note" || fail "no note: $(cat obs.txt)"
"$bin" impute --model a.h5 --store store.h5 --celltype E003 --assay H3K27me3 --regions r1 --out obs.bw >/dev/null 2>&1 \
    || fail "impute observed"
"$py" - <<'PY' && ok "impute: bigWig readable, finite over every region, = the reconstruction, sinh applied" || fail "impute values"
import h5py, numpy as np, pyBigWig
bw = pyBigWig.open('imp.bw')
for chrom, start, n in (('chr1', 151155550, 400), ('chr1', 151165550, 400), ('chr16', 541525, 400)):
    v = np.array(bw.values(chrom, start, start + 25 * n)[::25])
    assert len(v) == n and np.isfinite(v).all(), (chrom, start)
f = h5py.File('store.h5', 'r')
ids = [t.decode() if isinstance(t, bytes) else t for t in f['tracks/id'][()]]
cells = [t.decode() if isinstance(t, bytes) else t for t in f['tracks/cell_type'][()]]
assays = [t.decode() if isinstance(t, bytes) else t for t in f['tracks/assay'][()]]
t = [i for i in range(len(ids)) if cells[i] == 'E003' and assays[i] == 'H3K27me3'][0]
rec = h5py.File('rec.h5', 'r')['reconstruction'][:, t]
vt = np.array(pyBigWig.open('obs_t.bw').values('chr1', 151155550, 151165550)[::25])
assert np.allclose(vt, rec, rtol=1e-6, atol=1e-6), np.abs(vt - rec).max()
v = np.array(pyBigWig.open('obs.bw').values('chr1', 151155550, 151165550)[::25])
assert np.allclose(v, np.sinh(rec), rtol=1e-5, atol=1e-6)
PY

# 5. Bad inputs: one error line naming the file, exit 2, nothing written.
cp a.h5 bad.h5
"$py" - <<'PY'
import h5py, numpy as np
with h5py.File('bad.h5', 'r+') as f:
    w = f['dense/0/W'][()]; del f['dense/0/W']
    f['dense/0/W'] = np.zeros((w.shape[0], w.shape[1] + 1), np.float32)
PY
expect_error "reconstruct: a checkpoint whose shapes disagree" "bad.h5" "/dense/0/W" \
    "$bin" reconstruct --model bad.h5 --region r1 --out x1.h5
no_file "reconstruct with a bad checkpoint" x1.h5
expect_error "reconstruct: a region the checkpoint does not hold" "a.h5" "no region named 'r3'" \
    "$bin" reconstruct --model a.h5 --region r3 --out x2.h5
no_file "reconstruct of an unknown region" x2.h5
expect_error "embed: a store with other tracks" "a.h5" "store25.h5" \
    "$bin" embed --model a.h5 --store store25.h5 --out x3.h5 --reconstruction-out x3r.h5
no_file "embed with other tracks" x3.h5 x3r.h5
expect_error "embed: an unknown region" "store.h5" "no region named 'nope'" \
    "$bin" embed --model a.h5 --store store.h5 --regions nope --out x3.h5
no_file "embed of an unknown region" x3.h5
expect_error "impute: an unknown cell type" "a.h5" "E999" \
    "$bin" impute --model a.h5 --store store.h5 --celltype E999 --assay H3K9me3 --out x4.bw
grep -qF "E003, E017, E065, E116, E117" stderr.txt && ok "impute lists the known cell types" || fail "no list: $(cat stderr.txt)"
expect_error "impute: an unknown assay" "a.h5" "H3K99" \
    "$bin" impute --model a.h5 --store store.h5 --celltype E003 --assay H3K99 --out x4.bw
no_file "impute with an unknown name" x4.bw
expect_error "train: an unknown validation region" "store.h5" "nope" \
    "$bin" train --method avocado --store store.h5 --validation-regions nope "${net[@]}" --model x5.h5
expect_error "train: --hidden-size with avocado" "--hidden-size" "--avocado-factors" \
    "$bin" train --method avocado --store store.h5 --hidden-size 8 --model x5.h5
expect_error "train: avocado needs a store" "--store" "cell-type" \
    "$bin" train --method avocado --matrix rec.h5 --model x5.h5
no_file "train refused" x5.h5

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
