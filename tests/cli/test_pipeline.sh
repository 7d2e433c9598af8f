#!/usr/bin/env bash
# End-to-end checks of bigWig → store → train → embed on a real slice of the shipped pilot data:
# out-of-core training, Ctrl-C checkpoint and bit-identical resume, embed = reconstruct, bigWig
# output re-read to the same values, and clear errors (with outputs left intact) for bad stores,
# mismatched checkpoints and a full disk.
# usage: test_pipeline.sh <epilstm binary> <repo root> <shared dir> <scratch dir>
set -uo pipefail
bin=$1; root=$2; shared=$3; work=$4
py=/usr/bin/python3
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$work"
expect_error() {  # <name> <substring> <command...>: non-zero exit, one stderr line containing it
    local name=$1 want=$2; shift 2
    "$@" >stdout.txt 2>stderr.txt; local rc=$?
    if [ "$rc" -ne 0 ] && grep -qF -- "$want" stderr.txt && [ "$(grep -c 'epilstm: error' stderr.txt)" -eq 1 ]; then
        ok "$name"
    else
        fail "$name (exit $rc, want an error containing '$want'; stderr: $(tail -3 stderr.txt))"
    fi
}

signal=$shared/data/roadmap_pilot_hg19/signal
genome=$shared/data/annotations_hg19/hg19.chrom.sizes
regions=$root/tests/fixtures/prepare/regions_bin25.bed   # two real slices, 1,200 + 800 bins

"$bin" prepare --bigwig-dir "$signal" --genome "$genome" --regions "$regions" --out store.h5 -q >prep.txt 2>&1 \
    && ok "prepare a store from the shipped bigWigs" || { fail "prepare: $(cat prep.txt)"; echo "$passed passed, $failures failed"; exit 1; }

# 1. Training from the store; Ctrl-C mid-epoch saves a checkpoint; --resume ends bit-identical.
args=(--store store.h5 --epochs 3 --hidden-size 6 --batch 4 --frame-length 50 --shuffle --seed 9 --lr 3e-3)
"$bin" train "${args[@]}" --model full.h5 >full.txt 2>&1 && ok "train from a store" || fail "train: $(cat full.txt)"
EPILSTM_TEST_SIGINT_AFTER_BATCHES=13 "$bin" train "${args[@]}" --model part.h5 >part.txt 2>&1; rc=$?
[ "$rc" -eq 130 ] && grep -q "interrupted" part.txt && [ -f part.h5 ] \
    && ok "Ctrl-C saves a checkpoint and exits 130" || fail "Ctrl-C (exit $rc): $(cat part.txt)"
"$py" -c "import h5py,sys; t=h5py.File('part.h5')['training']; sys.exit(0 if t.attrs['batch'] > 0 else 1)" \
    && ok "the interrupted checkpoint records where it stopped" || fail "no mid-epoch progress in part.h5"
"$bin" train "${args[@]}" --model part.h5 --resume >resume.txt 2>&1 && ok "--resume finishes the run" \
    || fail "resume: $(cat resume.txt)"
h5diff full.h5 part.h5 >diff.txt 2>&1 && ok "the resumed run is bit-identical to the uninterrupted one" \
    || fail "resumed run differs: $(head -5 diff.txt)"
args5=("${args[@]}"); args5[7]=5  # --batch 5
expect_error "resume with another schedule" "resume with the same" "$bin" train "${args5[@]}" --model part.h5 --resume

# 1b. Mixed minibatches, standardized tracks, validation on the second region with the best epoch
# kept and a learning-rate decay: Ctrl-C and --resume still end bit-identical.
val=$("$py" -c "import h5py; print(h5py.File('store.h5')['regions/names'].asstr()[-1])")
margs=(--store store.h5 --epochs 3 --hidden-size 6 --batch 4 --frame-length 50 --mix-frames 3 --standardize
       --validation-regions "$val" --lr-patience 1 --seed 9 --lr 3e-3 --heldout-chroms chrUn_none)
