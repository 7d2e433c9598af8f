#!/usr/bin/env bash
# End-to-end checks of REFINED+CNN in the `epilstm` program (docs/comparators.md, "REFINED+CNN in
# the CLI") on a real slice of the shipped pilot data: train --method refined-cnn from a store and
# from a matrix lowers the loss; the checkpoint's placement is valid, its recorded cost is the cost
# of the track distances over the training positions only and at most the MDS start's; reconstruct
# and embed agree; --reconstruction-out; determinism; one clear error per bad input, nothing written.
# usage: test_refined_cnn.sh <epilstm binary> <repo root> <shared dir> <scratch dir>
set -uo pipefail
bin=$1; root=$2; shared=$3; work=$4
py=/usr/bin/python3
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$work"
# expect_error <name> <substring> <command...>: exit 2, exactly one stderr line, "epilstm: error: ..." containing it
expect_error() {
    local name=$1 want=$2; shift 2
    "$@" >stdout.txt 2>stderr.txt; local rc=$?
    if [ "$rc" -eq 2 ] && grep -qF -- "$want" stderr.txt && [ "$(grep -c . stderr.txt)" -eq 1 ] \
        && grep -q '^epilstm: error: ' stderr.txt; then
        ok "$name"
    else
        fail "$name (exit $rc, want 2 and one line containing '$want'; stderr: $(tail -3 stderr.txt))"
    fi
}
no_file() { if [ ! -e "$2" ]; then ok "$1: nothing written"; else fail "$1: $2 written"; fi; }
# epoch_losses <log>: the train MSE of every epoch line, one per line
epoch_losses() { sed -n 's/^epoch [0-9]*\/[0-9]*  train MSE \([0-9.e+-]*\) .*/\1/p' "$1"; }
# loss_falls <log> <epochs>: one line per epoch and the last epoch's loss below 0.9 × the first's
loss_falls() {
    local n; n=$(epoch_losses "$1" | wc -l)
    [ "$n" -eq "$2" ] && epoch_losses "$1" | awk 'NR == 1 {f = $1} {l = $1} END {exit !(l < 0.9 * f)}'
}

signal=$shared/data/roadmap_pilot_hg19/signal
genome=$shared/data/annotations_hg19/hg19.chrom.sizes
regions=$root/tests/fixtures/prepare/regions_bin25.bed   # ENr231_head (1,200 bins, chr1), ENm008_tail (800, chr16)
"$bin" prepare --bigwig-dir "$signal" --genome "$genome" --regions "$regions" --out store.h5 -q >prep.txt 2>&1 \
    && ok "prepare a store from the shipped bigWigs" || { fail "prepare: $(cat prep.txt)"; echo "$passed passed, $failures failed"; exit 1; }

# The matrix of one store region (its transformed signal, missing flags and track names), one of
# 24 tracks, and a store whose first track has another id.
"$py" - <<'PY' || fail "making the matrices"
import h5py, numpy as np
with h5py.File('store.h5', 'r') as s:
    g = s['regions/ENr231_head']
    x = g['signal'][:].T.astype(np.float32)
    miss = g['missing'][:].astype(np.uint8)
    ids = list(s['tracks/id'].asstr()[:])
for name, cols in (('m.h5', x), ('narrow.h5', x[:, :24])):
    with h5py.File(name, 'w') as f:
        d = f.create_dataset('signal', data=cols)
        d.attrs['tracks'] = np.array(ids[:cols.shape[1]], dtype=h5py.string_dtype())
        f.create_dataset('missing', data=miss)
with h5py.File('m_names.h5', 'w') as f:  # the same signal without track names, as a bare matrix
    f.create_dataset('signal', data=x)
    f.create_dataset('missing', data=miss)
PY
cp store.h5 other.h5
"$py" - <<'PY' || fail "making other.h5"
import h5py
with h5py.File('other.h5', 'r+') as f:
    ids = list(f['tracks/id'].asstr()[:]); ids[0] = ids[0] + '_other'
    del f['tracks/id']; f.create_dataset('tracks/id', data=ids, dtype=h5py.string_dtype())
PY

# 1. Train from a store, the chr16 region for validation (left out of training).
args=(train --method refined-cnn --store store.h5 --validation-regions ENm008_tail --epochs 5 --hidden-size 4
      --cnn-channels 4,8 --batch 32 --lr 3e-3 --seed 7)
"$bin" "${args[@]}" --model s.h5 >s.txt 2>s.err && ok "train --method refined-cnn --store" \
    || fail "train --store: $(tail -3 s.err)"
loss_falls s.txt 5 && ok "store training lowers the loss over 5 epochs ($(epoch_losses s.txt | paste -sd' '))" \
    || fail "store training loss: $(epoch_losses s.txt | paste -sd' ')"