"$bin" train "${margs[@]}" --model mfull.h5 >mfull.txt 2>&1 && grep -q "validation MSE" mfull.txt && [ -f mfull.best.h5 ] \
    && grep -q "mixed minibatches" mfull.txt && ok "mixed, standardized, validated training keeps the best epoch" \
    || fail "mixed training: $(tail -3 mfull.txt)"
EPILSTM_TEST_SIGINT_AFTER_BATCHES=7 "$bin" train "${margs[@]}" --model mpart.h5 >mpart.txt 2>&1; rc=$?
[ "$rc" -eq 130 ] && "$bin" train "${margs[@]}" --model mpart.h5 --resume >mres.txt 2>&1 \
    && h5diff mfull.h5 mpart.h5 >mdiff.txt 2>&1 && ok "a mixed, validated run resumed after Ctrl-C is bit-identical" \
    || fail "mixed resume (exit $rc): $(tail -2 mres.txt) $(head -3 mdiff.txt)"
margs2=("${margs[@]}"); margs2[11]=2  # --mix-frames 2
expect_error "resume with other mixing" "resume with the same" "$bin" train "${margs2[@]}" --model mpart.h5 --resume
"$py" - "$val" <<'PY' && ok "the checkpoint's standardization, mixing, held-out chromosomes and validation regions are recorded" \
    || fail "standardization in mfull.h5"
import h5py, numpy as np, sys
s, m = h5py.File('store.h5'), h5py.File('mfull.h5')
rows = []
for name in s['regions/names'].asstr()[:]:
    if name == sys.argv[1]: continue
    g = s['regions/' + name]
    x = g['signal'][:].T
    if 'missing' in g: x = x[g['missing'][:] == 0]
    rows.append(x)
x = np.concatenate(rows).astype(np.float64)
ok = np.allclose(m['standardization/mean'][:], x.mean(0), rtol=1e-4, atol=1e-5) and \
     np.allclose(m['standardization/sd'][:], x.std(0), rtol=1e-3, atol=1e-5) and m['training'].attrs['mix_frames'] == 3 \
     and list(m['provenance/heldout_chroms'].asstr()[:]) == ['chrUn_none'] \
     and list(m['provenance/validation_regions'].asstr()[:]) == [sys.argv[1]]
sys.exit(0 if ok else 1)
PY
expect_error "a validation region that is not in the store" "no region named" "$bin" train --store store.h5 \
    --validation-regions nope --model x0.h5

# 2. embed (one stream) equals reconstruct of the same region's matrix.
"$bin" embed --model full.h5 --store store.h5 --out emb.h5 --bigwig bw --bedgraph bg --features 0,5 >emb.txt 2>&1 \
    && ok "embed writes HDF5, bigWig and bedGraph" || fail "embed: $(cat emb.txt)"
"$py" - <<'PY' && ok "matrix of a store region extracted" || fail "extracting a matrix"
import h5py, numpy as np
s = h5py.File('store.h5')
name = s['regions/names'].asstr()[0]
with h5py.File('region.h5', 'w') as f:
    f['signal'] = np.ascontiguousarray(s['regions/' + name + '/signal'][:].T)
open('region.txt', 'w').write(name)
PY
"$bin" reconstruct --model full.h5 --matrix region.h5 --out rec.h5 >rec.txt 2>&1 || fail "reconstruct: $(cat rec.txt)"
"$py" -c "
import h5py, numpy as np, sys
name = open('region.txt').read()
a = h5py.File('emb.h5')['regions/' + name + '/embedding'][:]
b = h5py.File('rec.h5')['embedding'][:]
sys.exit(0 if a.shape == b.shape and np.array_equal(a, b) else 1)" \
    && ok "embed of a region equals reconstruct's embedding of its matrix" || fail "embed != reconstruct"