grep -q "25 tracks on a 5x5 grid, E=4 C1=4 C2=8" s.txt && grep -q "left out of training" s.txt \
    && ok "train prints what it trains on" || fail "train log: $(head -3 s.txt)"
mds=$(sed -n 's/^REFINED cost: MDS start \([0-9.]*\), after hill climbing \([0-9.]*\)$/\1/p' s.txt)
hill=$(sed -n 's/^REFINED cost: MDS start \([0-9.]*\), after hill climbing \([0-9.]*\)$/\2/p' s.txt)
# The placement: distinct pixels of the 5x5 grid; the recorded cost is the cost of this placement
# for the distances over the non-missing positions of the training region only, and <= the MDS start's.
"$py" - "$mds" "$hill" <<'PY' && ok "the checkpoint's placement is valid and its cost (over the training positions) <= the MDS start's ($hill <= $mds)" \
    || fail "placement / cost in s.h5"
import h5py, numpy as np, sys
mds, hill = float(sys.argv[1]), float(sys.argv[2])
with h5py.File('s.h5', 'r') as m, h5py.File('store.h5', 'r') as s:
    assert m.attrs['format'] == 'refined-cnn-checkpoint', m.attrs['format']
    g = int(m.attrs['grid_size']); pix = m['refined/pixel'][:]
    assert g == 5 and pix.dtype.kind == 'i' and pix.shape == (25,), (g, pix)
    assert len(set(pix.tolist())) == 25 and pix.min() >= 0 and pix.max() < 25, pix
    assert list(m['tracks/id'].asstr()[:]) == list(s['tracks/id'].asstr()[:])
    cost = float(m['refined'].attrs['cost'])
    r = s['regions/ENr231_head']
    x = r['signal'][:].T.astype(np.float64)[r['missing'][:] == 0]
    # the same cost with both regions (validation included) must differ, or the check proves nothing
    r2 = s['regions/ENm008_tail']
    x2 = np.concatenate([x, r2['signal'][:].T.astype(np.float64)[r2['missing'][:] == 0]])
def cost_of(x):
    f = np.sqrt(((x[:, :, None] - x[:, None, :]) ** 2).sum(0))
    rr, cc = pix // g, pix % g
    p = np.sqrt((rr[:, None] - rr[None, :]) ** 2 + (cc[:, None] - cc[None, :]) ** 2)
    iu = np.triu_indices(25, 1)
    return 2 - 2 * (p[iu] * f[iu]).sum() / np.sqrt((p[iu] ** 2).sum() * (f[iu] ** 2).sum())
c1, c2 = cost_of(x), cost_of(x2)
assert abs(cost - c1) < 1e-9, (cost, c1)
assert abs(cost - c2) > 1e-6, (cost, c2)
assert abs(cost - hill) < 1e-6 and cost <= mds + 1e-12, (cost, hill, mds)
PY

# 2. Determinism: the same seed gives identical checkpoint datasets, another seed does not.
"$bin" "${args[@]}" --model s2.h5 >/dev/null 2>&1 && h5diff s.h5 s2.h5 >diff.txt 2>&1 \
    && ok "the same seed trains identical checkpoints" || fail "determinism: $(head -3 diff.txt)"
args3=("${args[@]}"); args3[18]=8  # --seed 8
"$bin" "${args3[@]}" --model s3.h5 >/dev/null 2>&1 && ! h5diff -q s.h5 s3.h5 >/dev/null 2>&1 \
    && ok "another seed trains another model" || fail "--seed 8 gives the same checkpoint"

# 3. Train from a matrix (with and without track names).
"$bin" train --method refined-cnn --matrix m.h5 --model mx.h5 --epochs 4 --hidden-size 3 --batch 64 --lr 3e-3 \
    --seed 2 >mx.txt 2>mx.err && loss_falls mx.txt 4 \
    && ok "train --matrix lowers the loss ($(epoch_losses mx.txt | paste -sd' '))" \
    || fail "train --matrix: $(tail -2 mx.err) $(epoch_losses mx.txt | paste -sd' ')"
"$bin" train --method refined-cnn --matrix m_names.h5 --model mn.h5 --epochs 1 --seed 2 >/dev/null 2>mn.err \
    && "$py" -c "import h5py; t = list(h5py.File('mn.h5')['tracks/id'].asstr()[:]); assert t[0] == 'track_0' and len(t) == 25" \
    && ok "a matrix without track names trains with ids track_<t>" || fail "unnamed matrix: $(tail -2 mn.err)"

# 4. reconstruct of the matrix of one region = embed's rows of that region; --reconstruction-out.
"$bin" reconstruct --model s.h5 --matrix m.h5 --out y.h5 >y.txt 2>y.err && ok "reconstruct --model R.h5 --matrix" \
    || fail "reconstruct: $(tail -2 y.err)"
"$bin" embed --model s.h5 --store store.h5 --out emb.h5 --reconstruction-out rec.h5 >emb.txt 2>emb.err \
    && ok "embed --reconstruction-out" || fail "embed: $(tail -2 emb.err)"
mse=$(sed -n 's/^reconstruction MSE \([0-9.e+-]*\) over .*/\1/p' y.txt)
"$py" - "$mse" <<'PY' && ok "shapes right, reconstruct's /embedding and /reconstruction = embed's rows, MSE as printed" \
    || fail "reconstruct vs embed"
import h5py, numpy as np, sys
with h5py.File('y.h5', 'r') as y, h5py.File('emb.h5', 'r') as e, h5py.File('rec.h5', 'r') as r, h5py.File('m.h5', 'r') as m:
    Y, R = y['embedding'][:], y['reconstruction'][:]
    assert Y.shape == (1200, 4) and R.shape == (1200, 25), (Y.shape, R.shape)
    assert list(e['regions/names'].asstr()[:]) == ['ENr231_head', 'ENm008_tail']
    assert e['regions/ENm008_tail/embedding'].shape == (800, 4)
    assert r['regions/ENm008_tail/embedding'].shape == (800, 25)
    assert int(e.attrs['embedding_size']) == 4 and int(r.attrs['embedding_size']) == 25
    assert np.array_equal(Y, e['regions/ENr231_head/embedding'][:]), np.abs(Y - e['regions/ENr231_head/embedding'][:]).max()
    assert np.array_equal(R, r['regions/ENr231_head/embedding'][:])
    assert np.abs(Y).max() > 0 and np.isfinite(R).all()
    x, miss = m['signal'][:].astype(np.float64), m['missing'][:] != 0
    assert miss.sum() < len(miss)
    mse = ((R[~miss] - x[~miss]) ** 2).mean()
    assert abs(mse - float(sys.argv[1])) <= 1e-4 * mse, (mse, sys.argv[1])
PY

# 5. One clear error per bad input, no output written.
cp s.h5 bad.h5
"$py" - <<'PY' || fail "editing bad.h5"
import h5py, numpy as np
with h5py.File('bad.h5', 'r+') as f:
    w = f['cnn/encoder/W'][:]
    del f['cnn/encoder/W']; f.create_dataset('cnn/encoder/W', data=w[:3])
PY
expect_error "reconstruct: a checkpoint whose /cnn/encoder/W disagrees" "bad.h5: dataset /cnn/encoder/W has shape [3, 200], expected [4, 200]" \
    "$bin" reconstruct --model bad.h5 --matrix m.h5 --out never1.h5
no_file "a bad checkpoint (reconstruct)" never1.h5
expect_error "embed: a checkpoint whose /cnn/encoder/W disagrees" "bad.h5: dataset /cnn/encoder/W" \
    "$bin" embed --model bad.h5 --store store.h5 --out never2.h5 --reconstruction-out never2r.h5
no_file "a bad checkpoint (embed)" never2.h5; no_file "a bad checkpoint (embed, reconstruction)" never2r.h5
expect_error "embed: a store with other tracks" "s.h5: the checkpoint's 25 tracks (/tracks/id) are not the 25 tracks of other.h5" \
    "$bin" embed --model s.h5 --store other.h5 --out never3.h5 --reconstruction-out never3r.h5
no_file "a store with other tracks" never3.h5; no_file "a store with other tracks (reconstruction)" never3r.h5
expect_error "reconstruct: a matrix of the wrong width" "narrow.h5: /signal has 24 columns but the checkpoint s.h5 has 25 tracks" \
    "$bin" reconstruct --model s.h5 --matrix narrow.h5 --out never4.h5
no_file "a matrix of the wrong width" never4.h5
expect_error "train: a matrix with --validation-regions" "--validation-regions and --heldout-chroms need --store" \
    "$bin" train --method refined-cnn --matrix m.h5 --validation-regions ENm008_tail --model never5.h5
no_file "train with a bad option" never5.h5
expect_error "train: every region left out" "no training region left" \
    "$bin" train --method refined-cnn --store store.h5 --heldout-chroms chr1,chr16 --model never6.h5
no_file "train without regions" never6.h5
expect_error "embed: an unknown region" "store.h5: --regions: no region named 'nope'" \
    "$bin" embed --model s.h5 --store store.h5 --regions nope --out never7.h5
no_file "embed of an unknown region" never7.h5
expect_error "train: an epi-lstm option" "--frame-length is an epi-lstm option" \
    "$bin" train --method refined-cnn --store store.h5 --frame-length 10 --model never8.h5
no_file "train with an epi-lstm option" never8.h5

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