"$py" - <<'PY' && ok "bigWig and bedGraph outputs re-read to the embedding values" || fail "bigWig/bedGraph values differ"
import h5py, numpy as np, pyBigWig, sys
e = h5py.File('emb.h5')
for j in (0, 5):
    bw = pyBigWig.open(f'bw/feature_{j}.bigWig')
    bg = np.loadtxt(f'bg/feature_{j}.bedGraph', skiprows=1, usecols=3, dtype=np.float64)
    off = 0
    for name in e['regions/names'].asstr()[:]:
        g = e['regions/' + name]
        a = g.attrs
        got = np.array([v for (_, _, v) in bw.intervals(a['chrom'], int(a['start']), int(a['end']))], dtype=np.float32)
        want = g['embedding'][:, j]
        if not np.array_equal(got, want): sys.exit(1)
        if not np.array_equal(bg[off:off + len(want)].astype(np.float32), want): sys.exit(2)
        off += len(want)
PY

# 3. Bad inputs.
"$py" - <<'PY'
import h5py, numpy as np, shutil
with h5py.File('foreign.h5', 'w') as f: f['x'] = np.zeros(3)
data = open('store.h5', 'rb').read()
open('truncated.h5', 'wb').write(data[: len(data) // 2])
shutil.copy('store.h5', 'fewer_tracks.h5')
PY
expect_error "training on a foreign HDF5 file" "foreign.h5" "$bin" train --store foreign.h5 --model x1.h5
expect_error "training on a truncated store" "truncated.h5" "$bin" train --store truncated.h5 --model x2.h5
expect_error "embedding from a truncated store" "truncated.h5" "$bin" embed --model full.h5 --store truncated.h5 --out x3.h5
expect_error "an unknown region" "no region named" "$bin" embed --model full.h5 --store store.h5 --regions nope --out x4.h5
"$bin" init --tracks 24 --hidden-size 6 --out d24.h5 >/dev/null
expect_error "a checkpoint with another track count" "24" "$bin" embed --model d24.h5 --store store.h5 --out x5.h5
"$py" - <<'PY'
import h5py, shutil
shutil.copy('full.h5', 'other_tracks.h5')
with h5py.File('other_tracks.h5', 'r+') as f:
    names = list(f['tracks'].asstr()[:])
    names[0], names[1] = names[1], names[0]
    del f['tracks']
    f.create_dataset('tracks', data=names, dtype=h5py.string_dtype())
PY
expect_error "resuming with another track list" "track 0" "$bin" train "${args[@]}" --model other_tracks.h5 --resume
expect_error "embedding with another track list" "other tracks" "$bin" embed --model other_tracks.h5 --store store.h5 --out x6.h5
[ -z "$(ls x*.h5 ./*.tmp-* bw/*.tmp-* 2>/dev/null)" ] && ok "failed commands leave no output or temporary file" \
    || fail "left behind: $(ls x*.h5 ./*.tmp-* 2>/dev/null)"

# A full disk (file size limit, SIGXFSZ ignored so writes fail with EFBIG) while writing a
# checkpoint or an embedding over existing files: clear error, the old file intact.
cp full.h5 keep.h5; cp emb.h5 keep_emb.h5
(trap '' XFSZ; ulimit -f 8; exec "$bin" train "${args[@]}" --epochs 4 --model full.h5 --resume) >df.txt 2>&1; rc=$?
[ "$rc" -ne 0 ] && grep -q "epilstm: error" df.txt && cmp -s full.h5 keep.h5 \
    && ok "disk full while checkpointing: error, previous checkpoint intact" || fail "disk full (train, exit $rc): $(tail -2 df.txt)"
(trap '' XFSZ; ulimit -f 8; exec "$bin" embed --model keep.h5 --store store.h5 --out emb.h5) >df2.txt 2>&1; rc=$?
[ "$rc" -ne 0 ] && grep -q "epilstm: error" df2.txt && cmp -s emb.h5 keep_emb.h5 \
    && ok "disk full while embedding: error, previous output intact" || fail "disk full (embed, exit $rc): $(tail -2 df2.txt)"
[ -z "$(ls ./*.tmp-* 2>/dev/null)" ] && ok "no temporary file left after the failed writes" || fail "temp files left"

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
